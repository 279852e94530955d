"""The 2018 paper's Figure-4 effect in miniature, on the CPU (docs/models.md reports it).

Fine-tunes the offline pretrained EfficientNet-Lite0 with a fresh 16-way head (head only,
or end to end with ``--end-to-end``) on uniform-noise images through
``python -m models train``, then compares on held-out images:

* the pretrained network with the 1000-to-16 mapping (``sum`` rule, the 2018 paper's), and
* the fine-tuned network scored through its 16-way head,

at uniform noise 0.00 / 0.35 / 0.60 (trained distortion) and at untrained ones
(salt-and-pepper 0.2, low-pass 7 px, contrast 5%), plus the clean colour images.

Images (16 classes, the class = the shape): the 48 bundled cue-conflict demo images and,
when ``../shared`` is there, the texture-vs-shape edges (160), filled silhouettes (160) and
cue-conflict images (160). Split by object: all images of object 3, 6 and 9 of each class
(edge, silhouette and cue-conflict versions alike) are held out, the rest train, so no
object is seen in training; the cue-conflict images' shapes are numbered 1 and 2 only,
so shape 2 of each class is held out there. Every held-out image is manipulated with the
numpy code of ``stimuli.manipulations`` with a fixed seed per image.

    python scripts/noise_training_miniature.py --work /tmp/miniature
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lab.categories import CATEGORIES  # noqa: E402
from lab.images import load_rgb, to_uint8  # noqa: E402
from models.decision import decide_logits  # noqa: E402
from models.loading import normalise  # noqa: E402
from models.registry import get_spec  # noqa: E402
from models.weights import build_model  # noqa: E402
from stimuli.manipulations import get_manipulation  # noqa: E402

SHARED = REPO.parent / "shared" / "data" / "texture-vs-shape" / "stimuli"
KINDS = {"demo-cue-conflict": REPO / "stimuli" / "demo" / "source",
         "edges": SHARED / "edges", "silhouettes": SHARED / "filled-silhouettes",
         "cue-conflict": SHARED / "style-transfer-preprocessed-512"}
#: held out: objects 3, 6, 9 of each class among edges and silhouettes (made from the same
#: 160 pictures, so an object is held out in both forms); shape 2 of the cue-conflict images
#: (their shapes are numbered 1 and 2 only).
HELD_OUT_OBJECTS = {3, 6, 9}
HELD_OUT_SHAPES = {2}


def is_held_out(kind: str, number: int) -> bool:
    if kind.endswith("cue-conflict"):
        return number in HELD_OUT_SHAPES
    return number in HELD_OUT_OBJECTS
CONDITIONS = [("clean colour", "none", {}),
              ("uniform noise 0.00", "uniform-noise", {"width": 0.0}),
              ("uniform noise 0.35", "uniform-noise", {"width": 0.35}),
              ("uniform noise 0.60", "uniform-noise", {"width": 0.6}),
              ("salt-and-pepper 0.2", "salt-and-pepper", {"probability": 0.2}),
              ("low-pass 7", "low-pass", {"sigma": 7.0}),
              ("contrast 5%", "contrast", {"contrast": 0.05})]


def images() -> list[tuple[str, Path, str, int]]:
    """(kind, path, class, object number), duplicates (same file name) once."""
    seen, out = set(), []
    for kind, root in KINDS.items():
        for path in sorted(root.glob("*/*.png")) if root.is_dir() else []:
            key = ("cue-conflict" if kind.endswith("cue-conflict") else kind, path.name)
            if key in seen:
                continue
            seen.add(key)
            number = int(re.match(r"[a-z]+(\d+)", path.stem).group(1))
            out.append((kind, path, path.parent.name, number))
    return out


def evaluate(model: torch.nn.Module, spec_name: str, held_out: list, head16: bool) -> dict:
    """Accuracy on the held-out images at every condition (batches of 16)."""
    pre = get_spec(spec_name).preprocessing
    acc = {}
    for label, name, parameters in CONDITIONS:
        m = get_manipulation(name)
        answers = []
        for start in range(0, len(held_out), 16):
            chunk = held_out[start:start + 16]
            pics = [to_uint8(m(load_rgb(path, size=224), np.random.default_rng(1000 + start + i),
                               **parameters))
                    for i, (_, path, _, _) in enumerate(chunk)]
            x = torch.from_numpy(np.stack(pics)).permute(0, 3, 1, 2)
            with torch.no_grad():
                logits = model(normalise(x, pre, torch.device("cpu"))).numpy()
            answers += ([CATEGORIES[i] for i in logits.argmax(1)] if head16
                        else decide_logits(logits, "sum").responses())
        acc[label] = float(np.mean([a == r[2] for a, r in zip(answers, held_out,
                                                               strict=True)]))
        print(f"  {label:22s} {acc[label]:.3f}", flush=True)
    return acc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, required=True, help="folder for the run")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--end-to-end", action="store_true",
                        help="fine-tune every layer (default: the new 16-way head only)")
    args = parser.parse_args()
    everything = images()
    train = [r for r in everything if not is_held_out(r[0], r[3])]
    held_out = [r for r in everything if is_held_out(r[0], r[3])]
    folder = args.work / "train"
    for kind, path, category, _ in train:
        (folder / category).mkdir(parents=True, exist_ok=True)
        link = folder / category / f"{kind}-{path.name}"
        if not link.exists():
            link.symlink_to(path.resolve())
    print(f"{len(train)} training images, {len(held_out)} held-out images "
          f"({', '.join(f'{k}: {sum(r[0] == k for r in held_out)}' for k in KINDS)})")
    run = args.work / ("run-end-to-end" if args.end_to_end else "run-head")
    config = args.work / "noise.toml"
    config.write_text(f"""
[model]
architecture = "efficientnet_lite0"
weights = "DEFAULT"
head = 16
train_only_head = {str(not args.end_to_end).lower()}
batch_norm = "frozen"
[data]
train = "{folder}"
image_size = 224
crop = "resize"
flip = true
workers = 0
[distortions]
regime = "one"
manipulation = "uniform-noise"
[optim]
lr = {0.1 if not args.end_to_end else 0.01}
[run]
out = "{run}"
epochs = {args.epochs}
batch_size = 32
""")
    if not (run / "model.pt").exists():
        subprocess.run([sys.executable, "-m", "models", "train", str(config),
                        *(["--resume"] if (run / "checkpoint.pt").exists() else [])],
                       cwd=REPO, check=True)
    print("pretrained EfficientNet-Lite0, 1000-to-16 mapping (sum rule):")
    pretrained, _ = build_model(get_spec("efficientnet_lite0"), "DEFAULT")
    before = evaluate(pretrained, "efficientnet_lite0", held_out, head16=False)
    print("fine-tuned on uniform noise, 16-way head:")
    tuned, _ = build_model(get_spec("efficientnet_lite0"), str(run / "model.pt"))
    after = evaluate(tuned, "efficientnet_lite0", held_out, head16=True)
    result = {"n_train": len(train), "n_held_out": len(held_out), "pretrained_sum": before,
              "noise_trained_16_way": after, "run": str(run)}
    (args.work / f"{run.name}-result.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
