#!/usr/bin/env bash
# The whole job in one command: set up, build the bundled demo stimulus sets, run a short
# session on each (a real observer where there is a display; a simulated observer
# clicking through real mouse events under Xvfb where there is none), score a pretrained
# network on the identical files, and write the report comparing them.
#
# Usage: bash scripts/demo.sh            (output in demo-output/<timestamp>/)
#   DEMO_OUT=DIR     write there instead (must not exist yet)
#   DEMO_TRIALS=N    trials of the contrast session (default 32)
#   DEMO_MODELS="efficientnet_lite0 resnet50"   networks to score (torchvision models
#                    need their weights: downloaded when online, else skipped)
#   DEMO_SIMULATE=1  simulated observer even when a display is present
#   LAB_VENV=DIR     use this existing virtual environment, skip set-up
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${LAB_VENV:-}" ]; then
    PY="$LAB_VENV/bin/python"
else
    bash scripts/setup.sh
    PY=.venv/bin/python
fi
export MPLBACKEND=Agg PYTHONUNBUFFERED=1

OUT=${DEMO_OUT:-demo-output/$(date +%Y%m%d-%H%M%S)}
if [ -e "$OUT" ]; then
    echo "error: $OUT already exists; choose another DEMO_OUT (nothing is overwritten)" >&2
    exit 2
fi
TRIALS=${DEMO_TRIALS:-32}
MODELS=${DEMO_MODELS:-efficientnet_lite0}
SOURCE=stimuli/demo/source

# Where no display is, start a virtual one (24-bit: pyglet hangs at 16 bit) and let the
# simulated observer click.
observer_args=(--observer demo-01)
if [ -z "${DISPLAY:-}" ]; then
    if ! command -v xvfb-run >/dev/null; then
        echo "error: no display and no xvfb-run; install xvfb (scripts/setup.sh does)" >&2
        exit 2
    fi
    echo "demo: no display found: a virtual display (Xvfb) and a simulated observer"
    exec xvfb-run -a -s "-screen 0 1280x1024x24" env DEMO_OUT="$OUT" DEMO_SIMULATE=1 \
        LAB_VENV="$(cd "$(dirname "$PY")/.." && pwd)" DEMO_TRIALS="$TRIALS" \
        DEMO_MODELS="$MODELS" bash "$0"
fi
if [ -n "${DEMO_SIMULATE:-}" ]; then
    observer_args=(--observer sim-01 --simulate-observer 0.85 --windowed)
fi

step() { echo; echo "== $1"; shift; echo "\$ $*"; "$@"; }

mkdir -p "$OUT"
step "1/4 build the stimulus sets from the bundled images" \
    "$PY" -m stimuli build contrast --source "$SOURCE" --out "$OUT/stimuli/contrast" \
    --per-condition 16 --seed 1
"$PY" -m stimuli build cue-conflict --source "$SOURCE" --out "$OUT/stimuli/cue-conflict" \
    --per-condition 48 --seed 1

step "2/4 run the sessions (contrast: $TRIALS trials; cue-conflict: 16 trials)" \
    "$PY" run_experiment.py --experiment contrast --stimuli "$OUT/stimuli/contrast" \
    --session 1 --data "$OUT/data" --trials "$TRIALS" --practice 2 --seed 1 \
    "${observer_args[@]}"
"$PY" run_experiment.py --experiment cue-conflict --stimuli "$OUT/stimuli/cue-conflict" \
    --session 1 --data "$OUT/data" --trials 16 --seed 2 "${observer_args[@]}"

echo; echo "== 3/4 score the networks on the identical files"
for model in $MODELS; do
    for set in contrast cue-conflict; do
        echo "\$ $PY -m models score --model $model --stimuli $OUT/stimuli/$set --out $OUT/dnn"
        if ! "$PY" -m models score --model "$model" --stimuli "$OUT/stimuli/$set" \
                --out "$OUT/dnn" --no-progress; then
            echo "demo: $model skipped (see the line above)"
            break
        fi
    done
done

step "4/4 analyse: tables, figures and the report" \
    "$PY" -m results report "$OUT/data" "$OUT/dnn" --out "$OUT/report"

cat <<DONE

demo finished. Everything is under $OUT:
  stimulus sets (PNG + manifest.csv with sha256)   $OUT/stimuli/
  human trials (BIDS: TSV + JSON sidecar + log)    $OUT/data/
  network trials (same schema)                     $OUT/dnn/
  report (open in a browser)                       $OUT/report/report.html
DONE
