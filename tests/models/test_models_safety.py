"""Safety of training and scoring runs: a crafted checkpoint or weights file never runs
code, a run folder and a scoring output are written by one process at a time, ``--resume``
of a finished run changes nothing, the model card is strict JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from lab.errors import LabInputError
from lab.lock import SessionLock
from models.checkpoint import CARD, CHECKPOINT, CONFIG, MODEL, load_checkpoint
from models.runs import lock_path
from models.train_config import load_config, to_toml
from models.training import run_lock_path
from models.weights import load_weights_file
from tests.models.test_models_training import REPO, _env, train, write_config


class _Payload:
    """Pickles as a call that writes ``path``: what a crafted checkpoint would run."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (Path.write_text, (self.path, "the payload ran"))


def _crafted(path: Path, target: Path) -> Path:
    torch.save({"model": {"w": torch.zeros(1)}, "progress": _Payload(target)}, path)
    return path


def test_the_payload_really_runs_when_unpickled_unsafely(tmp_path):
    """The control: the crafted file does write its file when loaded with pickle."""
    target = tmp_path / "pwned"
    crafted = _crafted(tmp_path / "c.pt", target)
    torch.load(crafted, weights_only=False)
    assert target.read_text() == "the payload ran"


def test_a_crafted_checkpoint_is_refused_and_its_payload_does_not_run(tiny, tmp_path, capsys):
    cfg_path = write_config(tmp_path / "c.toml", tiny, tmp_path / "run")
    run = tmp_path / "run"
    run.mkdir()
    (run / CONFIG).write_text(to_toml(load_config(cfg_path)))
    target = tmp_path / "pwned"
    _crafted(run / CHECKPOINT, target)
    with pytest.raises(LabInputError, match="unsafe checkpoint"):
        load_checkpoint(run / CHECKPOINT)
    capsys.readouterr()
    assert train(cfg_path, "--resume") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nothing in it was run" in err[0], err
    assert not target.exists()


def test_a_crafted_weights_file_is_refused_and_its_payload_does_not_run(tmp_path):
    target = tmp_path / "pwned"
    crafted = _crafted(tmp_path / "w.pt", target)
    with pytest.raises(LabInputError, match="not a readable torch state_dict"):
        load_weights_file(torch.nn.Linear(1, 1), crafted, name="linear")
    assert not target.exists()


def test_a_run_folder_being_written_refuses_a_second_training(tiny, tmp_path, capsys):
    cfg = write_config(tmp_path / "c.toml", tiny, tmp_path / "run", run={"max_steps": 1})
    with SessionLock(run_lock_path(tmp_path / "run"), what="the training run"):
        capsys.readouterr()
        assert train(cfg) == 2
        err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"being written by process {os.getpid()}" in err[0], err
    assert not (tmp_path / "run").exists()
    assert train(cfg) == 0  # the lock released, the run goes ahead


def test_two_trainings_started_at_once_into_one_folder_one_refuses(tiny, tmp_path):
    cfg = write_config(tmp_path / "c.toml", tiny, tmp_path / "run",
                       run={"max_steps": 2, "epochs": 1})
    command = [sys.executable, "-m", "models", "train", str(cfg), "--no-progress"]
    procs = [subprocess.Popen(command, cwd=REPO, env=_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    refused = next(err for code, err in results if code == 2).strip().splitlines()
    assert len(refused) == 1 and ("being written by process" in refused[0]
                                  or "exists already" in refused[0]), refused
    assert (tmp_path / "run" / MODEL).is_file()
    assert not run_lock_path(tmp_path / "run").exists()


def test_resume_of_a_finished_run_changes_nothing_and_says_so(tiny, tmp_path, capsys):
    cfg = write_config(tmp_path / "c.toml", tiny, tmp_path / "run", run={"max_steps": 2})
    assert train(cfg) == 0
    model = tmp_path / "run" / MODEL
    before = (model.stat().st_mtime_ns, model.read_bytes())
    capsys.readouterr()
    assert train(cfg, "--resume") == 0
    out = capsys.readouterr().out
    assert "finished already; --resume changed nothing" in out
    assert (model.stat().st_mtime_ns, model.read_bytes()) == before


def test_the_model_card_is_strict_json_with_null_for_missing_values(tiny, tmp_path):
    cfg = write_config(tmp_path / "c.toml", tiny, tmp_path / "run", run={"max_steps": 2})
    assert train(cfg) == 0

    def refuse(constant: str) -> None:
        raise ValueError(f"not strict JSON: {constant}")

    card = json.loads((tmp_path / "run" / CARD).read_text(), parse_constant=refuse)
    assert card["final_metrics"]["val_loss"] is None  # no held-out set
    inside = torch.load(tmp_path / "run" / MODEL, weights_only=True)["card"]
    assert inside["final_metrics"]["val_accuracy"] is None


def test_a_scoring_output_being_written_refuses_a_second_run(small_set, tmp_path, run_score,
                                                             capsys):
    out = tmp_path / "out"
    tsv = out / "cue-conflict" / "resnet18_sum_ses-1.tsv"
    with SessionLock(lock_path(tsv), what="this scoring output"):
        capsys.readouterr()
        assert run_score("--model", "resnet18", "--weights", "none", "--stimuli", small_set,
                         "--out", out) == 2
        err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"being written by process {os.getpid()}" in err[0], err
    assert not tsv.exists()
