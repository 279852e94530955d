"""Our eidolons against the original toolbox, in distribution (prints the docs table).

    .venv/bin/python benchmarks/eidolon_compare.py [--images 4] [--seeds 4]
        [--our-seeds 12] [--side 256] [--variant toolbox]

For every reach (1 ... 128) and coherence (1.0, 0.3, 0.0; grain 10) it makes eidolons of
the same pictures with several seeds, with the 2018 wrapper's path through the toolbox
(``../shared/reference/eidolon-toolbox``; one noise draw per picture and seed serves
all conditions, as seeding the wrapper alike would) and with ours, and prints the mean
over pictures and seeds of (a) the mean absolute difference from the grey input (MAD)
and (b) the fine detail (Fourier amplitude at a quarter to a half cycle per pixel,
65-128 cycles/image at 256 px, relative to the input's), each with ours / toolbox and
the standard error of the toolbox's mean (seed-to-seed spread).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.eidolon_reference import (  # noqa: E402
    fine_detail,
    load_toolbox,
    mean_abs_difference,
    our_grid,
    sample_pictures,
    toolbox_grid,
)

REACHES = (1, 2, 4, 8, 16, 32, 64, 128)
COHERENCES = (1.0, 0.3, 0.0)


def figures(grid_of, images, seeds) -> dict[tuple[float, float], np.ndarray]:
    """``{(reach, coherence): array (samples, 2)}`` of (MAD, fine detail)."""
    found: dict[tuple[float, float], list] = {}
    for rgb8 in images:
        for seed in seeds:
            grey, outs = grid_of(rgb8, seed)
            for key, out in outs.items():
                found.setdefault(key, []).append(
                    (mean_abs_difference(out, grey), fine_detail(out, grey)))
    return {key: np.array(v) for key, v in found.items()}


def table(ours, theirs) -> tuple[str, float, float]:
    lines = ["| coherence | reach | MAD ours | MAD toolbox (± s.e.) | ratio | fine ours | "
             "fine toolbox (± s.e.) | ratio |", "|---|---|---|---|---|---|---|---|"]
    worst = [0.0, 0.0]
    for c in COHERENCES:
        for r in REACHES:
            a, b = ours[(r, c)].mean(axis=0), theirs[(r, c)].mean(axis=0)
            se = theirs[(r, c)].std(axis=0, ddof=1) / np.sqrt(len(theirs[(r, c)]))
            ratio = a / b
            worst = [max(worst[i], abs(ratio[i] - 1)) for i in range(2)]
            lines.append(f"| {c:.1f} | {r} | {a[0]:.4f} | {b[0]:.4f} ± {se[0]:.4f} | "
                         f"{ratio[0]:.2f} | {a[1]:.3f} | {b[1]:.3f} ± {se[1]:.3f} | "
                         f"{ratio[1]:.2f} |")
    return "\n".join(lines), worst[0], worst[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=(
        "example: .venv/bin/python benchmarks/eidolon_compare.py --images 2 --seeds 2 "
        "--side 128"))
    parser.add_argument("--images", type=int, default=4, help="pictures (default 4)")
    parser.add_argument("--seeds", type=int, default=4, help="toolbox seeds per picture")
    parser.add_argument("--our-seeds", type=int, default=12, help="our seeds per picture")
    parser.add_argument("--side", type=int, default=256, help="picture side in px")
    parser.add_argument("--variant", default="toolbox", choices=("toolbox", "sharp"))
    args = parser.parse_args()
    wrapper = load_toolbox()
    if wrapper is None:
        sys.exit("error: the toolbox is not at ../shared/reference/eidolon-toolbox "
                 "beside the repository")
    images = sample_pictures(args.side, args.images)
    grid = {"reaches": REACHES, "coherences": COHERENCES, "grain": 10.0}
    theirs = figures(lambda img, s: toolbox_grid(wrapper, img, **grid, seed=s), images,
                     range(args.seeds))
    ours = figures(lambda img, s: our_grid(img, **grid, seed=s, variant=args.variant),
                   images, range(1000, 1000 + args.our_seeds))
    text, mad, fine = table(ours, theirs)
    print(f"{args.images} pictures at {args.side} px, grain 10; toolbox {args.seeds} seeds, "
          f"ours ({args.variant}) {args.our_seeds} seeds per picture")
    print(text)
    print(f"\nlargest departure from the toolbox: MAD {100 * mad:.1f} %, "
          f"fine detail {100 * fine:.1f} %")


if __name__ == "__main__":
    main()
