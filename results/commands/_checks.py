"""Checks of command-line values that several table commands share."""

from __future__ import annotations

from lab.errors import LabInputError


def check_criterion(criterion: float) -> float:
    """``criterion`` when it lies between the guess rate 1/16 and 1."""
    if not 1 / 16 < criterion < 1:
        raise LabInputError(f"--criterion {criterion}: must lie between the guess rate "
                            "1/16 and 1 (e.g. 0.5)")
    return criterion


def check_boot(boot: int) -> int:
    """``boot`` when it is at least 10 bootstrap replicates."""
    if boot < 10:
        raise LabInputError(f"--boot {boot}: use at least 10 (1000 recommended)")
    return boot
