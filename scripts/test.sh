#!/usr/bin/env bash
# Set up, then run the test suite under a virtual display.
#
#   bash scripts/test.sh                  the whole suite: ruff, then one pytest run of
#                                         both lanes (the slow lane's files first), timed;
#                                         the exit status is non-zero if either failed or
#                                         no test was collected. The run uses every core
#                                         (pytest-xdist, one worker per core, --dist
#                                         loadfile --no-loadscope-reorder; TEST_WORKERS=N
#                                         sets the workers): the tests of one file run in one
#                                         worker, so tests sharing an expensive fixture
#                                         live in one file.
#   bash scripts/test.sh [pytest args]    ruff, then one pytest run with those arguments
#                                         (e.g. -m "not slow" for the fast lane alone,
#                                         tests/stimuli, -k golden).
#
# Why one run and not a fast stage then a slow one: the slow lane is a few long tests (the
# lab guide, the demo); run after the fast lane, one worker waited minutes for the other.
# In one run the long files start first and the fast tests fill the other cores.
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

# pytest-xdist: one worker per core unless TEST_WORKERS says otherwise; --dist loadfile
# keeps the tests of one file in one worker (the demo's tests share one demo run, the full
# 2018 report tests one report). Not loadgroup: under pytest 9.2 its xdist_group marks are
# silently ignored (pytest-xdist issue 1386). --no-loadscope-reorder keeps the collection
# order, in which tests/conftest.py puts the longest files first (xdist would otherwise
# start the files with the most tests first, and the long single tests last).
# One worker per core. Not more, though the booth tests mostly wait for frames: with three
# workers on two cores the lab guide's 128-trial session dropped frames on nearly every
# trial, re-ran them and ran past its 15 minutes.
workers=(-n "${TEST_WORKERS:-auto}" --dist loadfile --no-loadscope-reorder --durations=8)
# One BLAS/torch thread per worker: the workers already fill the cores, and two workers of
# two threads each on two cores made a small forward pass 50x slower (threads spinning).
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"

start=$SECONDS
failed=()
ruff_rc=0
.venv/bin/ruff check . || ruff_rc=$?
[ "$ruff_rc" -ne 0 ] && failed+=("ruff (exit status $ruff_rc)")
suite_rc=0
run_pytest "${workers[@]}" || suite_rc=$?
case $suite_rc in
    0) ;;
    5) failed+=("pytest collected no tests") ;;
    *) failed+=("pytest (exit status $suite_rc)") ;;
esac
echo "test.sh: ruff + the whole suite took $(elapsed $((SECONDS - start)))"
if [ ${#failed[@]} -gt 0 ]; then
    printf 'test.sh: FAILED: %s\n' "${failed[@]}" >&2
    exit 1
fi
echo "test.sh: passed"
