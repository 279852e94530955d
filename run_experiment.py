#!/usr/bin/env python
"""Run a psychophysics session in the booth (see docs/experiment.md).

Thin launcher: argument parsing and the session live in :mod:`experiment.cli` and
:mod:`experiment.run.session`. ``run_experiment.py --help`` shows an example.
"""

import sys

from experiment.cli import main

if __name__ == "__main__":
    sys.exit(main())
