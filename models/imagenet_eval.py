"""Top-1 on ImageNet-style folders: the generalisation targets of Gavrikov & Keuper (2024)
(``paulgavrikov/biases_vs_generalization``, ``code/eval_imagenet_ood.py``,
``eval_imagenet_c.py``) on a lab's own copies.

A folder holds one sub-folder per class named by its WordNet id (``n01440764/...``), at any
depth: ImageNet val / -v2 / -Sketch / -R / -A directly, ImageNet-C as
``<corruption>/<severity>/<wnid>/``; the path above the wnid folder is the trial's
``condition`` (empty for a flat folder). Class index = the wnid's position in the 1000
sorted ILSVRC-2012 wnids (``wnids``).

* ``1000-way`` (val, v2, Sketch, C): top-1 over all 1000 logits;
* ``masked`` (A, R: 200 classes each): top-1 over the logits of the classes present as
  folders only (their ``indices_in_1k`` / ``imagenet_r_mask``; for the full -A and -R sets
  exactly their 200 classes; derived from the folder so a small copy works too).

Images: ``Resize(256)`` (shorter side, bilinear, antialiased) + ``CenterCrop(224)``, then the
model's own normalisation; ImageNet-C images are used as stored (``resize_crop=False``,
theirs). The result is one row per image in the trial table's terms: ``experiment``
(``imagenet-<variant>``), ``observer`` (the model), ``condition``, ``image``, ``category``
(true wnid), ``response`` (predicted wnid), ``correct``, plus ``n_way``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from PIL import Image
from torch import nn

from lab.errors import LabInputError

VARIANTS: dict[str, str] = {"val": "1000-way", "v2": "1000-way", "sketch": "1000-way",
                            "c": "1000-way", "r": "masked", "a": "masked"}
_WNID = re.compile(r"^n\d{8}$")
_IMAGE = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def list_images(root: str | Path) -> list[tuple[Path, str, str]]:
    """``(file, wnid, condition)`` for every image under a wnid folder below ``root``,
    sorted."""
    root = Path(root)
    if not root.is_dir():
        raise LabInputError(f"{root}: not a folder; give an ImageNet-style folder "
                            "(one sub-folder per wnid)")
    out = []
    for folder in sorted(p for p in root.rglob("*") if p.is_dir() and _WNID.match(p.name)):
        condition = folder.parent.relative_to(root).as_posix()
        condition = "" if condition == "." else condition
        for f in sorted(folder.iterdir()):
            if f.is_file() and f.suffix.lower() in _IMAGE:
                out.append((f, folder.name, condition))
    if not out:
        raise LabInputError(f"{root}: no images in wnid folders (n01440764/...)")
    return out


def load_image(path: Path, resize_crop: bool = True) -> torch.Tensor:
    """``(3, H, W)`` in [0, 1]; with ``resize_crop``: shorter side 256, central 224."""
    with Image.open(path) as im:
        im = im.convert("RGB")
        if resize_crop:
            w, h = im.size
            # torchvision Resize(256): the longer side truncated, as int(256 * long / short)
            size = (256, int(256 * h / w)) if w <= h else (int(256 * w / h), 256)
            im = im.resize(size, Image.BILINEAR)
            w, h = im.size
            left, top = round((w - 224) / 2), round((h - 224) / 2)
            im = im.crop((left, top, left + 224, top + 224))
        a = np.asarray(im, dtype=np.float32) / 255.0
    return torch.from_numpy(a).permute(2, 0, 1).contiguous()


def evaluate_folder(model: nn.Module, root: str | Path, wnids: list[str], *, variant: str,
                    name: str = "model", batch_size: int = 64,
                    device: torch.device | str = "cpu", mean=MEAN, std=STD) -> pd.DataFrame:
    """Top-1 per image of ``model`` (1000 logits, normalised input) on the folder."""
    if variant not in VARIANTS:
        raise LabInputError(f"variant {variant!r}: use one of {', '.join(VARIANTS)}")
    if len(wnids) != 1000 or len(set(wnids)) != 1000:
        raise LabInputError("wnids: give the 1000 ILSVRC-2012 wnids in their order")
    index = {w: i for i, w in enumerate(wnids)}
    files = list_images(root)
    unknown = sorted({w for _, w, _ in files} - set(index))
    if unknown:
        raise LabInputError(f"{root}: folder {unknown[0]} is not an ILSVRC-2012 wnid")
    masked = VARIANTS[variant] == "masked"
    columns = torch.tensor(sorted({index[w] for _, w, _ in files}))
    m = torch.tensor(mean).view(1, 3, 1, 1)
    s = torch.tensor(std).view(1, 3, 1, 1)
    model = model.to(device).eval()
    predicted = []
    for lo in range(0, len(files), batch_size):
        part = files[lo:lo + batch_size]
        x = torch.stack([load_image(f, resize_crop=variant != "c") for f, _, _ in part])
        with torch.inference_mode():
            logits = model(((x - m) / s).to(device)).float().cpu()
        pick = columns[logits[:, columns].argmax(1)] if masked else logits.argmax(1)
        predicted.extend(int(p) for p in pick)
    rows = [(f"imagenet-{variant}", name, cond, str(Path(f).relative_to(root)), w,
             wnids[p], wnids[p] == w, len(columns) if masked else 1000)
            for (f, w, cond), p in zip(files, predicted, strict=True)]
    return pd.DataFrame(rows, columns=["experiment", "observer", "condition", "image",
                                       "category", "response", "correct", "n_way"])
