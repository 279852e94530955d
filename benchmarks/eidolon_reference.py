"""The original Eidolon toolbox as the 2018 code called it, and the measures used to
compare our eidolons with it (benchmarks and tests only; never imported by the product).

The toolbox (a Python 3 port of gestaltrevision/Eidolon with its pull request #1, and the
2018 code's ``wrapper.py``) lives in ``../shared/reference/eidolon-toolbox`` beside the
repository; :func:`load_toolbox` returns ``None`` where it is absent.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from types import ModuleType

import numpy as np
from PIL import Image

TOOLBOX = Path(__file__).resolve().parents[1] / ".." / "shared" / "reference" / "eidolon-toolbox"


def load_toolbox() -> ModuleType | None:
    """The 2018 ``wrapper`` module (it imports the toolbox), or ``None`` if absent."""
    if not (TOOLBOX / "wrapper.py").is_file():
        return None
    for folder in (TOOLBOX, TOOLBOX / "eidolon"):  # the toolbox imports its modules flat
        if str(folder) not in sys.path:
            sys.path.append(str(folder))
    import helpers
    import noise
    import wrapper

    for module in (wrapper, helpers, noise):  # generic names: make sure they are the toolbox's
        if TOOLBOX.resolve() not in Path(module.__file__).resolve().parents:
            raise RuntimeError(f"module {module.__name__!r} comes from {module.__file__}, "
                               f"not from the toolbox at {TOOLBOX}")
    return wrapper


def toolbox_eidolon(wrapper: ModuleType, rgb8: np.ndarray, *, reach: float,
                    coherence: float, grain: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(grey input, eidolon)`` as uint8 ``(H, W)`` arrays, from the 2018 wrapper's
    ``partially_coherent_disarray(load_pic(png), ...)`` after ``np.random.seed(seed)``.

    The picture is loaded at its own side (the 2018 code resized to 256 px first); the
    wrapper's scale levels (1/sqrt(2) to 32 px, noise scaled by sigma / 64) are kept.
    The global numpy random state is restored afterwards.
    """
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.png"
        Image.fromarray(rgb8).save(path)
        pic = wrapper.load_pic(str(path), sz=max(rgb8.shape[:2]))
        grey = np.asarray(pic.fiducialImage)
        state = np.random.get_state()
        try:
            np.random.seed(seed)
            out = wrapper.partially_coherent_disarray(pic, reach, coherence, grain)
        finally:
            np.random.set_state(state)
    return grey, np.asarray(out)


def toolbox_grid(wrapper: ModuleType, rgb8: np.ndarray, *, reaches, coherences,
                 grain: float, seed: int) -> tuple[np.ndarray, dict]:
    """``(grey input, {(reach, coherence): eidolon})`` (uint8), each equal to
    :func:`toolbox_eidolon` with the same seed, for a whole grid of conditions at the
    cost of about one.

    This is the wrapper's ``partially_coherent_disarray`` taken apart with the toolbox's
    own classes: after ``np.random.seed(seed)`` the toolbox draws the same coherent and
    incoherent noise planes whatever the reach and coherence (the coherence only weights
    them, the reach only scales them), so they are drawn once, in the wrapper's order,
    and every condition is synthesised from them by the toolbox's ``DataPlaneDisarray``.
    """
    import helpers as hel  # the toolbox's own modules (flat imports, as it does itself)
    import noise as noi
    import scalespaces as scl

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.png"
        Image.fromarray(rgb8).save(path)
        pic = wrapper.load_pic(str(path), sz=max(rgb8.shape[:2]))
        grey = np.asarray(pic.fiducialImage)
    hh, ww = pic.fatFiducialDataPlane.shape
    n = pic.numScaleLevels
    dog = scl.DOGScaleSpace(pic)
    layers = [dog.next() for _ in range(n)]
    state = np.random.get_state()
    try:
        np.random.seed(seed)
        stacks = [noi.PartiallyCoherentScaledGaussianDataStack(
            n, ww, hh, grain, pic.MAX_SIGMA, pic.scaleLevels, 0.5) for _ in range(2)]
        planes = []  # per level: (x incoherent, x coherent, y incoherent, y coherent)
        for _ in range(n):
            level = []
            for stack in stacks:  # the wrapper's order: x.next(), then y.next()
                level += [stack.incoh.next(), stack.coh.next().copy()]
            planes.append(level)
    finally:
        np.random.set_state(state)
    out = {}
    for d in coherences:
        fields = [((1 - d) * xi + d * xc, (1 - d) * yi + d * yc) for xi, xc, yi, yc in planes]
        for reach in reaches:
            tmp = np.zeros((hh, ww))
            for layer, (fx, fy) in zip(layers, fields, strict=True):
                tmp += hel.DataPlaneDisarray(layer, fx, fy, reach)
            out[(reach, d)] = pic.DisembedDataPlane(tmp)  # uint8, as the wrapper returns it
    return grey, out


