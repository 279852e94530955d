"""Speed of the stimulus manipulations and of ``build`` (run on demand, not in tests).

    .venv/bin/python benchmarks/stimuli_speed.py [--quick] [--blas-threads N]

For every manipulation it times, in the same process, (a) a plain reference: a loop over
images, one float64 image at a time, written the straightforward way (elementwise grey,
``scipy.ndimage`` per image, ``np.fft.fft2`` per image, a direct port of the Eidolon
toolbox's level-by-level FFT blurs); (b) the library: one call on a float32 batch. It
prints images/s and the ratio. Then it times ``build`` with 2 workers against a plain
sequential loop (load, crop/resize, reference manipulation, PNG, sha256).

BLAS runs single-threaded by default (``--blas-threads 1``, set before numpy is
imported): on a shared 2-core machine a multi-threaded GEMM competing with other jobs was
4x slower than a single-threaded one, which measures the neighbours, not the code. The
plain loop uses no BLAS-heavy calls, so the comparison stays single-core against
single-core (the library's batch call) and 2 workers against 1 process (``build``).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _blas_threads_from_argv() -> str:
    """``--blas-threads`` must act before numpy is imported, so read it here."""
    if "--blas-threads" in sys.argv:
        return sys.argv[sys.argv.index("--blas-threads") + 1]
    return "1"


for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, _blas_threads_from_argv())

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from scipy.ndimage import gaussian_filter  # noqa: E402

from lab.design import load_experiment  # noqa: E402
from stimuli.builder import build_set  # noqa: E402
from stimuli.data_files import display_gamma_curve, mean_power_spectrum  # noqa: E402
from stimuli.manipulations import get_manipulation  # noqa: E402
from stimuli.manipulations.opponent import WHITE_POINT, M, N  # noqa: E402

# ------------------------------------------------------------------ plain references


def ref_grey(img):
    return 0.2125 * img[:, :, 0] + 0.7154 * img[:, :, 1] + 0.0721 * img[:, :, 2]


def ref_rgb(g):
    return np.clip(np.dstack([g, g, g]), 0, 1)


def ref_colour(img, cond, rng):
    return img.copy() if cond == "cr" else ref_rgb(ref_grey(img))


def ref_contrast(img, cond, rng):
    c = int(cond[1:]) / 100
    return ref_rgb(c * ref_grey(img) + (1 - c) / 2)


def ref_uniform_noise(img, cond, rng):
    g = 0.3 * ref_grey(img) + 0.35
    w = float(cond)
    return ref_rgb(g + rng.uniform(-w, w, size=g.shape))


def ref_salt_and_pepper(img, cond, rng):
    g = 0.3 * ref_grey(img) + 0.35
    p = float(cond)
    u = rng.random(g.shape)
    g[u < p / 2] = 1.0
    g[(u >= p / 2) & (u < p)] = 0.0
    return ref_rgb(g)


def ref_rotation(img, cond, rng):
    return ref_rgb(np.rot90(ref_grey(img), int(cond) // 90))


def ref_low_pass(img, cond, rng):
    return ref_rgb(gaussian_filter(ref_grey(img), float(cond), mode="constant", cval=0.4423))


def ref_high_pass(img, cond, rng):
    g = ref_grey(img)
    d = g - gaussian_filter(g, float(cond), mode="constant", cval=0.4423)
    return ref_rgb(d + 0.4423 - d.mean())


def ref_phase_noise(img, cond, rng):
    g = ref_grey(img)
    h, w = g.shape
    u = np.deg2rad(rng.uniform(-float(cond), float(cond), size=(h, w)))
    my, mx = (-np.arange(h)) % h, (-np.arange(w)) % w
    flat = np.arange(h * w).reshape(h, w)
    mirror = flat[my][:, mx]
    noise = np.where(flat < mirror, u, -u[my][:, mx])
    noise[flat == mirror] = 0
    return ref_rgb(np.fft.ifft2(np.fft.fft2(g) * np.exp(1j * noise)).real)


def ref_phase_noise_original(img, cond, rng):
    g = ref_grey(img)
    u = np.deg2rad(rng.uniform(-float(cond), float(cond), size=g.shape))
    return ref_rgb(np.fft.ifft2(np.fft.fft2(g) * np.exp(1j * u)).real)


def ref_power_equalisation(img, cond, rng):
    f = np.fft.fftshift(np.fft.fft2(ref_grey(img)))
    new = mean_power_spectrum() * np.exp(1j * np.angle(f))
    return ref_rgb(np.fft.ifft2(np.fft.ifftshift(new)).real)


def ref_opponent_colour(img, cond, rng):
    curve = display_gamma_curve()
    lin = curve[np.floor(img * 255 + 0.5).astype(int)]
    dkl = np.einsum("ij,hwj->hwi", N, np.einsum("ij,hwj->hwi", M, lin) - WHITE_POINT)
    dkl[..., 1:] *= -1
    cones = np.einsum("ij,hwj->hwi", np.linalg.inv(N), dkl) + WHITE_POINT
    back = np.clip(np.einsum("ij,hwj->hwi", np.linalg.inv(M), cones), 0, 1)
    return np.argmin(np.abs(back[..., None] - curve), axis=-1) / 255.0


def ref_eidolon(img, cond, rng):
    """Direct port of the toolbox's structure: full complex FFTs, level by level."""
    reach, coh, grain = (float(x) for x in cond.split("-"))
    coh /= 10
    g = ref_grey(img)
    h = g.shape[0]
    side = 1 << math.ceil(math.log2(1.5 * h))
    pad = (side - h) // 2
    fat = np.pad(g, ((pad, side - h - pad), (pad, side - h - pad)), mode="symmetric")
    sigmas = (1 / math.sqrt(2)) * math.sqrt(2) ** np.arange(14)
    f2 = np.fft.fftfreq(side)[:, None] ** 2 + np.fft.fftfreq(side)[None, :] ** 2

    def blur(x, s):
        return np.fft.ifft2(np.fft.fft2(x) * np.exp(-2 * math.pi**2 * s**2 * f2)).real

    blurred = [blur(fat, s) for s in sigmas]
    layers = [fat - blurred[0]] + [blurred[k] - blurred[k + 1] for k in range(13)]
    layers.append(blurred[-1])

    def field_stack():
        planes = [blur(26 * rng.standard_normal((side, side)), s) * s / 64 for s in sigmas]
        coherent = [sum(planes[k:]) for k in range(14)]
        incoherent = [blur(26 * rng.standard_normal((side, side)), grain) for _ in sigmas]
        return [coh * c + (1 - coh) * i for c, i in zip(coherent, incoherent, strict=True)]

    dy, dx = field_stack(), field_stack()
    dy, dx = [dy[0]] + dy, [dx[0]] + dx
    rows, cols = np.indices((side, side))
    out = np.zeros((side, side))
    for layer, fy, fx in zip(layers, dy, dx, strict=True):
        y = np.clip(rows + np.rint(reach * fy).astype(int), 0, side - 1)
        x = np.clip(cols + np.rint(reach * fx).astype(int), 0, side - 1)
        out += layer[y, x]
    return ref_rgb(out[pad:pad + h, pad:pad + h])


