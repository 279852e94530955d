"""Images per second of ``python -m models score`` against a plain loop, in one process.

The plain loop is how model-vs-human scores a network: one process, batches of 16, each
image loaded with PIL and put through torchvision transforms (Resize 256, CenterCrop 224,
ToTensor, Normalize), float32, ``torch.no_grad``. The scoring pipeline is the real one
(:func:`models.scoring.score`, writing a real trial file). On CUDA the pure forward
throughput on synthetic tensors (same batch size, channels_last, autocast) shows what
loading costs.

Also: the plain loop's forward pass alone (fp32, ``no_grad``, synthetic batches of 16)
against the pipeline's (same threads: one process), and the loader's share of a scoring
run (the same DataLoader iterated alone, no network, over the time of the scoring loop).

Goals (issue 17): the whole command >= 1.5x the plain loop on CPU, the loader under 10 %
of a scoring run; on a GPU >= 80% of the pure forward throughput.

Examples::

    python benchmarks/dnn_speed.py                              # CPU, 64 images
    python benchmarks/dnn_speed.py --device cuda --n-images 5000
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torchvision import transforms

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lab.manifest import ManifestEntry, sha256_file, write_manifest  # noqa: E402
from models.acceleration import autocast_dtype, prepare_model  # noqa: E402
from models.distributed import resolve_device  # noqa: E402
from models.options import ScoreOptions  # noqa: E402
from models.registry import get_spec  # noqa: E402
from models.scoring import auto_batch_size, score  # noqa: E402
from models.weights import build_model  # noqa: E402

DEMO = REPO / "stimuli" / "demo" / "source"


def make_stimulus_set(root: Path, n: int) -> list[Path]:
    """``n`` distinct 224 px PNGs (bundled demo images with a per-copy brightness shift)."""
    sources = sorted(DEMO.glob("*/*.png"))
    root.mkdir(parents=True)
    entries, files = [], []
    for i in range(n):
        src = sources[i % len(sources)]
        pixels = np.asarray(Image.open(src).convert("RGB"), dtype=np.int16)
        pixels = np.clip(pixels + (i // len(sources)), 0, 255).astype(np.uint8)
        name = f"{i:05d}.png"
        Image.fromarray(pixels).save(root / name)
        files.append(root / name)
        entries.append(ManifestEntry(
            file=name, sha256=sha256_file(root / name), experiment="benchmark",
            condition="0", category=src.parent.name, source=src.name, seed=0, width=224,
            height=224,
        ))
    write_manifest(root / "manifest.csv", entries)
    return files


def plain_loop(model_name: str, files: list[Path], device: torch.device) -> float:
    """model-vs-human's way: PIL + transforms per image, batch 16, fp32. Images/s, model
    build included (as the command's end to end includes it)."""
    torch.manual_seed(0)
    start = time.perf_counter()
    model = get_spec(model_name).architecture().eval().to(device)
    tf = transforms.Compose([
        transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
        transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
    ])
    with torch.no_grad():
        for i in range(0, len(files), 16):
            batch = torch.stack([tf(Image.open(f).convert("RGB")) for f in files[i:i + 16]])
            logits = model(batch.to(device))
            torch.softmax(logits, dim=1).cpu().numpy()
    return len(files) / (time.perf_counter() - start)


def pipeline(model_name: str, stimuli: Path, out: Path, device: str, batch_size: int | None,
             workers: int | None) -> tuple[float, float]:
    """The real scoring command. (loop images/s, end-to-end images/s incl. sha256 check,
    model build and file creation)."""
    start = time.perf_counter()
    result = score(ScoreOptions(
        model=model_name, stimuli=stimuli, out=out, weights="none", device=device,
        batch_size=batch_size, workers=workers, progress=False,
    ))
    return result.images_per_second, result.n_images / (time.perf_counter() - start)


def plain_forward(model_name: str, device: torch.device, n: int) -> float:
    """The plain loop's forward pass alone: fp32, no_grad, synthetic batches of 16."""
    torch.manual_seed(0)
    model = get_spec(model_name).architecture().eval().to(device)
    x = torch.randn(16, 3, 224, 224, device=device)
    steps = max(1, n // 16)
    with torch.no_grad():
        model(x)
        start = time.perf_counter()
        for _ in range(steps):
            torch.softmax(model(x), dim=1).cpu().numpy()
    return steps * 16 / (time.perf_counter() - start)


def loader_alone(model_name: str, stimuli: Path, files: list[Path], device: torch.device,
                 batch_size: int, workers: int | None) -> float:
    """Seconds to iterate the scoring command's DataLoader over the set (no network)."""
    from models.acceleration import device_choices
    from models.loading import StimulusDataset, make_loader

    choices = device_choices(device, precision="auto", workers=workers, world=1)
    dataset = StimulusDataset(stimuli, [f.name for f in files],
                              get_spec(model_name).preprocessing)
    start = time.perf_counter()
    for _ in make_loader(dataset, batch_size=batch_size, workers=choices.workers,
                         pin_memory=device.type == "cuda"):
        pass
    return time.perf_counter() - start


def pure_forward(model_name: str, device: torch.device, batch_size: int, n: int) -> float:
    """Synthetic tensors already on the device, same model preparation. Images/s."""
    torch.manual_seed(0)
    model, _ = build_model(get_spec(model_name), "none")
    model, _ = prepare_model(model, device)
    dtype = autocast_dtype("auto", device)
    x = torch.randn(batch_size, 3, 224, 224, device=device).contiguous(
        memory_format=torch.channels_last)
    autocast = (torch.autocast(device.type, dtype=dtype) if dtype is not None
                else contextlib.nullcontext())
    steps = max(1, n // batch_size)
    with torch.inference_mode(), autocast:
        model(x)
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(steps):
            model(x).float().cpu()
        if device.type == "cuda":
            torch.cuda.synchronize()
    return steps * batch_size / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="example: python benchmarks/dnn_speed.py --device cuda --n-images 5000",
    )
    parser.add_argument("--model", default="resnet50")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--n-images", type=int, default=None,
                        help="images to score [64 on CPU, 5000 on CUDA]")
    parser.add_argument("--batch-size", type=int, default=None, help="pipeline batch size")
    parser.add_argument("--workers", type=int, default=None, help="pipeline loader workers")
    parser.add_argument("--repeats", type=int, default=2,
                        help="interleaved runs of each; the best counts [2]")
    args = parser.parse_args()

    device = resolve_device(args.device)
    n = args.n_images or (5000 if device.type == "cuda" else 64)
    batch = args.batch_size or auto_batch_size(device)
    tmp = Path(tempfile.mkdtemp(prefix="dnn-speed-"))
    try:
        files = make_stimulus_set(tmp / "set", n)
        print(f"{args.model} (random weights) on {n} images of 224 px, device {device}, "
              f"torch {torch.__version__}, {torch.get_num_threads()} threads")
        base = loop = end_to_end = 0.0
        loader = float("inf")
        for rep in range(args.repeats):  # interleaved, best of: fair on a shared machine
            base = max(base, plain_loop(args.model, files, device))
            a, b = pipeline(args.model, tmp / "set", tmp / f"out{rep}", str(device), batch,
                            args.workers)
            loop, end_to_end = max(loop, a), max(end_to_end, b)
            loader = min(loader, loader_alone(args.model, tmp / "set", files, device, batch,
                                              args.workers))
        print(f"  best of {args.repeats} interleaved runs each")
        print(f"  plain loop (PIL + transforms, no_grad, build):   {base:8.1f} images/s")
        print(f"  {f'models score (batch {batch}), inference loop:':48s} {loop:8.1f} images/s"
              f"   ratio {loop / base:.2f}x")
        print(f"  models score, end to end (sha256, build, write): {end_to_end:8.1f} images/s"
              f"   ratio {end_to_end / base:.2f}x  (goal >= 1.5x on CPU)")
        print(f"  loader alone: {loader:.2f} s = {loader * loop / n:.0%} of the scoring loop "
              f"({1000 * loader / n:.1f} ms per image; goal < 10 %)")
        plain_fw = plain_forward(args.model, device, n)
        fw = pure_forward(args.model, device, batch, n)
        print(f"  forward alone: plain (fp32, no_grad, batch 16)  {plain_fw:8.1f} images/s")
        print(f"  forward alone: models score's (batch {batch:<4d})    {fw:8.1f} images/s"
              f"   ratio {fw / plain_fw:.2f}x")
        if device.type == "cuda":
            print(f"  pipeline reaches {loop / fw:.0%} of the pure forward throughput")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
