"""The 16 entry-level classes, their response-screen order and their ImageNet indices.

The 16 classes map to 207 ILSVRC-2012 classes through WordNet (Geirhos et al. 2018,
Methods: 16-class-ImageNet). The index table below is the reference;
:func:`parse_wnid_mapping` reads the authors' WNID mapping file and
:func:`check_mapping_file` proves that file and this table agree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from lab.errors import LabInputError

#: The 16 classes in alphabetical order: the column order of every probability table.
CATEGORIES: tuple[str, ...] = (
    "airplane", "bear", "bicycle", "bird", "boat", "bottle", "car", "cat",
    "chair", "clock", "dog", "elephant", "keyboard", "knife", "oven", "truck",
)

#: Response-screen icon rows as rendered in the lab (Geirhos et al. 2018, Methods), top row first.
ICON_ROWS: tuple[tuple[str, ...], ...] = (
    ("knife", "bicycle", "bear", "truck"),
    ("airplane", "clock", "boat", "car"),
    ("keyboard", "oven", "cat", "bird"),
    ("elephant", "chair", "bottle", "dog"),
)

#: The same icons in reading order (row by row).
ICON_ORDER: tuple[str, ...] = tuple(c for row in ICON_ROWS for c in row)


def _span(a: int, b: int) -> list[int]:
    return list(range(a, b + 1))


#: 0-based ILSVRC-2012 indices per class (Geirhos et al. 2018, Methods).
IMAGENET_INDICES: Mapping[str, tuple[int, ...]] = {
    "knife": (499,),
    "keyboard": (508, 878),
    "elephant": (385, 386),
    "bicycle": (444, 671),
    "airplane": (404,),
    "clock": (409, 530, 892),
    "oven": (766,),
    "chair": (423, 559, 765, 857),
    "bear": tuple(_span(294, 297)),
    "boat": (472, 554, 625, 814, 914),
    "cat": tuple(_span(281, 286)),
    "bottle": (440, 720, 737, 898, 899, 901, 907),
    "truck": (555, 569, 656, 675, 717, 734, 864, 867),
    "car": (436, 511, 817),
    "bird": tuple(
        [8] + _span(10, 16) + _span(18, 20) + _span(22, 24) + _span(80, 83)
        + _span(87, 96) + _span(98, 100) + _span(127, 133) + _span(135, 145)
    ),
    "dog": tuple(
        i for i in _span(152, 268) if i not in (192, 204, 227, 242, 251, 258, 260, 264)
    ),
}

NO_RESPONSE = "na"


def check_category(name: str) -> str:
    """Return ``name`` if it is one of the 16 classes, else raise :class:`LabInputError`."""
    if name not in CATEGORIES:
        raise LabInputError(
            f"unknown class {name!r}: use one of {', '.join(CATEGORIES)}"
        )
    return name


def category_index(name: str) -> int:
    """Column of ``name`` in :data:`CATEGORIES`."""
    return CATEGORIES.index(check_category(name))


_ENTRY = re.compile(r"^\s*(\w+)\s*=\s*\[([^\]]*)\]", re.MULTILINE)


def parse_wnid_mapping(path: str | Path) -> dict[str, list[str]]:
    """Read ``MSCOCO_to_ImageNet_category_mapping.txt``: class -> list of WordNet IDs.

    Comment lines start with ``#``; an entry is ``name = [wnid, wnid, ...]`` and may span
    several lines.
    """
    from lab.inputs import read_text

    path = Path(path)
    text = read_text(path, "WNID mapping")
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    mapping: dict[str, list[str]] = {}
    for name, body in _ENTRY.findall(text):
        wnids = [w.strip() for w in body.replace("\n", " ").split(",") if w.strip()]
        bad = [w for w in wnids if not re.fullmatch(r"n\d{8}", w)]
        if bad:
            raise LabInputError(f"{path}: class {name!r} has malformed WNIDs {bad}")
        mapping[name] = wnids
    if sorted(mapping) != sorted(CATEGORIES):
        raise LabInputError(
            f"{path}: expected the 16 classes {sorted(CATEGORIES)}, found {sorted(mapping)}"
        )
    return mapping


def read_imagenet_wnids(path: str | Path) -> list[str]:
    """Read the 1000 ILSVRC-2012 WNIDs in index order (``imagenet_categories.txt``)."""
    from lab.inputs import read_text

    path = Path(path)
    wnids = [line.split()[0] for line in read_text(path, "list of ImageNet classes").splitlines()
             if line.strip()]
    if len(wnids) != 1000:
        raise LabInputError(f"{path}: expected 1000 ImageNet classes, found {len(wnids)}")
    return wnids


def indices_from_mapping(
    mapping: Mapping[str, list[str]], imagenet_wnids: list[str]
) -> dict[str, tuple[int, ...]]:
    """Resolve WNIDs to 0-based ILSVRC-2012 indices (WNIDs outside the 1000 are dropped).

    A WNID in the mapping may be a hypernym of ImageNet leaves; the authors' mapping lists
    leaves, so a direct lookup suffices and unknown IDs are simply not ImageNet classes.
    """
    position = {w: i for i, w in enumerate(imagenet_wnids)}
    return {
        name: tuple(sorted(position[w] for w in wnids if w in position))
        for name, wnids in mapping.items()
    }


def check_mapping_file(mapping_path: str | Path, imagenet_path: str | Path) -> None:
    """Raise :class:`LabInputError` unless the mapping file gives exactly
    :data:`IMAGENET_INDICES`."""
    resolved = indices_from_mapping(
        parse_wnid_mapping(mapping_path), read_imagenet_wnids(imagenet_path)
    )
    for name in CATEGORIES:
        if tuple(sorted(IMAGENET_INDICES[name])) != resolved[name]:
            raise LabInputError(
                f"{mapping_path}: class {name!r} maps to {resolved[name]}, "
                f"the 2018 paper's table (lab/categories.py) says {IMAGENET_INDICES[name]}"
            )
