"""``python -m models train`` for real: a tiny set (48 demo images at 40 px, 32 px crops),
a small torchvision network, a few steps; a real ``kill -9``; torchrun with 2 gloo ranks;
refusals in one line."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from models.checkpoint import CHECKPOINT, MODEL
from models.cli import main
from models.training import KILL_AFTER_STEP

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "stimuli" / "demo" / "source"
ARCH = "shufflenet_v2_x0_5"  # 0.35 M parameters, no dropout




@pytest.fixture
def one_thread():
    """One torch thread: runs in this process and in subprocesses compute alike."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def write_config(path: Path, train: Path, out: Path, **sections: dict) -> Path:
    base = {
        "model": {"architecture": ARCH, "weights": "none"},
        "data": {"train": str(train), "image_size": 32, "crop": "resize", "flip": False,
                 "workers": 0},
        "distortions": {"regime": "one", "manipulation": "uniform-noise"},
        "optim": {"lr": 0.05, "decay_epochs": []},
        "run": {"out": str(out), "epochs": 3, "batch_size": 16},
    }
    for name, values in sections.items():
        base[name].update(values)
    lines = []
    for name, values in base.items():
        lines.append(f"[{name}]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def train(*args: str | Path) -> int:
    return main(["train", *map(str, args), "--no-progress"])


def weights(run: Path) -> dict[str, torch.Tensor]:
    return torch.load(run / MODEL, weights_only=True)["state_dict"]


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def test_training_lowers_the_loss_and_the_run_scores_16_way(tiny, tmp_path, small_set,
                                                            one_thread, rows):
    cfg = write_config(tmp_path / "c.toml", tiny, tmp_path / "run",
                       model={"architecture": "resnet18", "batch_norm": "frozen"},
                       data={"val": str(tiny)}, distortions={"regime": "clean"},
                       run={"epochs": 4})
    assert train(cfg) == 0
    run = tmp_path / "run"
    metrics = (run / "metrics.csv").read_text().splitlines()
    assert metrics[0].startswith("epoch,steps,images,lr,train_loss,train_accuracy,val_loss")
    loss = [float(line.split(",")[4]) for line in metrics[1:]]
    assert len(loss) == 4 and loss[-1] < loss[0] - 0.2, loss  # about 2.9 -> 2.4
    card = json.loads((run / "model-card.json").read_text())
    assert card["head"] == 16 and card["epochs"] == 4 and card["steps"] == 12
    assert card["distortions"] == [] and card["regime"] == "clean"
    import hashlib
    assert card["data"]["train_manifest_sha256"] == hashlib.sha256(
        (run / "data-train.csv").read_bytes()).hexdigest()
    assert {"torch", "torchvision", "python"} <= set(card["software"])
    assert (run / "learning-curves.png").stat().st_size > 1000
    # scored directly through its 16-way head
    out = tmp_path / "scored"
    assert main(["score", "--model", "resnet18", "--weights", str(run / MODEL), "--stimuli",
                 str(small_set), "--out", str(out), "--no-progress"]) == 0
    tsv = out / "cue-conflict" / "resnet18@run_16-way_ses-1.tsv"
    got = rows(tsv)
    assert len(got) == 8 and {r["rule"] for r in got} == {"16-way"}
    total = sum(float(v) for k, v in got[0].items() if k.startswith("p_"))
    assert abs(total - 1) < 1e-6
    assert json.loads(tsv.with_suffix(".json").read_text())["preprocessing"]["input_size"] == 32


def test_resume_after_kill_9_reaches_the_same_weights(tiny, tmp_path, one_thread, capsys):
    """Random crops, flips, uniform noise, batch norm in training mode: killed after step
    5 (last checkpoint: step 4), resumed, equal to the uninterrupted run at step 7."""
    extra = dict(data={"crop": "random-resized", "flip": True},
                 run={"max_steps": 7, "checkpoint_every_steps": 2})
    whole = write_config(tmp_path / "a.toml", tiny, tmp_path / "a", **extra)
    assert train(whole) == 0
    cut = write_config(tmp_path / "b.toml", tiny, tmp_path / "b", **extra)
    killed = subprocess.run([sys.executable, "-m", "models", "train", str(cut),
                             "--no-progress"], cwd=REPO, capture_output=True, text=True,
                            env=_env(**{KILL_AFTER_STEP: "5"}), timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    state = torch.load(tmp_path / "b" / CHECKPOINT, weights_only=False)
    assert state["progress"]["global_step"] == 4  # lost: step 5 only
    assert not (tmp_path / "b" / MODEL).exists()
    assert train(cut, "--resume") == 0
    a, b = weights(tmp_path / "a"), weights(tmp_path / "b")
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    # a different config is refused, naming the difference; nothing is touched
    before = (tmp_path / "b" / CHECKPOINT).stat().st_mtime_ns
    capsys.readouterr()
    assert train(cut, "--resume", "--set", "optim.lr=0.01") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "optim.lr: 0.05 -> 0.01" in err[0], err
    assert (tmp_path / "b" / CHECKPOINT).stat().st_mtime_ns == before


def test_torchrun_two_gloo_ranks_match_one_process(tiny, tmp_path, one_thread):
    extra = dict(model={"batch_norm": "frozen"}, run={"max_steps": 3})
    one = write_config(tmp_path / "one.toml", tiny, tmp_path / "one", **extra)
    assert train(one) == 0
    two = write_config(tmp_path / "two.toml", tiny, tmp_path / "two", **extra)
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
         "--standalone", "-m", "models", "train", str(two), "--no-progress"],
        cwd=REPO, capture_output=True, text=True, env=_env(), timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    card = json.loads((tmp_path / "two" / "model-card.json").read_text())
    assert card["world_size"] == 2
    a, b = weights(tmp_path / "one"), weights(tmp_path / "two")
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-4, atol=1e-5, msg=key)
    loss = [(tmp_path / r / "metrics.csv").read_text().splitlines()[1].split(",")[4]
            for r in ("one", "two")]
    assert abs(float(loss[0]) - float(loss[1])) < 1e-4, loss


