"""The 20 networks of Geirhos et al. 2018, Figure 4, as shipped configs: each has the
paper's distortions (read here from the authors' own network names), epochs and decay
epochs, and each runs a few CPU steps on tiny data through ``python -m models train``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from models.cli import main
from models.distortion_plan import make_plan
from models.train_config import load_config, shipped_config, shipped_configs

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "stimuli" / "demo" / "source"

#: The figure's labels and the authors' network names (their fine-tuning data; the
#: R script cuts a name at "--" into training components).
AUTHORS: dict[str, str] = {
    "A1": "sixteen01v4",
    "A2": "sixteen26--grayscale",
    "A3": "sixteen07--grayscale-contrast-multiple",
    "A4": "sixteen08--low-pass-multiple",
    "A5": "sixteen11--high-pass-multiple",
    "A6": "sixteen16--phase-scrambling-multiple",
    "A7": "sixteen09--rotation-multiple",
    "A8": "sixteen21--salt-and-pepper-noise-multiple",
    "A9": "sixteen03--uniform-noise-multiple",
    "B1": "sixteen30--color--uniform-noise-multiple--200epochs",
    "B2": "sixteen31--grayscale--uniform-noise-multiple--200epochs",
    "B3": "sixteen32--grayscale-contrast-multiple--uniform-noise-multiple--200epochs",
    "B4": "sixteen33--low-pass-multiple--uniform-noise-multiple--200epochs",
    "B5": "sixteen34--high-pass-multiple--uniform-noise-multiple--200epochs",
    "B6": "sixteen35--phase-scrambling-multiple--uniform-noise-multiple--200epochs",
    "B7": "sixteen36--rotation-multiple--uniform-noise-multiple--200epochs",
    "B8": "sixteen22--salt-and-pepper-noise-multiple--uniform-noise-multiple--200epochs",
    "B9": "sixteen27--uniform-noise-multiple--200epochs",
    "C1": "sixteen19--color--grayscale-contrast--high-pass--low-pass--rotation--"
          "phase-scrambling--salt-and-pepper-noise--200epochs",
    "C2": "sixteen18--color--grayscale-contrast--high-pass--low-pass--rotation--"
          "phase-scrambling--uniform-noise--200epochs",
}
#: The authors' component -> this project's training distortion ("color": the image kept
#: in colour, undistorted: a clean share).
COMPONENT = {
    "grayscale": "greyscale", "grayscale-contrast": "contrast", "low-pass": "low-pass",
    "high-pass": "high-pass", "phase-scrambling": "phase-noise", "rotation": "rotation",
    "salt-and-pepper-noise": "salt-and-pepper", "uniform-noise": "uniform-noise",
}


def paper_regime(label: str) -> tuple[set[str], float, int]:
    """(distortions, clean share, epochs) of the paper's network ``label``."""
    parts = AUTHORS[label].split("--")[1:]
    epochs = 200 if "200epochs" in parts else 90
    parts = [p.removesuffix("-multiple") for p in parts if p != "200epochs"]
    clean = 1 / len(parts) if "color" in parts else 0.0
    return {COMPONENT[p] for p in parts if p != "color"}, clean, epochs




def test_twenty_configs_ship_named_as_in_the_figure():
    figure4 = [p for p in shipped_configs() if p.parent.name == "figure4"]
    assert sorted(p.name.split("-", 1)[0] for p in figure4) == sorted(AUTHORS)
    assert shipped_config("figure4/A9").name == "A9-uniform-noise.toml"
    assert shipped_config("figure4/C2").name == "C2-all-but-salt-and-pepper.toml"
    assert shipped_config("cpu-example").is_file()
    assert shipped_config("cpu-example") == (REPO / "models" / "configs" / "cpu-example.toml")


@pytest.mark.parametrize("label", sorted(AUTHORS))
def test_each_config_is_the_papers_network_and_trains(label, tiny, tmp_path):
    path = shipped_config(f"figure4/{label}")
    cfg = load_config(path)
    distortions, clean, epochs = paper_regime(label)
    plan = make_plan(cfg.distortions, cfg.data.image_size, str(path))
    assert set(plan.names) == distortions and len(plan.names) == len(distortions)
    assert plan.clean_fraction == pytest.approx(clean, abs=1e-12)
    assert not plan.ranged  # "multiple": one of the experiment's levels per image
    assert cfg.run.epochs == epochs  # decay epochs fixed, not rescaled with the length
    assert cfg.milestones() == ([30, 60, 80] if epochs == 90 else [30, 60, 80, 90])
    assert cfg.optim.decay_epochs == (30, 60, 80, 90)
    assert (cfg.model.architecture, cfg.model.weights, cfg.model.head) == ("resnet50", "none",
                                                                          16)
    # a few CPU steps of the same config, shrunk: small network, 32 px, 2 steps
    out = tmp_path / "run"
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert main(["train", f"figure4/{label}", "--train", str(tiny), "--val", "",
                     "--out", str(out), "--epochs", "1", "--max-steps", "2",
                     "--batch-size", "8", "--device", "cpu", "--no-progress",
                     "--set", "model.architecture=shufflenet_v2_x0_5",
                     "--set", "data.image_size=32", "--set", "data.crop=resize",
                     "--set", "data.workers=0"]) == 0
    finally:
        torch.set_num_threads(before)
    card = json.loads((out / "model-card.json").read_text())
    assert set(card["distortions"]) == distortions and card["steps"] == 2
