"""``results biases`` as Gavrikov & Keuper (2024): their per-model table (CC BY-SA 4.0,
``shared/data/gavrikov2024``) gives the same correlations as a direct computation with
their definitions (``code/plots.ipynb``), and our own trials give their spectral bias."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from results_helpers import SHARED_DATA
from scipy.stats import spearmanr
from synthetic_observers import records

from lab.design import load_experiment
from results.biases import bias_correlations, bias_table, distortions
from results.cli import main
from results.gavrikov import correlation_table, read_benchmark, read_groups, shown

GK = SHARED_DATA / "gavrikov2024"
needs_data = pytest.mark.skipif(not (GK / "benchmark.csv").is_file(),
                                reason="shared/data/gavrikov2024 not present")


def direct_table() -> pd.DataFrame:
    """Their notebook's definitions, written out again."""
    raw = pd.read_csv(GK / "benchmark.csv")
    cats = json.loads((GK / "r50_categories.json").read_text())
    inv = {m: k for k, v in cats.items() for m in v}
    df = raw[raw["model"].isin(inv)].copy()
    df["category"] = df["model"].map(inv)
    targets = {
        "ID": ["top1_acc/imagenet", "top1_acc/imagenet-v2", "top1_acc/imagenet-real"],
        "Robustness": ["top1_acc/imagenet-a", "top1_acc/imagenet-c", "top1_acc/imagenet-cbar"],
        "Concepts": ["top1_acc/imagenet-sketch", "top1_acc/imagenet-r", "top1_acc/stylized"],
        "Adversarial": ["top1_acc/PGD-40/low"]}
    for t, cols in targets.items():
        df[t] = df[cols].mean(axis=1)
    cut = ("0.1", "0.2", "0.3", "0.4", "0.5")
    df["LF"] = df[[f"metric/bandpass/LFC/{c}" for c in cut]].mean(axis=1)
    df["HF"] = df[[f"metric/bandpass/HFC/{c}" for c in cut]].mean(axis=1)
    biases = {"shape-bias": "shape-bias", "LF": "LF", "HF": "HF",
              "bw_norm": "metric/criticalband/bw_norm", "cf_norm": "metric/criticalband/cf_norm",
              "pns_norm": "metric/criticalband/pns_norm"}
    subsets = {"all": df, "adversarial_training": df[df.category == "adversarial_training"],
               "not:adversarial_training": df[df.category != "adversarial_training"]}
    rows = []
    for name, part in subsets.items():
        for b, col in biases.items():
            for t in targets:
                r, p = spearmanr(part[col], part[t])
                rows.append((name, b, t, len(part), r, p, r if p < 0.05 else 0.0))
    return pd.DataFrame(rows, columns=["subset", "bias", "target", "n", "rho", "p",
                                       "rho_shown"])


