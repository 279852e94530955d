"""``python -m stimuli``: apply one manipulation, build a stimulus set, list, check-mapping."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from lab.categories import check_mapping_file
from lab.design import designs_using, list_experiments, load_experiment
from lab.errors import LabInputError
from lab.images import fit_square, load_rgb, png_bytes
from lab.inputs import MAX_IMAGE_PX, is_whole_float, number, output_file, run_command, whole
from stimuli.data_files import IMAGENET_FILE, MAPPING_FILE
from stimuli.manipulations import get_manipulation, list_manipulations

EPILOG = """examples:
  python -m stimuli list
  python -m stimuli apply contrast c10 stimuli/data/example_image.png out/contrast.png
  python -m stimuli apply eidolonII 8-3-10 in.jpg out.png --size 256 --seed 7
  python -m stimuli apply salt-and-pepper probability=0.2 in.jpg out.png
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
    p.add_argument("manipulation", metavar="experiment|manipulation",
                   help="an experiment (e.g. contrast, eidolonII) or a manipulation "
                        "(e.g. salt-and-pepper; see 'list')")
    p.add_argument("condition", help="a condition code of the experiment (e.g. c10, 0.35, "
                   "8-3-10) or the manipulation's parameters (e.g. probability=0.2 or "
                   "reach=8,coherence=0.3)")
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
    b.add_argument("--rgb-files", action="store_true",
                   help="write grey stimuli as RGB PNGs with three identical channels "
                        "(default: 8-bit greyscale PNGs with the same pixels)")

    sub.add_parser("list", help="list experiments and manipulations with their conditions",
                   epilog="example:\n  python -m stimuli list",
                   formatter_class=argparse.RawDescriptionHelpFormatter)

    c = sub.add_parser(
        "check-mapping",
        help="check the ImageNet-to-16-class (WNID) mapping file",
        description="Check that the mapping file gives, for each of the 16 classes, "
        "exactly the ImageNet classes (WNIDs) the 2018 paper used (the table "
        "IMAGENET_INDICES in lab/categories.py).",
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


def _parse_parameters(text: str) -> dict[str, float | bool]:
    """``"reach=8,coherence=0.3"`` -> ``{"reach": 8.0, "coherence": 0.3}``."""
    out: dict[str, float | bool] = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip().lower()
        if not sep or not key:
            raise LabInputError(f"condition {text!r}: write parameters as name=value[,...]")
        if value in ("true", "false"):
            out[key] = value == "true"
            continue
        try:
            float(value)
        except ValueError:
            raise LabInputError(f"condition {text!r}: {key} must be a number or "
                                "true/false") from None
        out[key] = number(value, f"condition {text!r}: {key}")
    return out


def _whole_numbers(manipulation: Any, params: dict[str, float | bool]) -> dict[str, Any]:
    """A whole number typed as name=value (``degrees=90``, ``band=2.0``) is an int where
    the manipulation needs one."""
    kinds = {p.name: p.kind for p in manipulation.parameters}
    return {k: whole(v, k) if kinds.get(k) is int and is_whole_float(v) else v
            for k, v in params.items()}


def resolve_condition(name: str, condition: str) -> tuple[str, dict[str, Any], str]:
    """Manipulation name, parameters and a description for ``apply NAME CONDITION``.

    ``NAME`` is an experiment (``CONDITION`` one of its codes) or a manipulation
    (``CONDITION`` its parameters as ``name=value,...``, or a code of an experiment that
    uses it)."""
    if name in list_experiments():
        design = load_experiment(name)
        if "=" not in condition:
            return design.manipulation, design.parameters_of(condition), f"{name} {condition}"
        name = design.manipulation  # the experiment's manipulation with these numbers
    if name not in list_manipulations():
        names = list_experiments() + list_manipulations()
        close = difflib.get_close_matches(name, names, n=3)
        hint = f"did you mean {', '.join(close)}?" if close else "see 'python -m stimuli list'"
        raise LabInputError(f"unknown experiment or manipulation {name!r}: {hint}")
    manipulation = get_manipulation(name)
    if "=" in condition:
        params = manipulation.check_parameters(
            _whole_numbers(manipulation, _parse_parameters(condition)))
        return name, params, f"{name} {condition}"
    users = designs_using(name)
    for design in users:
        if condition in design.conditions:
            return name, design.parameters_of(condition), f"{name} {condition}"
    codes = sorted({c for d in users for c in d.conditions})
    hint = (f"use a code of {', '.join(d.name for d in users)} ({', '.join(codes)}) or "
            if users else "use ")
    example = ",".join(f"{p.name}=..." for p in manipulation.parameters) or "..."
    raise LabInputError(f"manipulation {name!r} has no condition {condition!r}: {hint}"
                        f"parameters, e.g. {example}")


def _apply(args: argparse.Namespace) -> None:
    from stimuli.builder import check_seed

    manipulation, params, what = resolve_condition(args.manipulation, args.condition)
    check_seed(args.seed)
    if args.size is not None:  # checked before an image of that size is allocated
        whole(args.size, "--size", low=1, high=MAX_IMAGE_PX, example="--size 224 (px)")
    if args.output.is_dir():
        raise LabInputError(f"{args.output}: is a folder; give the output file name (.png)")
    output_file(args.output, "output PNG")
    image = load_rgb(args.input)
    if args.size is not None:
        image = fit_square(image, args.size)
    out = get_manipulation(manipulation)(image, np.random.default_rng(args.seed), **params)
    tmp = args.output.with_name(f".{args.output.name}.writing")
    try:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(png_bytes(out))
        os.replace(tmp, args.output)
    except OSError as err:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise LabInputError(f"{args.output}: cannot write ({err.strerror or err}); choose "
                            "another output") from err
    print(f"wrote {args.output} ({what}, seed {args.seed})")


def _build(args: argparse.Namespace) -> None:
    from stimuli.builder import build_set

    entries = build_set(
        args.experiment, args.source, args.out, seed=args.seed,
        per_condition=args.per_condition, set_name=args.set_name, force=args.force,
        workers=args.workers, progress=True, rgb_files=args.rgb_files,
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
    print("manipulations (name: parameters):")
    for name in list_manipulations():
        m = get_manipulation(name)
        note = "" if name in used else "  [no experiment]"
        params = ", ".join(f"{p.describe()} ({p.kind.__name__})" for p in m.parameters)
        print(f"  {name}: {params or '-'}{note}")


def _check_mapping(args: argparse.Namespace) -> None:
    check_mapping_file(args.mapping, args.imagenet)
    print(f"ok: {args.mapping} matches the 2018 paper's class table (16 classes)")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    commands = {"apply": lambda: _apply(args), "build": lambda: _build(args),
                "list": _list, "check-mapping": lambda: _check_mapping(args)}
    return run_command(commands[args.command],
                       interrupted="interrupted; nothing was written to --out")
