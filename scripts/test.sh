#!/usr/bin/env bash
# Set up, then run the whole test suite (ruff, then pytest) under a virtual display.
# Usage: bash scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
export MPLBACKEND=Agg
if [ -z "${DISPLAY:-}" ]; then
    # 24-bit colour: pyglet hangs on a 16-bit Xvfb screen.
    exec xvfb-run -a -s "-screen 0 1280x1024x24" .venv/bin/python -m pytest "$@"
fi
exec .venv/bin/python -m pytest "$@"