@needs_data
def test_correlations_from_their_table_equal_their_definitions():
    ours = correlation_table(read_benchmark(GK / "benchmark.csv"),
                             read_groups(GK / "r50_categories.json"))
    ref = direct_table()
    mine = ours.set_index(["subset", "bias", "target"]).loc[
        list(ref.set_index(["subset", "bias", "target"]).index)].reset_index()
    assert list(mine["n"]) == list(ref["n"])
    np.testing.assert_allclose(mine["rho"], ref["rho"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(mine["p"], ref["p"], rtol=1e-9)
    np.testing.assert_allclose(mine["rho_shown"], ref["rho_shown"], rtol=0, atol=1e-12)
    cell = mine.set_index(["subset", "bias", "target"])["rho_shown"]
    assert cell["all", "shape-bias", "ID"] == pytest.approx(-0.7614, abs=1e-4)
    assert cell["all", "HF", "Robustness"] == pytest.approx(0.7859, abs=1e-4)
    assert cell["all", "cf_norm", "ID"] == 0.0  # p >= 0.05
    assert cell["adversarial_training", "LF", "ID"] == pytest.approx(-0.9893, abs=1e-4)
    assert cell["not:adversarial_training", "bw_norm", "ID"] == pytest.approx(-0.5654,
                                                                             abs=1e-4)


@needs_data
def test_cli_prints_one_row_per_subset_bias_target(capsys):
    assert main(["biases", str(GK / "benchmark.csv"), "--groups",
                 str(GK / "r50_categories.json"), "--correlations", "--csv", "-q"]) == 0
    frame = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(frame.columns) == ["subset", "bias", "target", "n", "rho", "p", "rho_shown"]
    assert set(frame["subset"]) >= {"all", "adversarial_training",
                                    "not:adversarial_training"}
    assert (frame.loc[frame["subset"] == "all", "n"] == 48).all()
    assert not (frame["rho_shown"].notna() & (frame["p"] >= 0.05)
                & (frame["rho_shown"] != 0)).any()


def test_display_rule_keeps_nan_and_zeroes_insignificant():
    assert shown(0.5, 0.049) == 0.5 and shown(0.5, 0.05) == 0.0
    assert np.isnan(shown(float("nan"), float("nan")))


def _ffc_network(name: str, rng, lf: float, hf: float, robust: float) -> pd.DataFrame:
    design = load_experiment("spectral-ffc")
    p = []
    for code in design.conditions:
        p.append(0.8 if code == "0" else 0.8 * (lf if code.startswith("lp") else hf))
    frames = [records("spectral-ffc", name, list(design.conditions), np.array(p), 400, rng,
                      human=False),
              records("uniform-noise", name, ["0.00", "0.35"], np.array([0.9, robust]), 400,
                      rng, human=False),
              records("low-pass", name, ["0", "3", "10"], np.array([0.9, 0.5, 0.1]), 50,
                      rng, human=False)]
    return pd.concat(frames, ignore_index=True)


def test_spectral_bias_from_trials_and_bias_sets_are_never_targets():
    rng = np.random.default_rng(0)
    nets = [(f"net{i}", 0.2 + 0.1 * i, 0.6 - 0.08 * i, 0.1 + 0.1 * i) for i in range(6)]
    table = pd.concat([_ffc_network(n, rng, lf, hf, r) for n, lf, hf, r in nets],
                      ignore_index=True)
    assert distortions(table) == ["uniform-noise"]  # not low-pass, not spectral-ffc
    biases = bias_table(table).set_index("network")
    for name, lf, hf, _ in nets:
        assert biases.loc[name, "lf_bias"] == pytest.approx(lf, abs=0.06)
        assert biases.loc[name, "hf_bias"] == pytest.approx(hf, abs=0.06)
    assert "accuracy_low-pass" not in biases.columns
    groups = {"first": ["net0", "net1", "net2", "net3"], "last": ["net4", "net5"]}
    corr = bias_correlations(biases.reset_index(), n_boot=100, groups=groups)
    row = corr[(corr["subset"] == "all") & (corr["bias"] == "lf_bias")
               & (corr["robustness"] == "mean_ood_accuracy")].iloc[0]
    assert row["spearman_rho"] == pytest.approx(1.0) and row["p"] < 0.05
    assert row["rho_shown"] == row["spearman_rho"]
    assert set(corr["subset"]) == {"all", "first", "not:last"}  # subsets of >= 4 networks
    assert not corr["robustness"].str.contains("low-pass|spectral-ffc").any()


def test_report_credits_the_successor_papers_where_their_stimuli_are_analysed():
    from results.credits import GAVRIKOV_2024, SUBRAMANIAN_2023, report_credits

    def refs(experiments):
        table = pd.DataFrame({"image": ["x.png"] * len(experiments), "source_format": "lab",
                              "experiment": experiments})
        return [c.reference for c in report_credits(
            table, shape_bias_used=False, consistency_used=False, benchmark_used=False)]

    assert SUBRAMANIAN_2023 in refs(["critical-band"])
    assert GAVRIKOV_2024 in refs(["spectral-ffc", "contrast"])
    assert SUBRAMANIAN_2023 not in refs(["contrast"]) and GAVRIKOV_2024 not in refs(["contrast"])


@needs_data
def test_norm_columns_keep_the_authors_signs_and_are_the_fit_on_accuracy_over_clean():
    """Their bw_norm / cf_norm / pns_norm are read as they are (no sign flip: their
    notebook plots the raw columns) and are Subramanian et al.'s fit on accuracy as percent
    of clean accuracy: a network at chance (clean / clean = 100 % everywhere, j = 0) gives
    exactly their resnet50_untrained row; ours keeps the same signs."""
    from results.subramanian import fit_j, normalised_matrix, threshold_index

    raw = pd.read_csv(GK / "benchmark.csv").set_index("model")
    ours = read_benchmark(GK / "benchmark.csv").set_index("model")
    for name in ("bw_norm", "cf_norm", "pns_norm"):
        column = raw[f"metric/criticalband/{name}"]
        assert (column.dropna() > 0).all() and column.notna().sum() >= 48
        np.testing.assert_array_equal(ours[name], column.loc[ours.index])
    chance = np.full((5, 7), 100 / 16)  # accuracy at chance in every cell
    normed = normalised_matrix(chance)
    assert np.allclose(normed, 100.0)
    fit = fit_j(threshold_index(normed))
    untrained = raw.loc["resnet50_untrained"]
    assert fit.bandwidth_octaves == pytest.approx(untrained["metric/criticalband/bw_norm"],
                                                  rel=1e-6)
    assert fit.centre_cpi == pytest.approx(untrained["metric/criticalband/cf_norm"], rel=1e-4)
    assert fit.pns == pytest.approx(untrained["metric/criticalband/pns_norm"], rel=1e-6)
    assert not fit.identified  # and so NaN in our bias table, never a number
    # same direction as theirs: a wider bump of j is a wider channel, a higher one a larger
    # PNS (more noise-sensitive), a bump at a higher band a higher centre frequency
    narrow, wide = fit_j(np.array([0, 0, 0, 0, 2, 0, 0])), fit_j(np.array([0, 0, 0, 2, 2, 2, 0]))
    assert 0 < narrow.bandwidth_octaves < wide.bandwidth_octaves
    assert fit_j(np.array([0, 0, 0, 0, 3, 0, 0])).pns > narrow.pns
    assert fit_j(np.array([0, 0, 0, 2, 0, 0, 0])).centre_cpi < narrow.centre_cpi
    assert np.isnan(normalised_matrix(np.zeros((5, 7)))).all()  # clean accuracy 0
