"""The options of a scoring run (torch-free, so ``--help`` is instant)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lab.decision_rules import DEFAULT, MAPPING_RULES
from lab.errors import LabInputError
from models.registry import RESIZE_POLICIES

DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda")
PRECISIONS: tuple[str, ...] = ("auto", "fp32", "bf16", "fp16")


@dataclass(frozen=True)
class ScoreOptions:
    """What ``python -m models score`` was asked to do (``None`` = chosen for the device)."""

    model: str
    stimuli: Path
    out: Path
    weights: str = "DEFAULT"
    rule: str = DEFAULT  #: lab.decision_rules; a 16-way head is always "16-way"
    session: int = 1
    device: str = "auto"
    batch_size: int | None = None
    workers: int | None = None
    precision: str = "auto"
    resize: str | None = None  #: None: the model's own policy
    fuse: bool = True  #: fold batch norms into convolutions (models.acceleration)
    seed: int = 0  #: torch seed for random weights
    progress: bool = True
    resume: bool = False  #: continue an interrupted run (models.runs)
    name: str | None = None  #: the observer name (None: models.weights.weights_identity)

    def check(self) -> ScoreOptions:
        """Return self, or raise a one-line :class:`LabInputError` naming the bad value."""
        if self.rule not in MAPPING_RULES:
            raise LabInputError(f"unknown rule {self.rule!r}: use one of "
                                f"{', '.join(MAPPING_RULES)}")
        if self.resize is not None and self.resize not in RESIZE_POLICIES:
            raise LabInputError(f"unknown resize policy {self.resize!r}: use one of "
                                f"{', '.join(RESIZE_POLICIES)}")
        if self.device not in DEVICES:
            raise LabInputError(f"unknown device {self.device!r}: use one of "
                                f"{', '.join(DEVICES)}")
        if self.precision not in PRECISIONS:
            raise LabInputError(f"unknown precision {self.precision!r}: use one of "
                                f"{', '.join(PRECISIONS)}")
        if self.session < 1:
            raise LabInputError(f"--session {self.session}: sessions start at 1")
        if self.batch_size is not None and self.batch_size < 1:
            raise LabInputError(f"--batch-size {self.batch_size}: use a positive number")
        if self.workers is not None and self.workers < 0:
            raise LabInputError(f"--workers {self.workers}: use 0 or more")
        if self.seed < 0:
            raise LabInputError(f"--seed {self.seed}: use a whole number, 0 or more")
        return self
