#!/usr/bin/env bash
# Set up everything the project needs, idempotently: Debian packages for the virtual
# display and PsychoPy (when apt-get is available), then a virtual environment in .venv
# with the project installed editable. Re-running is cheap: the pip step is skipped while
# setup.cfg and constraints.txt are unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBS=(xvfb xauth xdotool libgl1 libglu1-mesa libegl1 libjack-jackd2-0 libxcb-icccm4
      libxcb-keysyms1 libxkbcommon-x11-0 libxcb-cursor0 libasound2 libportaudio2
      libsndfile1 libusb-1.0-0 fonts-dejavu-core
      chromium)  # chromium: the report's screenshot test (headless)

install_debs() {
    command -v dpkg-query >/dev/null || return 0
    local missing=()
    for p in "${DEBS[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "setup: installing Debian packages: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
}

pick_python() {
    for py in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
        [ -n "$py" ] && command -v "$py" >/dev/null || continue
        if "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$py"; return 0
        fi
    done
    echo "setup: Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)" >&2
    return 1
}

install_debs
PY=$(pick_python)
[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=.venv/.setup-stamp
want=$(cat setup.cfg constraints.txt | sha256sum | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "setup: installing Python packages into .venv (first run takes a few minutes)"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -c constraints.txt -e ".[experiment,models,dev]"
    echo "$want" > "$stamp"
fi
echo "setup: ready (.venv/bin/python)"
