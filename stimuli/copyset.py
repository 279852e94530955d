"""Stimulus sets that are the user's image folder itself (designs with ``copy_sources``).

model-vs-human's edge, silhouette, sketch and stylized experiments (Geirhos et al. 2019,
2021) showed a fixed image set unmanipulated: every image once per observer. Such a set is
built by copying each image byte for byte (no crop, resize or re-encoding) into the set,
in a shuffled order numbered from 1, with the same ``manifest.csv`` as every other set
(the sha256 of each copied file equals its source's).

The folder must match the experiment: one folder per class, named after the 16 classes,
each holding exactly ``trials_per_observer / 16`` images of ``image_size`` px square. The
layout is that of the published image sets (texture-vs-shape ``stimuli/edges/<class>/``,
model-vs-human's data set folders ``<class>/``).
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from lab.categories import CATEGORIES
from lab.design import ExperimentDesign
from lab.errors import LabInputError
from lab.images import is_image_file
from lab.manifest import MANIFEST_NAME, ManifestEntry, sha256_file, write_manifest
from stimuli.placing import building, place

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CopySource:
    """One image of the user's folder."""

    path: str  #: relative to the source folder, POSIX style: ``<class>/<file>``
    category: str


def per_class(design: ExperimentDesign) -> int:
    """Images per class the folder must hold (the design's trials per observer / 16)."""
    return design.trials_per_observer // len(CATEGORIES)


def _image_size(path: Path) -> tuple[int, int]:
    try:
        with Image.open(path) as image:
            return image.size
    except (OSError, UnidentifiedImageError) as err:
        raise LabInputError(f"{path}: not a readable image ({err}); replace or remove "
                            "it") from err


def scan_copy_sources(source_dir: str | Path, design: ExperimentDesign) -> list[CopySource]:
    """Every image of the folder, checked against the design; one-line refusal otherwise."""
    root = Path(source_dir)
    want = per_class(design)
    shape = (f"16 class folders (airplane ... truck), {want} images each, "
             f"{design.image_size} x {design.image_size} px")
    if not root.is_dir():
        raise LabInputError(f"{root}: source folder not found; give --source DIR with {shape}")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    unknown = [p.name for p in folders if p.name not in CATEGORIES]
    if unknown:
        raise LabInputError(
            f"{root / unknown[0]}: {unknown[0]!r} is not one of the 16 classes; name the "
            f"class folders {', '.join(CATEGORIES)}")
    missing = sorted(set(CATEGORIES) - {p.name for p in folders})
    if not folders:
        raise LabInputError(f"{root}: no class folders; give the folder that holds the "
                            f"{design.name} images as {shape}")
    if missing:
        raise LabInputError(f"{root}: no folder for the classes {', '.join(missing)}; the "
                            f"{design.name} experiment needs {shape}")
    loose = sorted(p.name for p in root.iterdir() if p.is_file() and is_image_file(p))
    if loose:
        raise LabInputError(f"{root / loose[0]}: image outside the class folders; move it "
                            f"into its class folder ({design.name} needs {shape})")
    sources: list[CopySource] = []
    for folder in folders:
        images = sorted(p for p in folder.iterdir() if p.is_file() and is_image_file(p))
        if len(images) != want:
            raise LabInputError(
                f"{folder}: {len(images)} images, the {design.name} experiment shows exactly "
                f"{want} per class ({design.trials_per_observer} in all); give the "
                f"complete {design.name} image set ({shape})")
        for path in images:
            size = _image_size(path)
            if size != (design.image_size, design.image_size):
                raise LabInputError(
                    f"{path}: {size[0]} x {size[1]} px, the {design.name} images are "
                    f"{design.image_size} x {design.image_size}; give the image set at that "
                    "size (it is copied unchanged)")
            sources.append(CopySource(path=f"{folder.name}/{path.name}", category=folder.name))
    return sources


def copy_name(design: ExperimentDesign, set_name: str, number: int, source: CopySource) -> str:
    """``NNNN_<code>_<set>_<condition>_<category>_00_<source file>``, exactly as
    model-vs-human names its trials (``0001_edg_s01_0_oven_00_oven10.png``; ``00`` is a
    constant there), so trials pair with its human data by image name. The source's
    extension is kept: the bytes are the source's."""
    return (f"{number:04d}_{design.code}_{set_name}_{design.conditions[0]}_"
            f"{source.category}_00_{Path(source.path).name}")


def build_copy_set(design: ExperimentDesign, source_dir: str | Path, out: Path, *,
                   seed: int, set_name: str, replaceable: str | None,
                   force: bool) -> list[ManifestEntry]:
    """Copy the folder's images into a new set at ``out`` (checked, shuffled, atomic).

    ``replaceable`` is what :func:`stimuli.placing.check_replaceable` found at ``out``.
    The manifest's per-image seed is 0: nothing random is applied to a copied image."""
    source = Path(source_dir)
    sources = scan_copy_sources(source, design)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    order = [sources[i] for i in rng.permutation(len(sources))]
    with building(out) as tmp:
        entries = []
        for number, item in enumerate(order, start=1):
            name = copy_name(design, set_name, number, item)
            shutil.copyfile(source / item.path, tmp / name)
            digest = sha256_file(tmp / name)
            if digest != sha256_file(source / item.path):
                raise LabInputError(f"{source / item.path}: changed while it was copied; "
                                    "build again")
            entries.append(ManifestEntry(
                file=name, sha256=digest, experiment=design.name,
                condition=design.conditions[0], category=item.category, source=item.path,
                seed=0, width=design.image_size,
                height=design.image_size, texture=""))
        write_manifest(tmp / MANIFEST_NAME, entries)
        place(tmp, out, replaceable, force)
    logger.info("copied %d images of %s into %s", len(entries), design.name, out)
    return entries
