"""Build a stimulus set: a class- and condition-balanced draw of source images, manipulated
with a recorded per-image seed, written as 8-bit PNGs plus ``manifest.csv``.

Planning (:func:`plan_set`) is a pure function of the design, the source listing and the
seed; rendering (:func:`render_stimulus`) is a pure function of one planned stimulus, so
every file can be regenerated bit for bit from its manifest row. The set is written into a
temporary folder beside ``--out`` and renamed into place only when complete.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import re
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lab.categories import CATEGORIES
from lab.design import ExperimentDesign, load_experiment
from lab.errors import LabInputError
from lab.images import (
    image_mode,
    is_greyscale_mode,
    is_image_file,
    load_rgb,
    png_bytes,
)
from lab.manifest import (
    MANIFEST_NAME,
    ManifestEntry,
    write_manifest,
)
from lab.progress import progress as progress_bar
from stimuli.copyset import build_copy_set
from stimuli.manipulations import check_design, get_manipulation
from stimuli.placing import building
from stimuli.placing import check_replaceable as _check_replaceable
from stimuli.placing import place as _place

logger = logging.getLogger(__name__)

CUE_CONFLICT_NAME = re.compile(r"^([a-z]+)(\d+)-([a-z]+)(\d+)$")
SET_NAME = re.compile(r"^[A-Za-z0-9-]+$")


@dataclass(frozen=True)
class SourceImage:
    """One usable source image."""

    path: str  #: relative to the source folder, POSIX style: ``<class>/<file>``
    category: str
    texture: str = ""  #: cue-conflict only


@dataclass(frozen=True)
class PlannedStimulus:
    """One stimulus of a set, before rendering."""

    number: int  #: 1-based, the NNNN of the file name
    condition: str
    source: SourceImage
    seed: int  #: seed of the manipulation's generator (``np.random.default_rng(seed)``)


def default_per_condition(design: ExperimentDesign) -> int | None:
    """Images per condition of the original design: trials_per_observer / n_conditions;
    ``None`` where the design takes the whole image set."""
    if design.whole_image_set:
        return None
    return design.trials_per_observer // len(design.conditions)


def check_per_condition(per_condition: int) -> int:
    if per_condition <= 0 or per_condition % len(CATEGORIES):
        raise LabInputError(
            f"--per-condition {per_condition}: must be a positive multiple of "
            f"{len(CATEGORIES)} (one image per class and condition, balanced)"
        )
    return per_condition


def image_seed(seed: int, number: int) -> int:
    """The per-image seed derived from the set's seed (63-bit, recorded in the manifest)."""
    state = np.random.SeedSequence(seed, spawn_key=(1, number)).generate_state(1, np.uint64)
    return int(state[0] >> np.uint64(1))


def texture_of(path: Path, shape_class: str) -> str:
    """Texture class of a cue-conflict file ``<shape><n>-<texture><m>.<ext>``."""
    match = CUE_CONFLICT_NAME.match(path.stem)
    if not match or match.group(3) not in CATEGORIES:
        raise LabInputError(
            f"{path}: cue-conflict files must be named <shape><n>-<texture><m> with "
            "16-class names (e.g. cat1-bird2.png); rename it"
        )
    if match.group(1) != shape_class:
        raise LabInputError(
            f"{path}: shape class {match.group(1)!r} in the name differs from its folder "
            f"{shape_class!r}; move it to {match.group(1)}/"
        )
    return match.group(3)


def scan_sources(source_dir: str | Path, design: ExperimentDesign) -> dict[str, list[SourceImage]]:
    """Usable source images per class (sorted by file name); greyscale ones are skipped.

    Every sub-folder must be named after one of the 16 classes, and all 16 must exist.
    Greyscale means stored with a single channel (Pillow modes 1, L, LA, I, F): how the
    greyscale ILSVRC images are stored.
    """
    root = Path(source_dir)
    if not root.is_dir():
        raise LabInputError(f"{root}: source folder not found; give --source DIR with one "
                            "folder per class")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    unknown = [p.name for p in folders if p.name not in CATEGORIES]
    if unknown:
        raise LabInputError(
            f"{root / unknown[0]}: unknown class folder {unknown[0]!r}; class folders must be "
            f"named {', '.join(CATEGORIES)}"
        )
    missing = sorted(set(CATEGORIES) - {p.name for p in folders})
    if missing:
        raise LabInputError(f"{root}: no folder for the classes {', '.join(missing)}; add them")
    sources: dict[str, list[SourceImage]] = {}
    skipped: list[str] = []
    for folder in folders:
        images = []
        for path in sorted(p for p in folder.iterdir() if is_image_file(p)):
            rel = f"{folder.name}/{path.name}"
            if is_greyscale_mode(image_mode(path)):
                skipped.append(rel)
                continue
            texture = texture_of(path, folder.name) if design.texture_in_file_name else ""
            images.append(SourceImage(path=rel, category=folder.name, texture=texture))
        sources[folder.name] = images
    if skipped:
        logger.warning("skipped %d greyscale source image(s) (the paper excluded them): %s%s",
                       len(skipped), ", ".join(skipped[:5]), " ..." if len(skipped) > 5 else "")
    return sources


