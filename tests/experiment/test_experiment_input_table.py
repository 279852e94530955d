"""Every bad input to ``run_experiment.py`` as data (issue 20 and the refusals before it):
non-zero exit, one line, no traceback, nothing written. Checks: tests/input_table.py."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from experiment_helpers import make_cue_conflict_set

from experiment.cli import main
from experiment.files.bids import session_paths
from experiment.files.creation import lock_path
from lab.manifest import MANIFEST_NAME
from tests.input_table import REPO, Case, case, check_table_case, common_fields

RUN = ("--experiment cue-conflict --stimuli {set} --session 1 --data {data} --trials 8 "
       "--block-size 4 --simulate-observer 0.6 --seed 5 --no-window --observer ")

CASES: list[Case] = [
    # issue 20
    case("phantom condition c99", RUN + "obs-1 --repeat-sources --stimuli {bad}",
         "condition 'c99' is not in the design"),
    case("--durations image=inf", RUN + "obs-1 --durations image=inf", "finite"),
    case("--durations image=nan", RUN + "obs-1 --durations image=nan", "finite"),
    case("--durations response=1e12", RUN + "obs-1 --durations response=1e12",
         "must be at most 60000"),
    case("--practice 100000", RUN + "obs-1 --practice 100000", "must be at most 1000"),
    case("--visual-acuity 20/0", RUN + "obs-1 --visual-acuity 20/0", "positive parts"),
    case("label clash named first", RUN + "a-bc", "belongs to 'ab-c'"),
    case("read-only --data", RUN + "obs-1 --data {ro}/data", "read-only", read_only="ro"),
    case("--data is a file", RUN + "obs-1 --data {afile}", "afile"),
    # refused before (test_experiment_bad_inputs.py, test_experiment_refusals.py)
    case("--seed -1", RUN + "obs-1 --seed -1", "--seed -1: must be a whole number, 0 or more"),
    case("--practice -5", RUN + "obs-1 --practice -5", "--practice -5: must be 0 (none)"),
    case("bad observer ID", RUN + "../evil", "letters, digits, '-' and '_' only"),
    case("nothing to resume", RUN + "obs-2 --resume", "nothing to resume"),
    case("missing flags", "--experiment colour", "missing --stimuli"),
    case("--durations unknown phase", RUN + "obs-1 --durations blink=5", "unknown phase"),
    case("--durations not a number", RUN + "obs-1 --durations image=long",
         "is not phase=milliseconds"),
    case("--durations zero", RUN + "obs-1 --durations image=0", "must be more than 0"),
    case("--no-window without observer", "--experiment cue-conflict --stimuli {set} "
         "--observer obs-1 --session 1 --data {data} --no-window", "--simulate-observer"),
    case("unknown experiment", "check --experiment colr --stimuli {set}", "colr"),
    case("--age 200", RUN + "obs-1 --age 200", "age '200'"),
    case("--sex X", RUN + "obs-1 --sex X", "sex"),
    case("mistyped profile", "check --experiment cue-conflict --display {profile}",
         "refresh_hz must be a number"),
    case("summary of a missing folder", "summary --data {data}/none", "none"),
]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> tuple[Path, dict[str, Path]]:
    root = tmp_path_factory.mktemp("experiment-inputs")
    good, bad = root / "set", root / "bad"
    make_cue_conflict_set(good)
    make_cue_conflict_set(bad)
    manifest = bad / MANIFEST_NAME
    lines = manifest.read_text(encoding="utf-8").splitlines(keepends=True)
    column = lines[0].rstrip("\n").split(",").index("condition")
    row = lines[1].rstrip("\n").split(",")
    row[column] = "c99"
    lines[1] = ",".join(row) + "\n"
    manifest.write_text("".join(lines), encoding="utf-8")
    data = root / "data"
    paths = session_paths(data, "ab-c", 1, "cue-conflict")
    paths.subject_dir.mkdir(parents=True)
    paths.observer_file.write_text('{"observer": "ab-c"}\n')
    lab = json.loads((REPO / "experiment" / "profiles" / "lab.json").read_text())
    (root / "booth.json").write_text(json.dumps(dict(lab, refresh_hz="120")))
    return root, {**common_fields(root), "set": good, "bad": bad, "data": data,
                  "profile": root / "booth.json"}


@pytest.mark.parametrize("c", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_one_line_and_writes_nothing(c: Case, workspace) -> None:
    check_table_case(c, workspace, main, "run_experiment.py")


@pytest.mark.parametrize("delay", [0.05, 0.2, 0.4, 0.7, 1.0])
def test_ctrl_c_in_the_first_second_is_one_line(workspace, delay) -> None:
    """Issue 20, case 7: SIGINT while the launcher starts: no traceback, at most one line
    (a signal before Python handles it ends the process silently)."""
    root, fields = workspace
    argv = (RUN + "obs-9").format(**fields).split()
    proc = subprocess.Popen([sys.executable, str(REPO / "run_experiment.py"), *argv],
                            cwd=REPO, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            text=True)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    if "Fatal Python error: init_import_site" in err:
        # on a loaded machine the signal can land while the interpreter itself still
        # starts (importing ``site``), before any line of the launcher has run: Python's
        # own fatal error, not ours; the exit status still says the run did not happen
        assert proc.returncode != 0
        return
    assert "Traceback" not in err, err
    assert len([line for line in err.splitlines() if line.strip()]) <= 1, err
    assert proc.returncode != 0 or not err


def test_a_killed_resume_leaves_nothing_behind(workspace, tmp_path) -> None:
    """Issue 20, case 13: a lock of a dead process and the empty folders it made are
    cleaned by the next run, also when that run is refused."""
    _, fields = workspace
    data = tmp_path / "data"
    paths = session_paths(data, "obs-5", 1, "cue-conflict")
    paths.beh_dir.mkdir(parents=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    import socket
    lock_path(paths).write_text(json.dumps({"pid": int(dead), "host": socket.gethostname(),
                                            "started": "2026-01-01T00:00:00+00:00"}))
    argv = (RUN + "obs-5 --resume").format(**dict(fields, data=data)).split()
    assert main(argv) == 2
    assert not lock_path(paths).exists()
    assert not paths.subject_dir.exists()
