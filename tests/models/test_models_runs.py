"""Scoring runs that are atomic and resumable: a run that stops half-way (a full disk, an
injected write failure) leaves only a ``.partial`` file that ``--resume`` continues, is
never read as complete by ``results``, and every refusal is one line that suggests only
flags that exist."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import lab.trial_file as trial_file
from lab.categories import CATEGORIES
from lab.errors import LabInputError
from lab.manifest import MANIFEST_NAME, read_manifest
from lab.readers import read_trials
from models.cli import main
from tests.models.conftest import fail_after

MODEL = ("--model", "mobilenet_v3_small", "--weights", "none", "--batch-size", "2")
NAME = "cue-conflict/mobilenet_v3_small_sum_ses-1"
P_COLUMNS = [f"p_{c}" for c in CATEGORIES]


def score(*args) -> int:
    return main(["score", *MODEL, *[str(a) for a in args], "--no-progress"])


def one_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


def flags_exist(message: str) -> None:
    """Every ``--flag`` a refusal suggests is an option of ``models score``."""
    import re

    from models.cli import _parser

    known = {o for a in _parser()._subparsers._group_actions[0].choices["score"]._actions
             for o in a.option_strings}
    for flag in re.findall(r"--[a-z][a-z-]*", message):
        assert flag in known, (flag, message)


@pytest.fixture(scope="module")
def reference(small_set, tmp_path_factory) -> list[dict[str, str]]:
    """An uninterrupted run of the same options (8 rows)."""
    out = tmp_path_factory.mktemp("reference")
    assert score("--stimuli", small_set, "--out", out) == 0
    return trial_file.read_rows(out / f"{NAME}.tsv")


def test_a_run_that_fails_half_way_is_resumed_to_the_same_trials(
        small_set, reference, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    fail_after(monkeypatch, 2)
    assert score("--stimuli", small_set, "--out", out) == 2
    line = one_error(capsys)
    assert "No space left on device" in line and "the 4 trials before are kept" in line
    assert "--resume" in line
    flags_exist(line)
    monkeypatch.undo()
    final, partial = out / f"{NAME}.tsv", out / f"{NAME}.tsv.partial"
    assert not final.exists() and len(trial_file.read_rows(partial)) == 4
    sidecar = json.loads((out / f"{NAME}.json").read_text())
    assert sidecar["complete"] is False and sidecar["n_images"] == 8
    with pytest.raises(LabInputError, match="no trial files found"):  # nothing visible
        read_trials(out)

    # a new run of the same options is refused, and points at --resume
    assert score("--stimuli", small_set, "--out", out) == 2
    line = one_error(capsys)
    assert "an interrupted run" in line and "--resume" in line
    flags_exist(line)

    assert score("--stimuli", small_set, "--out", out, "--resume") == 0
    assert not partial.exists()
    rows = trial_file.read_rows(final)
    assert [r["image"] for r in rows] == [e.file for e in read_manifest(small_set)]
    assert [r["trial"] for r in rows] == [str(i) for i in range(1, 9)]
    assert [r["response"] for r in rows] == [r["response"] for r in reference]
    np.testing.assert_allclose([[float(r[c]) for c in P_COLUMNS] for r in rows],
                               [[float(r[c]) for c in P_COLUMNS] for r in reference],
                               atol=1e-5)
    sidecar = json.loads((out / f"{NAME}.json").read_text())
    assert sidecar["complete"] is True and sidecar["n_trials"] == 8
    assert len(sidecar["resumed"]) == 1
    assert "(8 trials, accuracy" in capsys.readouterr().out
    assert len(read_trials(out)) == 8

    assert score("--stimuli", small_set, "--out", out, "--resume") == 2
    assert "complete already; nothing to resume" in one_error(capsys)


@pytest.fixture
def interrupted(small_set, tmp_path, monkeypatch, capsys) -> Path:
    out = tmp_path / "out"
    fail_after(monkeypatch, 0)
    assert score("--stimuli", small_set, "--out", out) == 2
    capsys.readouterr()
    monkeypatch.undo()
    return out


@pytest.mark.parametrize("change,match", [
    (("--weights", "DEFAULT"), "was started with weights_option 'none', not 'DEFAULT'"),
    (("--seed", "3"), "was started with seed 0, not 3"),
    (("--rule", "max"), "nothing to resume: no interrupted run"),
])
def test_resume_with_other_options_is_refused(interrupted, small_set, capsys, change, match):
    args = ["score", *MODEL, "--stimuli", str(small_set), "--out", str(interrupted),
            "--no-progress", "--resume"]
    i = args.index(change[0]) if change[0] in args else None
    if i is not None:
        args[i + 1] = change[1]
    else:
        args += list(change)
    assert main(args) == 2
    line = one_error(capsys)
    assert match in line
    flags_exist(line)


def test_resume_against_another_stimulus_set_is_refused(interrupted, small_set, tmp_path,
                                                        capsys):
    other = tmp_path / "other"
    shutil.copytree(small_set, other)
    manifest = other / MANIFEST_NAME
    lines = manifest.read_text().splitlines(keepends=True)
    manifest.write_text(lines[0] + "".join(reversed(lines[1:])))
    assert score("--stimuli", other, "--out", interrupted, "--resume") == 2
    assert "manifest_sha256" in one_error(capsys)


def test_resume_checks_the_written_rows_against_the_manifest(small_set, tmp_path,
                                                             monkeypatch, capsys):
    out = tmp_path / "out"
    score("--stimuli", small_set, "--out", out)  # complete, then made partial by hand:
    final = out / f"{NAME}.tsv"
    partial = out / f"{NAME}.tsv.partial"
    lines = final.read_text().splitlines(keepends=True)
    first = lines[1].split("\t")
    first[5] = "someone_else.png"  # the image column
    lines[1] = "\t".join(first)
    partial.write_text("".join(lines[:4]))
    final.unlink()
    capsys.readouterr()
    assert score("--stimuli", small_set, "--out", out, "--resume") == 2
    line = one_error(capsys)
    assert "trial 1 is 'someone_else.png'" in line
    flags_exist(line)


def test_nothing_to_resume_and_negative_seed(small_set, tmp_path, capsys):
    assert score("--stimuli", small_set, "--out", tmp_path, "--resume") == 2
    assert "start without --resume" in one_error(capsys)
    assert score("--stimuli", small_set, "--out", tmp_path, "--seed", "-1") == 2
    assert "--seed -1" in one_error(capsys)


def test_out_that_is_a_file(small_set, tmp_path, capsys):
    blocker = tmp_path / "out"
    blocker.write_text("x")
    assert score("--stimuli", small_set, "--out", blocker) == 2
    assert "is a file, not a folder" in one_error(capsys)
    assert score("--stimuli", small_set, "--out", blocker / "sub") == 2
    assert "is a file, not a folder" in one_error(capsys)
    assert blocker.read_text() == "x"


# -- real file systems: read-only and full (tmpfs; needs root) -----------------------------
@contextlib.contextmanager
def tmpfs(path: Path, options: str):
    path.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or 'not root'})")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def test_read_only_out(small_set, tmp_path, capsys):
    with tmpfs(tmp_path / "ro", "ro,size=1m") as ro:
        assert score("--stimuli", small_set, "--out", ro / "out") == 2
        line = one_error(capsys)
        assert "not writable (read-only file system" in line
        assert list(ro.iterdir()) == []


def test_full_disk_then_resume_after_freeing_space(demo_set, tmp_path, capsys):
    with tmpfs(tmp_path / "small", "size=12k") as small:
        out = small / "out"
        assert main(["score", *MODEL[:4], "--batch-size", "16", "--stimuli", str(demo_set),
                     "--out", str(out), "--no-progress"]) == 2
        line = one_error(capsys)
        assert "No space left on device" in line
        flags_exist(line)
        assert not (out / f"{NAME}.tsv").exists()
        leftovers = sorted(p.name for p in (out / "cue-conflict").iterdir()) \
            if (out / "cue-conflict").exists() else []
        assert all(name.endswith((".partial", ".json")) for name in leftovers), leftovers
        if "--resume" not in line:  # the disk was full before the first row: nothing left
            assert "cannot write the trial files" in line and leftovers == []
            return
        subprocess.run(["mount", "-o", "remount,size=2m", str(small)], check=True)
        assert main(["score", *MODEL[:4], "--batch-size", "16", "--stimuli", str(demo_set),
                     "--out", str(out), "--no-progress", "--resume"]) == 0
        rows = trial_file.read_rows(out / f"{NAME}.tsv")
        assert [r["image"] for r in rows] == [e.file for e in read_manifest(demo_set)]


# -- results never reads an incomplete run as complete ------------------------------------
def test_results_leave_out_an_incomplete_run(small_set, tmp_path, caplog, monkeypatch,
                                             capsys):
    complete = tmp_path / "complete"
    assert score("--stimuli", small_set, "--out", complete) == 0
    assert len(read_trials(complete)) == 8

    # a partial file renamed by hand to .tsv: its sidecar says incomplete
    out = tmp_path / "out"
    fail_after(monkeypatch, 2)
    assert score("--stimuli", small_set, "--out", out) == 2
    monkeypatch.undo()
    capsys.readouterr()
    (out / f"{NAME}.tsv.partial").rename(out / f"{NAME}.tsv")
    with pytest.raises(LabInputError, match=r"incomplete scoring run \(4 of 8 trials\)"):
        read_trials(out)
    with caplog.at_level("WARNING"):
        table = read_trials([complete, out])
    assert len(table) == 8
    assert "incomplete scoring run (4 of 8 trials); left out" in caplog.text

    # an older file without the marker: fewer rows than n_images
    old = tmp_path / "old" / "cue-conflict"
    old.mkdir(parents=True)
    rows = (complete / f"{NAME}.tsv").read_text().splitlines(keepends=True)
    (old / "net_sum_ses-1.tsv").write_text("".join(rows[:6]))
    meta = json.loads((complete / f"{NAME}.json").read_text())
    meta.pop("complete")
    (old / "net_sum_ses-1.json").write_text(json.dumps(meta))
    with pytest.raises(LabInputError, match=r"\(5 of 8 trials\)"):
        read_trials(old.parent)
