"""Which distortion each training image gets, and at which level (torch-free).

A regime (the training experiments of Geirhos et al. 2018 and its successors) names the
manipulations a run draws from; every image gets at most one (never two), drawn from its
own generator seeded with ``(seed, epoch, dataset index)``: the draw does not depend on
the batch, the rank, the number of workers or a resume. The manipulation's numeric
parameter comes from its experiment's condition codes (the design files map each code to
the manipulation's parameters) or, with ``levels = "range"``, uniformly from a range.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lab.errors import LabInputError
from models.train_config import NOISE_SIGMAS, DistortionSection

#: The eight distortions of Geirhos et al. 2018, Figure 4 (Section 2.4): colour
#: (greyscale), contrast (greyscale + contrast), uniform noise, salt-and-pepper noise,
#: low-pass, high-pass, phase scrambling, rotation. The default of regimes "all" and
#: "all-but-one" (``distortions.manipulations = ["paper"]`` names it explicitly).
PAPER_DISTORTIONS: tuple[str, ...] = (
    "colour", "contrast", "uniform-noise", "salt-and-pepper", "low-pass", "high-pass",
    "phase-noise", "rotation",
)
#: An extension, not the paper's training set: the eight plus the 2018 paper's other test
#: experiments (power equalisation, opponent colour, Eidolon I-III);
#: ``distortions.manipulations = ["extended"]``.
EXTENDED_DISTORTIONS: tuple[str, ...] = (
    "colour", "contrast", "uniform-noise", "salt-and-pepper", "low-pass", "high-pass",
    "phase-noise", "power-equalisation", "opponent-colour", "rotation",
    "eidolon-I", "eidolon-II", "eidolon-III",
)
#: Named sets a config may give as its one ``distortions.manipulations`` entry.
DISTORTION_SETS: dict[str, tuple[str, ...]] = {
    "paper": PAPER_DISTORTIONS, "extended": EXTENDED_DISTORTIONS}
#: Every name a config may use: the extension plus "greyscale" (every image grey: the
#: colour experiment's ``bw`` level alone, the 2018 networks "grayscale" and
#: "grayscale + uniform noise"; "colour" draws ``cr`` or ``bw``).
TRAINING_DISTORTIONS: tuple[str, ...] = (*EXTENDED_DISTORTIONS, "greyscale")
#: The experiment design whose conditions give each distortion's levels (codes and
#: parameters live in ``stimuli/experiments/*.toml``).
EXPERIMENT_OF: dict[str, str] = {
    "colour": "colour", "greyscale": "colour", "contrast": "contrast",
    "uniform-noise": "uniform-noise",
    "low-pass": "low-pass", "high-pass": "high-pass", "phase-noise": "phase-scrambling",
    "power-equalisation": "power-equalisation", "opponent-colour": "false-colour",
    "rotation": "rotation", "eidolon-I": "eidolonI", "eidolon-II": "eidolonII",
    "eidolon-III": "eidolonIII",
}
#: Salt-and-pepper has no human experiment (Geirhos et al. 2018 train networks on
#: it; no human saw it): its levels.
SALT_AND_PEPPER_LEVELS: tuple[tuple[str, float], ...] = tuple(
    (code, float(code)) for code in ("0", "0.1", "0.2", "0.35", "0.5", "0.65", "0.8", "0.95"))
#: The one parameter of each device-side manipulation that a level sets.
KEY_PARAMETER: dict[str, str] = {
    "colour": "greyscale", "greyscale": "greyscale", "contrast": "contrast",
    "uniform-noise": "width",
    "salt-and-pepper": "probability", "low-pass": "sigma", "high-pass": "sigma",
    "phase-noise": "width", "power-equalisation": "equalise", "opponent-colour": "flip",
    "rotation": "degrees",
}
#: Manipulations that run in the CPU loader workers (the numpy code), not on the device.
WORKER_MANIPULATIONS: frozenset[str] = frozenset({"eidolon-I", "eidolon-II", "eidolon-III"})
#: Rusak et al. 2020: additive Gaussian and multiplicative (speckle) noise, in colour.
NOISE_REGIMES: dict[str, str] = {"gaussian": "gaussian-noise", "speckle": "speckle-noise"}

CLEAN = -1


@dataclass(frozen=True)
class Level:
    """One condition of a training distortion: its code, the manipulation (registry name)
    and its keyword parameters."""

    code: str
    manipulation: str
    parameters: tuple[tuple[str, Any], ...]

    @property
    def value(self) -> float:
        """The key parameter as a number (booleans 0/1), what the torch op takes."""
        return float(dict(self.parameters)[KEY_PARAMETER[_distortion_of(self)]])


def _distortion_of(level: Level) -> str:
    return level.code.split("@", 1)[0]


def levels_of(distortion: str) -> list[Level]:
    """The conditions of ``distortion`` (from its experiment design), strongest signal
    first."""
    if distortion == "salt-and-pepper":
        return [Level(f"{distortion}@{code}", "salt-and-pepper", (("probability", p),))
                for code, p in SALT_AND_PEPPER_LEVELS]
    from lab.design import load_experiment

    design = load_experiment(EXPERIMENT_OF[distortion])
    codes = ["bw"] if distortion == "greyscale" else design.conditions
    return [Level(f"{distortion}@{code}", design.manipulation,
                  tuple(design.parameters_of(code).items())) for code in codes]


def level_code(level: Level) -> str:
    """The condition code of ``level`` (as in the human data)."""
    return level.code.split("@", 1)[1]


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
    #: per name: the conditions a worker manipulation draws from (by position)
    worker_levels: tuple[tuple[Level, ...], ...] = ()

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
    def check(name: str) -> str:
        if name not in TRAINING_DISTORTIONS:
            raise LabInputError(
                f"{source}: unknown training distortion {name!r}; use one of "
                f"{', '.join(TRAINING_DISTORTIONS)}")
        return name

    given = d.manipulations or ("paper",)
    if len(given) == 1 and given[0] in DISTORTION_SETS:
        given = DISTORTION_SETS[given[0]]
    every = tuple(check(n) for n in given)
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
    levels, worker = [], []
    for name in names:
        conditions = levels_of(name) if name in EXPERIMENT_OF or name == "salt-and-pepper" \
            else []
        if ranged:
            levels.append(tuple(d.level_range))
        elif name in NOISE_REGIMES.values():
            levels.append(tuple(d.sigmas or NOISE_SIGMAS[d.regime]))
        elif name in WORKER_MANIPULATIONS:  # the worker gets the level's position
            levels.append(tuple(float(i) for i in range(len(conditions))))
        else:
            levels.append(tuple(level.value for level in conditions))
        worker.append(tuple(conditions) if name in WORKER_MANIPULATIONS else ())
    return DistortionPlan(names=names, levels=tuple(levels), ranged=ranged,
                          clean_fraction=d.clean_fraction, worker_levels=tuple(worker))


def draw_for(plan: DistortionPlan, seed: int, epoch: int, index: int) -> tuple[Draw, int]:
    """The draw of image ``index`` in ``epoch``, and a seed for its crop/flip."""
    rng = np.random.default_rng([seed, epoch, index])
    draw = plan.draw(rng)
    return draw, int(rng.integers(0, 2**62))
