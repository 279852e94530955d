"""``kill -9`` at random instants, then carrying on: every planned trial exactly once, and
nothing recorded before a kill changed.

The kills are chosen at random (seeded) among the session's named instants
(:mod:`experiment.plan.checkpoints`): start-up, the lock, the creation of each file, practice,
each trial's response and save, re-runs, breaks, the end screen and a resume's own
start. Each run is a real process (forked from the test, so without Python's start-up
cost) that sends itself SIGKILL at that instant; the next run is a plain ``--resume``, or
a plain start where the session had not been created, as ``summary`` says. The session
logic is the booth's, without a window (the in-process simulated observer); a few kills
of real-window sessions under Xvfb are in ``test_experiment_session.py``.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from experiment_helpers import check_exactly_once, fork_cli, headless_args

from experiment.files.bids import session_paths
from experiment.files.creation import CREATED, HALF_CREATED, NONE, session_state
from experiment.files.summary import COMPLETE, NOT_STARTED, RESUMABLE, summarise
from experiment.plan.checkpoints import KILL_ENV
from experiment.plan.hooks import DROP_FRAMES_VARIABLE
from lab.schema import HUMAN_FILE_COLUMNS
from lab.trial_file import read_rows

TRIALS = 8
#: instants of one run and how often each is reached in a fresh 8-trial session with
#: practice 1 and trial 3 flagged (so re-run once): name -> occurrences
INSTANTS = {
    "start": 1, "locked": 1, "verified": 1, "preflight": 1,
    "created-dataset-files": 1, "created-observer-file": 1,
    "create-trial-list": 1, "created-trial-list": 1, "create-sidecar": 1,
    "created-sidecar": 1, "create-trial-file": 1, "created-trial-file": 1,
    "preflight-screen": 1, "practice": 1, "practice-trial": 1, "practice-done": 1,
    "trial": TRIALS + 1, "response": TRIALS + 1, "save": TRIALS + 1, "saved": TRIALS + 1,
    "rerun": 1, "break": 1, "end-screen": 1, "resume-sidecar": 1, "resumed-sidecar": 1,
}


def complete_lines(path: Path) -> bytes:
    data = path.read_bytes() if path.exists() else b""
    return data[: data.rfind(b"\n") + 1]


def test_forty_random_kills_each_followed_by_resume(stimulus_set: Path,
                                                    tmp_path: Path) -> None:
    rng = random.Random(2018)
    instants = [(name, n) for name, count in INSTANTS.items()
                for n in range(1, count + 1)]
    kills = survived = sessions = 0
    session = 0
    while kills < 42:
        session += 1  # one observer per session: the set has images for 6 of theirs
        data = tmp_path / "data"
        observer = f"crash-{session:02d}"
        paths = session_paths(data, observer, 1, "cue-conflict")
        args = headless_args(stimulus_set, data, "--practice", "1", observer=observer,
                             trials=TRIALS)
        env = {DROP_FRAMES_VARIABLE: "3"}
        for _ in range(30):  # kill runs of this session until one completes
            state = session_state(paths, HUMAN_FILE_COLUMNS)
            summary = ({s.observer: s for s in summarise(data)}
                       if (data / paths.subject_dir.name).exists() else {})
            if state == CREATED:
                assert summary[observer].state in (RESUMABLE, COMPLETE)
            elif state == HALF_CREATED:
                assert summary[observer].state == NOT_STARTED
            resume = state == CREATED
            before_rows = complete_lines(paths.trials)
            before_list = paths.trial_list.read_bytes() if resume else None
            before_meta = json.loads(paths.sidecar.read_text()) if resume else None
            name, n = rng.choice(instants)
            if rng.random() < 0.2:
                name, n = "none", 1  # now and then a run that is not killed
            rc, out = fork_cli([*args, *(["--resume"] if resume else [])],
                               {**env, KILL_ENV: f"{name}@{n}"})
            assert "Traceback" not in out, out
            if rc == -9:
                kills += 1
                if name == "save" and rng.random() < 0.5 and paths.trials.exists():
                    # died inside the write: half a line on disk
                    with open(paths.trials, "ab") as fh:
                        fh.write(b"cue-conflict\tcrash\t1\t")
            else:
                assert rc == 0, out
            # nothing recorded before the kill changed
            assert complete_lines(paths.trials).startswith(before_rows)
            if resume:
                assert paths.trial_list.read_bytes() == before_list
                meta = json.loads(paths.sidecar.read_text())
                assert meta.get("resumed", [])[: len(before_meta.get("resumed", []))] == \
                    before_meta.get("resumed", [])
                assert {k: v for k, v in meta.items() if k != "resumed"} == \
                    {k: v for k, v in before_meta.items() if k != "resumed"}
            if rc == 0:
                break
        else:
            raise AssertionError("the session never completed")
        survived += 1
        sessions += 1
        assert not paths.beh_dir.joinpath(f"{paths.stem}.lock").exists()
        check_exactly_once(read_rows(paths.trials), paths.trial_list)
        assert session_state(paths, HUMAN_FILE_COLUMNS) == CREATED
        again = fork_cli([*args, "--resume"])
        assert again[0] == 0 and "nothing left to run" in again[1]  # complete: nothing to do
        assert {s.observer: s.state for s in summarise(data)}[observer] == "complete"
    assert kills >= 42 and survived == sessions
    print(f"{kills} kills at random instants over {sessions} sessions, all resumed")


def test_plain_start_after_a_kill_before_any_file_writes_nothing_twice(
        stimulus_set: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    args = headless_args(stimulus_set, data, observer="early-01")
    paths = session_paths(data, "early-01", 1, "cue-conflict")
    for instant in ("locked", "verified", "preflight"):
        rc, out = fork_cli(args, {KILL_ENV: instant})
        assert rc == -9, out
        assert session_state(paths, HUMAN_FILE_COLUMNS) == NONE
        assert not (data / "participants.tsv").exists()
    # the stale lock of the killed run is taken over, with a log line
    rc, out = fork_cli(args)
    assert rc == 0, out
    assert "stale lock" in paths.log.read_text()
    check_exactly_once(read_rows(paths.trials), paths.trial_list)
