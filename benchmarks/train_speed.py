"""Training speed with on-the-fly distortions against clean images, in the same process.

One training step = the device-side distortions (models.augment) + normalisation + forward
+ backward + SGD step, on a fixed batch of real pictures (decoding is left out: it is the
same with or without distortions). Regimes are measured in interleaved rounds (clean,
uniform noise, all device-side distortions, Gaussian noise) and the best round of each is
compared with clean. The eidolons run in the loader workers (CPU, numpy) and are measured
separately: images/s of one worker.

    python benchmarks/train_speed.py                       # CPU: resnet18, 112 px
    python benchmarks/train_speed.py --arch resnet50 --size 224 --batch-size 256 --device cuda
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from models.augment import apply_plan  # noqa: E402
from models.distortion_plan import (  # noqa: E402
    draw_for,
    levels_of,  # noqa: E402
    make_plan,
)
from models.train_config import DistortionSection  # noqa: E402
from models.train_data import numpy_manipulation  # noqa: E402

REGIMES = {
    "clean": DistortionSection(regime="clean"),
    "uniform-noise": DistortionSection(regime="one", manipulation="uniform-noise"),
    "all (the paper's eight)": DistortionSection(regime="all"),
    "gaussian 0.5": DistortionSection(regime="gaussian", sigmas=(0.5,)),
}


def batch_of_pictures(n: int, size: int) -> torch.Tensor:
    from PIL import Image

    paths = sorted((REPO / "stimuli" / "demo" / "source").glob("*/*.png"))
    pics = [np.asarray(Image.open(paths[i % len(paths)]).convert("RGB").resize((size, size)))
            for i in range(n)]
    return torch.from_numpy(np.stack(pics)).permute(0, 3, 1, 2).contiguous()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--arch", default="resnet18")
    p.add_argument("--size", type=int, default=112)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--steps", type=int, default=3, help="steps per round")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = p.parse_args()
    device = torch.device(args.device)
    from torchvision import models as tvm

    model = tvm.get_model(args.arch, num_classes=16).to(device).to(
        memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    images = batch_of_pictures(args.batch_size, args.size).to(device)
    labels = torch.arange(args.batch_size, device=device) % 16
    dtype = torch.bfloat16 if device.type == "cuda" else None
    regimes = dict(REGIMES)
    if args.size != 224:  # power equalisation needs 224 px: leave it out at other sizes
        regimes["all (device-side)"] = DistortionSection(regime="all", manipulations=tuple(
            n for n in regimes["all (device-side)"].manipulations if n != "power-equalisation"))
    plans = {k: make_plan(v, args.size) for k, v in regimes.items()}

    def step(plan, epoch: int) -> None:
        draws = [draw_for(plan, 0, epoch, i)[0] for i in range(args.batch_size)]
        which = torch.tensor([d.manipulation for d in draws])
        params = torch.tensor([d.parameter for d in draws])
        seeds = torch.tensor([d.noise_seed for d in draws])
        x = apply_plan(images.float() / 255, plan, which, params, seeds)
        x = ((x - 0.45) / 0.225).contiguous(memory_format=torch.channels_last)
        ctx = torch.autocast(device.type, dtype=dtype) if dtype else torch.autocast(
            "cpu", enabled=False)
        with ctx:
            loss = F.cross_entropy(model(x).float(), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()

    for plan in plans.values():  # warm-up
        step(plan, 0)
    best = dict.fromkeys(plans, float("inf"))
    for r in range(args.rounds):
        for name, plan in plans.items():
            sync()
            t = time.perf_counter()
            for s in range(args.steps):
                step(plan, r * 100 + s)
            sync()
            best[name] = min(best[name], time.perf_counter() - t)
    print(f"{args.arch}, {args.size} px, batch {args.batch_size}, {device} "
          f"({torch.get_num_threads()} threads), best of {args.rounds} rounds x {args.steps} "
          "steps")
    clean = args.steps * args.batch_size / best["clean"]
    for name in plans:
        rate = args.steps * args.batch_size / best[name]
        print(f"  {name:20s} {rate:9.1f} images/s   cost vs clean {clean / rate - 1:+6.1%}")
    pic = images[0].cpu()
    t = time.perf_counter()
    n = 4
    level = levels_of("eidolon-II")[3]  # reach 8
    for i in range(n):
        numpy_manipulation(pic, level, i)
    print(f"  eidolon-II 8-3-10 in one CPU worker: {n / (time.perf_counter() - t):.1f} "
          f"images/s ({args.size} px)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
