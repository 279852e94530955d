""":func:`read_trials`: every trial file under the given paths, of any mix of formats, into
one record table (only the effective trials of our own files, :mod:`lab.accounting`)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from lab.accounting import effective_table
from lab.categories import CATEGORIES, NO_RESPONSE
from lab.decision_rules import ORIGINAL_RULES
from lab.design import bundled_designs
from lab.errors import LabInputError
from lab.readers.files import archive_members, is_archive, iter_trial_files
from lab.readers.imagenet import is_imagenet_file
from lab.readers.lab_tsv import incomplete_run, lab_group, simulated_label, weights_sha256
from lab.readers.original import (
    DERIVED_AGGREGATES,
    ORIGINAL_NAME,
    design_names_by_original,
    original_group,
)
from lab.readers.parsing import NA_CELLS, Source, check_classes, floats, integers, load_source
from lab.readers.records import (
    DNN,
    HUMAN,
    OPTIONAL_COLUMNS,
    RECORD_COLUMNS,
    TRIAL_PREFIX,
    TrialFileKind,
    texture_of,
)

log = logging.getLogger(__name__)

def read_trials(
    paths: Iterable[str | Path] | str | Path,
    *,
    rule: str = "sum",
    progress: bool = False,
) -> pd.DataFrame:
    """Read every trial file under ``paths`` into one record table.

    ``rule`` picks the network decision rule: for the 2018 CSVs ``sum`` (the ``*_sums``
    columns, default, the paper's rule) or ``other`` (the unsuffixed columns); for our own
    network files only rows with that ``rule`` are kept (``sum``, ``mean`` or ``max``), and
    2018 network files read with ``mean`` or ``max`` fall back to ``sum`` with a warning.
    A human trial our booth re-ran after a dropped frame counts once, by its last attempt
    (:func:`lab.accounting.effective_table`; column ``superseded`` counts the records
    set aside). Identical
    copies of a file (the 2018 ``dnn-raw-data`` folders repeat the human files) are read
    once; two different files holding the same observer and session are an error.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    paths = list(paths)
    files: list[tuple[Path, TrialFileKind, bytes | None]] = []
    for raw in paths:
        if Path(raw).is_file() and is_archive(raw):
            files.extend(archive_members(Path(raw)))
        else:
            files.extend((path, kind, None) for path, kind in iter_trial_files([raw]))
    if not files:
        raise LabInputError(
            f"no trial files found in {', '.join(str(p) for p in paths)}; "
            "give folders or files holding trial TSV/CSV files"
        )
    iterator: Iterable[tuple[Path, TrialFileKind, bytes | None]] = files
    if progress:
        from lab.progress import progress as progress_bar
        iterator = progress_bar(files, desc="reading trial files", unit="file")
    groups: dict[tuple[str, str, str], list[Source]] = {}
    seen: dict[str, Path] = {}
    incomplete: list[str] = []
    derived = 0
    imagenet: list[Path] = []
    for path, kind, data in iterator:
        if kind.source_format == "geirhos2018" and _derived_aggregate(path):
            derived += 1
            continue
        if (kind.source_format, kind.observer_type) == ("lab", DNN) and data is None \
                and is_imagenet_file(path):
            imagenet.append(path)  # 1000 ImageNet classes, not 16: read_imagenet_trials
            continue
        source = load_source(path, kind, data)
        reason = (incomplete_run(path, source.rows)
                  if (kind.source_format, kind.observer_type) == ("lab", DNN) else None)
        if reason is not None:
            incomplete.append(f"{path}: {reason}")
            log.warning("%s: %s; left out (never read as complete); score the set again "
                        "into a new --session", path, reason)
            continue
        if source.digest in seen:
            log.info("%s: same content as %s; read once", path, seen[source.digest])
            continue
        seen[source.digest] = path
        if source.rows:
            groups.setdefault((kind.source_format, kind.observer_type, source.header),
                              []).append(source)
    if derived:
        log.warning("left out %d files of the derived aggregates %s (copies of other "
                    "networks' trials under another name, Geirhos et al. 2018 fine-tuning "
                    "data)", derived, " and ".join(sorted(DERIVED_AGGREGATES)))
    by_original = design_names_by_original()
    frames = []
    for (source_format, observer_type, _), sources in groups.items():
        if source_format == "lab":
            frame = lab_group(sources, rule)
        else:
            if observer_type == DNN and rule not in ORIGINAL_RULES:
                log.warning("the 2018 network files have no %r decision; read their sum "
                            "rule (the paper's) instead", rule)
            frame = original_group(sources, rule if rule in ORIGINAL_RULES else "sum",
                                    by_original)
        frames.append(frame.assign(source_format=source_format, observer_type=observer_type))
    frames = [f for f in frames if len(f)]
    if imagenet:
        log.info("%d ImageNet/PGD trial files (1000 ImageNet classes) left out of the "
                 "16-class trials; results biases reads them as generalisation targets",
                 len(imagenet))
    if not groups and imagenet and not incomplete:
        raise LabInputError(
            f"{imagenet[0]}: only ImageNet/PGD trial files (python -m models imagenet / "
            "adversarial) in the input; they are generalisation targets: give them to "
            "'python -m results biases' together with the networks' 16-class trial files")
    if not groups and incomplete:
        raise LabInputError(f"{incomplete[0]}; nothing complete to read; finish the run "
                            "(python -m models score ... --resume) or score the set again")
    if not groups:
        raise LabInputError(
            f"no trials yet in {', '.join(str(p) for p in paths)}: the trial files hold only "
            "their header")
    if not frames:
        raise LabInputError(f"no trials for rule {rule!r} in the given files; try another --rule")
    table = pd.concat(frames, ignore_index=True)
    labels = {str(f): (simulated_label(f) if src == "lab" and kind == HUMAN else "")
              for f, src, kind in table[["file", "source_format", "observer_type"]]
              .drop_duplicates().itertuples(index=False)}
    table["simulated"] = table["file"].astype(str).map(labels).fillna("")
    table = _finish(table)
    table = effective_table(table, lab=(table["source_format"] == "lab").to_numpy())
    _check_no_double_sessions(table)
    _check_one_network_per_name(table)
    return table


def _check_one_network_per_name(table: pd.DataFrame) -> None:
    """Two different weights (their sidecars' sha256) under one observer name are never
    pooled: one line naming both files and the fix."""
    ours = table[(table["source_format"] == "lab") & (table["observer_type"] == DNN)]
    if ours.empty:
        return
    files = ours[["observer", "file"]].drop_duplicates()
    files = files.assign(sha=files["file"].astype(str).map(weights_sha256))
    for observer, group in files.groupby("observer", sort=False):
        if group["sha"].nunique() > 1:
            a, b = group.drop_duplicates("sha").iloc[:2].itertuples(index=False)
            raise LabInputError(
                f"{b.file}: observer {observer!r} was scored with other weights (sha256 "
                f"{b.sha[:12] or 'none'}...) than {a.file} ({a.sha[:12] or 'none'}...); "
                "score one of them again with --name to tell them apart")


def _derived_aggregate(path: Path) -> bool:
    match = ORIGINAL_NAME.match(path.name)
    return match is not None and match["subj"] in DERIVED_AGGREGATES


_VALID_RESPONSES = frozenset(CATEGORIES) | {NO_RESPONSE}


def _copied_experiments() -> frozenset[str]:
    """Designs whose sets are the published images copied unchanged (``copy_sources``)."""
    return frozenset(d.name for d in bundled_designs().values() if d.copy_sources)


def _texture_experiments() -> frozenset[str]:
    """Designs whose image names carry the texture class (``<shape><n>-<texture><m>``)."""
    return frozenset(d.name for d in bundled_designs().values() if d.texture_in_file_name)


def _check_no_double_sessions(table: pd.DataFrame) -> None:
    """Two different files must not hold the same observer's same session."""
    keys = ["source_format", "experiment", "observer", "session", "rule"]
    files = table.groupby(keys, sort=False, observed=True)["file"].nunique()
    double = files[files > 1]
    if len(double):
        source_format, experiment, observer, session, _ = double.index[0]
        paths = table.loc[(table["observer"] == observer) & (table["session"] == session)
                          & (table["experiment"] == experiment), "file"].unique()
        raise LabInputError(
            f"{paths[1]}: holds {experiment} observer {observer!r} session {session} like "
            f"{paths[0]}; remove one of the two files"
        )


def _finish(table: pd.DataFrame) -> pd.DataFrame:
    """Types, checks and derived columns, once over all files."""
    check_classes(table, "category", frozenset(CATEGORIES))
    check_classes(table, "response", _VALID_RESPONSES)
    table["session"] = integers(table, "session")
    table["trial"] = integers(table, "trial")
    table["rt"] = floats(table, "rt")
    for column in OPTIONAL_COLUMNS:
        if column in table.columns:
            table[column] = floats(table, column)
    if "block" in table.columns:
        block = table["block"]
        block = block.where(~(block.isna() | block.isin(NA_CELLS)), None)
        table["block"] = pd.to_numeric(block, errors="coerce").astype("Int64")
    else:
        table["block"] = pd.array([pd.NA] * len(table), dtype="Int64")
    if "sha256" in table.columns:
        sha = table["sha256"]
        table["sha256"] = sha.where(~(sha.isna() | sha.isin(NA_CELLS)), "")
    else:
        table["sha256"] = ""
    table["correct"] = (table["response"] == table["category"]).to_numpy()
    has_texture = table["experiment"].isin(_texture_experiments()).to_numpy()
    texture = np.full(len(table), "", dtype=object)
    if has_texture.any():
        texture[has_texture] = table["image"][has_texture].map(texture_of).to_numpy()
    table["texture"] = texture
    # images of the copied sets (edge, silhouette, sketch, stylized) are the published
    # images themselves, named as model-vs-human names them: matched by name across
    # formats, so a lab's trials pair with model-vs-human's human trials
    has_sha = ((table["sha256"] != "")
               & ~table["experiment"].isin(_copied_experiments())).to_numpy()
    keys = table["image"].str.replace(TRIAL_PREFIX.pattern, "", regex=True)
    table["image_key"] = keys.where(~has_sha, "sha256:" + table["sha256"])
    ordered = [c for c in RECORD_COLUMNS if c in table.columns]
    extra = [c for c in OPTIONAL_COLUMNS if c in table.columns and c not in ordered]
    return table[ordered + extra].reset_index(drop=True)
