"""The report builds on any mix of inputs (networks only, humans only, one observer,
trained + pretrained networks, the full 2018 data): no traceback, no warning, and every
section shows what it can and says in one line what it cannot and why."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pandas as pd
import pytest
from mixes import human_sessions, network_contrast, network_sessions

from lab.readers import read_trials
from results.biases import bias_table
from results.cli import main
from results.report import write_report
from results.report_parts import table_html, text_table


def _report(tmp_path: Path, *inputs: Path) -> str:
    table = read_trials(list(inputs))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = write_report(table, tmp_path / "report", inputs=[str(p) for p in inputs])
    assert not [str(w.message) for w in caught]  # the report prints no warning
    return _checked(path)


def _checked(path: Path) -> str:
    """The page, after the checks every report passes."""
    page = path.read_text(encoding="utf-8")
    assert "No data." not in page and "Traceback" not in page
    assert not re.search(r">-0\.0+<", page)  # no negative zero
    return page


def _section(page: str, anchor: str) -> str:
    start = page.index(f'<h2 id="{anchor}">')
    end = page.find("<h2 ", start + 5)
    return page[start:end if end != -1 else None]


def _missing(page: str, anchor: str) -> list[str]:
    return re.findall(r'<p class="note missing"[^>]*>(.*?)</p>', _section(page, anchor))


def test_networks_only(tmp_path):
    """Two networks on cue-conflict and critical-band sets (the README's "biases across
    networks"): once a pandas traceback in the consistency intervals."""
    page = _report(tmp_path, network_sessions(tmp_path / "dnn", {"resnet50": 0.8,
                                                                 "vgg16": 0.6}))
    assert "needs human trials; this data has no humans and 2 networks" in " ".join(
        _missing(page, "consistency"))
    assert any("only OOD accuracy is shown" in m for m in _missing(page, "benchmark"))
    assert any("noise ceiling needs two or more humans; this data has none" in m
               for m in _missing(page, "intervals"))
    assert any("per human observer" in m for m in _missing(page, "quality"))
    assert 'id="table-shape-bias"' in page and 'id="table-channels"' in page
    assert (tmp_path / "report" / "report.html").is_file()
    # biases: the table, and one line why no correlation; the channel columns are the
    # report's channel fits, the same values `results biases` fits on its own
    assert 'id="table-biases"' in page
    assert any("need 4 or more networks with a bias and an accuracy; this data has 2" in m
               for m in _missing(page, "biases"))
    # no distortion to average, so no figure: said, not left out silently
    assert ("No figure: a bias against mean OOD accuracy needs 2 or more networks with "
            "both; this data has 0.") in _missing(page, "biases")
    shown = pd.read_csv(tmp_path / "report" / "biases.csv").set_index("network")
    alone = bias_table(read_trials([tmp_path / "dnn"])).set_index("network")
    for column in ("shape_bias", "channel_centre_cpi", "channel_peak_sensitivity"):
        assert shown[column].to_numpy() == pytest.approx(alone[column].to_numpy(),
                                                         nan_ok=True), column


def test_humans_only_and_one_observer(tmp_path):
    page = _report(tmp_path, human_sessions(tmp_path / "h", ["sub-01", "sub-02", "sub-03"]))
    assert any("need network trials" in m and "3 humans and no networks" in m
               for m in _missing(page, "benchmark"))
    assert any("needs cue-conflict trials" in m for m in _missing(page, "shape-bias"))
    assert any("critical-band" in m for m in _missing(page, "channels"))
    assert 'id="table-ceilings"' in page and 'id="table-quality"' in page
    assert _missing(page, "biases") == [
        "Biases are measured on networks (python -m models score); this data has none."]
    one = _report(tmp_path / "one", human_sessions(tmp_path / "o", ["sub-01"]))
    assert any("needs two or more observers" in m and "1 human" in m
               for m in _missing(one, "consistency"))
    assert any("this data has one" in m for m in _missing(one, "intervals"))


def test_trained_and_pretrained_networks_with_humans(tmp_path):
    data = tmp_path / "data"
    human_sessions(data, ["sub-01", "sub-02"])
    network_contrast(data / "dnn", {"resnet50": 0.9})
    network_contrast(data / "dnn", {"resnet50-trained-contrast": 0.8}, rule="16-way")
    page = _report(tmp_path, data)
    assert 'id="table-benchmark"' in page and "resnet50-trained-contrast" in page
    assert 'id="figure4"' in page  # the trained network's figure 4
    # integers as integers
    bench = _section(page, "benchmark")
    assert not re.search(r"<td>\d+\.0+</td>\s*<td>\d+</td>\s*</tr>", bench)


def test_tables_show_counts_as_integers_and_no_negative_zero():
    frame = pd.DataFrame({"observer": ["a", "b"], "n_experiments": [1.0, float("nan")],
                          "flagged_trials": [4.0, 0.0], "kappa": [-0.00001, 0.5]})
    page = table_html(frame, "x")
    assert "<td>1</td>" in page and "<td>4</td>" in page and "<td>n/a</td>" in page
    assert "1.0000" not in page and "4.0000" not in page and "-0.0000" not in page
    assert "<td>0.0000</td>" in page and page.startswith('<div class="table-wrap">')
    # the terminal tables (every `python -m results` table command) the same way
    flags = frame.assign(low_pass_half_sigma_censored=[0.0, 1.0])
    rows = [line.split() for line in text_table(flags).splitlines()[1:]]
    assert rows == [["a", "1", "4", "0.0000", "0"], ["b", "n/a", "0", "0.5000", "1"]]
    why = table_html(frame.iloc[0:0], "x", empty="X needs Y; this data has none.")
    assert "X needs Y; this data has none." in why and "No data" not in why


def test_terminal_tables_mark_simulated_observers(tmp_path, capsys):
    data = human_sessions(tmp_path / "sim", ["sim-01", "sub-02"],
                          simulated={"sim-01": "simulated X"})
    network_contrast(data / "dnn", {"resnet50": 0.9})
    assert main(["quality", str(data), "-q"]) == 0
    out = capsys.readouterr().out
    assert "sim-01 [simulated X]" in out and "sub-02 [" not in out
    assert main(["table", str(data), "-q"]) == 0
    assert "Humans (1 of 2 simulated)" in capsys.readouterr().out
    assert main(["quality", str(data), "-q", "--csv"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].split(",")[-1] == "simulated"
    assert ",sim-01," in rows[1] and rows[1].endswith(",simulated X")


@pytest.mark.parametrize("command", ["biases", "intervals", "thresholds", "channels"])
def test_help_shows_percent_signs_once(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    assert "%%" not in out and "95%" in out.replace("95 %", "95%")


def test_biases_with_too_few_networks_say_why(tmp_path, capsys):
    data = network_sessions(tmp_path / "dnn", {"resnet50": 0.8, "vgg16": 0.6},
                            critical_band=False)
    assert main(["biases", str(data), "--rule", "sum", "--correlations", "--boot", "10",
                 "-q"]) == 2
    err = capsys.readouterr().err
    assert "needs at least 4 networks" in err and "this input has 2 networks" in err
    assert "(no rows)" not in err


def test_biases_of_networks_scored_with_the_default_rule_read_it_and_say_so(tmp_path,
                                                                            capsys, caplog):
    """`models score` decides by the sum rule unless told; `results biases` (whose rule is
    mean) once refused such files ("no trials for rule 'mean'"): the README's line."""
    data = network_sessions(tmp_path / "dnn", {"resnet50": 0.8, "vgg16": 0.6},
                            critical_band=False)
    assert main(["biases", str(data), "-q"]) == 0
    captured = capsys.readouterr()
    assert "no network trials decided by the mean rule" in caplog.text
    rows = captured.out.splitlines()
    assert rows[0].split()[:2] == ["network", "shape_bias"] and len(rows) == 3
    assert rows[1].split()[-1] == "sum"  # the rule it read, in the table
    assert main(["biases", str(data), "-q", "--rule", "mean"]) == 2  # asked for: refused
    assert "no trials for rule 'mean'" in capsys.readouterr().err
    caplog.clear()  # nothing to read at all: its own error, not a rule's warning first
    (tmp_path / "empty").mkdir()
    assert main(["biases", str(tmp_path / "empty"), "-q"]) == 2
    assert "no trial files found" in capsys.readouterr().err
    assert "mean rule" not in caplog.text


def test_ceiling_figure_draws_a_point_outside_its_interval(tmp_path):
    """A bootstrap percentile interval of a mean need not contain the mean (the full 2018
    data): drawn as [low, high], no negative error bar, no warning."""
    from results.figures.ceiling import ceiling_figure

    per_group = pd.DataFrame({"experiment": ["a", "a", "b"],
                              "group": ["resnet50", "vgg16", "resnet50"],
                              "error_consistency": [0.2, 0.05, -0.1],
                              "error_consistency_low": [0.25, -0.1, -0.2],
                              "error_consistency_high": [0.4, 0.2, 0.0]})
    ceilings = pd.DataFrame({"experiment": ["b"], "human_consistency": [0.3],
                             "human_consistency_low": [0.2], "human_consistency_high": [0.45]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # also: no legend without labelled artists
        paths = ceiling_figure(per_group, ceilings, tmp_path)
    assert [p.suffix for p in paths] == [".png", ".pdf"]


def test_a_second_report_into_a_folder_being_written_is_refused_in_one_line(tmp_path,
                                                                           capsys):
    """Two reports at once into one folder raced on the same temporary files ("error:
    .../.provenance.csv.tmp: No such file or directory"); the second is refused while the
    first holds the folder, and the folder is free again after it."""
    from lab.lock import SessionLock

    data = human_sessions(tmp_path / "h", ["sub-01", "sub-02"])
    out = tmp_path / "report"
    with SessionLock(out / ".report.lock", what="this report folder"):
        assert main(["report", str(data), "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "this report folder is being written by process" in err[0]
    assert not (out / "report.html").exists()
    assert main(["report", str(data), "--out", str(out), "-q"]) == 0
    assert (out / "report.html").is_file() and not (out / ".report.lock").exists()