REFERENCE: dict[str, tuple[Callable, str, int]] = {  # name: (reference, condition, size)
    "none": (lambda img, c, r: img.copy(), "0", 224),
    "colour": (ref_colour, "bw", 256),
    "contrast": (ref_contrast, "c10", 256),
    "uniform-noise": (ref_uniform_noise, "0.35", 256),
    "salt-and-pepper": (ref_salt_and_pepper, "0.35", 256),
    "rotation": (ref_rotation, "90", 224),
    "low-pass": (ref_low_pass, "10", 224),
    "high-pass": (ref_high_pass, "1", 224),
    "phase-noise": (ref_phase_noise, "90", 224),
    "phase-noise-original": (ref_phase_noise_original, "90", 224),
    "power-equalisation": (ref_power_equalisation, "pow", 224),
    "opponent-colour": (ref_opponent_colour, "false", 224),
    "eidolon-I": (ref_eidolon, "8-10-10", 256),
    "eidolon-II": (ref_eidolon, "8-3-10", 256),
    "eidolon-III": (ref_eidolon, "8-0-10", 256),
}


#: The experiment whose design maps a reference's condition code to the library's numbers.
EXPERIMENT_OF = {"none": "cue-conflict", "phase-noise": "phase-scrambling",
                 "opponent-colour": "false-colour", "eidolon-I": "eidolonI",
                 "eidolon-II": "eidolonII", "eidolon-III": "eidolonIII"}


def library_call(name: str, cond: str) -> Callable:
    """The library's manipulation for the reference ``name`` at code ``cond``:
    ``f(images, rng)``."""
    if name == "salt-and-pepper":
        m, params = get_manipulation(name), {"probability": float(cond)}
    elif name == "phase-noise-original":
        m, params = get_manipulation(name), {"width": float(cond)}
    else:
        design = load_experiment(EXPERIMENT_OF.get(name, name))
        m, params = get_manipulation(design.manipulation), design.parameters_of(cond)
    return lambda images, rng=None: m(images, rng, **params)


#: Manipulations whose condition above draws no random numbers.
DETERMINISTIC = ("none", "colour", "contrast", "rotation", "low-pass", "high-pass",
                 "power-equalisation", "opponent-colour")


