"""``python -m models train``: train a network on distorted images, as Geirhos et
al. 2018 trained networks on distortions (their training experiments).

The run, in order (every step before the run's folder is created can refuse with one line,
so a refused run leaves nothing behind):

1. settle the config; refuse an existing run folder (without ``--resume``) or a
   ``--resume`` whose config differs from the one saved in the folder;
2. scan the training (and held-out) folders, build the network, the optimiser (the
   paper's SGD: momentum 0.9, weight decay 1e-4 not on batch norm, lr 0.1 x batch/256,
   step decay) and the scheduler; load the checkpoint when resuming;
3. loop: loader workers decode, crop and flip (and apply eidolons); the device applies the
   other distortions as batched torch ops, normalises, runs forward/backward under autocast
   (CUDA) in ``channels_last``; the cross-entropy of each image is weighted by the inverse
   frequency of its class; DDP averages the gradients over ranks;
4. a checkpoint after every epoch (and every ``run.checkpoint_every_steps`` steps), the
   metrics CSV and the learning-curve plot after every epoch; at the end ``model.pt``
   (weights + model card) and ``model-card.json``.

Exact resume: the data order is a function of (seed, epoch), each image's crop, flip and
distortion of (seed, epoch, index), and torch's global generator is re-seeded from (seed,
step, rank) before every step, so a resumed run repeats the uninterrupted one's numbers.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from tqdm import tqdm

from lab.errors import LabInputError
from models.acceleration import DeviceChoices, device_choices
from models.augment import apply_plan
from models.checkpoint import (
    CARD,
    CHECKPOINT,
    CONFIG,
    CURVES,
    METRICS,
    MODEL,
    load_checkpoint,
    save_torch,
    software_versions,
    strict_json,
    write_atomic,
)
from models.distortion_plan import DistortionPlan, make_plan
from models.distributed import Team, join
from models.registry import Preprocessing, label_space_of
from models.train_config import TrainConfig, build_config, differences, to_toml
from models.train_data import (
    ImageFolder,
    ResumableSampler,
    TrainingImages,
    class_weights,
    scan_folder,
)
from models.train_model import build_training_model, parameter_groups, set_train_mode

log = logging.getLogger(__name__)
#: Test hook: SIGKILL this process right after the given global step (a real ``kill -9``).
KILL_AFTER_STEP = "MODELS_TRAIN_KILL_AFTER_STEP"
METRIC_COLUMNS = ("epoch", "steps", "images", "lr", "train_loss", "train_accuracy",
                  "val_loss", "val_accuracy", "seconds", "images_per_second")


@dataclass
class Progress:
    """Where the run is; saved in every checkpoint."""

    epoch: int = 0
    step_in_epoch: int = 0
    global_step: int = 0
    loss_sum: float = 0.0  #: this epoch so far (weighted loss x images)
    correct: int = 0
    images: int = 0
    seconds: float = 0.0
    history: list[dict[str, Any]] = field(default_factory=list)


def _loader(dataset: TrainingImages, sampler: Any, batch: int, workers: int,
            pin: bool) -> DataLoader:
    return DataLoader(dataset, batch_size=batch, sampler=sampler, num_workers=workers,
                      pin_memory=pin, drop_last=False, persistent_workers=False,
                      prefetch_factor=4 if workers else None)


def _normaliser(pre: Preprocessing, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    a, b = pre.affine()
    scale = torch.tensor(a, device=device).view(1, 3, 1, 1) * 255.0
    shift = torch.tensor(b, device=device).view(1, 3, 1, 1)
    return scale, shift


@dataclass
class _Run:
    cfg: TrainConfig
    team: Team
    out: Path
    model: nn.Module
    ddp: nn.Module
    pre: Preprocessing
    plan: DistortionPlan
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    scaler: torch.amp.GradScaler
    choices: DeviceChoices  #: autocast dtype and loader workers (models.acceleration)
    weights: torch.Tensor
    train: ImageFolder
    val: ImageFolder | None
    start_weights: str
    progress: Progress
    partial: dict[str, Any] | None = None  #: metrics of an epoch cut short by max_steps

    def rows(self) -> list[dict[str, Any]]:
        return self.progress.history + ([self.partial] if self.partial else [])

    # -- one step ------------------------------------------------------------------------
    def batch_on_device(self, batch: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        _, images, labels, which, params, seeds = batch
        device = self.team.device
        x = images.to(device, non_blocking=True).float().div_(255.0)
        x = apply_plan(x, self.plan, which, params.float(), seeds)
        scale, shift = _normaliser(self.pre, device)
        x = torch.addcmul(shift, x, scale)
        if self.cfg.run.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return x, labels.to(device, non_blocking=True)

    def autocast(self) -> contextlib.AbstractContextManager:
        if self.choices.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.team.device.type, dtype=self.choices.dtype)

    def step(self, batch: list[torch.Tensor]) -> None:
        p, cfg = self.progress, self.cfg
        torch.manual_seed(hash((cfg.run.seed, p.global_step, self.team.rank)) % 2**62)
        x, y = self.batch_on_device(batch)
        with self.autocast():
            logits = self.ddp(x)
        if not isinstance(logits, torch.Tensor):
            logits = logits[0]
        per_image = F.cross_entropy(logits.float(), y, reduction="none",
                                    label_smoothing=cfg.optim.label_smoothing)
        # Normalised by the batch size (not the weight sum), so that DDP's gradient mean
        # over ranks equals the single-process loss of the whole global batch.
        loss = (per_image * self.weights[y]).sum() / y.numel()
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.step(self.optimizer)
        self.scaler.update()
        stats = torch.tensor([loss.item() * y.numel(), (logits.argmax(1) == y).sum().item(),
                              y.numel()], dtype=torch.float64)
        if self.team.distributed:
            import torch.distributed as dist

            dist.all_reduce(stats)
        p.loss_sum += stats[0].item()
        p.correct += int(stats[1].item())
        p.images += int(stats[2].item())
        p.step_in_epoch += 1
        p.global_step += 1

    # -- held-out accuracy ---------------------------------------------------------------
    @torch.no_grad()
    def validate(self) -> tuple[float, float]:
        if self.val is None:
            return float("nan"), float("nan")
        self.model.eval()
        dataset = TrainingImages(self.val, self.cfg.data.image_size, self.cfg.data.crop,
                                 False, DistortionPlan((), (), False, 0.0), self.cfg.run.seed,
                                 train=False)
        idx = list(range(self.team.rank, len(dataset), self.team.world))
        loader = DataLoader(torch.utils.data.Subset(dataset, idx), batch_size=max(
            1, self.cfg.run.batch_size // self.team.world), num_workers=0)
        stats = torch.zeros(3, dtype=torch.float64)
        for batch in loader:
            x, y = self.batch_on_device(batch)
            with self.autocast():
                logits = self.model(x)
            loss = F.cross_entropy(logits.float(), y, reduction="sum")
            stats += torch.tensor([loss.item(), (logits.argmax(1) == y).sum().item(),
                                   y.numel()], dtype=torch.float64)
        if self.team.distributed:
            import torch.distributed as dist

            dist.all_reduce(stats)
        set_train_mode(self.model, self.cfg.model)
        n = max(1.0, stats[2].item())
        return stats[0].item() / n, stats[1].item() / n

    # -- files ---------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        return {
            "format": "vision-generalisation-lab training checkpoint 1",
            "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(), "scaler": self.scaler.state_dict(),
            "progress": self.progress.__dict__, "config": self.cfg.as_dict(),
            "rng": {"torch": torch.get_rng_state(), "numpy": _numpy_state()},
        }

    def save_checkpoint(self) -> None:
        if self.team.leader:
            save_torch(self.out / CHECKPOINT, self.state())

    def write_metrics(self) -> None:
        if not self.team.leader:
            return
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=METRIC_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows())
        write_atomic(self.out / METRICS, buf.getvalue().encode())
        plot_learning_curves(self.rows(), self.out / CURVES)

    def card(self) -> dict[str, Any]:
        last = self.rows()[-1] if self.rows() else {}
        return {
            "kind": "trained-network", "architecture": self.cfg.model.architecture,
            "head": self.cfg.model.head, "image_size": self.cfg.data.image_size,
            "classes": _card_classes(self.cfg.model.head),
            "start_weights": self.start_weights, "regime": self.cfg.distortions.regime,
            "distortions": list(self.plan.names), "config": self.cfg.as_dict(),
            "data": {"train": str(self.train.root.resolve()), "train_images": len(
                self.train.samples), "train_manifest_sha256": self.train.sha256(),
                     "val": str(self.val.root.resolve()) if self.val else "",
                     "val_manifest_sha256": self.val.sha256() if self.val else ""},
            "epochs": self.progress.epoch + (1 if self.progress.step_in_epoch else 0),
            "steps": self.progress.global_step, "world_size": self.team.world,
            "device": str(self.team.device), "final_metrics": last,
            "software": software_versions(), "preprocessing": self.pre.as_dict(),
        }

    def finish(self) -> None:
        if not self.team.leader:
            return
        # plain types only; NaN (e.g. no held-out set) becomes null: strict JSON
        card = strict_json(json.loads(json.dumps(self.card(), default=str)))
        save_torch(self.out / MODEL, {"state_dict": self.model.state_dict(), "card": card})
        write_atomic(self.out / CARD,
                     (json.dumps(card, indent=2, allow_nan=False) + "\n").encode())


def _numpy_state() -> dict[str, Any]:
    """numpy's global generator state as tensors and numbers (loadable with
    ``weights_only=True``, no numpy objects in the checkpoint)."""
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return {"name": name, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
            "has_gauss": int(has_gauss), "cached_gaussian": float(cached)}


def _set_numpy_state(state: dict[str, Any]) -> None:
    np.random.set_state((state["name"], state["keys"].numpy().astype(np.uint32),
                         state["pos"], state["has_gauss"], state["cached_gaussian"]))


def _card_classes(head: int) -> list[str] | str:
    """The card's ``classes``: the 16 names in output order, or the label space's name."""
    space = label_space_of(head)
    return list(space.label_names) if space.label_names else space.name


def plot_learning_curves(history: list[dict[str, Any]], path: Path) -> None:
    """Loss and accuracy per epoch (training and held-out), PNG."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 2.8))
    ax_loss, ax_acc = fig.subplots(1, 2)
    epochs = [h["epoch"] for h in history]
    for key, ax, label in (("train_loss", ax_loss, "training"), ("val_loss", ax_loss, "held-out"),
                           ("train_accuracy", ax_acc, "training"),
                           ("val_accuracy", ax_acc, "held-out")):
        values = [float(h[key]) for h in history]
        if not all(np.isnan(values)):
            ax.plot(epochs, values, marker="o", label=label)
    ax_loss.set(xlabel="epoch", ylabel="loss (weighted cross-entropy)")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", ylim=(0, 1))
    ax_acc.legend(frameon=False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    write_atomic(path, buf.getvalue())


# -- setting up --------------------------------------------------------------------------
def _check_out(cfg: TrainConfig, resume: bool) -> Path:
    out = Path(cfg.run.out)
    if not resume:
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise LabInputError(f"{out}: the run folder exists already and is never "
                                "overwritten; continue it with --resume or give a new run.out")
        return out
    saved = out / CONFIG
    if not saved.is_file():
        raise LabInputError(f"{out}: no run to resume here ({CONFIG} missing); start without "
                            "--resume")
    import tomllib

    old = build_config(tomllib.loads(saved.read_text(encoding="utf-8")), str(saved))
    diff = differences(old, cfg)
    if diff:
        raise LabInputError(f"--resume with a different config (refused): {'; '.join(diff)}; "
                            f"use the config saved in {saved}")
    return out


def _build(cfg: TrainConfig, team: Team, resume: bool) -> _Run:
    out = team.agree(lambda: _check_out(cfg, resume))
    plan = team.agree(lambda: make_plan(cfg.distortions, cfg.data.image_size))
    train = team.agree(lambda: scan_folder(cfg.data.train, head=cfg.model.head,
                                           skip_greyscale=cfg.data.skip_greyscale))
    val = team.agree(lambda: scan_folder(cfg.data.val, head=cfg.model.head,
                                         skip_greyscale=cfg.data.skip_greyscale,
                                         key="data.val") if cfg.data.val else None)
    saved = out / "data-train.csv"
    if resume and saved.is_file() and saved.read_text(encoding="utf-8") != train.manifest_text():
        raise LabInputError(f"{cfg.data.train}: its images differ from the run's {saved} "
                            "(files added, removed or renamed); --resume needs the same data")
    if cfg.run.batch_size % team.world:
        raise LabInputError(f"run.batch_size {cfg.run.batch_size} must be a multiple of the "
                            f"{team.world} processes")
    if len(train.samples) < cfg.run.batch_size:
        raise LabInputError(f"{cfg.data.train}: {len(train.samples)} images, fewer than one "
                            f"batch (run.batch_size = {cfg.run.batch_size}); lower it")
    if cfg.model.batch_norm == "sync" and team.device.type != "cuda":
        raise LabInputError("model.batch_norm = 'sync' needs GPUs; on the CPU use 'train' "
                            "or 'frozen'")
    choices = team.agree(lambda: device_choices(
        team.device, precision=cfg.run.precision, world=team.world,
        workers=cfg.data.workers if cfg.data.workers >= 0 else None,
        precision_option="run.precision ="))
    assert choices is not None
    first = team.agree(lambda: build_training_model(cfg.model, cfg.run.seed), leader_only=True)
    model, pre, start_weights = team.agree(
        (lambda: first) if first is not None else
        (lambda: build_training_model(cfg.model, cfg.run.seed)))
    model = model.to(team.device)
    if cfg.run.channels_last:
        model = model.to(memory_format=torch.channels_last)
    set_train_mode(model, cfg.model)
    groups = parameter_groups(model, cfg.optim.weight_decay)
    if cfg.optim.optimizer == "sgd":
        optimizer: torch.optim.Optimizer = torch.optim.SGD(
            groups, lr=cfg.lr, momentum=cfg.optim.momentum)
    else:
        optimizer = torch.optim.AdamW(groups, lr=cfg.lr)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, cfg.milestones(),
                                                     gamma=cfg.optim.decay_factor)
    scaler = torch.amp.GradScaler(team.device.type, enabled=choices.dtype == torch.float16)
    weights = torch.tensor(class_weights(train.counts(), cfg.optim.loss_weights),
                           dtype=torch.float32, device=team.device)
    if team.distributed:
        ids = [team.device.index] if team.device.type == "cuda" else None
        ddp: nn.Module = DistributedDataParallel(model, device_ids=ids)
    else:
        ddp = model
    run = _Run(cfg, team, out, model, ddp, pre, plan, optimizer, scheduler, scaler, choices,
               weights, train, val, start_weights, Progress())
    if resume and not (out / CHECKPOINT).exists():  # stopped before its first checkpoint
        log.warning("%s: no checkpoint yet; starting the run from its first step", out)
    elif resume:
        state = team.agree(lambda: load_checkpoint(out / CHECKPOINT))
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        scaler.load_state_dict(state["scaler"])
        run.progress = Progress(**state["progress"])
        torch.set_rng_state(state["rng"]["torch"])
        _set_numpy_state(state["rng"]["numpy"])
    if not resume and team.leader:
        out.mkdir(parents=True, exist_ok=True)
        write_atomic(out / CONFIG, to_toml(cfg).encode())
        write_atomic(out / "data-train.csv", train.manifest_text().encode())
        if val is not None:
            write_atomic(out / "data-val.csv", val.manifest_text().encode())
    team.barrier()
    return run


