"""The 2018 paper's noise-training effect in miniature, on one CPU core, with a clean-trained
control and an object-disjoint split (docs/models.md holds its table).

Images: the bundled demo set only (``stimuli/demo``), 16 classes, class = the shape:
160 edge drawings, 160 filled silhouettes (``<class><n>.png``, object ``n`` = 1..10 of its
class; an object's edge drawing and silhouette share the name) and 48 cue-conflict images
(``<shape class><n>-<texture class><m>.png``; the shape is object ``n`` of its class).

Split by object: every image of an object (its edge drawing, its silhouette and every
cue-conflict image with its shape) lies on one side. Odd-numbered objects are held out,
even-numbered ones train. The cue-conflict textures come from separate texture pictures,
not from these objects, so they do not tie the two sides.

Network: the offline pretrained EfficientNet-Lite0, frozen (batch norms in eval mode), with
a fresh 16-way linear head trained on its pooled features. Two heads are trained with
the same seed, image order, flips, optimiser and epochs; the only difference is the input:

* control: clean colour images;
* noise-trained: every image with uniform noise, its width drawn per image and epoch from
  the experiment's eight levels (0 to 0.9), by the numpy code of ``stimuli.manipulations``
  as ``python -m models train`` does for ``regime = "one"``, ``manipulation =
  "uniform-noise"`` (``models.distortion_plan.levels_of``, ``models.train_data``).

Both heads, and the pretrained network with the 1000-to-16 mapping (``sum`` rule, the
2018 paper's), are then scored on the held-out images at each test condition (one fixed
manipulation seed per image and condition). Accuracy, correct / n and the 95 % Wilson
interval (``results.intervals``) are printed as a Markdown table.

Seeded: the same command gives the same table. Single-threaded by default (``--threads``).

    OMP_NUM_THREADS=1 python benchmarks/noise_training_miniature.py   # ~10 min, 1 core
    python benchmarks/noise_training_miniature.py --json /tmp/miniature.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import torch  # noqa: E402
from torch import nn  # noqa: E402

from lab.categories import CATEGORIES  # noqa: E402
from lab.images import load_rgb, to_uint8  # noqa: E402
from models.decision import decide_logits  # noqa: E402
from models.distortion_plan import levels_of  # noqa: E402
from models.heads import last_classifier  # noqa: E402
from models.loading import normalise  # noqa: E402
from models.registry import get_spec  # noqa: E402
from models.weights import build_model  # noqa: E402
from results.intervals import wilson_interval  # noqa: E402
from stimuli.manipulations import get_manipulation  # noqa: E402

DEMO = REPO / "stimuli" / "demo"
KINDS = {"edges": DEMO / "edges", "silhouettes": DEMO / "filled-silhouettes",
         "cue-conflict": DEMO / "source"}
ARCH = "efficientnet_lite0"
#: (label, manipulation, parameters); uniform noise 0.35 is the paper's Figure-4 level.
CONDITIONS = [("clean (colour)", "none", {}),
              ("uniform noise 0.00 (grey, contrast 30 %)", "uniform-noise", {"width": 0.0}),
              ("uniform noise 0.35 (trained)", "uniform-noise", {"width": 0.35}),
              ("uniform noise 0.60 (trained)", "uniform-noise", {"width": 0.6}),
              ("salt-and-pepper 0.2 (untrained)", "salt-and-pepper", {"probability": 0.2}),
              ("contrast 5 % (untrained)", "contrast", {"contrast": 0.05})]


@dataclass(frozen=True)
class Picture:
    kind: str
    path: Path
    category: str
    obj: int  #: the object's number within its class (the shape's, for cue-conflict)

    @property
    def held_out(self) -> bool:
        return self.obj % 2 == 1


def pictures() -> list[Picture]:
    out = []
    for kind, root in KINDS.items():
        for path in sorted(root.glob("*/*.png")):
            match = re.fullmatch(r"([a-z]+)(\d+)(?:-[a-z]+\d+)?", path.stem)
            if match is None or match.group(1) != path.parent.name:
                raise SystemExit(f"{path}: name does not say '<class><object>[-...]'")
            out.append(Picture(kind, path, path.parent.name, int(match.group(2))))
    return out


def check_split(train: list[Picture], held_out: list[Picture]) -> None:
    """No object on both sides, whatever its kind of image."""
    both = {(p.category, p.obj) for p in train} & {(p.category, p.obj) for p in held_out}
    if both:
        raise SystemExit(f"split leaks objects: {sorted(both)}")


class Frozen(nn.Module):
    """The pretrained network without its classifier: 8-bit NCHW -> pooled features."""

    def __init__(self) -> None:
        super().__init__()
        spec = get_spec(ARCH)
        self.pre = spec.preprocessing
        net, _ = build_model(spec, "DEFAULT")
        name, classifier = last_classifier(net)
        setattr(net, name, nn.Identity())
        self.net, self.classifier = net.eval(), classifier.eval()
        self.features = classifier.in_features

    @torch.no_grad()
    def forward(self, batch_uint8: np.ndarray) -> torch.Tensor:
        x = torch.from_numpy(np.ascontiguousarray(batch_uint8.transpose(0, 3, 1, 2)))
        return self.net(normalise(x, self.pre, torch.device("cpu"))).float()


def manipulated(image: np.ndarray, name: str, parameters: dict, seed) -> np.ndarray:
    rgb = image.astype(np.float64) / 255.0
    return to_uint8(get_manipulation(name)(rgb, np.random.default_rng(seed), **parameters))


def train_head(frozen: Frozen, images: np.ndarray, labels: np.ndarray, *, noise: bool,
               epochs: int, batch: int, lr: float, seed: int) -> nn.Linear:
    """A 16-way head on the frozen features; ``noise``: uniform noise per image and epoch."""
    torch.manual_seed(seed)
    head = nn.Linear(frozen.features, len(CATEGORIES))
    optimiser = torch.optim.SGD(head.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    decay = torch.optim.lr_scheduler.MultiStepLR(
        optimiser, [round(epochs * 2 / 3), round(epochs * 8 / 9)], gamma=0.1)
    order_rng = np.random.default_rng(seed)  # identical for both heads
    noise_rng = np.random.default_rng([seed, 1])
    levels = levels_of("uniform-noise")
    target = torch.from_numpy(labels)
    for _ in range(epochs):
        order = order_rng.permutation(len(images))
        flips = order_rng.random(len(images)) < 0.5
        for start in range(0, len(order), batch):
            idx = order[start:start + batch]
            pics = []
            for i, flip in zip(idx, flips[start:start + batch], strict=True):
                pic = images[i][:, ::-1] if flip else images[i]
                if noise:
                    level = levels[int(noise_rng.integers(len(levels)))]
                    pic = manipulated(pic, level.manipulation, dict(level.parameters),
                                      int(noise_rng.integers(2**62)))
                pics.append(pic)
            features = frozen(np.stack(pics))
            loss = nn.functional.cross_entropy(head(features), target[idx])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        decay.step()
    return head.eval()


def cell(correct: int, n: int) -> str:
    low, high = wilson_interval(correct, n)
    return (f"{100 * correct / n:.1f} [{100 * float(low):.1f}, {100 * float(high):.1f}] "
            f"({correct}/{n})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=224,
                        help="image side in px (224, the network's own)")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    begin = time.perf_counter()

    everything = pictures()
    train = [p for p in everything if not p.held_out]
    held_out = [p for p in everything if p.held_out]
    check_split(train, held_out)
    counts = {k: (sum(p.kind == k for p in train), sum(p.kind == k for p in held_out))
              for k in KINDS}
    print(f"{len(train)} training images, {len(held_out)} held-out images; per kind "
          f"(train, held out): {counts}; objects: even numbers train, odd held out")

    frozen = Frozen()
    load = lambda ps: np.stack([to_uint8(load_rgb(p.path, size=args.size)) for p in ps])  # noqa: E731
    train_images, test_images = load(train), load(held_out)
    index = {c: i for i, c in enumerate(CATEGORIES)}
    train_labels = np.array([index[p.category] for p in train])
    truth = np.array([index[p.category] for p in held_out])

    heads, seconds = {}, {}
    for name, noise in (("clean-trained head (control)", False),
                        ("uniform-noise-trained head", True)):
        t = time.perf_counter()
        heads[name] = train_head(frozen, train_images, train_labels, noise=noise,
                                 epochs=args.epochs, batch=args.batch_size, lr=args.lr,
                                 seed=args.seed)
        seconds[name] = time.perf_counter() - t
        print(f"trained {name} in {seconds[name]:.0f} s", flush=True)

    observers = ["pretrained, 1000-to-16 `sum` rule", *heads]
    correct: dict[str, dict[str, int]] = {o: {} for o in observers}
    per_kind: dict[str, dict[str, dict[str, int]]] = {o: {} for o in observers}
    for c, (label, manipulation, parameters) in enumerate(CONDITIONS):
        pics = np.stack([manipulated(img, manipulation, parameters, [args.seed, 100 + c, i])
                         for i, img in enumerate(test_images)])
        features = torch.cat([frozen(pics[s:s + 64]) for s in range(0, len(pics), 64)])
        with torch.no_grad():
            sum_rule = decide_logits(frozen.classifier(features).numpy(), "sum").responses()
            answers = {observers[0]: np.array([index[r] for r in sum_rule])}
            for name, head in heads.items():
                answers[name] = head(features).argmax(1).numpy()
        for o in observers:
            hit = answers[o] == truth
            correct[o][label] = int(hit.sum())
            per_kind[o][label] = {k: int(hit[[p.kind == k for p in held_out]].sum())
                                  for k in KINDS}

    n = len(held_out)
    print(f"\nAccuracy in % [95 % Wilson interval] (correct/n), held-out objects, "
          f"n = {n} images per cell, {args.size} px, seed {args.seed}:\n")
    print("| held-out condition | " + " | ".join(observers) + " |")
    print("|---|" + "---|" * len(observers))
    for label, _, _ in CONDITIONS:
        print(f"| {label} | " + " | ".join(cell(correct[o][label], n) for o in observers)
              + " |")
    kinds_n = {k: counts[k][1] for k in KINDS}
    print(f"\nPer kind of image, correct (n: {kinds_n}):\n")
    print("| held-out condition | " + " | ".join(observers) + " |")
    print("|---|" + "---|" * len(observers))
    for label, _, _ in CONDITIONS:
        print(f"| {label} | " + " | ".join(
            ", ".join(f"{k} {per_kind[o][label][k]}" for k in KINDS) for o in observers)
            + " |")
    total = time.perf_counter() - begin
    print(f"\ntotal {total:.0f} s on {torch.get_num_threads()} thread(s)")
    if args.json:
        args.json.write_text(json.dumps(
            {"n_train": len(train), "n_held_out": n, "per_kind_n": kinds_n, "size": args.size,
             "epochs": args.epochs, "seed": args.seed, "correct": correct,
             "per_kind_correct": per_kind, "train_seconds": seconds, "total_seconds": total},
            indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
