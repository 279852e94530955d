"""Training images: scan the folder, label with the 16 classes, load, crop, sample.

Two folder layouts are accepted (``data.train`` and ``data.val``):

* ImageNet-style: one folder per WordNet ID (``n02084071/...``). With a 16-way head each
  WNID is mapped to its class through the authors' WordNet mapping
  (``stimuli/data/MSCOCO_to_ImageNet_category_mapping.txt``); folders of the other ImageNet
  classes are skipped (the 16-class ImageNet of the paper: 207 of the 1000 classes). With
  a 1000-way head the label is the WNID's ILSVRC-2012 index.
* one folder per class, named as the 16 classes (what ``python -m stimuli build`` takes);
  16-way head only.

The list of files and labels is written to the run's folder (``data-train.csv``) and its
sha256 goes into the model card. Labels of the 16-way head follow
:data:`lab.categories.CATEGORIES` (alphabetical).
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset, DistributedSampler
from torchvision.transforms import InterpolationMode
from torchvision.transforms.v2 import functional as tvf

from lab.categories import CATEGORIES, parse_wnid_mapping, read_imagenet_wnids
from lab.errors import LabInputError
from lab.images import DECODE_ERRORS, is_greyscale_mode, is_image_file
from models.distortion_plan import CLEAN, DistortionPlan, Level, draw_for
from models.loading import chw_tensor, stack_images
from stimuli.data_files import IMAGENET_FILE, MAPPING_FILE

log = logging.getLogger(__name__)
WNID = re.compile(r"^n\d{8}$")


@dataclass(frozen=True)
class Sample:
    path: str  #: relative to the folder
    label: int
    name: str  #: class name or WNID


@dataclass(frozen=True)
class ImageFolder:
    root: Path
    samples: list[Sample]
    n_classes: int

    def counts(self) -> np.ndarray:
        c = Counter(s.label for s in self.samples)
        return np.array([c.get(i, 0) for i in range(self.n_classes)], dtype=np.int64)

    def manifest_text(self) -> str:
        lines = ["file,label,class"] + [f"{s.path},{s.label},{s.name}" for s in self.samples]
        return "\n".join(lines) + "\n"

    def sha256(self) -> str:
        return hashlib.sha256(self.manifest_text().encode()).hexdigest()


def _labels(head: int, folders: list[Path], root: Path) -> dict[str, tuple[int, str]]:
    """folder name -> (label, class name) for the folders used; errors for bad names."""
    names = [p.name for p in folders]
    if names and all(WNID.match(n) for n in names):
        if head == 1000:
            index = {w: i for i, w in enumerate(read_imagenet_wnids(IMAGENET_FILE))}
            unknown = [n for n in names if n not in index]
            if unknown:
                raise LabInputError(f"{root / unknown[0]}: {unknown[0]} is not one of the "
                                    "1000 ILSVRC-2012 classes; remove the folder")
            return {n: (index[n], n) for n in names}
        wnid_class = {w: c for c, ws in parse_wnid_mapping(MAPPING_FILE).items() for w in ws}
        used = {n: (CATEGORIES.index(wnid_class[n]), wnid_class[n])
                for n in names if n in wnid_class}
        if not used:
            raise LabInputError(f"{root}: none of its WNID folders belongs to the 16 classes")
        skipped = len(names) - len(used)
        if skipped:
            log.info("%s: %d WNID folders outside the 16 classes skipped", root, skipped)
        return used
    if head == 1000:
        raise LabInputError(f"{root}: a 1000-way head needs ImageNet WNID folders "
                            "(n01440764/ ...); class-name folders give 16 classes")
    unknown = [n for n in names if n not in CATEGORIES]
    if unknown:
        raise LabInputError(
            f"{root / unknown[0]}: unknown class folder {unknown[0]!r}; class folders must be "
            f"named {', '.join(CATEGORIES)} (or WNIDs)")
    return {n: (CATEGORIES.index(n), n) for n in names}


def scan_folder(root: str | Path, *, head: int, skip_greyscale: bool,
                key: str = "data.train") -> ImageFolder:
    """Every usable image of ``root`` with its label; one-line errors for bad folders,
    empty classes and unreadable images (each file's header is read)."""
    root = Path(root)
    if not root.is_dir():
        raise LabInputError(f"{root}: {key} folder not found; give a folder of class folders")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise LabInputError(f"{root}: no class folders in {key}; give one folder per class")
    labels = _labels(head, folders, root)
    samples: list[Sample] = []
    grey = 0
    for folder in folders:
        if folder.name not in labels:
            continue
        label, name = labels[folder.name]
        files = sorted(p for p in folder.iterdir() if is_image_file(p))
        if not files:
            raise LabInputError(f"{folder}: class folder without images; add images or "
                                "remove the folder")
        for path in files:
            try:
                with Image.open(path) as im:
                    mode = im.mode
            except DECODE_ERRORS as err:
                raise LabInputError(f"{path}: not a readable image ({type(err).__name__}); "
                                    "remove or replace it") from None
            if skip_greyscale and is_greyscale_mode(mode):
                grey += 1
                continue
            samples.append(Sample(f"{folder.name}/{path.name}", label, name))
    if grey:
        log.warning("%s: skipped %d greyscale image(s) (the paper excluded them)", root, grey)
    return ImageFolder(root=root, samples=samples, n_classes=head)


def class_weights(counts: np.ndarray, rule: str) -> np.ndarray:
    """Per-class loss weights: inverse class frequency normalised so that the mean weight
    over the training examples is 1 (absent classes: 0); ``none``: all 1."""
    if rule == "none":
        return np.ones(len(counts))
    n, present = counts.sum(), np.count_nonzero(counts)
    with np.errstate(divide="ignore"):
        return np.where(counts > 0, n / (present * np.maximum(counts, 1)), 0.0)


def _random_resized_crop(h: int, w: int, rng: np.random.Generator) -> tuple[int, int, int, int]:
    """torchvision's RandomResizedCrop box (scale 0.08-1, ratio 3/4-4/3) from ``rng``."""
    area = h * w
    log_ratio = (math.log(3 / 4), math.log(4 / 3))
    for _ in range(10):
        target = area * rng.uniform(0.08, 1.0)
        ratio = math.exp(rng.uniform(*log_ratio))
        cw, ch = round(math.sqrt(target * ratio)), round(math.sqrt(target / ratio))
        if 0 < cw <= w and 0 < ch <= h:
            return int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1)), ch, cw
    side = min(h, w)
    return (h - side) // 2, (w - side) // 2, side, side


