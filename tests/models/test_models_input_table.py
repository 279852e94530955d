"""Every bad input to ``python -m models`` as data (issue 20 and the refusals before it):
non-zero exit, one line, no traceback, nothing written. Checks: tests/input_table.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.manifest import MANIFEST_NAME
from models.cli import main
from tests.input_table import Case, case, check_table_case, common_fields
from tests.models.conftest import demo_sources, make_set

SCORE = "score --model resnet18 --weights none --no-progress --device cpu --out {out}/dnn "

CONFIG = """\
[model]
architecture = "shufflenet_v2_x0_5"
weights = "none"
[data]
train = "{train}"
image_size = 32
[distortions]
regime = "one"
manipulation = "uniform-noise"
[run]
out = "{out}"
epochs = 1
batch_size = 16
"""

CASES: list[Case] = [
    # issue 20
    case("phantom condition c99", SCORE + "--stimuli {bad}",
         "condition 'c99' is not in the design"),
    case("binary network list", "score --models {binary} --stimuli {set} --out {out}/dnn",
         "a binary file"),
    case("binary training config", "train {binary}", "a binary file"),
    case("run.out is a file", "train {cfg_file}", "is a file, not a folder"),
    case("run.out read-only", "train {cfg_ro}", "read-only", read_only="ro"),
    case("score --out read-only", SCORE.replace("{out}", "{ro}") + "--stimuli {set}",
         "read-only", read_only="ro"),
    # refused before (test_models_*.py)
    case("unknown model", "score --model resnet5O --stimuli {set} --out {out}/dnn",
         "resnet5O"),
    case("set without manifest", SCORE + "--stimuli {out}", "no manifest"),
    case("several sets without --models", SCORE + "--stimuli {set} {set}",
         "several --stimuli sets need --models"),
    case("missing network list", "score --models {out}/none.txt --stimuli {set} "
         "--out {out}/dnn", "none.txt"),
    case("empty network list", "score --models {empty} --stimuli {set} --out {out}/dnn",
         "no networks listed"),
    case("missing training config", "train {out}/none.toml", "none.toml"),
]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> tuple[Path, dict[str, Path]]:
    root = tmp_path_factory.mktemp("models-inputs")
    sources = demo_sources()[:4]
    good = make_set(root / "set", sources, size=32)
    bad = make_set(root / "bad", sources, size=32, conditions=["0", "c99", "0", "0"])
    assert "c99" in (bad / MANIFEST_NAME).read_text()
    fields = common_fields(root)
    (root / "empty.txt").write_text("# nothing\n")
    (root / "c-file.toml").write_text(CONFIG.format(train=good, out=root / "afile"))
    (root / "c-ro.toml").write_text(CONFIG.format(train=good, out=root / "ro" / "run"))
    return root, {**fields, "set": good, "bad": bad, "empty": root / "empty.txt",
                  "cfg_file": root / "c-file.toml", "cfg_ro": root / "c-ro.toml"}


@pytest.mark.parametrize("c", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_one_line_and_writes_nothing(c: Case, workspace) -> None:
    check_table_case(c, workspace, main, "models")