# -- the loop ----------------------------------------------------------------------------
def _epoch_row(run: _Run) -> dict[str, Any]:
    """The metrics row of the epoch so far (held-out numbers computed now)."""
    p = run.progress
    lr = run.optimizer.param_groups[0]["lr"]
    val_loss, val_acc = run.validate()
    row = {
        "epoch": p.epoch + 1, "steps": p.step_in_epoch, "images": p.images, "lr": lr,
        "train_loss": p.loss_sum / max(1, p.images),
        "train_accuracy": p.correct / max(1, p.images),
        "val_loss": val_loss, "val_accuracy": val_acc, "seconds": round(p.seconds, 3),
        "images_per_second": p.images / p.seconds if p.seconds else float("nan"),
    }
    log.info("epoch %d: %s", p.epoch + 1, row)
    return row


def _loop(run: _Run) -> Progress:
    cfg, team, p = run.cfg, run.team, run.progress
    per_rank = cfg.run.batch_size // team.world
    dataset = TrainingImages(run.train, cfg.data.image_size, cfg.data.crop, cfg.data.flip,
                             run.plan, cfg.run.seed)
    labels = np.array([s.label for s in run.train.samples])
    sampler = ResumableSampler(labels, world=team.world, rank=team.rank, seed=cfg.run.seed,
                               global_batch=cfg.run.batch_size,
                               balanced=cfg.optim.sampler == "balanced")
    workers = run.choices.workers
    show = cfg.run.progress and team.leader and sys.stderr.isatty()
    kill_after = int(os.environ.get(KILL_AFTER_STEP, "0") or 0)
    max_steps = cfg.run.max_steps or None
    while p.epoch < cfg.run.epochs:
        if max_steps is not None and p.global_step >= max_steps:
            break
        dataset.epoch = p.epoch
        sampler.set_epoch(p.epoch)
        sampler.set_start(p.step_in_epoch)
        loader = _loader(dataset, sampler, per_rank, workers, team.device.type == "cuda")
        bar = tqdm(total=sampler.steps, initial=p.step_in_epoch, disable=not show,
                   desc=f"epoch {p.epoch + 1}/{cfg.run.epochs}", unit="step")
        started = time.perf_counter()
        stopped = False
        with bar:
            for batch in loader:
                run.step(batch)
                bar.update(1)
                if kill_after and p.global_step == kill_after:
                    os.kill(os.getpid(), signal.SIGKILL)
                every = cfg.run.checkpoint_every_steps
                at_limit = max_steps is not None and p.global_step >= max_steps
                if at_limit or (every and p.global_step % every == 0
                                and p.step_in_epoch < sampler.steps):
                    p.seconds += time.perf_counter() - started
                    started = time.perf_counter()
                    run.save_checkpoint()
                if at_limit:
                    stopped = p.step_in_epoch < sampler.steps
                    break
        p.seconds += time.perf_counter() - started
        if stopped:  # a partial epoch (run.max_steps): its row says how many steps
            run.partial = _epoch_row(run)
            run.write_metrics()
            break
        p.history.append(_epoch_row(run))
        run.scheduler.step()
        p.epoch += 1
        p.step_in_epoch, p.loss_sum, p.correct, p.images, p.seconds = 0, 0.0, 0, 0, 0.0
        run.save_checkpoint()
        run.write_metrics()
    return p


