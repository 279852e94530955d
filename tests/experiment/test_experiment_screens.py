"""The trial screens drawn in a real window (Xvfb): pixels checked in the screenshots."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from experiment_helpers import needs_display
from PIL import Image

from experiment.plan.layout import ICON_GAP_PX, ICON_PX, hit_test, icon_layout
from lab.categories import ICON_ORDER

EXAMPLE = Path(__file__).resolve().parents[2] / "stimuli" / "data" / "example_image.png"


def test_icon_grid_layout_and_hit_testing() -> None:
    cells = icon_layout()
    assert [c.category for c in cells] == list(ICON_ORDER)
    xs = sorted({c.x for c in cells})
    assert np.diff(xs).tolist() == [ICON_PX + ICON_GAP_PX] * 3 and sum(xs) == 0
    assert cells[0].y > cells[-1].y  # knife row at the top
    assert hit_test(cells, cells[5].x + 60, cells[5].y - 60) == "clock"
    assert hit_test(cells, cells[0].x + ICON_PX / 2 + ICON_GAP_PX / 2, cells[0].y) is None
    assert hit_test(cells, 0, 0) is None  # the centre is a gap: the reset pointer hits nothing


@needs_display
@pytest.mark.display
def test_screenshots_show_image_1to1_frame_and_mask(tmp_path: Path) -> None:
    from experiment.window.screenshots import save_screenshots

    paths = {p.stem.removeprefix("screen_"): p for p in save_screenshots(tmp_path)}
    shots = {k: np.asarray(Image.open(p).convert("RGB")).astype(int) for k, p in paths.items()}
    h, w = shots["image"].shape[:2]
    grey = round(0.4423 * 255)
    assert (shots["fixation"][0, 0] == grey).all()

    y0, x0 = h // 2 - 112, w // 2 - 112
    source = np.asarray(Image.open(EXAMPLE).convert("RGB")).astype(int)
    assert np.abs(shots["image"][y0:y0 + 224, x0:x0 + 224] - source).max() <= 1

    ys, xs = np.nonzero(shots["fixation"].min(axis=2) > 250)
    assert ys.max() - ys.min() + 1 == 230 and xs.max() - xs.min() + 1 == 230

    mask = shots["mask"][y0:y0 + 224, x0:x0 + 224, 0] / 255
    clipped = np.mean((mask < 0.002) | (mask > 0.998))
    assert 0.2 < clipped < 0.4 and 0.3 < mask.std() < 0.4  # Geirhos et al. 2018: batch 2
    green = (shots["feedback"][:, :, 1] > 200) & (shots["feedback"][:, :, 0] < 100)
    assert green.any() and not ((shots["response"][:, :, 1] > 200)
                                & (shots["response"][:, :, 0] < 100)).any()
