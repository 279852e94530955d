"""Save PNG screenshots of the trial screens for the docs.

Example::

    xvfb-run -a -s "-screen 0 1280x1024x24" .venv/bin/python -m experiment.window.screenshots \\
        --out docs/img
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from lab.design import load_experiment
from lab.errors import LabInputError
from stimuli.masks import make_mask

EXAMPLE_IMAGE = Path(__file__).resolve().parents[2] / "stimuli" / "data" / "example_image.png"
SCREENS = ("fixation", "image", "mask", "response", "feedback")
#: Side of the saved square: the response grid (546 px) with a margin.
CROP_PX = 600


def _centre_crop(frame: Image.Image, size: int) -> Image.Image:
    """The central ``size`` px square (the window's centre stays the image's centre),
    greyscale when the screen has no colour (smaller files)."""
    w, h = frame.size
    left, top = (w - size) // 2, (h - size) // 2
    crop = frame.crop((left, top, left + size, top + size))
    r, g, b = crop.split()
    if r.tobytes() == g.tobytes() == b.tobytes():
        return r
    return crop


def save_screenshots(out: Path, experiment: str = "rotation", image: Path = EXAMPLE_IMAGE,
                     seed: int = 0) -> list[Path]:
    """Draw each screen of a trial of ``experiment`` in a window and save it as PNG."""
    from experiment.files.profiles import load_profile
    from experiment.window.display import open_window
    from experiment.window.screens import Screens

    design = load_experiment(experiment)
    profile = load_profile("lab")
    win, _ = open_window(profile, distance_cm=design.viewing_distance_cm,
                         background=design.background_grey, windowed=True)
    try:
        screens = Screens(win, image_px=design.image_size,
                          frame_px=design.fixation_frame_px,
                          background=design.background_grey)
        screens.prepare_image(image)
        screens.prepare_mask(make_mask(design.mask_batch, np.random.default_rng(seed)))
        draw = {"fixation": screens.draw_fixation, "image": screens.draw_image,
                "mask": screens.draw_mask, "response": screens.draw_response,
                "feedback": lambda: screens.draw_response(highlight="bird")}
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name in SCREENS:
            draw[name]()
            frame = win.getMovieFrame(buffer="back").convert("RGB")
            win.movieFrames.clear()
            path = out / f"screen_{name}.png"
            _centre_crop(frame, CROP_PX).save(path, optimize=True)
            written.append(path)
            win.flip()
        return written
    finally:
        win.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m experiment.window.screenshots", description=__doc__.splitlines()[0],
        epilog="example:\n  xvfb-run -a -s '-screen 0 1280x1024x24' "
               ".venv/bin/python -m experiment.window.screenshots --out docs/img",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    parser.add_argument("--experiment", default="rotation")
    parser.add_argument("--image", type=Path, default=EXAMPLE_IMAGE)
    args = parser.parse_args(argv)
    try:
        paths = save_screenshots(args.out, args.experiment, args.image)
    except LabInputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
