"""What a BIDS dataset says about its observers and its lab.

* :class:`Participant`: the usual optional ``participants.tsv`` columns (age, sex,
  handedness, visual acuity), from the flags or the session dialog; each column is
  described in ``participants.json`` (categorical ones with their ``Levels``).
* :class:`LabInfo`: ``Authors``, ``License`` (``dataset_description.json``) and the
  institution (``InstitutionName``, ``InstitutionAddress``, ``InstitutionalDepartmentName``
  in every session sidecar), from a lab config (JSON with these BIDS keys, ``--lab-config``)
  and the ``--authors`` / ``--institution`` flags, which win.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab.errors import LabInputError
from lab.inputs import MAX_DECIMAL_ACUITY, number

NA = "n/a"

#: participants.tsv columns after participant_id and observer, with their descriptions.
PARTICIPANT_COLUMNS: dict[str, dict[str, Any]] = {
    "age": {"Description": "age of the participant at the first session", "Units": "year"},
    "sex": {"Description": "sex of the participant as reported by the participant",
            "Levels": {"M": "male", "F": "female", "O": "other"}},
    "handedness": {"Description": "handedness of the participant as reported by the "
                                  "participant",
                   "Levels": {"R": "right", "L": "left", "A": "ambidextrous"}},
    "visual_acuity": {"Description": "visual acuity during the sessions (with correction if "
                                     "worn), as measured or reported, e.g. decimal 1.0 or "
                                     "Snellen 20/20; the 2018 observers had normal or "
                                     "corrected-to-normal vision"},
}
_ALIASES = {
    "sex": {"m": "M", "male": "M", "f": "F", "female": "F", "o": "O", "other": "O"},
    "handedness": {"r": "R", "right": "R", "l": "L", "left": "L", "a": "A",
                   "ambidextrous": "A"},
}
_ACUITY = re.compile(r"^[0-9A-Za-z./+\- ]{1,20}$")


@dataclass(frozen=True)
class Participant:
    """Optional facts about an observer (None: not given, ``n/a`` in the table)."""

    age: int | None = None
    sex: str | None = None  #: M, F or O
    handedness: str | None = None  #: R, L or A
    visual_acuity: str | None = None

    @classmethod
    def parse(cls, age: str | int | None = None, sex: str | None = None,
              handedness: str | None = None, visual_acuity: str | None = None
              ) -> Participant:
        """Checked values (as typed in the dialog or given as flags; blanks are None)."""
        return cls(age=_age(age), sex=_level("sex", sex),
                   handedness=_level("handedness", handedness),
                   visual_acuity=_acuity(visual_acuity))

    def cells(self) -> dict[str, str]:
        """The participants.tsv cells of :data:`PARTICIPANT_COLUMNS`."""
        return {name: NA if getattr(self, name) is None else str(getattr(self, name))
                for name in PARTICIPANT_COLUMNS}


def _blank(value: object) -> bool:
    return value is None or str(value).strip() in ("", NA)


def _age(value: str | int | None) -> int | None:
    if _blank(value):
        return None
    try:
        age = int(str(value).strip())
    except ValueError:
        age = -1
    if not 1 <= age <= 120:
        raise LabInputError(f"age {value!r}: give whole years (e.g. 24) or leave it empty")
    return age


def _level(column: str, value: str | None) -> str | None:
    if _blank(value):
        return None
    code = _ALIASES[column].get(str(value).strip().lower())
    if code is None:
        levels = PARTICIPANT_COLUMNS[column]["Levels"]
        choices = ", ".join(f"{k} ({v})" for k, v in levels.items())
        raise LabInputError(f"{column} {value!r}: use one of {choices}, or leave it empty")
    return code


def _acuity(value: str | None) -> str | None:
    if _blank(value):
        return None
    text = str(value).strip()
    if not _ACUITY.match(text):
        raise LabInputError(f"visual acuity {value!r}: a short value such as 1.0 or 20/20 "
                            "(letters, digits, '.', '/', '+', '-')")
    _check_acuity_numbers(text)
    return text


def _check_acuity_numbers(text: str) -> None:
    """A Snellen fraction (20/20, 6/6) has positive parts and a decimal value of at most
    :data:`~lab.inputs.MAX_DECIMAL_ACUITY`; a plain number (decimal or logMAR) is finite
    and at most that too. Other notations (e.g. CF for counting fingers) pass as typed."""
    top, slash, bottom = text.partition("/")
    try:
        values = [float(top), float(bottom)] if slash else [float(top)]
    except ValueError:
        return
    if slash and not (all(math.isfinite(v) and v > 0 for v in values)):
        raise LabInputError(f"--visual-acuity {text}: a Snellen fraction has positive "
                            "parts, e.g. 20/20 or 6/6")
    decimal = values[0] / values[1] if slash else values[0]
    number(decimal, f"--visual-acuity {text} is decimal", low=-1.0,
           high=MAX_DECIMAL_ACUITY, example="1.0 or 20/20")


# -- the lab -------------------------------------------------------------------------------
#: Keys a lab config may hold, and where they go.
DESCRIPTION_KEYS = ("Authors", "License", "Acknowledgements", "Funding", "EthicsApprovals",
                    "HowToAcknowledge")
SIDECAR_KEYS = ("InstitutionName", "InstitutionAddress", "InstitutionalDepartmentName")


@dataclass(frozen=True)
class LabInfo:
    """The lab's BIDS metadata (empty: nothing known, the validator will say so)."""

    values: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, config: str | Path | None = None, *, authors: str | None = None,
             institution: str | None = None) -> LabInfo:
        """From a lab config JSON (BIDS keys) and the flags (which win): ``authors`` is
        a ``;``-separated list of names."""
        values: dict[str, Any] = {}
        if config is not None:
            path = Path(config)
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
            except OSError as err:
                raise LabInputError(f"--lab-config {path}: cannot read ({err.strerror})") \
                    from err
            except ValueError as err:
                raise LabInputError(f"--lab-config {path}: not valid JSON ({err})") from err
            if not isinstance(loaded, dict):
                raise LabInputError(f"--lab-config {path}: must be a JSON object")
            unknown = sorted(set(loaded) - set(DESCRIPTION_KEYS) - set(SIDECAR_KEYS))
            if unknown:
                raise LabInputError(
                    f"--lab-config {path}: unknown keys {unknown}; use "
                    f"{', '.join(DESCRIPTION_KEYS + SIDECAR_KEYS)}")
            values.update(loaded)
        if authors:
            values["Authors"] = [a.strip() for a in authors.split(";") if a.strip()]
        if institution:
            values["InstitutionName"] = institution.strip()
        if "Authors" in values and (not isinstance(values["Authors"], list)
                                    or not all(isinstance(a, str) for a in values["Authors"])):
            raise LabInputError("Authors: give a list of names (JSON) or --authors "
                                "'First Author; Second Author'")
        return cls(values)

    def description(self) -> dict[str, Any]:
        """Keys for ``dataset_description.json``."""
        return {k: self.values[k] for k in DESCRIPTION_KEYS if k in self.values}

    def sidecar(self) -> dict[str, Any]:
        """Keys for each session's ``_beh.json``."""
        return {k: self.values[k] for k in SIDECAR_KEYS if k in self.values}


def participant_of(args: argparse.Namespace, **typed: str) -> Participant:
    """The participant facts from the flags (``typed``: the dialog's, which win)."""
    values = {k: getattr(args, k, None) for k in ("age", "sex", "handedness",
                                                  "visual_acuity")}
    values.update({k: v for k, v in typed.items() if v not in (None, "")})
    return Participant.parse(**values)


def lab_of(args: argparse.Namespace) -> LabInfo:
    return LabInfo.load(getattr(args, "lab_config", None), authors=getattr(args, "authors", None),
                        institution=getattr(args, "institution", None))
