"""A resumed session runs with the settings it was started with.

A new session stores its settings in the sidecar (``settings``). ``--resume`` takes them
from there: flags left out are filled in; a flag given with a different value is refused
in one line naming the flag and both values (never a session with mixed settings).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from experiment.plan.config import SessionConfig
from lab.errors import LabInputError
from lab.phases import TrialPhases

#: setting -> (flag, how to read it from a config, how to show a value)
SETTINGS: dict[str, tuple[str, Callable[[SessionConfig], Any]]] = {
    "seed": ("--seed", lambda c: c.seed),
    "trials": ("--trials", lambda c: c.trials),
    "per_condition": ("--per-condition", lambda c: c.per_condition),
    "block_size": ("--block-size", lambda c: c.block_size),
    "practice": ("--practice", lambda c: c.practice),
    "click_to_continue": ("--click-to-continue", lambda c: c.click_to_continue),
    "rerun_flagged": ("--no-rerun", lambda c: c.rerun_flagged),
    "simulate_observer": ("--simulate-observer", lambda c: c.simulate_observer),
    "durations": ("--durations", lambda c: dict(c.durations)),  #: saved: every phase's ms
    "display": ("--display", lambda c: c.display),
    "image_units": ("--image-units", lambda c: c.image_units),
    "no_window": ("--no-window", lambda c: c.no_window),
    "repeat_sources": ("--repeat-sources", lambda c: c.repeat_sources),
}


def new_settings(config: SessionConfig, *, seed: int, trials: int, block_size: int,
                 practice: int, phases: TrialPhases) -> dict[str, Any]:
    """The ``settings`` object of a new session's sidecar (effective values: ``durations``
    holds every timed phase's milliseconds, the design's with ``--durations`` applied)."""
    out = {name: get(config) for name, (_, get) in SETTINGS.items()}
    out.update(seed=seed, trials=trials, block_size=block_size, practice=practice,
               durations=phases.as_dict())
    return out


def saved_settings(sidecar: dict[str, Any]) -> dict[str, Any]:
    """The settings a session was started with (older sidecars: from their keys)."""
    saved = sidecar.get("settings")
    if isinstance(saved, dict):
        return dict(saved)
    sim = sidecar.get("simulated_observer")
    profile = sidecar.get("display_profile") or {}
    return {
        "seed": sidecar.get("seed"), "trials": sidecar.get("n_trials"),
        "per_condition": sidecar.get("per_condition"),
        "block_size": sidecar.get("block_size"),
        "practice": sidecar.get("practice_trials", 0),
        "click_to_continue": sidecar.get("click_to_continue", False),
        "rerun_flagged": sidecar.get("rerun_flagged", True),
        "simulate_observer": sim.get("accuracy") if isinstance(sim, dict) else None,
        "durations": sidecar.get("durations_ms"),
        "display": profile.get("name") if isinstance(profile, dict) else None,
        "image_units": sidecar.get("image_units", "deg"),
        "no_window": False,
        "repeat_sources": None,
    }


def _show(name: str, flag: str, value: Any) -> str:
    if name == "rerun_flagged":
        return "re-runs on" if value else f"{flag} (re-runs off)"
    if isinstance(value, bool):
        return f"{flag} {'on' if value else 'off'}"
    if name == "durations" and isinstance(value, dict):
        return f"{flag} '{','.join(f'{k}={v:g}' for k, v in value.items())}'"
    return f"{flag} {'(not given)' if value is None else value}"


def _given(config: SessionConfig, name: str, flag: str) -> bool:
    if config.given is not None:
        return flag in config.given
    default = SETTINGS[name][1](SessionConfig("", config.stimuli, "", 1, config.data))
    return SETTINGS[name][1](config) != default


def _same(name: str, ours: Any, theirs: Any) -> bool:
    if name == "durations":
        return {k: float(v) for k, v in ours.items()} == {
            k: float(v) for k, v in theirs.items()}
    if name == "simulate_observer" and ours is not None and theirs is not None:
        try:
            return float(ours) == float(theirs)
        except (TypeError, ValueError):  # a named observer, e.g. humans2018
            return str(ours) == str(theirs)
    return bool(ours == theirs)


def resume_config(config: SessionConfig, sidecar: dict[str, Any],
                  profile_name: Callable[[str], str], phases: TrialPhases) -> SessionConfig:
    """``config`` with the saved settings; :class:`LabInputError` for a flag that
    differs. ``profile_name`` maps a ``--display`` value to its profile's name; ``phases``
    are the design's (``--durations`` is compared as the milliseconds it gives them)."""
    saved = saved_settings(sidecar)
    changes: dict[str, Any] = {}
    for name, (flag, get) in SETTINGS.items():
        theirs = saved.get(name)
        if theirs is None and name not in ("simulate_observer", "trials", "per_condition"):
            continue  # an older sidecar without it: keep the command line's
        ours = get(config)
        if name == "durations":
            ours = phases.override(ours).as_dict()
        if _given(config, name, flag):
            same = _same(name, ours, theirs) if theirs is not None else ours is None
            if name == "display" and not same:
                try:
                    same = profile_name(ours) == profile_name(theirs)
                except LabInputError:
                    same = False
            if name == "trials" and theirs is not None and ours is not None:
                same = int(ours) == int(theirs)
            if not same:
                raise LabInputError(
                    f"{_show(name, flag, ours)}: the session was started with "
                    f"{_show(name, flag, theirs)}; resume without {flag} (a resumed "
                    "session keeps its saved settings)")
        changes[name] = dict(theirs) if name == "durations" else theirs
    return dataclasses.replace(config, **changes)