def our_grid(rgb8: np.ndarray, *, reaches, coherences, grain: float, seed: int,
             variant: str = "toolbox") -> tuple[np.ndarray, dict]:
    """Like :func:`toolbox_grid` for our ``eidolon(..., rng=default_rng(seed))``: the
    grey input (float) and ``{(reach, coherence): eidolon}`` as the set writer stores it
    (uint8, rounded). The scale space is made once per picture and the fields once per
    coherence (at reach 1, then scaled), exactly as ``eidolon`` makes them."""
    from stimuli.manipulations import eidolon as eid

    v = eid.VARIANTS[variant]
    grey = v.grey(rgb8[None].astype(np.float64) / 255.0)
    fat, (top, left) = eid.embed(grey)
    h, w = grey.shape[1:]
    crop = (slice(top, top + h), slice(left, left + w))
    sigmas = v.levels()
    layers = eid.dog_layers(fat, sigmas, v)
    out = {}
    for d in coherences:
        fields = eid.displacement_fields(np.random.default_rng(seed), 1, fat.shape[1:], crop,
                                         sigmas, reach=1.0, coherence=d, grain=grain,
                                         variant=v)
        for reach in reaches:
            image = eid.synthesize(layers, fields * np.float32(reach), (top, left), v)[0]
            out[(reach, d)] = np.floor(np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return grey[0], out


def mean_abs_difference(out: np.ndarray, grey: np.ndarray) -> float:
    """Mean absolute difference from the grey input, in units of the full range [0, 1]
    (pass uint8 arrays or floats in [0, 1] alike: uint8 are divided by 255)."""
    return float(np.mean(np.abs(_unit(out) - _unit(grey))))


def fine_detail(out: np.ndarray, grey: np.ndarray) -> float:
    """Mean Fourier amplitude of ``out`` at the finest frequencies (a quarter to a half
    cycle per pixel: 65-128 cycles/image at 256 px), relative to that of ``grey``."""
    return _band_amplitude(_unit(out)) / _band_amplitude(_unit(grey))


def _band_amplitude(image: np.ndarray) -> float:
    h, w = image.shape
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.fftfreq(w)[None, :]
    r = np.sqrt(fy**2 + fx**2)
    band = (r > 0.25) & (r <= 0.5)
    return float(np.abs(np.fft.fft2(image))[band].mean())


def _unit(image: np.ndarray) -> np.ndarray:
    arr = np.asarray(image)
    return arr / 255.0 if arr.dtype == np.uint8 else arr.astype(np.float64)


def sample_pictures(side: int = 256, count: int = 3) -> list[np.ndarray]:
    """``count`` natural 8-bit RGB pictures at ``side`` px (Lanczos) from the repository:
    the 2018 example image, the 2018 test image, then bundled demo images."""
    repo = Path(__file__).resolve().parents[1]
    paths = [repo / "stimuli" / "data" / "example_image.png",
             repo / "stimuli" / "data" / "test_image.JPEG"]
    paths += sorted((repo / "stimuli" / "demo" / "source").glob("*/*.png"))[::7]
    images = []
    for path in paths[:count]:
        with Image.open(path) as im:
            rgb = im.convert("RGB").resize((side, side), Image.Resampling.LANCZOS)
        images.append(np.asarray(rgb))
    return images
