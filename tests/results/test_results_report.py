"""Figures written, the HTML report's sections and provenance, and the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from results_helpers import fake_sha, write_original

from lab.readers import read_trials
from results import figures
from results.cli import main
from results.consistency import consistency_matrix, pairwise_consistency
from results.report import write_report
from results.shape_bias import shape_bias
from results.tables import TABLE_COLUMNS

REPO = Path(__file__).resolve().parents[2]


def _cue_conflict(folder: Path) -> Path:
    shapes = ("dog", "cat", "car", "bird")
    rows = []
    for t, shape in enumerate(shapes * 2, start=1):
        texture = shapes[(t + 1) % 4]
        answer = shape if t % 3 else texture
        rows.append((f"subject-0{1 + t % 2}", 1, t, 0.6, answer, shape, "0",
                     f"{t:04d}_s5n_s01_0_{shape}_00_{shape}{t}-{texture}1.png"))
    return write_original(folder, "cue-conflict_subject-01_session_1.csv", rows)


def _assert_figure(paths: list[Path], min_width: int = 400) -> None:
    assert {p.suffix for p in paths} == {".png", ".pdf"}
    for path in paths:
        assert path.stat().st_size > 5_000, path
    png = next(p for p in paths if p.suffix == ".png")
    with Image.open(png) as image:
        assert image.width >= min_width and image.height >= 300


def test_figures_are_written(lab_records, tmp_path):
    table = read_trials(lab_records)
    out = tmp_path / "figs"
    panels = figures.figure3(table, out)
    assert [p.name for panel in panels for p in panel.paths] == [
        "figure3_accuracy.png", "figure3_accuracy.pdf", "figure3_entropy.png",
        "figure3_entropy.pdf"]
    assert [panel.min_n for panel in panels] == [4, 4]  # 4 trials per network point
    _assert_figure(panels[0].paths)
    (confusion,) = figures.confusion_figure(table, "rotation", "90", out)
    _assert_figure(confusion.paths)
    assert confusion.min_n == 1  # one image per class
    pairs = pairwise_consistency(table)
    (matrix,) = figures.consistency_figure(
        consistency_matrix(pairs, "rotation"), "rotation", {"sub-01", "sub-02"}, out,
        figures.shared_trials_matrix(pairs[pairs["experiment"] == "rotation"]))
    _assert_figure(matrix.paths)
    assert matrix.min_n == 8  # every pair saw all 8 images
    _assert_figure(figures.rt_figure(table, out)[0].paths)
    bias = shape_bias(read_trials(_cue_conflict(tmp_path / "cc")))
    _assert_figure(figures.shape_bias_figure(bias, out)[0].paths)


def test_report_has_every_section_and_the_provenance(lab_records, tmp_path):
    _cue_conflict(lab_records / "cue")
    table = read_trials(lab_records)
    path = write_report(table, tmp_path / "report", inputs=[str(lab_records)])
    page = path.read_text(encoding="utf-8")
    for anchor in ("provenance", "accuracy", "consistency", "benchmark", "shape-bias",
                   "confusion", "quality"):
        assert f'id="{anchor}"' in page
    assert "data:image/png;base64," in page and "<img" in page
    assert 'src="figures/' not in page  # self-contained
    assert "stimulus files: 8 shared by humans and models (8 identified by sha256)" in page
    # real observers: no simulated-data banner; credits name the 2018 paper (lab data too)
    assert 'id="simulated-banner"' not in page and "[simulated" not in page
    credits = page[page.index('id="credits"'):]
    assert "Generalisation in humans and deep neural networks" in credits
    assert "texture-vs-shape" in credits  # the cue-conflict trials of this test
    shared = (tmp_path / "report" / "shared_sha256.txt").read_text().split()
    expected = {fake_sha(f"rotation/{c}/img{i}.png") for c in ("0", "90") for i in range(4)}
    assert set(shared) == expected
    # data quality: sub-01 has one na in 8 trials and one flagged trial
    quality = (tmp_path / "report" / "data_quality.csv").read_text().splitlines()
    sub01 = next(line for line in quality if ",sub-01," in line).split(",")
    header = quality[0].split(",")
    assert float(sub01[header.index("na_rate")]) == 0.125
    assert float(sub01[header.index("flagged_trials")]) == 1
    for name in ("accuracy_entropy.csv", "benchmark.csv", "error_consistency_pairs.csv",
                 "shape_bias.csv", "provenance.csv", "ood_conditions.csv"):
        assert (tmp_path / "report" / name).stat().st_size > 50


def test_cli_table_csv(lab_records, capsys):
    assert main(["table", str(lab_records), "--csv", "-q"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ",".join(TABLE_COLUMNS) and len(lines) == 5
    # 7 of 8 pooled trials correct: Wilson 95 % interval 0.5291-0.9776 (scipy agrees)
    assert lines[1] == ("rotation,0,humans,0.875,2.0,8,0.75,1.0,2,0.5291118177871464,"
                        "0.9775825085499433")


def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    bad = write_original(tmp_path, "colour-experiment_subject-01_session_1.csv",
                         [("subject-01", 1, 1, 0.7, "kat", "cat", "cr", "x.png")])
    assert main(["table", str(bad), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {bad}:2: response 'kat' is not one of the 16 classes or na; "
                   "fix the row or remove the file"]
    assert main(["shape-bias", str(bad.parent), "-q"]) == 2


@pytest.mark.parametrize("command", ["consistency", "benchmark", "quality"])
def test_cli_metrics(lab_records, command, capsys):
    assert main([command, str(lab_records), "-q", "--csv"]) == 0
    assert len(capsys.readouterr().out.splitlines()) >= 2


def test_cli_plot_confusion_and_unknown_condition(lab_records, tmp_path, capsys):
    assert main(["plot", str(lab_records), "--out", str(tmp_path), "--kind", "confusion",
                 "--experiment", "rotation", "--condition", "90", "-q"]) == 0
    assert (tmp_path / "confusion_rotation_90.png").is_file()
    assert main(["plot", str(lab_records), "--out", str(tmp_path), "--kind", "confusion",
                 "--experiment", "rotation", "--condition", "45", "-q"]) == 2
    assert "no condition '45'" in capsys.readouterr().err


def test_module_entry_point_help_shows_examples():
    done = subprocess.run([sys.executable, "-m", "results", "report", "--help"], cwd=REPO,
                          capture_output=True, text=True, check=True)
    assert "example:" in done.stdout and "python -m results report" in done.stdout


def test_cli_plot_all(lab_records, tmp_path, capsys):
    assert main(["plot", str(lab_records), "--out", str(tmp_path / "all"), "-q"]) == 0
    written = {Path(line).name for line in capsys.readouterr().out.split()}
    assert {"figure3_accuracy.png", "figure3_entropy.pdf", "confusion_rotation_90.png",
            "error_consistency_rotation.png", "response_times.png"} <= written
