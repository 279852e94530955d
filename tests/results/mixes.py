"""Small inputs of every mix the report must handle: networks only, humans only, one
observer, trained + pretrained networks (written with the real trial-file writer)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from results_helpers import dnn_record, human_record, write_dnn_tsv, write_human_tsv

from lab.categories import CATEGORIES
from lab.schema import HUMAN_FILE_COLUMNS
from lab.trial_file import TrialFile

BANDS = [f"b{k}-{sd}" for k in range(7) for sd in ("0.02", "0.04", "0.08", "0.16")]


def _cue_conflict_images() -> list[tuple[str, str]]:
    """(image, shape class): every class with a texture of another class, 3 each."""
    out = []
    for i, shape in enumerate(CATEGORIES):
        for k in range(3):
            texture = CATEGORIES[(i + k + 1) % 16]
            out.append((f"cue-conflict/0/{shape}{k + 1}-{texture}{k + 1}.png", shape))
    return out


def _answer(rng: np.random.Generator, category: str, p: float) -> str:
    return category if rng.random() < p else CATEGORIES[int(rng.integers(16))]


def network_sessions(folder: Path, models: dict[str, float], seed: int = 0,
                     critical_band: bool = True) -> Path:
    """``models`` (name -> accuracy at no noise) scored on a cue-conflict set and, when
    asked, a critical-band set (8 images per condition)."""
    rng = np.random.default_rng(seed)
    for model, p_top in models.items():
        records = []
        for t, (image, shape) in enumerate(_cue_conflict_images()):
            texture = re.sub(r"\d+\.png$", "", image.rsplit("-", 1)[1])
            response = shape if rng.random() < 0.3 else texture
            records.append(dnn_record("cue-conflict", model, t + 1, image, shape, "0",
                                      response))
        write_dnn_tsv(folder / "cue-conflict" / f"{model}_sum_ses-1.tsv", records)
        if not critical_band:
            continue
        records, t = [], 0
        for condition in ["0", *BANDS]:
            sd = 0.0 if condition == "0" else float(condition.split("-")[1])
            band = 0 if condition == "0" else int(condition[1])
            p = 1 / 16 + (p_top - 1 / 16) * np.exp(-sd * (8 if band in (2, 3, 4) else 2))
            for i in range(8):
                t += 1
                category = CATEGORIES[(i * 2 + t) % 16]
                records.append(dnn_record(
                    "critical-band", model, t, f"critical-band/{condition}/{category}{i}.png",
                    category, condition, _answer(rng, category, p)))
        write_dnn_tsv(folder / "critical-band" / f"{model}_sum_ses-1.tsv", records)
    return folder


def human_sessions(folder: Path, observers: list[str], seed: int = 0,
                   experiment: str = "contrast",
                   conditions: tuple[str, ...] = ("c100", "c50", "c10", "c05", "c01"),
                   per_condition: int = 24, simulated: dict[str, str] | None = None
                   ) -> Path:
    """Contrast sessions of ``observers`` on the same images (so consistency is defined);
    ``simulated``: observer -> the label its sidecar carries (simulated observers)."""
    rng = np.random.default_rng(seed)
    acc = {"c100": 0.95, "c50": 0.9, "c10": 0.6, "c05": 0.35, "c01": 0.08}
    for observer in observers:
        records, t = [], 0
        for condition in conditions:
            for i in range(per_condition):
                t += 1
                category = CATEGORIES[i % 16]
                image = f"{experiment}/{condition}/{category}{i}.png"
                records.append(human_record(
                    experiment, observer, t, image, category, condition,
                    _answer(rng, category, acc.get(condition, 0.5)),
                    rt=0.6 + 0.01 * (i % 5)))
        path = folder / observer / "ses-1" / "beh" / f"{observer}_ses-1_task-{experiment}_beh.tsv"
        label = (simulated or {}).get(observer)
        if label:
            with TrialFile.create(path, HUMAN_FILE_COLUMNS, sidecar={
                    "simulated": {"kind": "human-confusions", "label": label}}) as fh:
                for record in records:
                    fh.write(record)
        else:
            write_human_tsv(path, records)
    return folder


def network_contrast(folder: Path, models: dict[str, float], seed: int = 1,
                     conditions: tuple[str, ...] = ("c100", "c50", "c10", "c05", "c01"),
                     per_condition: int = 24, rule: str = "sum") -> Path:
    """Networks on the images of :func:`human_sessions` (``rule="16-way"``: networks
    trained here, with a 16-class head)."""
    rng = np.random.default_rng(seed)
    scale = {"c100": 1.0, "c50": 0.95, "c10": 0.6, "c05": 0.3, "c01": 0.05}
    for model, p_top in models.items():
        records, t = [], 0
        for condition in conditions:
            for i in range(per_condition):
                t += 1
                category = CATEGORIES[i % 16]
                records.append(dnn_record(
                    "contrast", model, t, f"contrast/{condition}/{category}{i}.png",
                    category, condition, _answer(rng, category, p_top * scale[condition]),
                    rule=rule))
        write_dnn_tsv(folder / "contrast" / f"{model}_{rule}_ses-1.tsv", records)
    return folder