def plan_set(
    design: ExperimentDesign,
    sources: dict[str, list[SourceImage]],
    per_condition: int | None,
    seed: int,
) -> list[PlannedStimulus]:
    """Class- and condition-balanced draw: ``per_condition / 16`` images per class and
    condition, distinct within a condition, spread over conditions as evenly as the source
    allows (each image used ``floor`` or ``ceil`` of slots / images times), in a shuffled
    order numbered from 1. ``per_condition=None`` (designs with ``whole_image_set``): every
    usable image once per condition, in a shuffled order."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    drawn: list[tuple[str, SourceImage]] = []
    if per_condition is None:
        drawn = [(condition, image) for condition in design.conditions
                 for category in CATEGORIES for image in sources.get(category, [])]
        if not drawn:
            raise LabInputError("the source folder has no usable images; add images")
        return _numbered(drawn, rng, seed)
    check_per_condition(per_condition)
    per_class = per_condition // len(CATEGORIES)
    for category in CATEGORIES:
        images = sources.get(category, [])
        if len(images) < per_class:
            raise LabInputError(
                f"class {category!r}: {len(images)} usable source image(s), but "
                f"--per-condition {per_condition} needs {per_class} distinct per condition; "
                "add images or lower --per-condition"
            )
        order = rng.permutation(len(images))
        slots = len(design.conditions) * per_class
        for slot in range(slots):
            condition = design.conditions[slot // per_class]
            drawn.append((condition, images[order[slot % len(images)]]))
    return _numbered(drawn, rng, seed)


def warn_reused_sources(experiment: str, plan: list[PlannedStimulus]) -> str | None:
    """Warn (and return the line) when the set uses a source image in more than one
    condition: a session shows each source image once per observer, so an observer can
    see only as many of these stimuli as there are distinct sources."""
    uses: dict[str, int] = {}
    for item in plan:
        uses[item.source.path] = uses.get(item.source.path, 0) + 1
    if not uses or max(uses.values()) == 1:
        return None
    line = (f"{experiment}: {len(plan)} stimuli from {len(uses)} distinct source images "
            f"(each used in up to {max(uses.values())} conditions). A session shows each "
            f"source image once per observer, so one observer can see at most {len(uses)} "
            f"of them; a session of all {len(plan)} needs {len(plan)} distinct source "
            "images per observer: add images, or let observers see a source more than "
            "once (run_experiment.py --repeat-sources), or give each observer --trials "
            f"{len(uses)} or fewer")
    logger.warning("%s", line)
    return line


def _numbered(drawn: list[tuple[str, SourceImage]], rng: np.random.Generator,
              seed: int) -> list[PlannedStimulus]:
    shuffled = [drawn[i] for i in rng.permutation(len(drawn))]
    return [
        PlannedStimulus(number=i, condition=cond, source=src, seed=image_seed(seed, i))
        for i, (cond, src) in enumerate(shuffled, start=1)
    ]


def stimulus_name(design: ExperimentDesign, set_name: str, item: PlannedStimulus) -> str:
    """``NNNN_<code>_<set>_<condition>_<category>_<source-stem>.png`` as in the originals."""
    stem = Path(item.source.path).stem
    return (f"{item.number:04d}_{design.code}_{set_name}_{item.condition}_"
            f"{item.source.category}_{stem}.png")


def render_stimulus(
    source_path: str | Path, design: ExperimentDesign | str, condition: str, seed: int
) -> np.ndarray:
    """One stimulus of ``design`` (or the experiment of that name) as float RGB: load,
    centre-crop + Lanczos-resize to the design's size, manipulate as in ``condition`` with
    ``np.random.default_rng(seed)``. Regenerates any file from its manifest row."""
    design = check_design(load_experiment(design) if isinstance(design, str) else design)
    return _render(str(source_path), design.manipulation, design.parameters_of(condition),
                   design.image_size, seed)


def _render(source_path: str, manipulation: str, parameters: dict[str, Any], size: int,
            seed: int, *, grey: bool = False) -> np.ndarray:
    """One stimulus; with ``grey`` a grey stimulus comes as one channel ``(H, W)``."""
    image = load_rgb(source_path, size)
    m = get_manipulation(manipulation)
    rng = np.random.default_rng(seed)
    return m.render(image, rng, **parameters) if grey else m(image, rng, **parameters)


@dataclass(frozen=True)
class _Task:
    source_path: str
    manipulation: str
    parameters: dict[str, Any]
    size: int
    seed: int
    out_path: str
    rgb_files: bool = False


def _render_task(task: _Task) -> str:
    """Worker: render one stimulus, write it, return the sha256 of the bytes written."""
    image = _render(task.source_path, task.manipulation, task.parameters, task.size,
                    task.seed, grey=True)  # png_bytes writes (H, W) and equal RGB alike
    data = png_bytes(image, rgb=task.rgb_files)
    Path(task.out_path).write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def _one_blas_thread() -> None:
    """Worker initializer: one BLAS thread per worker process. N workers x N BLAS threads
    on N cores made a 2-worker build slower than 1 worker. Uses threadpoolctl when it is
    installed; without it the build is correct, only slower for the GEMM filters."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional speed-up
        return
    threadpool_limits(1)


