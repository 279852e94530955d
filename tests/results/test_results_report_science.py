"""A report a scientist can put in a paper: n and 95 % intervals everywhere, the observers'
range, a visible warning below the minimum trials per point, credits, simulated observers
labelled (banner, legends, tables)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from results_helpers import dnn_record, human_record, write_dnn_tsv
from scipy.stats import binomtest

from lab.categories import CATEGORIES
from lab.readers import read_trials
from lab.schema import HUMAN_FILE_COLUMNS
from lab.trial_file import TrialFile
from results import figures
from results.cli import main
from results.credits import GEIRHOS_2018, GEIRHOS_2019, GEIRHOS_2021
from results.intervals import MIN_TRIALS_PER_POINT, wilson_interval
from results.observers import group_names, simulated_label, simulated_observers
from results.report import write_report
from results.tables import summary_table

CONDITIONS = ("c100", "c50", "c10", "c01")
SIMULATED = {"kind": "human-confusions",
             "label": "simulated from the 2018 human data"}


def _contrast_session(folder: Path, observer: str, per_condition: dict[str, int],
                      p_correct: dict[str, float], sidecar: dict, seed: int) -> None:
    rng = np.random.default_rng(seed)
    records, trial = [], 0
    for condition, n in per_condition.items():
        for i in range(n):
            trial += 1
            category = CATEGORIES[i % 16]
            image = f"contrast/{condition}/{category}{i}.png"
            right = rng.random() < p_correct[condition]
            response = category if right else CATEGORIES[(i + 1) % 16]
            records.append(human_record("contrast", observer, trial, image, category,
                                        condition, response, rt=0.5 + 0.01 * (i % 7)))
    path = folder / observer / "ses-1" / "beh" / f"{observer}_ses-1_task-contrast_beh.tsv"
    with TrialFile.create(path, HUMAN_FILE_COLUMNS, sidecar=sidecar) as fh:
        for record in records:
            fh.write(record)


@pytest.fixture(scope="module")
def demo_like(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_demo_like(tmp_path_factory.mktemp("demo_like"))


@pytest.fixture(scope="module")
def demo_report(demo_like: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of :func:`demo_like`, written once for the checks of this module."""
    table = read_trials(demo_like)
    return write_report(table, tmp_path_factory.mktemp("report"), inputs=[str(demo_like)],
                        notes=["Stimuli: a test set <made> for this module."])


def make_demo_like(tmp_path: Path) -> Path:
    """Contrast data: two simulated observers (40 trials per condition, except 6 at 1 %
    contrast for one of them) and a network scoring the same images, all but 8 of its
    1 %-contrast trials."""
    easy = {"c100": 0.9, "c50": 0.85, "c10": 0.6, "c01": 0.1}
    for index, observer in enumerate(("sub-01", "sub-02")):
        counts = {c: 40 for c in CONDITIONS}
        if index == 1:
            counts["c01"] = 6
        _contrast_session(tmp_path, observer, counts, easy,
                          {"TaskName": "contrast", "simulated": SIMULATED}, seed=index)
    rng = np.random.default_rng(7)
    records = []
    for t, condition in enumerate(np.repeat(CONDITIONS, 40)):
        i = t % 40
        if condition == "c01" and i >= 8:
            continue
        category = CATEGORIES[i % 16]
        response = category if rng.random() < easy[condition] else "dog"
        records.append(dnn_record("contrast", "resnet50", t + 1,
                                  f"contrast/{condition}/{category}{i}.png", category,
                                  condition, response))
    write_dnn_tsv(tmp_path / "dnn" / "contrast" / "resnet50_sum_ses-1.tsv", records)
    return tmp_path


def test_wilson_interval_matches_scipy():
    for k, n in ((7, 8), (0, 5), (5, 5), (800, 1000), (1, 30)):
        expected = binomtest(k, n).proportion_ci(method="wilson")
        low, high = wilson_interval(k, n)
        assert (float(low), float(high)) == pytest.approx((expected.low, expected.high),
                                                          abs=1e-12)
    low, high = wilson_interval(np.array([0, 3]), np.array([0, 3]))
    assert np.isnan(low[0]) and np.isnan(high[0]) and high[1] == 1.0


