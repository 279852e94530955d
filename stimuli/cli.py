"""``python -m stimuli``: apply one manipulation, build a stimulus set, list, check-mapping."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np

from stimuli.categories import check_mapping_file
from stimuli.data_files import IMAGENET_FILE, MAPPING_FILE
from stimuli.design import list_experiments, load_experiment
from stimuli.errors import LabInputError
from stimuli.images import fit_square, load_rgb, write_png
from stimuli.manipulations import get_manipulation, list_manipulations

EPILOG = """examples:
  python -m stimuli list
  python -m stimuli apply contrast c10 stimuli/data/example_image.png out/contrast.png
  python -m stimuli apply eidolon-II 8-3-10 in.jpg out.png --size 256 --seed 7
  python -m stimuli build cue-conflict --source stimuli/demo/source --out out/cue \\
      --per-condition 48 --seed 1
  python -m stimuli build contrast --source ~/imagenet16 --out out/contrast-s01 --set s01
  python -m stimuli check-mapping
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m stimuli", description="Stimuli of Geirhos et al. 2018.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("apply", help="manipulate one image, write an 8-bit PNG",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("manipulation", help="e.g. contrast, eidolon-I (see 'list')")
    p.add_argument("condition", help="condition code, e.g. c10, 0.35, 8-3-10")
    p.add_argument("input", type=Path, help="source image")
    p.add_argument("output", type=Path, help="output PNG")
    p.add_argument("--seed", type=int, default=0, help="seed of the random generator (0)")
    p.add_argument("--size", type=int, default=None,
                   help="centre-crop to square and resize (Lanczos) to SIZE px first")

    b = sub.add_parser("build", help="build a balanced stimulus set with manifest.csv",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    b.add_argument("experiment", help="experiment name (see 'list')")
    b.add_argument("--source", type=Path, required=True,
                   help="folder with one sub-folder of images per class")
    b.add_argument("--out", type=Path, required=True, help="output folder")
    b.add_argument("--seed", type=int, default=0, help="seed of the set (0)")
    b.add_argument("--per-condition", type=int, default=None,
                   help="images per condition, a multiple of 16 "
                        "(default: trials per observer / conditions)")
    b.add_argument("--set", dest="set_name", default="s01",
                   help="set name in the file names, e.g. s01 or dnn (s01)")
    b.add_argument("--force", action="store_true",
                   help="replace a previous stimulus set in --out (never other files)")
    b.add_argument("--workers", type=int, default=None,
                   help="worker processes (default: number of cores)")

    sub.add_parser("list", help="list experiments and manipulations with their conditions",
                   epilog="example:\n  python -m stimuli list",
                   formatter_class=argparse.RawDescriptionHelpFormatter)

    c = sub.add_parser(
        "check-mapping",
        help="check the ImageNet-to-16-class (WNID) mapping file",
        description="Check that the mapping file gives, for each of the 16 classes, "
        "exactly the ImageNet classes (WNIDs) the 2018 paper used (the table "
        "IMAGENET_INDICES in stimuli/categories.py).",
        epilog="examples:\n  python -m stimuli check-mapping\n"
               "  python -m stimuli check-mapping --mapping my_mapping.txt",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("--mapping", type=Path, default=MAPPING_FILE,
                   help="the mapping file (default: the bundled "
                        "MSCOCO_to_ImageNet_category_mapping.txt)")
    c.add_argument("--imagenet", type=Path, default=IMAGENET_FILE,
                   help="the list of ImageNet classes (default: the bundled "
                        "imagenet_categories.txt)")
    return parser


def _apply(args: argparse.Namespace) -> None:
    manipulation = get_manipulation(args.manipulation)
    manipulation.check_condition(args.condition)
    image = load_rgb(args.input)
    if args.size is not None:
        if args.size <= 0:
            raise LabInputError(f"--size {args.size}: must be a positive number of px")
        image = fit_square(image, args.size)
    out = manipulation(image, args.condition, np.random.default_rng(args.seed))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_png(out, args.output)
    print(f"wrote {args.output} ({args.manipulation} {args.condition}, seed {args.seed})")


def _build(args: argparse.Namespace) -> None:
    from stimuli.builder import build_set

    entries = build_set(
        args.experiment, args.source, args.out, seed=args.seed,
        per_condition=args.per_condition, set_name=args.set_name, force=args.force,
        workers=args.workers, progress=True,
    )
    print(f"wrote {len(entries)} stimuli and manifest.csv to {args.out}")


def _list() -> None:
    used = set()
    print("experiments (name: manipulation, image size, conditions):")
    for name in list_experiments():
        design = load_experiment(name)
        used.add(design.manipulation)
        print(f"  {name}: {design.manipulation}, {design.image_size} px, "
              f"{' '.join(design.conditions)}")
    print("manipulations (name: conditions):")
    for name in list_manipulations():
        m = get_manipulation(name)
        note = "" if name in used else "  [no experiment]"
        print(f"  {name}: {' '.join(m.conditions)}{note}")


def _check_mapping(args: argparse.Namespace) -> None:
    check_mapping_file(args.mapping, args.imagenet)
    print(f"ok: {args.mapping} matches the 2018 paper's class table (16 classes)")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    try:
        if args.command == "apply":
            _apply(args)
        elif args.command == "build":
            _build(args)
        elif args.command == "list":
            _list()
        else:
            _check_mapping(args)
    except LabInputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; nothing was written to --out", file=sys.stderr)
        return 130
    return 0
