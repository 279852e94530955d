"""The phases of one trial, in the order shown, as a design file declares them.

Geirhos et al. 2018 (Methods): a fixation square for 300 ms, the image for 200 ms, a
one-frame blank, a 1/f noise mask for 200 ms, a one-frame blank, the response screen for
up to 1500 ms; in practice trials the correct icon is highlighted for 300 ms (feedback);
then an inter-trial interval (ITI) of 300 ms. A design file lists them in its ``[phases]``
table, each in milliseconds or as a fixed number of frames::

    [phases]
    fixation = 300
    image = 200
    blank_after_image = { frames = 1 }
    ...

Milliseconds become frames once per session (:func:`experiment.plan.frames.plan_frames`,
which refuses a refresh rate at which a duration is not a whole number of frames); a
``{ frames = n }`` phase is ``n`` frames at any rate. ``--durations name=ms`` overrides the
milliseconds of a session (:meth:`TrialPhases.override`).

Rules of the list (:func:`TrialPhases.from_table`): the phases ``image``, ``mask``,
``response``, ``feedback`` and ``iti`` are required, ``image`` before ``mask``, and the list
ends with ``response``, ``feedback``, ``iti`` (the response screen, the practice feedback
and the ITI run after the timed part of the trial). Any other phase before the response is
drawn by its entry in ``experiment.window.trial.DRAWING``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from lab.errors import LabInputError

#: Phases every trial has; the last three close the list in this order.
REQUIRED = ("image", "mask", "response", "feedback", "iti")
CLOSING = ("response", "feedback", "iti")
_NAME = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class Phase:
    """One phase: ``ms`` milliseconds, or ``frames`` frames whatever the refresh rate."""

    name: str
    ms: float | None = None
    frames: int | None = None


@dataclass(frozen=True)
class TrialPhases:
    """The ordered phases of one trial (one design; a session may override milliseconds)."""

    phases: tuple[Phase, ...]

    def __iter__(self) -> Iterator[Phase]:
        return iter(self.phases)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.phases)

    def __getitem__(self, name: str) -> Phase:
        for phase in self.phases:
            if phase.name == name:
                return phase
        raise KeyError(name)

    def as_dict(self) -> dict[str, float]:
        """Milliseconds of each timed phase, in order (the sidecar's ``durations_ms`` and
        ``settings.durations``; frame-count phases are in the sidecar's ``frames``)."""
        return {p.name: p.ms for p in self.phases if p.ms is not None}

    def override(self, values: Mapping[str, float], source: str = "--durations"
                 ) -> TrialPhases:
        """These phases with the milliseconds of ``values`` (``--durations`` or a resumed
        session's saved settings, named by ``source`` in the one-line refusals)."""
        timed = self.as_dict()
        for name, ms in values.items():
            if name not in self.names:
                raise LabInputError(f"{source}: unknown phase {name!r}; use "
                                    f"{', '.join(timed)}")
            if name not in timed:
                raise LabInputError(f"{source}: {name} is a fixed number of frames, not "
                                    "milliseconds; change it in the design file's [phases]")
            if not ms > 0:
                raise LabInputError(f"{source}: {name} must be positive, not {ms:g}")
        return TrialPhases(tuple(
            Phase(p.name, ms=float(values[p.name])) if p.name in values else p
            for p in self.phases))

    @classmethod
    def from_table(cls, where: str, table: object) -> TrialPhases:
        """The ``[phases]`` table of a design file (``where`` names it in messages)."""
        example = "e.g. [phases] fixation = 300, image = 200, blank_after_image = { frames = 1 }"
        if not isinstance(table, dict) or not table:
            raise LabInputError(f"{where}: 'phases' must be a table of phase = milliseconds, "
                                f"{example}")
        phases = []
        for name, value in table.items():
            if not _NAME.fullmatch(name):
                raise LabInputError(f"{where}: phase {name!r}: use lower-case letters, digits "
                                    "and _ only")
            if isinstance(value, dict):
                frames = value.get("frames")
                if set(value) != {"frames"} or isinstance(frames, bool) or not isinstance(
                        frames, int) or frames < 1:
                    raise LabInputError(f"{where}: phase {name!r}: a frame count is "
                                        "{ frames = n } with n a whole number, 1 or more")
                phases.append(Phase(name, frames=frames))
            elif isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
                phases.append(Phase(name, ms=float(value)))
            else:
                raise LabInputError(f"{where}: phase {name!r} = {value!r}: give positive "
                                    "milliseconds or { frames = n }")
        out = cls(tuple(phases))
        missing = [n for n in REQUIRED if n not in out.names]
        if missing:
            raise LabInputError(f"{where}: [phases] lacks {', '.join(missing)}; every trial "
                                f"has {', '.join(REQUIRED)}")
        if out.names[-len(CLOSING):] != CLOSING:
            raise LabInputError(f"{where}: [phases] must end with {', '.join(CLOSING)} in "
                                "that order (they follow the timed part of the trial)")
        if out.names.index("image") > out.names.index("mask"):
            raise LabInputError(f"{where}: [phases] lists mask before image; the mask "
                                "follows the image")
        return out


#: The phases of Geirhos et al. 2018 (Methods): what a design without ``[phases]`` runs.
PAPER_PHASES = TrialPhases((
    Phase("fixation", ms=300.0),
    Phase("image", ms=200.0),
    Phase("blank_after_image", frames=1),
    Phase("mask", ms=200.0),
    Phase("blank_after_mask", frames=1),
    Phase("response", ms=1500.0),
    Phase("feedback", ms=300.0),
    Phase("iti", ms=300.0),
))