def _refused(capsys, *args) -> str:
    capsys.readouterr()
    assert train(*args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


@pytest.mark.parametrize("section,values,message", [
    ("model", {"architecture": "resnet5O"}, "unknown model 'resnet5O'"),
    ("distortions", {"regime": "blurry"}, "distortions.regime = 'blurry' is not one of"),
    ("run", {"epochs": "ten"}, "run.epochs must be an integer, got 'ten'"),
    ("distortions", {"manipulation": "fog"}, "unknown training distortion 'fog'"),
])
def test_bad_config_is_one_line_and_writes_nothing(tiny, tmp_path, capsys, section, values,
                                                   message):
    cfg = write_config(tmp_path / "c.toml", tiny, tmp_path / "run", **{section: values})
    assert message in _refused(capsys, cfg)
    assert not (tmp_path / "run").exists()


def _copy_tiny(tiny: Path, dst: Path) -> Path:
    import shutil

    return Path(shutil.copytree(tiny, dst))


@pytest.mark.parametrize("damage,message", [
    (lambda d: (d / "zebra").mkdir() or (d / "cat" / "cat1-cat3.png").rename(
        d / "zebra" / "z.png"), "unknown class folder 'zebra'"),
    (lambda d: [p.unlink() for p in (d / "oven").iterdir()], "class folder without images"),
    (lambda d: (d / "dog" / "broken.png").write_bytes(b"\x89PNG not really"),
     "broken.png: not a readable image"),
])
def test_bad_training_folder_is_one_line(tiny, tmp_path, capsys, damage, message):
    data = _copy_tiny(tiny, tmp_path / "data")
    damage(data)
    cfg = write_config(tmp_path / "c.toml", data, tmp_path / "run")
    assert message in _refused(capsys, cfg)
    assert not (tmp_path / "run").exists()


def test_existing_run_folder_is_never_overwritten(tiny, tmp_path, capsys):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "notes.txt").write_text("mine")
    cfg = write_config(tmp_path / "c.toml", tiny, tmp_path / "run")
    assert "exists already" in _refused(capsys, cfg)
    assert os.listdir(tmp_path / "run") == ["notes.txt"]


def test_full_disk_is_one_line_and_leaves_no_partial_file(tiny, tmp_path, capsys):
    """A file-size limit of 1 MB (the checkpoint is ~3 MB) stands in for a full disk."""
    cfg = write_config(tmp_path / "c.toml", tiny, tmp_path / "run", run={"max_steps": 1})
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, hard))
    try:
        message = _refused(capsys, cfg)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, handler)
    assert "checkpoint.pt: cannot be written (File too large)" in message
    assert sorted(os.listdir(tmp_path / "run")) == ["config.toml", "data-train.csv"]
