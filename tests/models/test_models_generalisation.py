"""Generalisation targets of Gavrikov & Keuper (2024) on tiny folders made here: ImageNet-
style top-1 (1000-way, and -A/-R restricted to their classes) and PGD-40 L-inf."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from lab.errors import LabInputError
from models.imagenet_eval import evaluate_folder, list_images, load_image
from models.pgd import EPS_LOW, Normalised, pgd_linf, robust_accuracy

WNIDS = [f"n{i:08d}" for i in range(1000)]
COLOURS = {5: (255, 0, 0), 17: (0, 255, 0), 300: (0, 0, 255)}


class ColourNet(nn.Module):
    """Logits from the mean colour: red -> class 5, green -> 17, blue -> 300, and class 999
    always a little above the right one (so only a restricted top-1 gets them right)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rgb = x.mean(dim=(2, 3))
        logits = torch.zeros(x.shape[0], 1000)
        logits[:, 5], logits[:, 17], logits[:, 300] = rgb[:, 0], rgb[:, 1], rgb[:, 2]
        logits[:, 999] = rgb.max(dim=1).values + 0.01
        return logits


def make_folder(root, nested: str = ""):
    for k, colour in COLOURS.items():
        folder = root / nested / WNIDS[k]
        folder.mkdir(parents=True)
        for i in range(2):
            Image.new("RGB", (300, 260), colour).save(folder / f"img{i}.JPEG", quality=95)
    return root


def test_masked_top1_uses_only_the_folders_classes_and_1000_way_does_not(tmp_path):
    root = make_folder(tmp_path / "a")
    masked = evaluate_folder(ColourNet(), root, WNIDS, variant="a", name="colour")
    assert masked["correct"].all() and (masked["n_way"] == 3).all()
    assert list(masked.columns[:7]) == ["experiment", "observer", "condition", "image",
                                        "category", "response", "correct"]
    assert set(masked["experiment"]) == {"imagenet-a"}
    full = evaluate_folder(ColourNet(), root, WNIDS, variant="val", name="colour")
    assert not full["correct"].any() and set(full["response"]) == {WNIDS[999]}


def test_corruption_folders_are_conditions_and_bad_inputs_refused(tmp_path):
    root = make_folder(tmp_path / "c", nested="gaussian_noise/3")
    rows = evaluate_folder(ColourNet(), root, WNIDS, variant="c")
    assert set(rows["condition"]) == {"gaussian_noise/3"} and len(rows) == 6
    with pytest.raises(LabInputError, match="variant 'x'"):
        evaluate_folder(ColourNet(), root, WNIDS, variant="x")
    (tmp_path / "empty").mkdir()
    with pytest.raises(LabInputError, match="no images"):
        list_images(tmp_path / "empty")


def test_resize_256_centre_crop_224(tmp_path):
    path = tmp_path / "x.png"
    a = np.zeros((260, 300, 3), np.uint8)
    a[:, :150] = 255  # left half white
    Image.fromarray(a).save(path)
    x = load_image(path)
    assert x.shape == (3, 224, 224)
    # 300x260 -> 295x256 (torchvision truncates), crop from column 36: white up to ~147-36
    assert x[0, 100, 100] > 0.99 and x[0, 100, 120] < 0.01


def tiny_classifier(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return Normalised(nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 10)),
                      (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))


def test_pgd_stays_in_the_box_and_in_range_and_raises_the_loss():
    model = tiny_classifier().eval()
    x = torch.rand(16, 3, 8, 8)
    y = model(x).argmax(1)
    for eps in (EPS_LOW, 8 / 255):
        adv = pgd_linf(model, x, y, eps=eps, generator=torch.Generator().manual_seed(0))
        assert (adv - x).abs().max() <= eps + 1e-6
        assert adv.min() >= 0 and adv.max() <= 1
        ce = nn.functional.cross_entropy
        assert ce(model(adv), y) > ce(model(x), y)


def test_robust_accuracy_is_clean_accuracy_at_eps_0_and_falls_with_eps():
    model = tiny_classifier(1)
    x = torch.rand(64, 3, 8, 8)
    with torch.no_grad():
        y = model(x).argmax(1)
    y[:8] = (y[:8] + 1) % 10  # 8 clean errors
    batches = [(x[:32], y[:32]), (x[32:], y[32:])]
    zero = robust_accuracy(model, batches, eps=0.0)
    assert zero.robust_accuracy == pytest.approx(56 / 64)
    assert torch.equal(zero.correct_clean, zero.correct_adversarial)
    strong = robust_accuracy(model, batches, eps=0.25)
    assert strong.robust_accuracy < zero.robust_accuracy
