"""Reading source images and writing 8-bit stimulus files (Pillow).

Convention: float RGB in [0, 1], ``(H, W, 3)``. Files are written as 8-bit RGB PNG with
rounding (``floor(255 x + 0.5)``), never truncation, and without metadata, so the same
pixels always give the same bytes.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from stimuli.errors import LabInputError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
#: Pillow modes of single-channel (greyscale) files: the paper excluded such sources.
GREY_MODES = ("1", "L", "LA", "I", "I;16", "F")
#: What Pillow raises for unreadable, truncated or corrupt files.
_DECODE_ERRORS = (OSError, UnidentifiedImageError, ValueError, SyntaxError, EOFError)


def is_image_file(path: Path) -> bool:
    return (path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES
            and not path.name.startswith("."))


def image_mode(path: Path) -> str:
    """Pillow mode from the file header (cheap); LabInputError if unreadable."""
    try:
        with Image.open(path) as im:
            return im.mode
    except _DECODE_ERRORS as err:
        raise LabInputError(f"{path}: not a readable image ({err}); remove or replace it") from err


def is_greyscale_mode(mode: str) -> bool:
    return mode in GREY_MODES


def load_rgb(path: str | Path, size: int | None = None) -> np.ndarray:
    """Decode ``path`` to float64 RGB in [0, 1]; LabInputError naming the file if corrupt.

    With ``size``: centre-crop to a square and resize (Lanczos) to ``size`` px when not
    already that size, on the 8-bit pixels, exactly as :func:`fit_square`.
    """
    path = Path(path)
    try:
        with Image.open(path) as im:
            im.load()
            rgb = im.convert("RGB")
    except _DECODE_ERRORS as err:
        raise LabInputError(f"{path}: not a readable image ({err}); remove or replace it") from err
    if size is not None:
        rgb = _fit_square_pil(rgb, size)
    return np.asarray(rgb, dtype=np.float64) / 255.0


def _fit_square_pil(im: Image.Image, size: int) -> Image.Image:
    w, h = im.size
    if (w, h) == (size, size):
        return im
    side = min(w, h)
    left, top = (w - side) // 2, (h - side) // 2
    square = im.crop((left, top, left + side, top + side))
    if side == size:
        return square
    return square.resize((size, size), Image.Resampling.LANCZOS)


def fit_square(image: np.ndarray, size: int) -> np.ndarray:
    """Centre-crop to a square, then resize (Lanczos) to ``size`` px if not already that.

    Resizing is done on the 8-bit values with Pillow's Lanczos filter.
    """
    if image.shape[:2] == (size, size):
        return image
    im = _fit_square_pil(Image.fromarray(to_uint8(image)), size)
    return np.asarray(im, dtype=np.float64) / 255.0


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Float [0, 1] -> uint8 with rounding half up (``floor(255 x + 0.5)``), clipped."""
    return np.floor(np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def png_bytes(image: np.ndarray) -> bytes:
    """8-bit RGB PNG bytes of a float image (deterministic: no metadata)."""
    buf = io.BytesIO()
    Image.fromarray(to_uint8(image)).save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


def write_png(image: np.ndarray, path: str | Path) -> None:
    """Write ``image`` as an 8-bit RGB PNG with rounding."""
    Path(path).write_bytes(png_bytes(image))
