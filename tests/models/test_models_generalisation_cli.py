"""``python -m models imagenet`` / ``adversarial`` on tiny ImageNet-style folders made here
from the bundled images: trial files in the scoring schema, crash-safe and resumable,
one-line refusals, PGD at eps 0 = clean, robust <= clean, and ``results biases`` using
the files as generalisation targets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

import lab.trial_file as trial_file
from lab.errors import LabInputError
from lab.manifest import sha256_file
from lab.readers import read_imagenet_trials, read_trials
from lab.schema import DNN_FILE_COLUMNS
from models.cli import main
from tests.models.conftest import fail_after

REPO = Path(__file__).resolve().parents[2]
LORIKEET = REPO / "stimuli" / "data" / "example_image.png"  # ImageNet class n01820546
DEMO = sorted((REPO / "stimuli" / "demo" / "source").glob("*/*.png"))
#: lorikeet, tabby cat, racer: three of the 1000 classes
WNIDS = ("n01820546", "n02123045", "n04037443")
FAST = ("--model", "mobilenet_v3_small", "--weights", "none", "--batch-size", "2")


def make_imagenet_folder(root: Path, per_class: int = 2, nested: str = "") -> Path:
    """A few wnid folders of a few images (demo images, plus the lorikeet first)."""
    for k, wnid in enumerate(WNIDS):
        folder = root / nested / wnid
        folder.mkdir(parents=True)
        for i in range(per_class):
            Image.open(DEMO[k * 7 + i]).convert("RGB").resize((240, 200)).save(
                folder / f"img{i}.JPEG", quality=90)
    Image.open(LORIKEET).convert("RGB").save(root / nested / WNIDS[0] / "a_lorikeet.JPEG")
    return root


def cli(*args) -> int:
    return main([*[str(a) for a in args], "--no-progress"])


def one_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return make_imagenet_folder(tmp_path_factory.mktemp("imagenet") / "val")


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    """One image per class plus the lorikeet (4 images) for the random network."""
    return make_imagenet_folder(tmp_path_factory.mktemp("imagenet") / "small", per_class=1)


@pytest.fixture(scope="module")
def real_val(folder, tmp_path_factory) -> Path:
    """efficientnet_lite0 (real ImageNet weights) on the folder, top-1 of 1000."""
    out = tmp_path_factory.mktemp("gen")
    assert cli("imagenet", folder, "--variant", "val", "--model", "efficientnet_lite0",
               "--out", out) == 0
    return out


def test_imagenet_writes_the_scoring_schema_one_row_per_image(folder, real_val):
    path = real_val / "imagenet-val" / "efficientnet_lite0_top1-1000_ses-1.tsv"
    with open(path, encoding="utf-8") as fh:
        assert tuple(fh.readline().rstrip("\n").split("\t")) == DNN_FILE_COLUMNS
    rows = trial_file.read_rows(path)
    files = sorted(folder.rglob("*.JPEG"))
    assert [r["image"] for r in rows] == [f.relative_to(folder).as_posix() for f in files]
    assert [r["trial"] for r in rows] == [str(i) for i in range(1, 8)]
    for row, file in zip(rows, files, strict=True):
        assert row["sha256"] == sha256_file(file)
        assert row["category"] == file.parent.name and row["experiment"] == "imagenet-val"
        assert row["correct"] == ("1" if row["response"] == row["category"] else "0")
        assert row["rule"] == "top1-1000" and row["p_bird"] == "n/a"
        assert 0 <= float(row["entropy_1000"]) <= 10
    # the lorikeet photograph is a lorikeet to a real ImageNet network (class index right)
    assert rows[0]["image"].endswith("a_lorikeet.JPEG") and rows[0]["correct"] == "1"
    sidecar = json.loads(path.with_suffix(".json").read_text())
    assert sidecar["kind"] == "imagenet-trials" and sidecar["complete"] is True
    assert sidecar["n_trials"] == 7 and sidecar["n_way"] == 1000
    assert not list(real_val.rglob("*.partial")) and not list(real_val.rglob("*.lock"))


def test_readers_keep_imagenet_files_apart_from_16_class_trials(real_val):
    table = read_imagenet_trials([real_val])
    assert len(table) == 7 and set(table["experiment"]) == {"imagenet-val"}
    with pytest.raises(LabInputError, match="only ImageNet/PGD trial files"):
        read_trials(real_val)


def test_masked_variant_is_top1_over_the_folders_classes(small, tmp_path):
    assert cli("imagenet", small, "--variant", "a", *FAST, "--out", tmp_path) == 0
    path = tmp_path / "imagenet-a" / "mobilenet_v3_small_top1-3_ses-1.tsv"
    rows = trial_file.read_rows(path)
    assert {r["response"] for r in rows} <= set(WNIDS) and len(rows) == 4


@pytest.mark.parametrize("command", [("imagenet", "--variant", "val"),
                                     ("adversarial", "--eps", "4/255", "--steps", "1")])
def test_interrupted_run_resumes_to_the_rows_of_an_uninterrupted_one(
        small, tmp_path, monkeypatch, capsys, command):
    folder = small
    reference = tmp_path / "reference"
    assert cli(*command[:1], folder, *command[1:], *FAST, "--out", reference) == 0
    ref_path = next(reference.rglob("*.tsv"))
    out = tmp_path / "out"
    fail_after(monkeypatch, 1)
    assert cli(*command[:1], folder, *command[1:], *FAST, "--out", out) == 2
    line = one_error(capsys)
    assert "No space left on device" in line and "--resume" in line
    monkeypatch.undo()
    final = out / ref_path.relative_to(reference)
    partial = final.with_name(final.name + ".partial")
    assert not final.exists() and len(trial_file.read_rows(partial)) == 2
    assert read_imagenet_trials([out]).empty  # an unfinished run is never read
    assert cli(*command[:1], folder, *command[1:], *FAST, "--out", out) == 2
    assert "an interrupted run" in one_error(capsys)
    assert cli(*command[:1], folder, *command[1:], *FAST, "--out", out, "--resume") == 0
    assert not partial.exists()
    rows, expected = trial_file.read_rows(final), trial_file.read_rows(ref_path)
    assert [(r["image"], r["response"], r["correct"]) for r in rows] == [
        (r["image"], r["response"], r["correct"]) for r in expected]
    assert len(json.loads(final.with_suffix(".json").read_text())["resumed"]) == 1
    assert cli(*command[:1], folder, *command[1:], *FAST, "--out", out, "--resume") == 2
    assert "complete already" in one_error(capsys)


def test_resume_with_other_options_or_another_folder_is_refused(small, tmp_path,
                                                                 monkeypatch, capsys):
    folder = small
    out = tmp_path / "out"
    fail_after(monkeypatch, 1)
    assert cli("adversarial", folder, "--eps", "4/255", "--steps", "1", *FAST,
               "--out", out) == 2
    capsys.readouterr()
    monkeypatch.undo()
    assert cli("adversarial", folder, "--eps", "4/255", "--steps", "2", *FAST, "--out", out,
               "--resume") == 2
    assert "nothing to resume" in one_error(capsys)  # another file name: pgd2
    assert cli("adversarial", folder, "--eps", "4/255", "--steps", "1", "--seed", "3",
               *FAST, "--out", out, "--resume") == 2
    assert "was started with seed 0, not 3" in one_error(capsys)
    other = make_imagenet_folder(tmp_path / "other", per_class=2)
    assert cli("adversarial", other, "--eps", "4/255", "--steps", "1", *FAST, "--out", out,
               "--resume") == 2
    assert "was started with n_images 4, not 7" in one_error(capsys)
    for damage in ("{not json", "[1, 2]"):  # the sidecar torn, or not an object
        next(out.rglob("*.json")).write_text(damage)
        assert cli("adversarial", folder, "--eps", "4/255", "--steps", "1", *FAST,
                   "--out", out, "--resume") == 2
        line = one_error(capsys)
        assert ".json: " in line and "evaluate into a new --session" in line


def test_refusals_are_one_line_naming_the_folder_and_the_fix(tmp_path, capsys):
    assert cli("imagenet", tmp_path / "nope", "--variant", "val", *FAST,
               "--out", tmp_path / "o") == 2
    assert "no such folder" in one_error(capsys)
    names = tmp_path / "names"
    (names / "bird").mkdir(parents=True)
    Image.open(LORIKEET).save(names / "bird" / "x.png")
    assert cli("imagenet", names, "--variant", "val", *FAST, "--out", tmp_path / "o") == 2
    line = one_error(capsys)
    assert str(names) in line and "wnid folders (n01440764/...)" in line
    (names / "n99999999").mkdir()
    Image.open(LORIKEET).save(names / "n99999999" / "x.png")
    assert cli("imagenet", names, "--variant", "val", *FAST, "--out", tmp_path / "o") == 2
    line = one_error(capsys)
    assert "n99999999" in line and "not one of the 1000" in line and "remove" in line
    assert not (tmp_path / "o").exists()  # a refused run leaves nothing behind
    assert cli("adversarial", names, "--eps", "a/255", *FAST, "--out", tmp_path / "o") == 2
    line = one_error(capsys)
    assert "--eps 'a'" in line and "0.5/255" in line


def test_pgd_at_eps_0_is_clean_accuracy_and_an_attack_only_lowers_it(tmp_path):
    folder = tmp_path / "two"
    (folder / WNIDS[0]).mkdir(parents=True)
    Image.open(LORIKEET).convert("RGB").save(folder / WNIDS[0] / "lorikeet.JPEG")
    Image.open(DEMO[0]).convert("RGB").save(folder / WNIDS[0] / "other.JPEG")
    net = ("--model", "efficientnet_lite0")
    assert cli("imagenet", folder, "--variant", "val", *net, "--out", tmp_path) == 0
    assert cli("adversarial", folder, "--eps", "0", "--steps", "1", *net,
               "--out", tmp_path) == 0
    assert cli("adversarial", folder, "--eps", "8/255", "--steps", "2", *net,
               "--out", tmp_path) == 0
    table = read_imagenet_trials([tmp_path]).set_index(["experiment", "condition", "image"])
    clean = table.loc["imagenet-val", ""]
    zero = table.loc["imagenet-pgd", "0"]
    attacked = table.loc["imagenet-pgd", "8/255"]
    assert list(zero["response"]) == list(clean["response"])
    assert clean.loc["n01820546/lorikeet.JPEG", "correct"] == 1
    assert attacked["correct"].sum() <= clean["correct"].sum()
    assert attacked.loc["n01820546/lorikeet.JPEG", "correct"] == 0  # 8/255 breaks it


def test_results_biases_uses_the_files_as_generalisation_targets(
        real_val, small_set, tmp_path, run_score, capsys):
    from results.cli import main as results

    dnn = tmp_path / "dnn"
    assert run_score("--model", "efficientnet_lite0", "--stimuli", small_set, "--out", dnn,
                     "--rule", "mean") == 0
    capsys.readouterr()
    assert results(["biases", str(dnn), str(real_val), "--csv"]) == 0
    import io

    import pandas as pd
    frame = pd.read_csv(io.StringIO(capsys.readouterr().out))
    row = frame.set_index("network").loc["efficientnet_lite0"]
    top1 = read_imagenet_trials([real_val])["correct"].mean()
    assert row["top1_imagenet-val"] == pytest.approx(top1)
    assert row["target_ID"] == pytest.approx(top1)
    assert "target_Adversarial" not in frame.columns  # no PGD files given


def test_a_second_run_of_the_same_output_is_refused_by_the_lock(small, tmp_path, capsys):
    from lab.lock import SessionLock

    path = tmp_path / "imagenet-val" / "mobilenet_v3_small_top1-1000_ses-1.tsv"
    with SessionLock(path.with_name(path.name + ".lock")):  # another run holds it
        assert cli("imagenet", small, "--variant", "val", *FAST, "--out", tmp_path) == 2
        line = one_error(capsys)
        assert "is being written by process" in line and "lock" in line
    assert not path.exists() and not path.with_name(path.name + ".partial").exists()


def test_help_shows_runnable_examples():
    import subprocess
    import sys

    for command in ("imagenet", "adversarial"):
        done = subprocess.run([sys.executable, "-m", "models", command, "--help"],
                              capture_output=True, text=True, timeout=120, cwd=REPO,
                              check=True)
        assert f"python -m models {command} " in done.stdout.split("examples:", 1)[1]
        assert "--resume" in done.stdout
