"""``python -m models``: score networks on stimulus sets, train them on distortions,
measure their ImageNet top-1 and PGD robustness (generalisation targets), list the
registered networks."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from lab.errors import LabInputError
from lab.inputs import error_line, output_folder, read_text, run_command

EXAMPLES = """\
examples:
  python -m models list
  python -m models imagenet ~/data/imagenet/val --variant val --model resnet50 --out out/gen
  python -m models adversarial ~/data/imagenet/val --eps 0.5/255 --model resnet50 --out out/gen
  python -m models score --model efficientnet_lite0 --stimuli out/stimuli/contrast \\
      --out out/dnn --rule sum
  python -m models score --model resnet50 --weights DEFAULT --stimuli out/stimuli/contrast \\
      --out out/dnn --device cuda --batch-size 512
  python -m models score --model resnet18 --weights none --stimuli SET --out OUT
  torchrun --nproc_per_node 4 -m models score --model vgg19 --stimuli SET --out OUT
  python -m models score --models networks.txt --stimuli sets/cue-conflict \
      sets/critical-band sets/low-pass --out out/dnn

--models FILE: one network a line, "<name> [<weights>]" (weights DEFAULT, none or a
state_dict path; default DEFAULT), '#' starts a comment; every network is scored on
every --stimuli set, one after the other; a network whose weights cannot be had (e.g.
offline) is skipped with one line.

writes OUT/<experiment>/<model>_<rule>_ses-<session>.tsv and a .json sidecar beside it;
an existing file is never overwritten (use a new --session or --out). Until the run is
complete the rows are in <...>.tsv.partial; after a crash, a full disk or Ctrl-C, the same
command with --resume continues at the first unscored file.
"""


def _parser() -> argparse.ArgumentParser:
    from lab.decision_rules import DEFAULT, MAPPING_RULES
    from models.options import DEVICES, PRECISIONS
    from models.registry import RESIZE_POLICIES

    parser = argparse.ArgumentParser(
        prog="python -m models", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXAMPLES,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser(
        "score", help="score a network on a stimulus set",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXAMPLES,
        description="Score a network on the files of a stimulus set (checked against its "
                    "manifest), writing one trial record per image.",
    )
    which = s.add_mutually_exclusive_group(required=True)
    which.add_argument("--model", help="registered name (see 'list')")
    which.add_argument("--models", type=Path, metavar="FILE",
                       help="a file of networks, one '<name> [<weights>]' a line")
    s.add_argument("--weights", default="DEFAULT",
                   help="DEFAULT (pretrained; torchvision downloads and caches), none "
                        "(random, seeded) or PATH of a saved state_dict [DEFAULT]")
    s.add_argument("--stimuli", required=True, type=Path, nargs="+",
                   help="stimulus set folder (with manifest.csv); several with --models")
    s.add_argument("--out", required=True, type=Path, help="results folder")
    s.add_argument("--rule", choices=MAPPING_RULES, default=DEFAULT,
                   help="1000 -> 16 decision rule: sum (2018 paper), mean (model-vs-human), "
                        f"max (2017); a 16-way head is always 16-way [{DEFAULT}]")
    s.add_argument("--name", default=None,
                   help="the observer name in the trial files [the architecture for DEFAULT "
                        "and none; <architecture>@<run name> for a network trained here, e.g. "
                        "efficientnet_lite0@noise-run; <architecture>@<file>-<sha256[:8]> for "
                        "another weights file]")
    s.add_argument("--session", type=int, default=1, help="session number [1]")
    s.add_argument("--batch-size", type=int, default=None,
                   help="images per batch and rank [32 on CPU, 256 on CUDA]")
    s.add_argument("--device", choices=DEVICES, default="auto", help="[auto]")
    s.add_argument("--workers", type=int, default=None,
                   help="loader processes per rank [chosen for the machine]")
    s.add_argument("--precision", choices=PRECISIONS, default="auto",
                   help="auto: fp32 on CPU, bf16 (else fp16) autocast on CUDA [auto]")
    s.add_argument("--resize", choices=RESIZE_POLICIES, default=None,
                   help="files larger than the model's input: scale them (resize) or cut "
                        "the centre (centre-crop) [resize]")
    s.add_argument("--no-fuse", dest="fuse", action="store_false",
                   help="run the network as built (no batch-norm folding)")
    s.add_argument("--seed", type=int, default=0, help="torch seed for --weights none [0]")
    s.add_argument("--no-progress", dest="progress", action="store_false",
                   help="no progress bar")
    s.add_argument("--resume", action="store_true",
                   help="continue an interrupted run of the same options (its .partial "
                        "file) at the first unscored file")
    _train_parser(sub)
    _generalisation_parsers(sub)
    sub.add_parser("list", help="list the registered networks",
                   formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXAMPLES)
    return parser


TRAIN_EXAMPLES = """\
examples:
  python -m models train uniform-noise.toml
  python -m models train uniform-noise.toml --resume          # after a crash or kill
  python -m models train cfg.toml --set distortions.regime=all --out runs/all
  torchrun --nproc_per_node 8 -m models train cfg.toml        # DDP, one process per GPU

