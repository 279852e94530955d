"""``python -m stimuli``: commands, and one-line errors (exit 2) for every bad input."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from stimuli_helpers import REPO, make_source

from lab.manifest import MANIFEST_NAME, read_manifest
from stimuli.cli import main


def run_error(argv: list[str], capsys) -> str:
    """Run the CLI, expect exit 2 and exactly one 'error: ' line on stderr."""
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if line.startswith("error: ")]
    assert len(errors) == 1, err
    assert "Traceback" not in "\n".join(err)
    return errors[0]


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return make_source(tmp_path / "src", per_class=2, size=(20, 20))


def build_args(source: Path, out: Path, *extra: str) -> list[str]:
    return ["build", "colour", "--source", str(source), "--out", str(out),
            "--per-condition", "16", "--workers", "1", *extra]


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


# ---------------------------------------------------------------- working commands


def test_help_shows_examples():
    done = subprocess.run([sys.executable, "-m", "stimuli", "build", "--help"], cwd=REPO,
                          capture_output=True, text=True, check=True)
    assert "examples:" in done.stdout and "python -m stimuli build" in done.stdout


def test_apply_writes_rounded_png(tmp_path, capsys):
    src = tmp_path / "in.png"
    Image.fromarray(np.full((10, 12, 3), 200, dtype=np.uint8)).save(src)
    out = tmp_path / "sub" / "out.png"
    assert main(["apply", "contrast", "c50", str(src), str(out)]) == 0
    with Image.open(out) as im:  # a grey stimulus: a greyscale PNG, read as RGB
        assert im.mode == "L"
        pixels = np.asarray(im.convert("RGB"))
    # grey of 200/255 is 200/255; 0.5 * 200/255 + 0.25 = 163.75/255 -> rounds to 164
    assert pixels.shape == (10, 12, 3) and np.all(pixels == 164)
    assert "wrote" in capsys.readouterr().out


def test_apply_with_size_and_seed_is_reproducible(tmp_path):
    src = REPO / "stimuli" / "data" / "test_image.JPEG"
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    for out in (a, b):
        assert main(["apply", "uniform-noise", "0.35", str(src), str(out), "--size", "64",
                     "--seed", "3"]) == 0
    assert a.read_bytes() == b.read_bytes()
    with Image.open(a) as im:
        assert im.size == (64, 64)


def test_list_and_check_mapping(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "eidolonII: eidolon, 256 px, 1-3-10" in out
    assert "contrast: contrast (float)" in out
    assert "phase-noise-original" in out
    assert main(["check-mapping"]) == 0
    assert capsys.readouterr().out.startswith("ok:")


def test_force_replaces_a_previous_stimulus_set(source, tmp_path):
    out = tmp_path / "set"
    assert main(build_args(source, out, "--seed", "1")) == 0
    first = {e.file for e in read_manifest(out)}
    assert main(build_args(source, out, "--seed", "2", "--force")) == 0
    second = {e.file for e in read_manifest(out)}
    assert second != first
    assert {p.name for p in out.iterdir()} == second | {MANIFEST_NAME}
    assert leftovers(tmp_path) == []


# ---------------------------------------------------------------- bad input


def test_unknown_experiment_suggests(source, tmp_path, capsys):
    msg = run_error(["build", "contrst", "--source", str(source), "--out",
                     str(tmp_path / "o")], capsys)
    assert "unknown experiment 'contrst'" in msg and "contrast" in msg


def test_unknown_manipulation_and_condition(tmp_path, capsys):
    src = tmp_path / "in.png"
    Image.fromarray(np.zeros((4, 4, 3), dtype=np.uint8)).save(src)
    msg = run_error(["apply", "eidolon-2", "8-3-10", str(src), str(tmp_path / "o.png")],
                    capsys)
    assert "unknown experiment or manipulation 'eidolon-2'" in msg and "eidolonII" in msg
    msg = run_error(["apply", "eidolonII", "8-10-10", str(src), str(tmp_path / "o.png")],
                    capsys)
    assert "no condition '8-10-10'" in msg and "8-3-10" in msg
    assert not (tmp_path / "o.png").exists()


def test_apply_takes_an_experiments_code_or_the_manipulations_numbers(tmp_path, capsys):
    src = tmp_path / "in.png"
    Image.fromarray(np.full((8, 8, 3), 200, dtype=np.uint8)).save(src)
    by_code, by_numbers = tmp_path / "a.png", tmp_path / "b.png"
    assert main(["apply", "contrast", "c10", str(src), str(by_code)]) == 0
    assert main(["apply", "contrast", "contrast=0.1", str(src), str(by_numbers)]) == 0
    assert by_code.read_bytes() == by_numbers.read_bytes()
    assert main(["apply", "eidolon", "8-3-10", str(src), str(tmp_path / "e.png")]) == 0
    assert main(["apply", "salt-and-pepper", "probability=0.2", str(src),
                 str(tmp_path / "s.png"), "--seed", "3"]) == 0
    capsys.readouterr()


@pytest.mark.parametrize("condition,match", [
    ("probability=x", "probability must be a number"),
    ("prob=0.2", "no parameter 'prob'"),
    ("0.2", "no condition '0.2'.*probability=..."),
    ("probability", "no condition 'probability'"),
])
def test_apply_refuses_bad_parameters(tmp_path, capsys, condition, match):
    src = tmp_path / "in.png"
    Image.fromarray(np.zeros((4, 4, 3), dtype=np.uint8)).save(src)
    msg = run_error(["apply", "salt-and-pepper", condition, str(src), str(tmp_path / "o.png")],
                    capsys)
    assert re.search(match, msg), msg
    assert not (tmp_path / "o.png").exists()


def test_apply_unreadable_input(tmp_path, capsys):
    msg = run_error(["apply", "contrast", "c50", str(tmp_path / "missing.png"),
                     str(tmp_path / "o.png")], capsys)
    assert "missing.png" in msg


def test_unknown_class_folder(source, tmp_path, capsys):
    (source / "giraffe").mkdir()
    msg = run_error(build_args(source, tmp_path / "o"), capsys)
    assert "unknown class folder 'giraffe'" in msg
    assert not (tmp_path / "o").exists() and leftovers(tmp_path) == []


def test_missing_class_folder(source, tmp_path, capsys):
    for p in (source / "oven").iterdir():
        p.unlink()
    (source / "oven").rmdir()
    assert "oven" in run_error(build_args(source, tmp_path / "o"), capsys)


def test_unreadable_image_is_named_before_work(source, tmp_path, capsys):
    (source / "cat" / "cat_bad.jpg").write_bytes(b"not an image at all")
    msg = run_error(build_args(source, tmp_path / "o"), capsys)
    assert "cat_bad.jpg" in msg and "not a readable image" in msg
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_corrupt_image_mid_build_leaves_nothing_behind(source, tmp_path, capsys, workers):
    good = source / "dog" / "dog_000.png"
    data = good.read_bytes()
    good.write_bytes(data[: len(data) // 2])  # header fine, pixel data truncated
    out = tmp_path / "o"
    args = build_args(source, out)
    args[args.index("--workers") + 1] = workers
    msg = run_error(args, capsys)
    assert "dog_000.png" in msg
    assert not out.exists() and leftovers(tmp_path) == []


def test_too_few_images_per_class(source, tmp_path, capsys):
    msg = run_error(build_args(source, tmp_path / "o")[:-4] + ["--per-condition", "48"],
                    capsys)
    assert "2 usable source image(s)" in msg and "needs 3" in msg


def test_greyscale_images_do_not_count(source, tmp_path, capsys):
    for p in (source / "bear").iterdir():
        Image.open(p).convert("L").save(p)
    msg = run_error(build_args(source, tmp_path / "o"), capsys)
    assert "class 'bear': 0 usable" in msg


def test_per_condition_must_be_a_multiple_of_16(source, tmp_path, capsys):
    args = build_args(source, tmp_path / "o")
    args[args.index("--per-condition") + 1] = "20"
    assert "multiple of 16" in run_error(args, capsys)


def test_bad_set_name(source, tmp_path, capsys):
    assert "--set" in run_error(build_args(source, tmp_path / "o", "--set", "s_01"), capsys)


def test_existing_non_empty_output_needs_force(source, tmp_path, capsys):
    out = tmp_path / "o"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    msg = run_error(build_args(source, out), capsys)
    assert "not empty" in msg and "--force" in msg
    assert (out / "notes.txt").read_text() == "mine"


def test_force_never_deletes_a_folder_with_trial_data(source, tmp_path, capsys):
    out = tmp_path / "o"
    assert main(build_args(source, out)) == 0
    trial_file = out / "contrast_subject-01_session_1.tsv"
    trial_file.write_text("trial data")
    before = sorted(p.name for p in out.iterdir())
    msg = run_error(build_args(source, out, "--force"), capsys)
    assert "contrast_subject-01_session_1.tsv" in msg and "refusing" in msg
    assert sorted(p.name for p in out.iterdir()) == before
    assert trial_file.read_text() == "trial data" and leftovers(tmp_path) == []


def test_force_refuses_a_folder_that_is_not_a_stimulus_set(source, tmp_path, capsys):
    out = tmp_path / "o"
    out.mkdir()
    (out / "session.csv").write_text("x")
    assert "not a stimulus set" in run_error(build_args(source, out, "--force"), capsys)
    assert (out / "session.csv").exists()


def test_cue_conflict_names_must_parse(demo_source, tmp_path, capsys):
    Image.open(demo_source / "cat" / "cat1-bird1.png").save(demo_source / "cat" / "kitty.png")
    msg = run_error(["build", "cue-conflict", "--source", str(demo_source), "--out",
                     str(tmp_path / "o"), "--per-condition", "48"], capsys)
    assert "kitty.png" in msg and "<shape><n>-<texture><m>" in msg


def test_check_mapping_reports_a_bad_file(tmp_path, capsys):
    bad = tmp_path / "m.txt"
    bad.write_text("# nothing here\n")
    assert "m.txt" in run_error(["check-mapping", "--mapping", str(bad)], capsys)


def test_failed_forced_rebuild_keeps_the_previous_set(source, tmp_path, capsys):
    out = tmp_path / "o"
    assert main(build_args(source, out)) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    bad = source / "dog" / "dog_000.png"
    bad.write_bytes(bad.read_bytes()[:60])
    assert "dog_000.png" in run_error(build_args(source, out, "--force", "--seed", "9"),
                                      capsys)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert leftovers(tmp_path) == []


def test_demo_build_end_to_end_through_the_real_entry_point(tmp_path):
    out = tmp_path / "cue"
    done = subprocess.run(
        [sys.executable, "-m", "stimuli", "build", "cue-conflict", "--source",
         str(REPO / "stimuli" / "demo" / "source"), "--out", str(out), "--per-condition",
         "48", "--seed", "1", "--workers", "2"],
        cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "wrote 48 stimuli" in done.stdout
    assert len(read_manifest(out)) == 48
    done = subprocess.run([sys.executable, "-m", "stimuli", "build", "cue-conflict",
                           "--source", "/nonexistent", "--out", str(tmp_path / "x")],
                          cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: /nonexistent: source folder not found; give --source DIR with one folder "
        "per class")
