"""Reading stimulus files into batches: decode, resize or crop, stack as 8-bit tensors.

Workers only decode and resize (8-bit, CxHxW); the conversion to float, normalisation
and ``channels_last`` happen on the device, batch-wise (:func:`normalise`). Each item
carries its position in the manifest, so sharded and padded loads can be put back in
manifest order.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms import InterpolationMode
from torchvision.transforms.v2 import functional as tvf

from lab.errors import LabInputError
from models.registry import Preprocessing


def fit_to_input(image: torch.Tensor, pre: Preprocessing) -> torch.Tensor:
    """An 8-bit CxHxW image at ``pre.input_size`` following ``pre.resize``.

    ``resize``: the whole picture scaled to the input size (antialiased); ``centre-crop``:
    the central square cut out (after scaling up a picture smaller than the input).
    A picture already at the input size is returned unchanged.
    """
    size = pre.input_size
    h, w = image.shape[-2:]
    if (h, w) == (size, size):
        return image
    mode = InterpolationMode(pre.interpolation)
    if pre.resize == "centre-crop":
        if min(h, w) < size:
            image = tvf.resize(image, [size], interpolation=mode, antialias=True)
        return tvf.center_crop(image, [size, size])
    return tvf.resize(image, [size, size], interpolation=mode, antialias=True)


def read_image(path: str | Path) -> torch.Tensor:
    """Decode an image file with Pillow to 8-bit RGB, CxHxW (grey files get three equal
    channels)."""
    try:
        with Image.open(path) as image:
            pixels = np.array(image.convert("RGB"))  # a writable copy
    except (OSError, ValueError) as err:  # PIL's UnidentifiedImageError is an OSError
        raise LabInputError(
            f"{path}: cannot be decoded as an image ({type(err).__name__}); rebuild the set"
        ) from None
    return chw_tensor(pixels)


def chw_tensor(pixels: np.ndarray) -> torch.Tensor:
    """An HxWx3 8-bit array as a CxHxW tensor, reordered by numpy (one copy, no torch
    kernel: torch's permute + contiguous contends for threads in loader workers on a busy
    CPU, about 10x slower than this on 2 cores)."""
    return torch.from_numpy(np.ascontiguousarray(pixels.transpose(2, 0, 1)))


def stack_images(images: Sequence[torch.Tensor]) -> torch.Tensor:
    """Equal-sized 8-bit images as one NxCxHxW tensor, stacked by numpy."""
    return torch.from_numpy(np.stack([image.numpy() for image in images]))


def collate_stimuli(items: Sequence[tuple[int, torch.Tensor]]) -> tuple[torch.Tensor,
                                                                         torch.Tensor]:
    """``(positions, images)`` of a batch: the DataLoader's default collate does the same
    with torch ops, which are slow in busy loader workers (see :func:`chw_tensor`)."""
    positions = torch.tensor([pos for pos, _ in items], dtype=torch.int64)
    return positions, stack_images([image for _, image in items])


def shard_positions(n: int, rank: int, world: int, start: int = 0) -> list[int]:
    """Manifest positions ``start..n-1`` for ``rank`` of ``world``: every ``world``-th,
    starting at ``start + rank``, padded so each rank has the same count. Positions ``>= n``
    are padding (they load image ``pos % n`` and are dropped when results are gathered).

    With equal batch sizes, step ``k`` of all ranks together covers the contiguous block
    of positions ``[k*B*world, (k+1)*B*world)``, so results can be written in manifest order
    as they arrive.
    """
    per_rank = -(-(n - start) // world)
    return list(range(start + rank, start + per_rank * world, world))


class StimulusDataset(Dataset):
    """Items ``(position, uint8 image 3 x S x S)`` for the given manifest positions."""

    def __init__(
        self, root: str | Path, files: Sequence[str], pre: Preprocessing,
        positions: Sequence[int] | None = None,
    ) -> None:
        self.root = Path(root)
        self.files = list(files)
        self.pre = pre
        self.positions = list(range(len(self.files)) if positions is None else positions)

    def __len__(self) -> int:
        return len(self.positions)

    def __getitem__(self, i: int) -> tuple[int, torch.Tensor]:
        pos = self.positions[i]
        image = read_image(self.root / self.files[pos % len(self.files)])
        return pos, fit_to_input(image, self.pre)


def make_loader(
    dataset: StimulusDataset, *, batch_size: int, workers: int, pin_memory: bool
) -> DataLoader:
    """A DataLoader in dataset order (never shuffled)."""
    return DataLoader(
        dataset, batch_size=batch_size, shuffle=False, num_workers=workers,
        pin_memory=pin_memory, prefetch_factor=4 if workers else None,
        persistent_workers=False, collate_fn=collate_stimuli,
    )


def normalise(
    batch: torch.Tensor, pre: Preprocessing, device: torch.device
) -> torch.Tensor:
    """8-bit NCHW batch -> float32 normalised batch on ``device``, channels_last."""
    a, b = pre.affine()
    x = batch.to(device, non_blocking=True).float()
    scale = torch.tensor(a, dtype=torch.float32, device=device).view(1, 3, 1, 1)
    shift = torch.tensor(b, dtype=torch.float32, device=device).view(1, 3, 1, 1)
    x = torch.addcmul(shift, x, scale)
    return x.contiguous(memory_format=torch.channels_last)
