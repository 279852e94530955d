"""Which observers are simulated, and how every figure and table names observer groups.

A session recorded by a simulated observer says so in its JSON sidecar (beside the trial
TSV): the key ``simulated`` holds ``{"kind": ..., "label": ...}`` (e.g. the label
"simulated from the 2018 human data"). Sidecars written before that key existed carry
``simulated_observer: {"accuracy": a}`` instead; they read as "simulated (constant accuracy
a)". Simulated humans stay in the ``humans`` group (they stand in for humans in a demo),
but every legend, table and the report label them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from lab.readers import HUMAN
from results.plot_style import display_name
from results.tables import HUMANS

log = logging.getLogger(__name__)


def simulated_label(sidecar: Mapping[str, Any]) -> str | None:
    """The simulated-observer label a session sidecar carries, or None for a real one."""
    simulated = sidecar.get("simulated")
    if isinstance(simulated, Mapping):
        return str(simulated.get("label") or f"simulated ({simulated.get('kind', '?')})")
    if isinstance(simulated, str) and simulated:
        return simulated
    if simulated is True:
        return "simulated"
    legacy = sidecar.get("simulated_observer")
    if isinstance(legacy, Mapping) and "accuracy" in legacy:
        return f"simulated (constant accuracy {legacy['accuracy']})"
    return None


def _sidecar_of(trial_file: str) -> dict[str, Any]:
    path = Path(trial_file).with_suffix(".json")
    if not path.is_file():
        return {}
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        log.warning("%s: unreadable sidecar (%s); observer not checked for simulation",
                    path, err)
        return {}
    return loaded if isinstance(loaded, dict) else {}


def simulated_observers(table: pd.DataFrame) -> dict[str, str]:
    """``observer -> label`` of the human observers whose session sidecar says simulated
    (our own records only; the published data sets are real humans). A ``simulated``
    column of the table (the readers' copy of the sidecar label) is used where present."""
    if table.empty:
        return {}
    humans = table[(table["observer_type"] == HUMAN) & (table["source_format"] == "lab")]
    out: dict[str, str] = {}
    if "simulated" in humans.columns:  # the readers already looked at the sidecars
        marked = humans[humans["simulated"].fillna("").astype(str) != ""]
        for observer, labels in marked.groupby("observer", sort=True)["simulated"]:
            out[str(observer)] = str(labels.iloc[0])
        return out
    if "file" not in humans.columns:
        return {}
    for (observer, trial_file), _ in humans.groupby(["observer", "file"], observed=True,
                                                   sort=True):
        label = simulated_label(_sidecar_of(str(trial_file)))
        if label is not None:
            out.setdefault(str(observer), label)
    return out


def group_names(table: pd.DataFrame) -> dict[str, str]:
    """Legend text per observer group: ``Humans``, ``Humans (simulated from ...)`` when
    every human is simulated, ``Humans (2 of 5 simulated)`` when some are; models by
    name."""
    names = {str(g): display_name(str(g)) for g in table["observer"].unique()}
    humans = table.loc[table["observer_type"] == HUMAN, "observer"].unique()
    names[HUMANS] = human_group_name(len(humans), simulated_observers(table))
    return names


def human_group_name(n_humans: int, simulated: Mapping[str, str]) -> str:
    """``Humans`` with what is simulated among ``n_humans`` observers."""
    if not simulated:
        return display_name(HUMANS)
    if len(simulated) >= n_humans:
        labels = sorted(set(simulated.values()))
        return f"{display_name(HUMANS)} ({'; '.join(labels)})"
    return f"{display_name(HUMANS)} ({len(simulated)} of {n_humans} simulated)"


def label_observers(frame: pd.DataFrame, table: pd.DataFrame,
                    columns: tuple[str, ...] = ("observer", "group", "observer_1",
                                                "observer_2")) -> pd.DataFrame:
    """``frame`` with the observer and group cells of simulated observers (and the
    ``humans`` group when it holds any) labelled, for tables people read."""
    simulated = simulated_observers(table)
    if not simulated or frame.empty:
        return frame
    groups = {HUMANS: group_names(table)[HUMANS]}
    out = frame.copy()
    for column in columns:
        if column in out.columns:
            out[column] = out[column].map(lambda v: observer_label(v, simulated, groups))
    return out


def observer_label(name: object, simulated: Mapping[str, str],
                   groups: Mapping[str, str] | None = None) -> object:
    """``name`` with ``[label]`` when it is a simulated observer (also as ``lab:<name>``,
    the form error consistency uses when several data sets are read together)."""
    key = name[4:] if isinstance(name, str) and name.startswith("lab:") else name
    if isinstance(key, str) and key in simulated:
        return f"{name} [{simulated[key]}]"
    return (groups or {}).get(name, name) if isinstance(name, str) else name


def mark_simulated(frame: pd.DataFrame, table: pd.DataFrame, *, as_csv: bool = False
                   ) -> pd.DataFrame:
    """A table for the terminal with simulated observers marked: their observer and group
    cells labelled (:func:`label_observers`); as CSV the names stay as they are (other
    programs join on them) and a ``simulated`` column carries the label."""
    simulated = simulated_observers(table)
    if not simulated or frame.empty:
        return frame
    if not as_csv:
        return label_observers(frame, table)
    columns = [c for c in ("observer", "observer_1", "observer_2", "group")
               if c in frame.columns]
    if not columns:
        return frame
    groups = {HUMANS: group_names(table)[HUMANS]}

    def label(row: pd.Series) -> str:
        marks = []
        for column in columns:
            value = row[column]
            key = value[4:] if isinstance(value, str) and value.startswith("lab:") else value
            if isinstance(key, str) and key in simulated:
                marks.append(simulated[key])
            elif column == "group" and value == HUMANS:
                marks.append(groups[HUMANS])
        return "; ".join(dict.fromkeys(marks))

    return frame.assign(simulated=frame.apply(label, axis=1))