def test_summary_table_carries_n_observers_and_intervals(demo_like):
    summary = summary_table(read_trials(demo_like)).set_index(["condition", "observer"])
    row = summary.loc[("c01", "humans")]
    assert row["n_trials"] == 46 and row["n_observers"] == 2
    table = read_trials(demo_like)
    pooled = table[(table["condition"] == "c01") & (table["observer_type"] == "human")]
    expected = binomtest(int(pooled["correct"].sum()), 46).proportion_ci(method="wilson")
    assert (row["accuracy_ci_low"], row["accuracy_ci_high"]) == pytest.approx(
        (expected.low, expected.high))


def test_simulated_observers_from_sidecars(demo_like, tmp_path):
    table = read_trials(demo_like)
    assert simulated_observers(table) == {"sub-01": SIMULATED["label"],
                                          "sub-02": SIMULATED["label"]}
    assert group_names(table)["humans"] == "Humans (simulated from the 2018 human data)"
    # the constant-accuracy observer of older sessions, and real observers
    assert simulated_label({"simulated_observer": {"accuracy": 0.85}}) == \
        "simulated (constant accuracy 0.85)"
    assert simulated_label({"simulated_observer": None, "TaskName": "x"}) is None


def test_figure3_points_pool_observers_and_mark_the_minimum(demo_like, tmp_path):
    table = read_trials(demo_like)
    points = figures.figure3_points(table).set_index(["observer", "condition"])
    humans = points.loc["humans"]
    assert humans.loc["c01", "n_trials"] == 46 and humans.loc["c100", "n_trials"] == 80
    assert (humans["n_observers"] == 2).all()
    assert humans.loc["c01", "accuracy_min"] <= humans.loc["c01", "accuracy"] <= \
        humans.loc["c01", "accuracy_max"]
    assert points.loc[("resnet50", "c01"), "n_trials"] == 8
    panels = figures.figure3(table, tmp_path / "figs")
    assert [p.min_n for p in panels] == [8, 8]
    assert [p.png.name for p in panels] == ["figure3_accuracy.png", "figure3_entropy.png"]


def test_report_labels_simulated_data_and_shows_n_intervals_and_credits(demo_report):
    page = demo_report.read_text(encoding="utf-8")
    banner = re.search(r'<div class="simulated-banner" id="simulated-banner".*?</div>', page,
                       re.S)
    assert banner and "Simulated data." in banner.group(0)
    assert "All human observers in this report are simulated" in banner.group(0)
    assert page.index('id="simulated-banner"') < page.index('id="notes"') < page.index(
        'id="provenance"')
    assert "Stimuli: a test set &lt;made&gt; for this module." in page
    accuracy = _html_table(page, "table-accuracy")
    assert set(accuracy["observer"]) == {"Humans (simulated from the 2018 human data)",
                                         "resnet50"}
    humans_c01 = accuracy[(accuracy["condition"] == "c01")
                          & (accuracy["observer"].str.startswith("Humans"))].iloc[0]
    assert humans_c01["n_trials"] == "46" and humans_c01["n_observers"] == "2"
    low, high = float(humans_c01["accuracy_ci_low"]), float(humans_c01["accuracy_ci_high"])
    assert 0 <= low < float(humans_c01["accuracy"]) < high <= 1
    quality = _html_table(page, "table-quality")
    assert list(quality["observer"]) == [f"sub-0{i} [simulated from the 2018 human data]"
                                         for i in (1, 2)]
    assert "n_trials" in quality.columns
    assert "n_trials" in _html_table(page, "table-benchmark").columns
    assert "n_trials" in _html_table(page, "table-consistency").columns
    credits = page[page.index('id="credits"'):].replace("&amp;", "&")
    assert GEIRHOS_2018.split(" (2018)")[0] in credits
    assert "Partial success" in credits  # benchmark metrics shown
    assert "error consistency" in credits
    assert GEIRHOS_2019[:40] not in credits  # no cue-conflict data
    assert '<a href="#credits">Credits</a>' in page


