"""What the observer sees: fixation frame, image, mask, response grid and text screens.

Stimuli are built once (icons, frame) or prepared before a trial's fixation ends (image,
mask): nothing is loaded while the timed part runs.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PIL import Image
from psychopy import visual

from experiment.plan.layout import ICON_PX, icon_layout

log = logging.getLogger(__name__)

ICON_DIR = Path(__file__).resolve().parents[1] / "icons"


def grey_to_rgb(value: float) -> list[float]:
    """[0, 1] grey -> PsychoPy's [-1, 1] rgb triple."""
    return [value * 2.0 - 1.0] * 3


class Screens:
    """Every stimulus of a session, built once for one window."""

    def __init__(self, win: visual.Window, *, image_px: int, frame_px: int,
                 background: float) -> None:
        self.win = win
        self.image_px = image_px
        self.background = background
        # A 1 px line is centred on the rectangle's edge: an edge at a pixel centre
        # (frame_px - 1 on an even-sized window) gives one crisp white pixel, outer
        # extent frame_px.
        self.frame = visual.Rect(win, width=frame_px - 1, height=frame_px - 1, lineWidth=1,
                                 lineColor=[1, 1, 1], fillColor=None, units="pix",
                                 autoLog=False)
        self.cells = icon_layout()
        self.icons: list[visual.BaseVisualStim] = []
        for cell in self.cells:
            path = ICON_DIR / f"{cell.category}.png"
            if path.is_file():
                stim = visual.ImageStim(win, image=str(path), pos=(cell.x, cell.y),
                                        size=(cell.size, cell.size), units="pix",
                                        autoLog=False)
            else:  # text label as fallback
                log.warning("%s missing: the response screen shows a text label", path)
                stim = visual.TextStim(win, text=cell.category, pos=(cell.x, cell.y),
                                       height=20, color=[1, 1, 1], units="pix",
                                       autoLog=False)
            self.icons.append(stim)
        self.highlight = visual.Rect(win, width=ICON_PX + 8, height=ICON_PX + 8,
                                     lineWidth=4, lineColor=[-1, 1, -1], fillColor=None,
                                     units="pix", autoLog=False)
        self.text = visual.TextStim(win, text="", height=24, color=[1, 1, 1], wrapWidth=900,
                                    units="pix", autoLog=False)
        self.image = visual.ImageStim(win, size=(image_px, image_px), units="pix",
                                      interpolate=True, autoLog=False)
        self.mask = visual.ImageStim(win, size=(image_px, image_px), units="pix",
                                     interpolate=True, autoLog=False)

    # -- preparing -------------------------------------------------------------------
    def prepare_image(self, path: Path) -> None:
        """Decode ``path`` and upload it as the image texture."""
        with Image.open(path) as im:
            self.image.image = im.convert("RGB")

    def prepare_mask(self, mask: np.ndarray) -> None:
        """Upload a [0, 1] greyscale mask (stretched over the image area)."""
        self.mask.image = mask * 2.0 - 1.0

    # -- drawing ---------------------------------------------------------------------
    def draw_fixation(self) -> None:
        self.frame.draw()

    def draw_image(self) -> None:
        self.image.draw()

    def draw_mask(self) -> None:
        self.mask.draw()

    def draw_response(self, highlight: str | None = None) -> None:
        for stim in self.icons:
            stim.draw()
        if highlight is not None:
            cell = next(c for c in self.cells if c.category == highlight)
            self.highlight.pos = (cell.x, cell.y)
            self.highlight.draw()

    def draw_text(self, text: str) -> None:
        self.text.text = text
        self.text.draw()
