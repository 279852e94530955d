#!/usr/bin/env bash
# Set up, then run the test suite under a virtual display.
#
#   bash scripts/test.sh                  the whole suite, in two stages:
#                                           1. ruff + the fast lane  (pytest -m "not slow")
#                                           2. the slow lane         (pytest -m slow)
#                                         both stages always run; the exit status is non-zero
#                                         if either failed. Each stage prints its wall time.
#                                         Each stage runs on every core (pytest-xdist,
#                                         -n auto --dist loadfile; TEST_WORKERS=1 runs it
#                                         in one process): the tests of one file run in
#                                         one worker, so tests sharing an expensive
#                                         fixture live in one file.
#   bash scripts/test.sh [pytest args]    ruff, then one pytest run with those arguments
#                                         (e.g. -m "not slow", tests/stimuli, -k golden).
#
# A stage that collects no tests (pytest exit status 5) passes with a note, so that a
# suite without slow tests still passes; if neither stage collects a test, the run fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export MPLBACKEND=Agg

run_pytest() {
    if [ -z "${DISPLAY:-}" ]; then
        # 24-bit colour: pyglet hangs on a 16-bit Xvfb screen.
        xvfb-run -a -s "-screen 0 1280x1024x24" .venv/bin/python -m pytest "$@"
    else
        .venv/bin/python -m pytest "$@"
    fi
}

if [ $# -gt 0 ]; then
    .venv/bin/ruff check .
    run_pytest "$@"  # its exit status is the script's (set -e)
    exit 0
fi

elapsed() {  # seconds -> "5m 07s"
    printf '%dm %02ds' $(($1 / 60)) $(($1 % 60))
}

failed=()
collected=0

# pytest-xdist: one worker per core unless TEST_WORKERS says otherwise; --dist loadfile
# keeps the tests of one file in one worker (the demo's tests share one demo run, the full
# 2018 report tests one report). Not loadgroup: under pytest 9.2 its xdist_group marks are
# silently ignored (pytest-xdist issue 1386).
workers=(-n "${TEST_WORKERS:-auto}" --dist loadfile --durations=8)  # + the 8 slowest
# One BLAS/torch thread per worker: the workers already fill the cores, and two workers of
# two threads each on two cores made a small forward pass 50x slower (threads spinning).
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"

# Stage 1: ruff + the fast lane.
start=$SECONDS
ruff_rc=0
.venv/bin/ruff check . || ruff_rc=$?
fast_rc=0
run_pytest "${workers[@]}" -m "not slow" || fast_rc=$?
case $fast_rc in
    0) collected=$((collected + 1)) ;;
    5) echo "test.sh: stage 1 collected no tests" ;;
    *) failed+=("stage 1: pytest -m 'not slow' (exit status $fast_rc)") ;;
esac
[ "$ruff_rc" -ne 0 ] && failed+=("stage 1: ruff (exit status $ruff_rc)")
echo "test.sh: stage 1 (ruff + not slow) took $(elapsed $((SECONDS - start)))"

# Stage 2: the slow lane.
start=$SECONDS
slow_rc=0
run_pytest "${workers[@]}" -m slow || slow_rc=$?
case $slow_rc in
    0) collected=$((collected + 1)) ;;
    5) echo "test.sh: stage 2 collected no tests" ;;
    *) failed+=("stage 2: pytest -m slow (exit status $slow_rc)") ;;
esac
echo "test.sh: stage 2 (slow) took $(elapsed $((SECONDS - start)))"

if [ "$collected" -eq 0 ] && [ ${#failed[@]} -eq 0 ]; then
    failed+=("neither stage collected a test")
fi
if [ ${#failed[@]} -gt 0 ]; then
    printf 'test.sh: FAILED: %s\n' "${failed[@]}" >&2
    exit 1
fi
echo "test.sh: both stages passed"