the run folder gets config.toml (the settled config), data-train.csv, checkpoint.pt (every
epoch and every run.checkpoint_every_steps steps), metrics.csv, learning-curves.png and at
the end model.pt + model-card.json; score it with
  python -m models score --model ARCH --weights RUN/model.pt --stimuli SET --out OUT

an example config (every key and its default: docs/training.md):
"""


def _train_parser(sub: argparse._SubParsersAction) -> None:
    from models.train_config import EXAMPLE

    t = sub.add_parser(
        "train", help="train a network on (distorted) images",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=TRAIN_EXAMPLES + "\n" + EXAMPLE,
        description="Train a network on 16-class (or 1000-class) ImageNet-style folders "
                    "with the distortions of the 2018 paper or Gaussian/speckle noise. The "
                    "config is a TOML file; flags override its keys.")
    t.add_argument("config", type=Path,
                   help="the run's TOML config, or a shipped one by name: figure4/A1 ... "
                        "figure4/C2 (Geirhos et al. 2018, Figure 4), cpu-example")
    t.add_argument("--resume", action="store_true",
                   help="continue the run in run.out from its last checkpoint (the config "
                        "must be the one it was started with)")
    t.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="SECTION.KEY=VALUE", help="override a config key (repeatable)")
    t.add_argument("--train", help="= --set data.train=FOLDER")
    t.add_argument("--val", help="= --set data.val=FOLDER")
    t.add_argument("--out", help="= --set run.out=OUT")
    t.add_argument("--epochs", type=int, help="= --set run.epochs=N")
    t.add_argument("--batch-size", type=int, help="= --set run.batch_size=N (global)")
    t.add_argument("--max-steps", type=int, help="= --set run.max_steps=N")
    t.add_argument("--device", choices=("auto", "cpu", "cuda"), help="= --set run.device=...")
    t.add_argument("--seed", type=int, help="= --set run.seed=N")
    t.add_argument("--no-progress", dest="progress", action="store_false", default=None,
                   help="no progress bars (they only appear on a terminal anyway)")


IMAGENET_EXAMPLES = """\
examples:
  python -m models imagenet ~/data/imagenet/val --variant val --model resnet50 --out out/gen
  python -m models imagenet ~/data/imagenet-r --variant r --models networks.txt --out out/gen
  python -m models imagenet ~/data/imagenet-c --variant c --model resnet50 --out out/gen \\
      --device cuda --workers 8
  python -m models imagenet FOLDER --variant val --model resnet50 --out OUT --resume

