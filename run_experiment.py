#!/usr/bin/env python
"""Run a psychophysics session in the booth (see docs/experiment.md).

Thin launcher: argument parsing and the session live in :mod:`experiment.cli` and
:mod:`experiment.run.session`. ``run_experiment.py --help`` shows an example.
"""

import sys

if __name__ == "__main__":
    try:  # Ctrl-C while the modules load (the first second) is one line too
        from experiment.cli import main
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted while starting: nothing was written; run the "
                         "same command again\n")
        sys.exit(130)
    sys.exit(main())
