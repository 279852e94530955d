"""One process or many: the same scoring run under ``torchrun --nproc_per_node N``.

:class:`Team` wraps torch.distributed (NCCL on GPUs, gloo on CPUs) with the three things
scoring needs: which device this rank uses, agreeing on errors (so one rank's bad input
stops every rank with the same one-line message instead of a hang), and gathering each
step's results on rank 0.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import torch
import torch.distributed as dist

from lab.errors import LabInputError
from models.acceleration import resolve_device

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Team:
    """This process's place in the run."""

    rank: int
    world: int
    device: torch.device
    backend: str  #: "" for a single process

    @property
    def leader(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world > 1

    def agree(self, action: Callable[[], T], *, leader_only: bool = False) -> T | None:
        """Run ``action`` (on every rank, or only on rank 0) and raise the same
        :class:`LabInputError` on every rank if it failed on any."""
        result: T | None = None
        message = None
        if self.leader or not leader_only:
            try:
                result = action()
            except LabInputError as err:
                message = str(err)
        if self.distributed:
            messages: list[str | None] = [None] * self.world
            dist.all_gather_object(messages, message)
            message = next((m for m in messages if m), None)
        if message:
            raise LabInputError(message)
        return result

    def barrier(self) -> None:
        if self.distributed:
            dist.barrier()

    def gather_rows(self, rows: torch.Tensor) -> torch.Tensor:
        """Every rank's ``rows`` (same shape on every rank) stacked, on the CPU."""
        if not self.distributed:
            return rows
        comm = self.device if self.backend == "nccl" else torch.device("cpu")
        local = rows.to(comm)
        parts = [torch.empty_like(local) for _ in range(self.world)]
        dist.all_gather(parts, local)
        return torch.cat(parts).cpu()

    def close(self) -> None:
        if self.distributed and dist.is_initialized():
            dist.destroy_process_group()


def join(device_choice: str) -> Team:
    """This process's :class:`Team`: a single process, or a rank of a torchrun job
    (``WORLD_SIZE`` > 1 in the environment)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Team(rank=0, world=1, device=resolve_device(device_choice), backend="")
    rank = int(os.environ["RANK"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = resolve_device(device_choice, local_rank)
    if device.type == "cuda":
        torch.cuda.set_device(device)
        backend = "nccl"
        dist.init_process_group(backend, device_id=device)
    else:
        backend = "gloo"
        dist.init_process_group(backend)
    log.info("rank %d of %d on %s (%s)", rank, world, device, backend)
    return Team(rank=rank, world=world, device=device, backend=backend)
