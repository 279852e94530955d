"""Every bad input to ``python -m stimuli`` as data (issue 20 and the refusals before it):
non-zero exit, one line, no traceback, nothing written. Checks: tests/input_table.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from stimuli.cli import main
from tests.input_table import Case, case, check_table_case, common_fields

CASES: list[Case] = [
    # issue 20
    case("huge --size", "apply contrast c10 {img} {out}/o.png --size 1000000",
         "--size 1000000: must be at most 4096"),
    case("--size 0", "apply contrast c10 {img} {out}/o.png --size 0", "must be at least 1"),
    case("infinite parameter", "apply contrast contrast=inf {img} {out}/o.png",
         "must be a finite number"),
    case("nan parameter", "apply contrast contrast=nan {img} {out}/o.png",
         "must be a finite number"),
    case("fractional int parameter", "apply rotation degrees=90.5 {img} {out}/o.png",
         "'degrees' must be int"),
    case("read-only output", "apply contrast c10 {img} {ro}/o.png", "read-only",
         read_only="ro"),
    # refused before (tests/stimuli/test_stimuli_bad_inputs.py, test_stimuli_cli.py)
    case("apply --seed -1", "apply contrast c10 {img} {out}/o.png --seed -1", "--seed -1"),
    case("output is a folder", "apply contrast c10 {img} {out}", "is a folder"),
    case("output under a file", "apply contrast c10 {img} {afile}/o.png", "cannot write"),
    case("unknown manipulation", "apply contrst c10 {img} {out}/o.png",
         "did you mean contrast"),
    case("unknown condition", "apply contrast c99 {img} {out}/o.png", "no condition 'c99'"),
    case("parameter not name=value", "apply salt-and-pepper probability {img} {out}/o.png",
         "has no condition"),
    case("parameter not a number", "apply contrast contrast=high {img} {out}/o.png",
         "must be a number"),
    case("unknown parameter", "apply contrast contrat=0.1 {img} {out}/o.png",
         "has no parameter 'contrat'"),
    case("missing input image", "apply contrast c10 {out}/none.png {out}/o.png", "none.png"),
    case("build --seed -1", "build colour --source {src} --out {out}/set --seed -1",
         "--seed -1: must be a whole number, 0 or more"),
    case("build --workers 0", "build colour --source {src} --out {out}/set --workers 0",
         "--workers 0: must be at least 1"),
    case("build --per-condition -16",
         "build colour --source {src} --out {out}/set --per-condition -16",
         "--per-condition -16"),
    case("build unknown experiment", "build colr --source {src} --out {out}/set", "colr"),
    case("build missing source", "build colour --source {out}/none --out {out}/set", "none"),
    case("binary mapping file", "check-mapping --mapping {binary}", "binary"),
    case("binary class list", "check-mapping --imagenet {binary}", "binary"),
    case("missing mapping file", "check-mapping --mapping {out}/none.txt", "no such file"),
]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> tuple[Path, dict[str, Path]]:
    root = tmp_path_factory.mktemp("stimuli-inputs")
    img = root / "in.png"
    Image.fromarray(np.full((32, 32, 3), 128, dtype=np.uint8)).save(img)
    src = root / "src"
    (src / "dog").mkdir(parents=True)
    Image.fromarray(np.zeros((20, 20, 3), dtype=np.uint8)).save(src / "dog" / "d.png")
    return root, {**common_fields(root), "img": img, "src": src}


@pytest.mark.parametrize("c", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_one_line_and_writes_nothing(c: Case, workspace) -> None:
    check_table_case(c, workspace, main, "stimuli")


@pytest.mark.parametrize("condition", ["degrees=90", "degrees=90.0"])
def test_a_whole_number_is_an_int_parameter(tmp_path, workspace, condition) -> None:
    """Issue 20, case 9: name=value is read as a number; a whole one is a valid int."""
    _, fields = workspace
    assert main(["apply", "rotation", condition, str(fields["img"]),
                 str(tmp_path / "r.png")]) == 0
    # the pyramid of the critical-band stimulus needs the design's 224 px
    assert main(["apply", "critical-band", "band=2,noise_sd=0.1", str(fields["img"]),
                 str(tmp_path / "cb.png"), "--size", "224"]) == 0
    assert (tmp_path / "r.png").is_file() and (tmp_path / "cb.png").is_file()