def best_rate(fn: Callable[[], object], n_images: int, repeats: int) -> float:
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return n_images / best


def bench_manipulations(quick: bool) -> None:
    print(f"{'manipulation':22s} {'plain img/s':>12s} {'batch img/s':>12s} {'ratio':>7s}")
    for name, (ref, cond, size) in REFERENCE.items():
        heavy = name.startswith("eidolon")
        n = (2 if quick else 4) if heavy else (16 if quick else 64)
        gen = np.random.default_rng(0)
        images64 = gen.random((n, size, size, 3))
        images32 = images64.astype(np.float32)
        m = library_call(name, cond)
        if name in DETERMINISTIC:  # the reference computes the same images
            for img in images64[:2]:
                diff = np.abs(ref(img, cond, None) - m(img)).max()
                assert diff <= 1.0 / 255 + 1e-9, f"{name}: reference differs by {diff}"
        plain = best_rate(lambda ref=ref, cond=cond, images64=images64: [
            ref(img, cond, np.random.default_rng(i)) for i, img in enumerate(images64)],
            n, 1 if heavy else 3)
        fast = best_rate(lambda m=m, images32=images32:
                         m(images32, np.random.default_rng(0)), n, 1 if heavy else 3)
        print(f"{name:22s} {plain:12.1f} {fast:12.1f} {fast / plain:6.1f}x")


def plain_build(source: Path, out: Path, experiment: str, per_condition: int) -> int:
    """Sequential reference for ``build``: same plan, reference manipulation, PNG, sha."""
    from stimuli.builder import plan_set, scan_sources, stimulus_name
    design = load_experiment(experiment)
    label = {v: k for k, v in EXPERIMENT_OF.items()}.get(experiment, experiment)
    ref, _, _ = REFERENCE[label]
    plan = plan_set(design, scan_sources(source, design), per_condition, seed=0)
    out.mkdir()
    for item in plan:
        with Image.open(source / item.source.path) as im:
            rgb = im.convert("RGB")
        w, h = rgb.size
        side = min(w, h)
        box = ((w - side) // 2, (h - side) // 2, (w - side) // 2 + side, (h - side) // 2 + side)
        rgb = rgb.crop(box).resize((design.image_size,) * 2, Image.Resampling.LANCZOS)
        img = np.asarray(rgb, dtype=np.float64) / 255
        res = ref(img, item.condition, np.random.default_rng(item.seed))
        buf = io.BytesIO()
        Image.fromarray(np.floor(np.clip(res, 0, 1) * 255 + 0.5).astype(np.uint8)).save(
            buf, format="PNG")
        path = out / stimulus_name(design, "s01", item)
        path.write_bytes(buf.getvalue())
        hashlib.sha256(path.read_bytes()).hexdigest()
    return len(plan)


def bench_build(quick: bool) -> None:
    root = Path(tempfile.mkdtemp(prefix="stimuli-bench-"))
    try:
        gen = np.random.default_rng(0)
        from lab.categories import CATEGORIES
        for c in CATEGORIES:
            (root / "src" / c).mkdir(parents=True)
            for i in range(4):
                px = gen.integers(0, 256, size=(375, 500, 3), dtype=np.uint8)
                Image.fromarray(px).save(root / "src" / c / f"{c}_{i}.jpg", quality=90)
        workers = 2
        for experiment, per_condition in (("low-pass", 16 if quick else 32),
                                          ("eidolonII", 16)):
            if quick and experiment == "eidolonII":
                continue
            start = time.perf_counter()
            n = plain_build(root / "src", root / f"plain-{experiment}", experiment,
                            per_condition)
            plain = n / (time.perf_counter() - start)
            start = time.perf_counter()
            build_set(experiment, root / "src", root / f"fast-{experiment}", seed=0,
                      per_condition=per_condition, workers=workers, progress=False)
            fast = n / (time.perf_counter() - start)
            print(f"build {experiment:12s} {n:4d} images: plain loop {plain:7.1f} img/s, "
                  f"build --workers {workers} {fast:7.1f} img/s, {fast / plain:4.1f}x")
    finally:
        shutil.rmtree(root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="example: .venv/bin/python "
                                            "benchmarks/stimuli_speed.py --quick")
    parser.add_argument("--quick", action="store_true", help="fewer images (smoke run)")
    parser.add_argument("--blas-threads", default="1",
                        help="BLAS threads (set before numpy loads; default 1)")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}, numpy {np.__version__}, "
          f"BLAS threads {os.environ['OPENBLAS_NUM_THREADS']}, "
          f"load average {os.getloadavg()[0]:.1f}")
    bench_manipulations(args.quick)
    bench_build(args.quick)


if __name__ == "__main__":
    main()
