"""Simulated observers are named as such: the readers take the label from the session's
sidecar, the accuracy figure's legend and the report's notes show it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from results_helpers import dnn_record, human_record, write_dnn_tsv

from lab.readers import read_trials, simulated_label
from lab.schema import HUMAN_FILE_COLUMNS
from lab.trial_file import TrialFile
from results.figures import accuracy_entropy as figures
from results.report import write_report
from results.tables import humans_label

LABEL = "simulated from the 2018 human data"


def _session(folder: Path, observer: str, simulated: dict | None) -> Path:
    path = folder / f"sub-{observer}/ses-1/beh/sub-{observer}_ses-1_task-contrast_beh.tsv"
    records = [human_record("contrast", observer, t, f"c{c}/img{t}.png", "cat", c,
                            "cat" if t % 2 else "dog")
               for t, c in enumerate(["c100", "c50", "c100", "c50"], start=1)]
    with TrialFile.create(path, HUMAN_FILE_COLUMNS,
                          sidecar={"simulated": simulated}) as trial_file:
        trial_file.write_many(records)
    return path


def test_label_from_the_sidecar(tmp_path: Path) -> None:
    sim = _session(tmp_path, "simhumans", {"kind": "humans2018", "label": LABEL})
    person = _session(tmp_path, "person", None)
    assert simulated_label(sim) == LABEL and simulated_label(person) == ""
    table = read_trials(tmp_path)
    by_observer = table.groupby("observer")["simulated"].agg(set)
    assert by_observer["simhumans"] == {LABEL} and by_observer["person"] == {""}
    assert humans_label(table) == "humans (1 of 2 observers simulated)"
    assert humans_label(read_trials(sim)) == f"humans ({LABEL})"
    assert humans_label(read_trials(person)) == "humans"
    sim.with_suffix(".json").write_text("not json")
    assert simulated_label(sim) == ""  # an unreadable sidecar: no claim either way


def test_legend_and_report_say_simulated(tmp_path: Path, monkeypatch) -> None:
    sim = _session(tmp_path / "data", "simhumans", {"kind": "humans2018", "label": LABEL})
    dnn = write_dnn_tsv(tmp_path / "dnn/contrast/resnet50_sum_ses-1.tsv", [
        dnn_record("contrast", "resnet50", t, f"c{c}/img{t}.png", "cat", c, "cat")
        for t, c in enumerate(["c100", "c50", "c100", "c50"], start=1)])
    table = read_trials([sim, dnn])
    legends: list[list[str]] = []
    real_save = figures.save

    def save_and_keep_legend(fig, out_dir, stem):  # the real save, legend texts kept
        legends.extend([t.get_text() for t in legend.get_texts()] for legend in fig.legends)
        return real_save(fig, out_dir, stem)

    monkeypatch.setattr(figures, "save", save_and_keep_legend)
    figures.figure3(table, tmp_path / "figs")
    # the legend entry names the simulation (then the trials per point)
    assert legends and all(any(t.startswith(f"Humans ({LABEL})") for t in texts)
                           for texts in legends)
    report = write_report(table, tmp_path / "report", notes=["Stimuli: <made up> here."])
    html = report.read_text(encoding="utf-8")
    assert 'id="simulated-banner"' in html  # the banner names each simulated observer
    assert f"<li><code>simhumans</code>: {LABEL}</li>" in html
    assert "Stimuli: &lt;made up&gt; here." in html


@pytest.mark.parametrize("meta", [{"simulated": None}, {}, []])
def test_no_claim_without_a_simulated_entry(tmp_path: Path, meta) -> None:
    path = _session(tmp_path, "person", None)
    path.with_suffix(".json").write_text(json.dumps(meta))
    assert simulated_label(path) == ""


def test_a_re_run_trial_counts_once_by_its_last_record(tmp_path: Path) -> None:
    """The booth re-runs a flagged trial with the same number: the last record counts."""
    path = tmp_path / "sub-a/ses-1/beh/sub-a_ses-1_task-contrast_beh.tsv"
    first = human_record("contrast", "a", 2, "c50/x.png", "cat", "c50", "dog", flagged=True)
    records = [human_record("contrast", "a", 1, "c50/y.png", "cat", "c50", "cat"), first,
               human_record("contrast", "a", 3, "c50/z.png", "cat", "c50", "cat",
                            flagged=True),  # flagged, never re-run: kept
               human_record("contrast", "a", 2, "c50/x.png", "cat", "c50", "cat")]
    with TrialFile.create(path, HUMAN_FILE_COLUMNS, sidecar={}) as trial_file:
        trial_file.write_many(records)
    table = read_trials(path)
    assert list(table["trial"]) == [1, 3, 2] and table["correct"].all()
    assert table["superseded"].tolist() == [0, 0, 1]
