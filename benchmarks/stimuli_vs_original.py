"""Our manipulations and ``stimuli build`` against the authors' 2018 code, in one process.

    .venv/bin/python benchmarks/stimuli_vs_original.py [--repeats 7] [--images 256]

The original is ``../shared/reference/geirhos2018_image_manipulation.py`` (Geirhos et al.
2018, ``code/image_manipulation.py``), imported as it is; it needs scikit-image
(``pip install scikit-image``, or the ``bench`` extra). Run on demand, never in tests.

1. **One image** per manipulation (float64 RGB, the experiment's size, the condition in
   the table): the original function against ours, each called on one image (the 2018
   code has no colour function: its colour experiment saved ``rgb2gray``; here that grey
   image stacked to RGB, as its other grey stimuli are), timed
   interleaved (original, ours, original, ...) and the best of ``--repeats`` rounds kept
   for each, so a busy neighbour slows both alike. Ratio = original time / our time
   (above 1: ours is faster).
2. **A whole set**: ``--images`` source images (256 px JPEGs, ImageNet-like) made into a
   uniform-noise set: the original loop (``imload_rgb`` + ``uniform_noise`` +
   ``save_img`` as PNG, one image after the other) against ``build_set(..., workers=2)``
   (which also plans, checks the sources' headers, hashes every file and writes the
   manifest), interleaved best of 3.

BLAS runs with one thread (set before numpy is imported, unless the environment sets it).

Our outputs are checked against the original's where the original draws no random
numbers (to 1/255), so the comparison is between equal stimuli.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# One BLAS thread, set before numpy loads: the original uses no multithreaded BLAS, and on a
# shared machine a 2-thread GEMM competing with other jobs measures the neighbours.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
ORIGINAL = REPO.parent / "shared" / "reference" / "geirhos2018_image_manipulation.py"

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from lab.design import load_experiment  # noqa: E402
from stimuli.builder import build_set  # noqa: E402
from stimuli.data_files import display_gamma_curve, mean_power_spectrum  # noqa: E402
from stimuli.manipulations import get_manipulation  # noqa: E402


def load_original():
    """The authors' module, or exit with the reason it cannot be loaded."""
    if not ORIGINAL.is_file():
        sys.exit(f"skipped: the original code is not at {ORIGINAL}")
    try:
        import skimage  # noqa: F401
    except ImportError:
        sys.exit("skipped: the original code needs scikit-image: pip install scikit-image")
    spec = importlib.util.spec_from_file_location("geirhos2018_original", ORIGINAL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cases(orig) -> list[tuple[str, int, Callable, Callable, bool]]:
    """(label, size, original f(img), ours f(img), deterministic)."""
    gamma = display_gamma_curve()
    spectrum = mean_power_spectrum()

    # one generator each, made once: creating one per call would be timed as well
    ours_rng, orig_rng = np.random.default_rng(0), np.random.RandomState(0)

    def ours(experiment: str, condition: str) -> Callable:
        design = load_experiment(experiment)
        m = get_manipulation(design.manipulation)
        params = design.parameters_of(condition)
        return lambda img: m(img, ours_rng, **params)

    def sp(img):
        return get_manipulation("salt-and-pepper")(img, ours_rng, probability=0.2)

    def grey_stimulus(img):  # the 2018 code's grey stimuli: rgb2gray stacked to RGB
        g = orig.rgb2gray(img)
        return np.dstack((g, g, g))

    return [
        ("colour (bw)", 256, grey_stimulus, ours("colour", "bw"), True),
        ("contrast (c10)", 256, lambda img: orig.grayscale_contrast(img, 0.1),
         ours("contrast", "c10"), True),
        ("uniform-noise (0.35)", 256,
         lambda img: orig.uniform_noise(img, 0.35, 0.3, orig_rng),
         ours("uniform-noise", "0.35"), False),
        ("salt-and-pepper (0.2)", 256,
         lambda img: orig.salt_and_pepper_noise(img, 0.2, 0.3, orig_rng),
         sp, False),
        ("low-pass (10)", 224, lambda img: orig.low_pass_filter(img, 10),
         ours("low-pass", "10"), True),
        ("high-pass (3)", 224, lambda img: orig.high_pass_filter(img, 3),
         ours("high-pass", "3"), True),
        ("high-pass (0.4)", 224, lambda img: orig.high_pass_filter(img, 0.4),
         ours("high-pass", "0.4"), True),
        ("phase-scrambling (90)", 224, lambda img: orig.phase_scrambling(img, 90),
         ours("phase-scrambling", "90"), False),
        ("power-equalisation", 224, lambda img: orig.power_equalisation(img, spectrum),
         ours("power-equalisation", "pow"), True),
        ("rotation (90)", 224, orig.rotate90, ours("rotation", "90"), True),
        ("rotation (180)", 224, orig.rotate180, ours("rotation", "180"), True),
        ("rotation (270)", 224, orig.rotate270, ours("rotation", "270"), True),
        ("false-colour", 224, lambda img: orig.false_colour(img, gamma),
         ours("false-colour", "false"), True),
    ]


def interleaved_best(fns: list[Callable[[], object]], repeats: int, inner: int
                     ) -> list[float]:
    """Best time per call of each function over ``repeats`` interleaved rounds."""
    best = [math.inf] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            for _ in range(inner):
                fn()
            best[i] = min(best[i], (time.perf_counter() - start) / inner)
    return best


def one_image(orig, repeats: int) -> None:
    print(f"{'one image':24s} {'original ms':>12s} {'ours ms':>9s} {'ratio':>7s}")
    gen = np.random.default_rng(0)
    worst = math.inf
    for label, size, f_orig, f_ours, deterministic in cases(orig):
        # an 8-bit picture (the original's false colour asserts 8-bit values)
        img = gen.integers(0, 256, size=(size, size, 3)).astype(np.float64) / 255.0
        if deterministic:
            a = np.asarray(f_orig(img.copy()), dtype=np.float64)
            b = f_ours(img.copy())
            a = a if a.ndim == 3 else np.dstack([a, a, a])
            diff = np.abs(np.clip(a, 0, 1) - b).max()
            assert diff <= 1 / 255 + 1e-9, f"{label}: ours differs by {diff}"
        pair = [lambda f=f_orig, x=img: f(x), lambda f=f_ours, x=img: f(x)]
        once = interleaved_best(pair, 1, 1)
        inner = max(1, int(0.05 / max(min(once), 1e-6)))
        t_orig, t_ours = interleaved_best(pair, repeats, inner)
        worst = min(worst, t_orig / t_ours)
        print(f"{label:24s} {t_orig * 1e3:12.3f} {t_ours * 1e3:9.3f} "
              f"{t_orig / t_ours:6.1f}x")
    print(f"slowest ratio: {worst:.2f}x (goal: no manipulation below 1x)")


def make_sources(root: Path, per_class: int) -> Path:
    from lab.categories import CATEGORIES

    gen = np.random.default_rng(0)
    for c in CATEGORIES:
        (root / c).mkdir(parents=True)
        for i in range(per_class):
            # smooth-ish content compresses like a photograph, not like white noise
            base = gen.integers(0, 256, size=(32, 32, 3), dtype=np.uint8)
            im = Image.fromarray(base).resize((256, 256), Image.Resampling.BICUBIC)
            im.save(root / c / f"{c}_{i:03d}.JPEG", quality=90)
    return root


def original_loop(orig, source: Path, out: Path, widths: list[float]) -> int:
    out.mkdir()
    rng = np.random.RandomState(0)
    n = 0
    for i, path in enumerate(sorted(source.glob("*/*.JPEG"))):
        img = orig.imload_rgb(str(path))
        noisy = orig.uniform_noise(img, widths[i % len(widths)], 0.3, rng)
        orig.save_img(noisy, str(out / f"{i:04d}_{path.stem}"))
        n += 1
    return n


def whole_set(orig, images: int) -> None:
    design = load_experiment("uniform-noise")
    widths = [design.parameters_of(c)["width"] for c in design.conditions]
    per_condition = images // len(design.conditions)
    root = Path(tempfile.mkdtemp(prefix="stimuli-vs-original-"))
    try:
        n = per_condition * len(design.conditions)
        source = make_sources(root / "src", n // 16)  # every stimulus its own source
        best = {"original": math.inf, 1: math.inf, 2: math.inf}
        for r in range(3):
            start = time.perf_counter()
            assert original_loop(orig, source, root / f"orig{r}", widths) == n
            best["original"] = min(best["original"], time.perf_counter() - start)
            for workers in (1, 2):
                start = time.perf_counter()
                entries = build_set("uniform-noise", source, root / f"ours{r}-{workers}",
                                    seed=r, per_condition=per_condition, workers=workers,
                                    progress=False)
                best[workers] = min(best[workers], time.perf_counter() - start)
                assert len(entries) == n
        print(f"whole set, {n} uniform-noise images (256 px), best of 3 interleaved:")
        print(f"  original loop      {best['original']:6.2f} s "
              f"({n / best['original']:5.1f} img/s)")
        for workers in (1, 2):
            print(f"  build --workers {workers}  {best[workers]:6.2f} s "
                  f"({n / best[workers]:5.1f} img/s): {best['original'] / best[workers]:.2f}x"
                  + ("  (goal: 2x)" if workers == 2 else ""))
    finally:
        shutil.rmtree(root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="example: .venv/bin/python "
                                            "benchmarks/stimuli_vs_original.py --repeats 5")
    parser.add_argument("--repeats", type=int, default=7, help="interleaved rounds (7)")
    parser.add_argument("--images", type=int, default=256,
                        help="images of the whole-set run, a multiple of 128 (256)")
    parser.add_argument("--skip-set", action="store_true", help="one-image table only")
    args = parser.parse_args()
    orig = load_original()
    import scipy
    import skimage
    print(f"cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}, numpy "
          f"{np.__version__}, scipy {scipy.__version__}, scikit-image {skimage.__version__}")
    one_image(orig, args.repeats)
    if not args.skip_set:
        whole_set(orig, args.images)


if __name__ == "__main__":
    main()