def run_lock_path(out: Path) -> Path:
    """The lock of a run folder: ``<run.out>.lock`` beside it (so a refused run leaves no
    folder behind and the folder holds only the run's files)."""
    out = Path(out)
    return out.with_name(out.name + ".lock")


def finished(out: Path) -> bool:
    """Whether the run in ``out`` has finished (its ``model.pt`` is written last)."""
    return (Path(out) / MODEL).is_file()


def train(cfg: TrainConfig, *, resume: bool = False) -> Path:
    """Run (or continue) the training described by ``cfg``; returns the run's folder.

    The leader holds ``<run.out>.lock`` while the run writes (:mod:`lab.lock`): a second
    training into the same folder refuses in one line naming the holder. ``--resume`` of a
    finished run changes nothing (``model.pt`` is not rewritten) and says so."""
    from lab.lock import SessionLock

    team = join(cfg.run.device)
    lock = None
    try:
        lock = SessionLock(run_lock_path(Path(cfg.run.out)), what="the training run")
        team.agree(lock.acquire, leader_only=True)
        if resume and team.agree(lambda: finished(Path(cfg.run.out))):
            team.agree(lambda: _check_out(cfg, resume))  # same config, or refused
            log.warning("%s: this run has finished (%s exists); nothing to resume, nothing "
                        "rewritten", cfg.run.out, MODEL)
            return Path(cfg.run.out)
        run = _build(cfg, team, resume)
        _loop(run)
        team.barrier()
        run.finish()
        return run.out
    finally:
        if lock is not None:
            lock.release()
        team.close()