def _pool_context() -> multiprocessing.context.BaseContext:
    # fork: workers need no ``if __name__ == "__main__"`` guard in the caller's script.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


def _run_tasks(tasks: list[_Task], workers: int, progress: bool, desc: str) -> Iterator[str]:
    bar = progress_bar(total=len(tasks), desc=desc, unit="img", enabled=progress)
    try:
        if workers <= 1 or len(tasks) < 2:
            for task in tasks:
                yield _render_task(task)
                bar.update()
        else:
            with ProcessPoolExecutor(
                max_workers=min(workers, len(tasks)), mp_context=_pool_context(),
                initializer=_one_blas_thread,
            ) as pool:
                chunk = max(1, min(16, len(tasks) // (workers * 4)))
                for digest in pool.map(_render_task, tasks, chunksize=chunk):
                    yield digest
                    bar.update()
    finally:
        bar.close()




def check_seed(seed: int, option: str = "--seed") -> int:
    """A seed for ``numpy.random.SeedSequence``: a whole number, 0 or more."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise LabInputError(f"{option} {seed!r}: must be a whole number, 0 or more "
                            f"(e.g. {option} 1)")
    return seed


def build_set(
    experiment: str,
    source_dir: str | Path,
    out_dir: str | Path,
    *,
    seed: int = 0,
    per_condition: int | None = None,
    set_name: str = "s01",
    force: bool = False,
    workers: int | None = None,
    progress: bool = True,
    rgb_files: bool = False,
) -> list[ManifestEntry]:
    """Build the set and return its manifest entries (see the module docstring).

    Grey stimuli are written as 8-bit greyscale PNGs (the same pixels as three identical
    channels); ``rgb_files=True`` writes them as RGB files with three identical channels.

    Every input is checked before a file is written. The set is written into a hidden
    folder beside ``out_dir`` and renamed into place only when complete; if ``out_dir``
    appeared meanwhile (another build), or changed while building with ``force``, the new
    set is discarded and nothing is replaced.
    """
    design = check_design(load_experiment(experiment))
    manipulation = get_manipulation(design.manipulation)
    check_seed(seed)
    if not SET_NAME.match(set_name):
        raise LabInputError(f"--set {set_name!r}: use letters, digits and '-' only (e.g. s01)")
    if workers is not None and workers < 1:
        raise LabInputError(f"--workers {workers}: must be at least 1")
    if per_condition is None:
        per_condition = default_per_condition(design)
    if per_condition is not None:
        check_per_condition(per_condition)
    out = Path(out_dir).absolute()
    if design.copy_sources:
        if per_condition is not None or rgb_files:
            option = "--rgb-files" if rgb_files else "--per-condition"
            raise LabInputError(f"{option}: the {design.name} set is the whole image folder, "
                                "copied unchanged; build it without that option")
        return build_copy_set(design, source_dir, out, seed=seed, set_name=set_name,
                              replaceable=_check_replaceable(out, force), force=force)
    replaceable = _check_replaceable(out, force)
    source = Path(source_dir)
    plan = plan_set(design, scan_sources(source, design), per_condition, seed)
    warn_reused_sources(design.name, plan)
    workers = (os.cpu_count() or 1) if workers is None else workers

    with building(out) as tmp:
        names = [stimulus_name(design, set_name, item) for item in plan]
        tasks = [
            _Task(source_path=str(source / item.source.path), manipulation=manipulation.name,
                  parameters=design.parameters_of(item.condition), size=design.image_size,
                  seed=item.seed, out_path=str(tmp / name), rgb_files=rgb_files)
            for item, name in zip(plan, names, strict=True)
        ]
        digests = list(_run_tasks(tasks, workers, progress, f"build {design.name}"))
        entries = [
            ManifestEntry(
                file=name, sha256=digest, experiment=design.name, condition=item.condition,
                category=item.source.category, source=item.source.path, seed=item.seed,
                width=design.image_size, height=design.image_size,
                texture=item.source.texture,
            )
            for item, name, digest in zip(plan, names, digests, strict=True)
        ]
        write_manifest(tmp / MANIFEST_NAME, entries)
        _place(tmp, out, replaceable, force)
    logger.info("built %d stimuli of %s in %s", len(entries), design.name, out)
    return entries
