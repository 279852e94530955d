"""Which distortion each training image gets, and at which level (torch-free).

A regime (SPEC §8 and its successors) names the manipulations a run draws from; every
image gets at most one (never two), drawn from its own generator seeded with
``(seed, epoch, dataset index)``: the draw does not depend on the batch, the rank, the
number of workers or a resume. The manipulation's numeric parameter comes from its
condition code (the codes of :mod:`stimuli.manipulations`) or, with ``levels = "range"``,
uniformly from a range.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from models.train_config import DistortionSection
from stimuli.errors import LabInputError

#: The manipulations of the paper's Figure 4 (training and test conditions).
TRAINING_DISTORTIONS: tuple[str, ...] = (
    "colour", "contrast", "uniform-noise", "salt-and-pepper", "low-pass", "high-pass",
    "phase-noise", "power-equalisation", "opponent-colour", "rotation",
    "eidolon-I", "eidolon-II", "eidolon-III",
)
#: Manipulations that run in the CPU loader workers (the numpy code), not on the device.
WORKER_MANIPULATIONS: frozenset[str] = frozenset({"eidolon-I", "eidolon-II", "eidolon-III"})
#: Rusak et al. 2020: additive Gaussian and multiplicative (speckle) noise, in colour.
NOISE_REGIMES: dict[str, str] = {"gaussian": "gaussian-noise", "speckle": "speckle-noise"}
CLEAN = -1

_CODE_TO_PARAMETER: dict[str, Callable[[str], float]] = {
    "colour": lambda c: 1.0 if c == "bw" else 0.0,
    "contrast": lambda c: int(c[1:]) / 100.0,
    "power-equalisation": lambda c: 1.0 if c == "pow" else 0.0,
    "opponent-colour": lambda c: 1.0 if c == "false" else 0.0,
    "high-pass": lambda c: math.inf if c == "inf" else float(c),
}


def parameter_of(manipulation: str, code: str) -> float:
    """The numeric parameter of a condition code (the eidolons: the code's position)."""
    if manipulation in WORKER_MANIPULATIONS:
        from stimuli.manipulations import get_manipulation

        return float(get_manipulation(manipulation).conditions.index(code))
    return _CODE_TO_PARAMETER.get(manipulation, float)(code)


def manipulation_codes(manipulation: str) -> tuple[str, ...]:
    from stimuli.manipulations import get_manipulation

    return get_manipulation(manipulation).conditions


@dataclass(frozen=True)
class Draw:
    """One image's distortion: ``manipulation`` index into the plan (``CLEAN``: none)."""

    manipulation: int
    parameter: float
    noise_seed: int


@dataclass(frozen=True)
class DistortionPlan:
    """The manipulations of a regime and the levels each is drawn from."""

    names: tuple[str, ...]
    levels: tuple[tuple[float, ...], ...]  #: per name: parameters (or a [low, high] range)
    ranged: bool
    clean_fraction: float

    @property
    def worker_ids(self) -> frozenset[int]:
        return frozenset(i for i, n in enumerate(self.names) if n in WORKER_MANIPULATIONS)

    def draw(self, rng: np.random.Generator) -> Draw:
        """One image's draw from ``rng`` (always the same number of random numbers)."""
        u_clean, u_which, u_level = rng.random(3)
        noise_seed = int(rng.integers(0, 2**62))
        if not self.names or u_clean < self.clean_fraction:
            return Draw(CLEAN, 0.0, noise_seed)
        which = min(int(u_which * len(self.names)), len(self.names) - 1)
        options = self.levels[which]
        if self.ranged:
            parameter = options[0] + u_level * (options[1] - options[0])
        else:
            parameter = options[min(int(u_level * len(options)), len(options) - 1)]
        return Draw(which, float(parameter), noise_seed)


def make_plan(d: DistortionSection, image_size: int, source: str = "config") -> DistortionPlan:
    """The plan of a config's ``[distortions]``; one-line error for unknown names."""
    from stimuli.manipulations import list_manipulations

    known = set(list_manipulations()) | set(NOISE_REGIMES.values())

    def check(name: str) -> str:
        if name not in known or name not in TRAINING_DISTORTIONS + tuple(NOISE_REGIMES.values()):
            raise LabInputError(
                f"{source}: unknown training distortion {name!r}; use one of "
                f"{', '.join(TRAINING_DISTORTIONS)}")
        return name

    every = tuple(check(n) for n in (d.manipulations or TRAINING_DISTORTIONS))
    if d.regime == "clean":
        names: tuple[str, ...] = ()
    elif d.regime == "one":
        names = (check(d.manipulation),)
    elif d.regime == "all-but-one":
        check(d.manipulation)
        if d.manipulation not in every:
            raise LabInputError(f"{source}: distortions.manipulation {d.manipulation!r} is "
                                "not among distortions.manipulations")
        names = tuple(n for n in every if n != d.manipulation)
    elif d.regime == "all":
        names = every
    else:  # gaussian, speckle
        names = (NOISE_REGIMES[d.regime],)
    ranged = d.levels == "range"
    if ranged and len(names) != 1:
        raise LabInputError(f"{source}: distortions.levels = 'range' needs a regime with "
                            "one manipulation (one, gaussian or speckle)")
    if ranged and names[0] in WORKER_MANIPULATIONS:
        raise LabInputError(f"{source}: {names[0]} is drawn from its condition codes only; "
                            "use distortions.levels = 'experiment'")
    if "power-equalisation" in names and image_size != 224:
        raise LabInputError(f"{source}: power-equalisation needs data.image_size = 224 "
                            "(its mean spectrum is 224 px); change the size or leave it out "
                            "(distortions.manipulations)")
    levels = []
    for name in names:
        if ranged:
            levels.append(tuple(d.level_range))
        elif name in NOISE_REGIMES.values():
            levels.append(tuple(d.sigmas))
        else:
            levels.append(tuple(parameter_of(name, c) for c in manipulation_codes(name)))
    return DistortionPlan(names=names, levels=tuple(levels), ranged=ranged,
                          clean_fraction=d.clean_fraction)


def draw_for(plan: DistortionPlan, seed: int, epoch: int, index: int) -> tuple[Draw, int]:
    """The draw of image ``index`` in ``epoch``, and a seed for its crop/flip."""
    rng = np.random.default_rng([seed, epoch, index])
    draw = plan.draw(rng)
    return draw, int(rng.integers(0, 2**62))