FOLDER holds one sub-folder per class named by its wnid (n01440764/...), at any depth:
ImageNet val, -v2, -Sketch, -R, -A directly; ImageNet-C as <corruption>/<severity>/<wnid>/
(the path above the wnid folder is the trial's condition). Top-1 of the 1000 ImageNet
classes (val, v2, sketch, c) or of the folder's classes only (r, a: their 200), as
Gavrikov & Keuper (2024) scored them; images Resize(256) + CenterCrop(224) (-C as stored).

writes OUT/imagenet-<variant>/<observer>_top1-<k>_ses-<session>.tsv (one per network, the
trial schema of 'score'; category/response are wnids) and a .json sidecar; rows go to
<...>.tsv.partial until the run is complete; after a crash or Ctrl-C the same command with
--resume continues at the first unscored image. 'python -m results biases OUT ...' uses
them as generalisation targets (docs/analysis.md).
"""

ADVERSARIAL_EXAMPLES = """\
examples:
  python -m models adversarial ~/data/imagenet/val --model resnet50 --out out/gen
  python -m models adversarial ~/data/imagenet/val --eps 0.5/255 --steps 40 \\
      --models networks.txt --out out/gen --device cuda
  python -m models adversarial FOLDER --model resnet50 --out OUT --resume

PGD under an L-inf bound as Gavrikov & Keuper (2024) measured adversarial robustness
(their code/eval_imagenet_adv.py: foolbox LinfPGD, 40 steps of 2/255, eps 0.5/255, random
start; here in torch): one row per image, correct = the network still classifies the
attacked image correctly (1000-way top-1); condition = the eps as given. Pixels are in
[0, 1], so eps is in pixel units (0.5/255 = 0.00196).

writes OUT/imagenet-pgd/<observer>_pgd<steps>-eps<eps>_ses-<session>.tsv and its sidecar
(resumable with --resume, like 'imagenet').
"""


def _fraction(text: str, option: str) -> float:
    """``0.5/255`` or ``0.00196`` as a float, 0 or more; one line naming ``option``."""
    from lab.inputs import number

    parts = str(text).split("/")
    example = f"e.g. {option} 0.5/255"
    if len(parts) > 2:
        raise LabInputError(f"{option} {text}: give a number or a fraction, {example}")
    values = [number(p, option, low=0, example="0.5/255") for p in parts]
    if len(values) == 2 and values[1] == 0:
        raise LabInputError(f"{option} {text}: division by zero; {example}")
    return values[0] / values[1] if len(values) == 2 else values[0]


def _common_eval_options(p: argparse.ArgumentParser) -> None:
    from models.options import DEVICES

    p.add_argument("folder", type=Path, help="ImageNet-style folder (wnid sub-folders)")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--model", nargs="+", metavar="NAME",
                       help="registered name(s) (see 'list')")
    which.add_argument("--models", type=Path, metavar="FILE",
                       help="a file of networks, one '<name> [<weights>]' a line")
    p.add_argument("--weights", default="DEFAULT",
                   help="DEFAULT (pretrained), none (random, seeded) or PATH of a saved "
                        "state_dict, for --model [DEFAULT]")
    p.add_argument("--out", required=True, type=Path, help="results folder")
    p.add_argument("--name", default=None,
                   help="the observer name (one --model only) [as for 'score']")
    p.add_argument("--session", type=int, default=1, help="session number [1]")
    p.add_argument("--batch-size", type=int, default=None,
                   help="images per batch [imagenet: 16 on CPU, 256 on CUDA; adversarial: "
                        "8 on CPU, 128 on CUDA]")
    p.add_argument("--device", choices=DEVICES, default="auto", help="[auto]")
    p.add_argument("--workers", type=int, default=None,
                   help="loader processes (decoding, sha256) [0 on CPU, up to 8 on CUDA]")
    p.add_argument("--seed", type=int, default=0,
                   help="torch seed for --weights none and PGD's random start [0]")
    p.add_argument("--no-progress", dest="progress", action="store_false",
                   help="no progress bar (it only appears on a terminal anyway)")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted run of the same options (its .partial "
                        "file) at the first unscored image")


def _generalisation_parsers(sub: argparse._SubParsersAction) -> None:
    from models.imagenet_eval import VARIANTS

    i = sub.add_parser(
        "imagenet", help="top-1 on an ImageNet-style folder (val, v2, sketch, c, r, a)",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=IMAGENET_EXAMPLES,
        description="Score networks on an ImageNet-style folder, one trial record per "
                    "image: the generalisation targets of Gavrikov & Keuper (2024).")
    _common_eval_options(i)
    i.add_argument("--variant", required=True, choices=tuple(VARIANTS),
                   help="which set: val, v2, sketch, c (1000-way), r, a (the folder's "
                        "classes only); the experiment is imagenet-<variant>")
    a = sub.add_parser(
        "adversarial", help="PGD L-inf robust accuracy on an ImageNet-style folder",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=ADVERSARIAL_EXAMPLES,
        description="Attack networks with PGD under an L-inf bound on an ImageNet-style "
                    "folder, one trial record per image (experiment imagenet-pgd).")
    _common_eval_options(a)
    a.add_argument("--eps", default="0.5/255", metavar="EPS",
                   help="L-inf bound in pixel units, a number or a fraction [0.5/255]")
    a.add_argument("--steps", type=int, default=40, help="PGD steps [40]")
    a.add_argument("--step-size", default="2/255", metavar="STEP",
                   help="step size in pixel units [2/255]")


def _evaluate(args: argparse.Namespace) -> int:
    import math

    from lab.inputs import input_folder
    from models.generalisation import EvalOptions, evaluate

    input_folder(args.folder, "ImageNet-style (wnid sub-folders)")
    output_folder(args.out)
    if args.session < 1:
        raise LabInputError(f"--session {args.session}: sessions start at 1")
    if args.batch_size is not None and args.batch_size < 1:
        raise LabInputError(f"--batch-size {args.batch_size}: use a positive number")
    if (args.workers is not None and args.workers < 0) or args.seed < 0:
        raise LabInputError("--workers and --seed: use 0 or more")
    pgd = args.command == "adversarial"
    if pgd and args.steps < 0:
        raise LabInputError(f"--steps {args.steps}: use 0 or more")
    if args.models is not None:
        networks = read_network_list(args.models)
    else:
        from models.registry import get_spec

        for name in args.model:
            get_spec(name)  # an unknown name: one line before anything runs
        networks = [(name, args.weights) for name in args.model]
    if args.name is not None and len(networks) > 1:
        raise LabInputError("--name names one network; give one --model")
    extra: dict = {}
    if pgd:
        text = str(args.eps).replace(" ", "")
        step = _fraction(args.step_size, "--step-size")
        extra = {"variant": "pgd", "eps": _fraction(text, "--eps"), "eps_text": text,
                 "steps": args.steps, "step_size": step}
        if step == 0:
            raise LabInputError(f"--step-size {args.step_size}: use a positive step, e.g. "
                                "2/255")
    else:
        extra = {"variant": args.variant}
    skipped = 0
    for name, weights in networks:
        opts = EvalOptions(model=name, folder=args.folder, out=args.out, weights=weights,
                           session=args.session, device=args.device,
                           batch_size=args.batch_size, workers=args.workers, seed=args.seed,
                           progress=args.progress, resume=args.resume, name=args.name,
                           **extra)
        try:
            result = evaluate(opts)
        except LabInputError as err:
            if len(networks) == 1:
                raise
            print(f"skipped {name}: {_one_line(err)}", file=sys.stderr)
            skipped += 1
            continue
        rate = (result.scored_now / result.seconds if result.seconds > 0 else math.nan)
        what = "robust accuracy" if pgd else "top-1"
        print(f"wrote {result.path} ({result.n_images} images, {what} "
              f"{result.accuracy:.1%}, {rate:.1f} images/s)")
    if skipped:
        print(f"{skipped} of {len(networks)} network(s) skipped", file=sys.stderr)
        return 1
    return 0


def _train(args: argparse.Namespace) -> int:
    from models.train_config import load_config, parse_override, shipped_config

    args.config = shipped_config(args.config)
    overrides = dict(parse_override(o) for o in args.overrides)
    for flag, key in (("train", "data.train"), ("val", "data.val"), ("out", "run.out"),
                      ("epochs", "run.epochs"),
                      ("batch_size", "run.batch_size"), ("max_steps", "run.max_steps"),
                      ("device", "run.device"), ("seed", "run.seed"),
                      ("progress", "run.progress")):
        if getattr(args, flag) is not None:
            overrides[key] = getattr(args, flag)
    read_text(args.config, "training config (TOML)")  # binary or not UTF-8: one line
    cfg = load_config(args.config, overrides)
    if not args.resume:  # before any process starts writing
        output_folder(cfg.run.out, "run folder (run.out)", option="run.out")
    from models.training import finished, train

    done_before = args.resume and finished(Path(cfg.run.out))
    out = train(cfg, resume=args.resume)
    if os.environ.get("RANK", "0") != "0":
        return 0
    if done_before:
        print(f"{out}: the run has finished already; --resume changed nothing "
              f"({out}/model.pt kept as it was)")
    else:
        print(f"wrote {out}/model.pt and {out}/model-card.json")
    return 0


def _list() -> None:
    from models.registry import PAPER_MODELS, get_spec, list_models

    for name in list_models():
        spec = get_spec(name)
        pre = spec.preprocessing
        tags = []
        if name in PAPER_MODELS:
            tags.append("paper")
        if spec.note:
            tags.append(spec.note)
        tag = f"  [{', '.join(tags)}]" if tags else ""
        print(f"{name:24s} {spec.source[:26]:26s} {pre.input_size:4d}px  "
              f"{spec.default_weights}{tag}")


def _one_line(err: LabInputError) -> str:
    """The message; for an error re-raised from a DataLoader worker (whose text is the
    worker's traceback) its own line."""
    return error_line(err)


def read_network_list(path: Path) -> list[tuple[str, str]]:
    """``(name, weights)`` per line of a network list; one-line error naming the line."""
    from models.registry import get_spec

    lines = read_text(path, "network list", fix="write one '<name> [<weights>]' a "
                      "line").splitlines()
    networks = []
    for number, line in enumerate(lines, start=1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        if len(fields) > 2:
            raise LabInputError(f"{path}:{number}: expected '<name> [<weights>]', got "
                                f"{line.strip()!r}")
        try:
            get_spec(fields[0])
        except LabInputError as err:
            raise LabInputError(f"{path}:{number}: {err}") from None
        networks.append((fields[0], fields[1] if len(fields) == 2 else "DEFAULT"))
    if not networks:
        raise LabInputError(f"{path}: no networks listed; write one '<name> [<weights>]' "
                            "a line")
    return networks


def _options(args: argparse.Namespace, model: str, weights: str, stimuli: Path):
    from models.options import ScoreOptions

    return ScoreOptions(
        model=model, stimuli=stimuli, out=args.out, weights=weights,
        rule=args.rule, session=args.session, device=args.device,
        batch_size=args.batch_size, workers=args.workers, precision=args.precision,
        resize=args.resize, fuse=args.fuse, seed=args.seed, progress=args.progress,
        resume=args.resume, name=args.name,
    )


def _report(result) -> None:
    for path in result.paths:
        experiment = path.parent.name
        total = result.totals[experiment]
        acc = result.correct[experiment] / total if total else float("nan")
        print(f"wrote {path} ({total} trials, accuracy {acc:.1%}, "
              f"{result.images_per_second:.1f} images/s)")


def _score_many(args: argparse.Namespace) -> int:
    """The single-network path, once per listed network and stimulus set; a network that
    cannot be scored (weights unavailable offline, output present) is skipped with one
    line and the next one runs."""
    import time

    from models.scoring import score

    networks = read_network_list(args.models)
    start, skipped, images = time.perf_counter(), 0, 0
    for name, weights in networks:
        for stimuli in args.stimuli:
            try:
                result = score(_options(args, name, weights, stimuli))
            except LabInputError as err:
                print(f"skipped {name} on {stimuli}: {_one_line(err)}", file=sys.stderr)
                skipped += 1
                continue
            images += result.n_images
            _report(result)
    seconds = time.perf_counter() - start
    print(f"{len(networks)} network(s) x {len(args.stimuli)} set(s): {images} images in "
          f"{seconds:.1f} s ({images / seconds if seconds else float('nan'):.1f} images/s "
          f"overall), {skipped} skipped")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    leader = os.environ.get("RANK", "0") == "0"
    interrupted = ("interrupted: every finished batch is on disk; continue with the same "
                   "command and --resume" if args.command in ("score", "imagenet",
                                                              "adversarial")
                   else "interrupted: continue from the last checkpoint with --resume")
    return run_command(lambda: _command(args), interrupted=interrupted, quiet=not leader)


def _command(args: argparse.Namespace) -> int:
    if args.command == "list":
        try:
            _list()
        except BrokenPipeError:  # e.g. piped into head
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    if args.command == "train":
        return _train(args)
    if args.command in ("imagenet", "adversarial"):
        return _evaluate(args)
    from models.scoring import score

    if args.models is not None:
        if args.name is not None:
            raise LabInputError("--name names one network; with --models FILE each "
                                "network gets its default name")
        return _score_many(args)
    if len(args.stimuli) > 1:
        raise LabInputError("several --stimuli sets need --models FILE; score one set "
                            "per --model run")
    _report(score(_options(args, args.model, args.weights, args.stimuli[0])))
    return 0
