"""Reading source images and writing 8-bit stimulus files (Pillow).

Convention: float RGB in [0, 1], ``(H, W, 3)``. Files are written as 8-bit PNG with
rounding (``floor(255 x + 0.5)``), never truncation, and without metadata, so the same
pixels always give the same bytes: greyscale PNG when the three channels are equal (grey
stimuli), RGB otherwise; read them with ``.convert("RGB")``.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from lab.errors import LabInputError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
#: Pillow modes of single-channel (greyscale) files: the paper excluded such sources.
GREY_MODES = ("1", "L", "LA", "I", "I;16", "F")
#: What Pillow raises for unreadable, truncated or corrupt files.
DECODE_ERRORS = (OSError, UnidentifiedImageError, ValueError, SyntaxError, EOFError,
                 Image.DecompressionBombError)
#: Smallest usable source side in px: a smaller picture has no content to resize from.
MIN_SOURCE_SIDE = 16
#: Largest source in pixels (Pillow's decompression-bomb warning level, about 89 MP):
#: checked from the header, before anything is decoded.
MAX_SOURCE_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485


def is_image_file(path: Path) -> bool:
    return (path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES
            and not path.name.startswith("."))


def image_mode(path: Path) -> str:
    """Pillow mode from the file header (cheap); LabInputError if unreadable, smaller than
    :data:`MIN_SOURCE_SIDE` or larger than :data:`MAX_SOURCE_PIXELS`."""
    try:
        with quiet_bombs(), Image.open(path) as im:
            check_source_size(path, im.size)
            return im.mode
    except DECODE_ERRORS as err:
        raise LabInputError(f"{path}: not a readable image ({err}); remove or replace it") from err


@contextlib.contextmanager
def quiet_bombs() -> Iterator[None]:
    """Pillow's decompression-bomb warning off: callers check the size and refuse."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        yield


def check_source_size(path: Path, size: tuple[int, int], minimum: int = MIN_SOURCE_SIDE
                      ) -> None:
    """One-line refusal of a source too small to resize from or too large to decode."""
    w, h = size
    if min(w, h) < minimum:
        raise LabInputError(
            f"{path}: {w}x{h} px; a source image needs at least {MIN_SOURCE_SIDE} px on its "
            "shorter side; remove or replace it"
        )
    if w * h > MAX_SOURCE_PIXELS:
        raise LabInputError(
            f"{path}: {w}x{h} px is over {MAX_SOURCE_PIXELS // 1_000_000} megapixels "
            "(a decompression bomb or a mistake); remove it or scale it down"
        )


def is_greyscale_mode(mode: str) -> bool:
    return mode in GREY_MODES


def load_rgb(path: str | Path, size: int | None = None) -> np.ndarray:
    """Decode ``path`` to float64 RGB in [0, 1]; LabInputError naming the file if corrupt.

    With ``size``: centre-crop to a square and resize (Lanczos) to ``size`` px when not
    already that size, on the 8-bit pixels, exactly as :func:`fit_square`; the source must
    then be at least :data:`MIN_SOURCE_SIDE` px. Headers over :data:`MAX_SOURCE_PIXELS`
    are refused before decoding.
    """
    path = Path(path)
    try:
        with quiet_bombs(), Image.open(path) as im:
            check_source_size(path, im.size, MIN_SOURCE_SIDE if size is not None else 1)
            im.load()
            rgb = im if im.mode == "RGB" else im.convert("RGB")  # no copy of an RGB file
    except DECODE_ERRORS as err:
        raise LabInputError(f"{path}: not a readable image ({err}); remove or replace it") from err
    if size is not None:
        rgb = _fit_square_pil(rgb, size)
    # one pass: each 8-bit value converted exactly, then divided by 255
    return np.true_divide(np.asarray(rgb), 255.0, dtype=np.float64)


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
    scaled = np.clip(image, 0.0, 1.0)  # a new array, then the same steps in place
    scaled *= 255.0
    scaled += 0.5
    np.floor(scaled, out=scaled)
    return scaled.astype(np.uint8)


#: zlib level of the PNG files. Every level is lossless (the same pixels); level 1 writes
#: 3 to 10 times faster than 6 and the files are at most about 15 % larger.
PNG_COMPRESS_LEVEL = 1


def png_bytes(image: np.ndarray, *, rgb: bool = False) -> bytes:
    """8-bit PNG bytes of a float RGB image ``(H, W, 3)``, or of a grey one ``(H, W)``
    (deterministic: no metadata).

    An image whose three channels are equal after rounding (every grey stimulus) is stored
    as an 8-bit greyscale PNG, as the 2018 code stored most of its grey stimuli: the same
    pixels (read back as RGB they are the three equal channels), a third of the data to
    compress. Other images are stored as 8-bit RGB. ``rgb=True`` stores every image as
    8-bit RGB, grey ones as three identical channels (``stimuli build --rgb-files``).
    """
    pixels = to_uint8(image)
    if rgb and pixels.ndim == 2:
        pixels = np.repeat(pixels[..., None], 3, axis=2)
    elif (not rgb and pixels.ndim == 3 and np.array_equal(pixels[..., 0], pixels[..., 1])
            and np.array_equal(pixels[..., 0], pixels[..., 2])):
        pixels = pixels[..., 0]
    pixels = np.ascontiguousarray(pixels)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buf.getvalue()


def write_png(image: np.ndarray, path: str | Path) -> None:
    """Write ``image`` as an 8-bit PNG with rounding (greyscale if its channels are
    equal, see :func:`png_bytes`)."""
    Path(path).write_bytes(png_bytes(image))
