"""Entry point: ``python -m stimuli``."""

import sys

from stimuli.cli import main

if __name__ == "__main__":
    sys.exit(main())
