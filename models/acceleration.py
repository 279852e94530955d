"""Choosing the device, the precision and the loader processes, and making a network fast
for inference without changing what it computes.

Scoring and training make their device choices here, and only here:

* :func:`resolve_device`: ``auto`` is CUDA when a GPU is visible, else the CPU;
* :func:`device_choices`: on a resolved device, the autocast dtype (``auto``: bf16, else
  fp16, on CUDA; float32 on the CPU) and the DataLoader workers per rank (on CUDA the
  cores minus two, at most 16; on the CPU none up to 4 cores, since decoding is a few
  percent of the work and workers would take cores from the network).

For inference:

* batch norms folded into the preceding convolutions (``torch.fx`` conv-bn fusion; eval
  only; networks that cannot be traced run unfused);
* ``channels_last`` memory format (what cuDNN's tensor-core kernels want on a GPU).

Measured on the project's 2-core AVX2 CPU (resnet50, best of 5 interleaved runs): plain
14.2 images/s, ``channels_last`` 14.3, folded + ``channels_last`` 15.4 — the CPU gains are
small because oneDNN already runs the convolutions well. oneDNN weight prepacking
(``torch.utils.mkldnn``) was tried and dropped: no measurable gain over folding, and it
rests on deprecated ``torch.jit`` APIs.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import torch
from torch import nn

from lab.errors import LabInputError
from models.options import DEVICES, PRECISIONS

log = logging.getLogger(__name__)


# -- choices made for the device ---------------------------------------------------------
def resolve_device(choice: str, local_rank: int = 0) -> torch.device:
    """``auto`` -> CUDA when available, else CPU; ``cuda`` without a GPU is an error."""
    if choice not in DEVICES:
        raise LabInputError(f"unknown device {choice!r}: use one of {', '.join(DEVICES)}")
    if choice == "cuda" or (choice == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise LabInputError("--device cuda: no CUDA GPU is visible; use --device cpu")
        return torch.device("cuda", local_rank % torch.cuda.device_count())
    return torch.device("cpu")


def available_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def loader_workers(device: torch.device, world: int) -> int:
    """DataLoader processes per rank when the user did not say: on CUDA the cores of this
    rank minus two (the main process and the CUDA driver's thread), at most 16; on the CPU
    none on small machines (decoding would take cores from the network)."""
    cores = max(1, available_cores() // world)
    if device.type == "cuda":
        return max(1, min(16, cores - 2))
    return 0 if cores <= 4 else min(4, cores // 4)


def autocast_dtype(choice: str, device: torch.device, *,
                   option: str = "--precision") -> torch.dtype | None:
    """The autocast dtype of precision ``choice`` on ``device`` (``None`` = plain float32);
    ``option`` names the setting in the one-line error (``run.precision =`` in training)."""
    if choice not in PRECISIONS:
        raise LabInputError(f"{option} {choice}: use one of {', '.join(PRECISIONS)}")
    if choice == "fp32" or (choice == "auto" and device.type != "cuda"):
        return None
    if device.type != "cuda":
        raise LabInputError(f"{option} {choice} is for CUDA; on the CPU use fp32 (auto)")
    if choice == "auto":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if choice == "bf16" else torch.float16


@dataclass(frozen=True)
class DeviceChoices:
    """What a run uses on its device: scoring and training both get theirs from
    :func:`device_choices`."""

    device: torch.device
    dtype: torch.dtype | None  #: autocast dtype; None = plain float32
    workers: int  #: DataLoader processes per rank

    @property
    def dtype_text(self) -> str:
        """For the sidecar / model card: ``float32`` or ``bfloat16 autocast``."""
        if self.dtype is None:
            return "float32"
        return f"{str(self.dtype).removeprefix('torch.')} autocast"


def device_choices(device: torch.device, *, precision: str, workers: int | None, world: int,
                   precision_option: str = "--precision") -> DeviceChoices:
    """The autocast dtype and loader workers on a resolved ``device`` (``workers=None``:
    chosen for the machine by :func:`loader_workers`)."""
    dtype = autocast_dtype(precision, device, option=precision_option)
    chosen = loader_workers(device, world) if workers is None else workers
    return DeviceChoices(device=device, dtype=dtype, workers=chosen)


def _count_batch_norms(model: nn.Module) -> int:
    return sum(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())


def fold_batch_norms(model: nn.Module) -> tuple[nn.Module, bool]:
    """A copy of ``model`` with batch norms folded into convolutions, and whether any
    were; ``model`` itself when none can be."""
    before = _count_batch_norms(model)
    if not before:
        return model, False
    try:
        from torch.fx.experimental.optimization import fuse

        candidate = fuse(model.eval())  # works on a deep copy
    except Exception as err:  # untraceable networks simply run unfused
        log.info("batch-norm folding skipped (%s: %s)", type(err).__name__, err)
        return model, False
    if _count_batch_norms(candidate) < before:
        return candidate, True
    return model, False


def prepare_model(
    model: nn.Module, device: torch.device, *, optimise: bool = True
) -> tuple[nn.Module, list[str]]:
    """The network ready for inference on ``device`` (eval mode), and the list of what was
    done to it (for the sidecar)."""
    model = model.eval()
    done: list[str] = []
    if optimise:
        model, folded = fold_batch_norms(model)
        if folded:
            done.append("batch norms folded into convolutions")
    done.append("channels_last")
    return model.to(device).to(memory_format=torch.channels_last), done