def decode(path: Path) -> torch.Tensor:
    try:
        with Image.open(path) as im:
            pixels = np.array(im.convert("RGB"))
    except DECODE_ERRORS as err:
        raise LabInputError(f"{path}: cannot be decoded as an image ({type(err).__name__}); "
                            "remove or replace it") from None
    return chw_tensor(pixels)


def collate_training(items: Sequence[tuple[int, torch.Tensor, int, int, float, int]]
                     ) -> list[torch.Tensor]:
    """A batch of :class:`TrainingImages` items, as the default collate makes it (int64
    indices, labels, manipulations and seeds; float64 parameters) but with the images
    stacked by numpy (:func:`models.loading.stack_images`)."""
    index, images, labels, which, params, seeds = zip(*items, strict=True)
    return [torch.tensor(index, dtype=torch.int64), stack_images(images),
            torch.tensor(labels, dtype=torch.int64), torch.tensor(which, dtype=torch.int64),
            torch.tensor(params, dtype=torch.float64), torch.tensor(seeds, dtype=torch.int64)]


class TrainingImages(Dataset):
    """Items ``(index, uint8 image 3xSxS, label, manipulation, parameter, noise seed)``.

    The crop, the flip and the distortion draw of image ``i`` in an epoch come from its own
    generator (``seed, epoch, i``); eidolons are applied here, in the loader worker.
    """

    def __init__(self, folder: ImageFolder, size: int, crop: str, flip: bool,
                 plan: DistortionPlan, seed: int, train: bool = True) -> None:
        self.folder, self.size, self.crop, self.flip = folder, size, crop, flip
        self.plan, self.seed, self.train = plan, seed, train
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.folder.samples)

    def _geometry(self, image: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
        s = self.size
        mode = InterpolationMode.BILINEAR
        h, w = image.shape[-2:]
        if self.crop == "random-resized" and self.train:
            top, left, ch, cw = _random_resized_crop(h, w, rng)
            image = tvf.resized_crop(image, top, left, ch, cw, [s, s], interpolation=mode,
                                     antialias=True)
        elif self.crop == "resize":
            image = tvf.resize(image, [s, s], interpolation=mode, antialias=True)
        else:  # centre (and the held-out images of a random-resized run)
            image = tvf.resize(image, [round(s / 0.875)], interpolation=mode, antialias=True)
            image = tvf.center_crop(image, [s, s])
        if self.flip and self.train and rng.random() < 0.5:
            image = image.flip(-1)
        return image

    def __getitem__(self, i: int) -> tuple[int, torch.Tensor, int, int, float, int]:
        sample = self.folder.samples[i]
        draw, crop_seed = draw_for(self.plan, self.seed, self.epoch if self.train else 0, i)
        image = self._geometry(decode(self.folder.root / sample.path),
                               np.random.default_rng(crop_seed))
        if draw.manipulation != CLEAN and draw.manipulation in self.plan.worker_ids:
            level = self.plan.worker_levels[draw.manipulation][int(draw.parameter)]
            image = numpy_manipulation(image, level, draw.noise_seed)
        return i, image, sample.label, draw.manipulation, draw.parameter, draw.noise_seed


def numpy_manipulation(image: torch.Tensor, level: Level, seed: int) -> torch.Tensor:
    """A manipulation of :mod:`stimuli.manipulations` (at ``level``) on one 8-bit CxHxW
    image."""
    from lab.images import to_uint8
    from stimuli.manipulations import get_manipulation

    rgb = image.numpy().transpose(1, 2, 0).astype(np.float64) / 255.0
    out = get_manipulation(level.manipulation)(rgb, np.random.default_rng(seed),
                                               **dict(level.parameters))
    return chw_tensor(to_uint8(out))


class ResumableSampler(DistributedSampler):
    """A :class:`DistributedSampler` whose order is a pure function of (seed, epoch) and
    that can start an epoch at any batch (for ``--resume``).

    The epoch's global order (a permutation, or class-balanced draws with replacement) is
    cut to whole global batches; rank ``r`` takes every ``world``-th index from ``r``, so
    step ``k`` of all ranks covers global positions ``[k B, (k+1) B)`` whatever the number
    of ranks.
    """

    def __init__(self, labels: np.ndarray, *, world: int, rank: int, seed: int,
                 global_batch: int, balanced: bool) -> None:
        super().__init__(range(len(labels)), num_replicas=world, rank=rank, shuffle=True,
                         seed=seed, drop_last=True)
        self.labels, self.global_batch, self.balanced = labels, global_batch, balanced
        self.steps = len(labels) // global_batch
        self.start_step = 0

    def set_start(self, step: int) -> None:
        self.start_step = step

    def order(self, epoch: int) -> np.ndarray:
        n = len(self.labels)
        rng = np.random.default_rng([self.seed, epoch, 7919])
        if self.balanced:
            counts = np.bincount(self.labels)
            p = 1.0 / counts[self.labels]
            return rng.choice(n, size=n, replace=True, p=p / p.sum())
        return rng.permutation(n)

    def __iter__(self):
        order = self.order(self.epoch)[: self.steps * self.global_batch]
        mine = order[self.rank::self.num_replicas]
        per_rank = self.global_batch // self.num_replicas
        return iter(mine[self.start_step * per_rank:].tolist())

    def __len__(self) -> int:
        return (self.steps - self.start_step) * (self.global_batch // self.num_replicas)


def write_manifest(folder: ImageFolder, path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(folder.manifest_text())