def test_report_warns_of_points_below_the_minimum(demo_report):
    page = demo_report.read_text(encoding="utf-8")
    accuracy = page[page.index('id="accuracy"'):page.index('id="consistency"')]
    warning = re.search(r'<p class="low-n" data-min-n="(\d+)">(.*?)</p>', accuracy)
    assert warning and warning.group(1) == "8"  # the network's 8 trials at 1 % contrast
    assert f"fewer than {MIN_TRIALS_PER_POINT} trials (fewest: 8)" in warning.group(2)
    confusion = page[page.index('id="confusion"'):page.index('id="quality"')]
    assert f'<span class="low-n">(fewer than {MIN_TRIALS_PER_POINT} trials per point)' \
        in confusion  # 40 trials over 16 classes: 2 or 3 per row
    # a figure with enough trials per point carries no warning
    shape = page[page.index('id="shape-bias"'):page.index('id="confusion"')]
    assert 'class="low-n"' not in shape


def test_cli_table_has_intervals(demo_like, capsys):
    assert main(["table", str(demo_like), "--csv", "-q"]) == 0
    header = capsys.readouterr().out.splitlines()[0].split(",")
    # (the simulated observers of this data: a last column says so)
    assert header[-4:] == ["n_observers", "accuracy_ci_low", "accuracy_ci_high", "simulated"]


class _TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _html_table(page: str, table_id: str) -> pd.DataFrame:
    """The table ``table_id`` of the report as text cells (header row = columns)."""
    match = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S)
    assert match, f"no table {table_id}"
    parser = _TableParser()
    parser.feed(match.group(0))
    header, *rows = parser.rows
    return pd.DataFrame(rows, columns=header)


def test_sidecar_json_of_fixture_is_what_sessions_write(demo_like):
    sidecar = json.loads(next(demo_like.rglob("sub-01_ses-1_task-contrast_beh.json"))
                         .read_text())
    assert sidecar["simulated"] == SIMULATED


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no headless Chromium: install it (apt-get install chromium; "
                "scripts/setup.sh does)")


def test_screenshot_of_the_report_in_headless_chromium(demo_report, tmp_path):
    """The page as a browser draws it: the banner in its colours at the top, the figures
    rendered (embedded PNGs decoded), the caution text in red."""
    shot = tmp_path / "report.png"
    done = subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,2600",
         f"--screenshot={shot}", demo_report.as_uri()],
        capture_output=True, text=True, timeout=180)
    assert shot.is_file(), done.stderr[-2000:]
    with Image.open(shot) as image:
        pixels = np.asarray(image.convert("RGB")).astype(int)
    assert pixels.shape[:2] == (2600, 1280)

    def share(region: np.ndarray, colour: tuple[int, int, int], tol: int = 12) -> float:
        return float((np.abs(region - colour).max(axis=-1) <= tol).mean())

    top = pixels[:450]
    assert share(top, (255, 243, 205)) > 0.05  # the banner's background (#fff3cd)
    assert share(top, (176, 0, 32), tol=30) > 0.002  # its red border (#b00020)
    # the figure of accuracy: the humans' red and the network's blue lines are drawn
    body = pixels[450:]
    assert share(body, (165, 30, 55), tol=40) > 0.0005
    assert share(body, (31, 119, 180), tol=40) > 0.0005
    # text is dark on white: the page is not blank or an error page
    assert share(pixels, (255, 255, 255), tol=3) > 0.5
    assert (pixels.max(axis=-1) < 80).mean() > 0.005


def test_simulated_observers_from_a_column_of_the_table(demo_like):
    table = read_trials(demo_like)
    labelled = table.assign(simulated=np.where(table["observer"] == "sub-02", "sim X", ""))
    assert simulated_observers(labelled) == {"sub-02": "sim X"}
    assert group_names(labelled)["humans"] == "Humans (1 of 2 simulated)"


def test_credits_follow_what_the_report_uses():
    from results.credits import report_credits

    def refs(images, formats=("lab",), **used):
        table = pd.DataFrame({"image": images, "source_format": list(formats) * len(images)})
        flags = {"shape_bias_used": False, "consistency_used": False,
                 "benchmark_used": False, **used}
        return [c.reference[:30] for c in report_credits(table, **flags)]

    assert refs(["contrast/c10/img1.png"]) == [GEIRHOS_2018[:30]]  # lab data: 2018 always
    # a contrast set made from texture-vs-shape's cue-conflict images
    assert refs(["0001_con_s01_c10_dog_dog1-cat2.png"]) == [GEIRHOS_2018[:30],
                                                             GEIRHOS_2019[:30]]
    assert len(refs(["x.png"], consistency_used=True, benchmark_used=True)) == 3
    assert refs(["x.png"], formats=("model-vs-human",))[-1] == GEIRHOS_2021[:30]
