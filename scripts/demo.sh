#!/usr/bin/env bash
# The whole job in one command: set up, build the bundled demo stimulus sets, run a
# contrast session (a real observer where there is a display; under Xvfb where there is
# none, an observer simulated from the 2018 human data clicking through real mouse
# events), score a pretrained network on the identical files, and write the report.
#
# Usage: bash scripts/demo.sh            (output in demo-output/<timestamp>/)
#   DEMO_OUT=DIR     write there instead (must not exist yet)
#   DEMO_PER_CONDITION=N   session trials per contrast: 16 (default), 32 or 48, N/16 of
#                    every class (balanced); the network sees all 48 per contrast
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
PER_CONDITION=${DEMO_PER_CONDITION:-16}
MODELS=${DEMO_MODELS:-efficientnet_lite0}
SOURCE=stimuli/demo/source

# Where no display is, start a virtual one (24-bit: pyglet hangs at 16 bit) and let the
# simulated observer click.
observer_args=(--observer demo-01)
notes=()
if [ -z "${DISPLAY:-}" ]; then
    if ! command -v xvfb-run >/dev/null; then
        echo "error: no display and no xvfb-run; install xvfb (scripts/setup.sh does)" >&2
        exit 2
    fi
    echo "demo: no display found: a virtual display (Xvfb) and a simulated observer"
    exec xvfb-run -a -s "-screen 0 1280x1024x24" env DEMO_OUT="$OUT" DEMO_SIMULATE=1 \
        LAB_VENV="$(cd "$(dirname "$PY")/.." && pwd)" DEMO_PER_CONDITION="$PER_CONDITION" \
        DEMO_MODELS="$MODELS" bash "$0"
fi
if [ -n "${DEMO_SIMULATE:-}" ]; then
    # Shorter fixation and inter-trial interval (said in the sidecar's durations_ms and
    # in the report); image, mask and response window as in 2018.
    observer_args=(--observer sim-humans2018-01 --simulate-observer humans2018 --windowed
                   --durations fixation=100,iti=100)
    notes+=(--note "Humans: simulated from the 2018 human data (observer sim-humans2018-01). Each answer, and its response time, resamples one trial of the 2018 human observers at the same contrast and class; na (no answer) included. The 2018 humans saw natural ImageNet photographs; the simulated observer does not look at the images shown here, so its curve shows what people did in 2018, not a comparison on these images."
            --note "Timing shortened for the demo: fixation and inter-trial interval 100 ms (2018: 300 ms); image 200 ms, mask 200 ms and the 1500 ms response window as in 2018; the response screen ends at the click (durations_ms in the session's JSON sidecar).")
fi
notes+=(--note "Stimuli: the demo's contrast set is built from the 48 bundled cue-conflict images of Geirhos et al. 2019 (style transfer: the shape of one class, in most images the texture of another; 3 per class), not from natural photographs, because no natural images of the 16 classes are bundled. Networks recognise these images poorly even at full contrast: their low accuracy here says that, not how they do on the paper's stimuli. The network sees all 384 files (every image at every contrast, 48 per contrast); the session a balanced subset of them ($PER_CONDITION per contrast, $((PER_CONDITION / 16)) per class)."
        --note "Cue-conflict: networks only (the 2018 human data have no cue-conflict experiment).")

step() { echo; echo "== $1"; shift; echo "\$ $*"; "$@"; }

mkdir -p "$OUT"
step "1/4 build the stimulus sets from the bundled images" \
    "$PY" -m stimuli build contrast --source "$SOURCE" --out "$OUT/stimuli/contrast" \
    --per-condition 48 --seed 1
echo "demo: expected warning above: the 48 bundled images make all 8 contrasts, so the"
echo "      session below lets the observer see a source image more than once (--repeat-sources)"
echo "\$ $PY -m stimuli build cue-conflict --source $SOURCE --out $OUT/stimuli/cue-conflict --per-condition 48 --seed 1"
"$PY" -m stimuli build cue-conflict --source "$SOURCE" --out "$OUT/stimuli/cue-conflict" \
    --per-condition 48 --seed 1

echo
echo "demo: the session runs in real time, about $((PER_CONDITION * 8 * 2 / 60 + 1)) min; it prints"
echo "      its progress (trial k of n, re-runs after dropped frames, time left) as it goes"
step "2/4 run the contrast session: $PER_CONDITION trials per contrast, balanced over the classes ($((PER_CONDITION * 8)) trials)" \
    "$PY" run_experiment.py --experiment contrast --stimuli "$OUT/stimuli/contrast" \
    --session 1 --data "$OUT/data" --per-condition "$PER_CONDITION" --repeat-sources --practice 2 --seed 1 \
    --click-to-continue \
    "${observer_args[@]}"

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

echo; echo "== 4/4 analyse: tables, figures and the report (a minute or two)"
echo "\$ $PY -m results report $OUT/data $OUT/dnn --out $OUT/report --note ..."
"$PY" -m results report "$OUT/data" "$OUT/dnn" --out "$OUT/report" "${notes[@]}"

cat <<DONE

demo finished. Everything is under $OUT:
  stimulus sets (PNG + manifest.csv with sha256)   $OUT/stimuli/
  session trials (BIDS: TSV + JSON sidecar + log)  $OUT/data/
  network trials (same schema)                     $OUT/dnn/
  report (open in a browser)                       $OUT/report/report.html
DONE
if [ -n "${DEMO_SIMULATE:-}" ]; then
    cat <<'SIMULATED'

Read this before the figures: the "humans" are SIMULATED from the 2018 human data
(observer sim-humans2018-01), not people, and the contrast stimuli are made from the
bundled cue-conflict images, on which networks do poorly even at full contrast. The
report's notes say so at the top.
SIMULATED
fi
