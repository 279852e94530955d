"""Speed of our eidolons against the original toolbox, in the same process.

    .venv/bin/python benchmarks/eidolon_speed.py [--images 2] [--side 256]

Times, per 256 px picture, the 2018 wrapper around the Eidolon toolbox
(``wrapper.partially_coherent_disarray(wrapper.load_pic(png), ...)``, from
``../shared/reference/eidolon-toolbox``) against our ``eidolon`` (toolbox variant and
sharp variant), one picture per call as the set builder makes them, and prints the
ratios. BLAS and FFT threads are left at one (set before numpy loads).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.eidolon_reference import load_toolbox, sample_pictures, toolbox_eidolon  # noqa: E402
from stimuli.manipulations.eidolon import eidolon  # noqa: E402

CONDITIONS = ((8.0, 1.0), (8.0, 0.3), (8.0, 0.0))  # (reach, coherence), grain 10


def seconds_per_image(fn, images, repeats: int = 2) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for i, img in enumerate(images):
            fn(img, i)
        best = min(best, time.perf_counter() - start)
    return best / len(images)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=(
        "example: .venv/bin/python benchmarks/eidolon_speed.py --images 2"))
    parser.add_argument("--images", type=int, default=2)
    parser.add_argument("--side", type=int, default=256)
    args = parser.parse_args()
    wrapper = load_toolbox()
    if wrapper is None:
        sys.exit("error: the toolbox is not at ../shared/reference/eidolon-toolbox")
    images = sample_pictures(args.side, args.images)
    print(f"{args.images} pictures at {args.side} px, load average {os.getloadavg()[0]:.1f}")
    print(f"{'reach/coherence':16s} {'toolbox s':>10s} {'ours s':>8s} {'ratio':>6s} "
          f"{'sharp s':>8s} {'ratio':>6s}")
    for reach, coherence in CONDITIONS:
        kw = {"reach": reach, "coherence": coherence, "grain": 10.0}
        tb = seconds_per_image(lambda img, i, kw=kw: toolbox_eidolon(
            wrapper, img, **kw, seed=i), images, repeats=1)
        rates = []
        for variant in ("toolbox", "sharp"):
            rates.append(seconds_per_image(lambda img, i, kw=kw, variant=variant: eidolon(
                img[None].astype(np.float32) / np.float32(255), **kw,
                rng=np.random.default_rng(i), variant=variant), images))
        print(f"{reach:>5g} / {coherence:<8.1f} {tb:10.3f} {rates[0]:8.3f} "
              f"{tb / rates[0]:5.1f}x {rates[1]:8.3f} {tb / rates[1]:5.1f}x")


if __name__ == "__main__":
    main()
