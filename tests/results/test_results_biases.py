"""The bias table across networks: spectral bias, shape bias, robustness, and Spearman
correlations with bootstrap intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from results_helpers import dnn_record, write_dnn_tsv
from synthetic_observers import records

from lab.readers import read_trials
from results.biases import (
    bias_correlations,
    bias_table,
    generalisation_targets,
    half_accuracy_bound,
    half_accuracy_level,
    spearman_rows,
)


def test_half_accuracy_level_interpolates_and_handles_the_unfiltered_control():
    assert half_accuracy_level(np.array([0, 1, 3, 5]), np.array([.8, .7, .3, .1])) == 2.5
    assert np.isnan(half_accuracy_level(np.array([0, 1, 3]), np.array([.8, .7, .6])))
    # ... and the bound it is known by: beyond the strongest tested level, censored
    assert half_accuracy_bound(np.array([0, 1, 3]), np.array([.8, .7, .6])) == (3.0, True)
    assert half_accuracy_bound(np.array([0, 1, 3, 5]), np.array([.8, .7, .3, .1])) == (
        2.5, False)
    assert half_accuracy_bound(np.array([np.inf, 3, 0.4]), np.array([.9, .8, .6])) == (
        0.4, True)
    # high-pass: control sigma = inf, then decreasing sigma
    levels = np.array([np.inf, 3, 1.5, 1, 0.7])
    assert half_accuracy_level(levels, np.array([.9, .8, .6, .4, .2])) == pytest.approx(
        1.5 + (0.6 - 0.45) / (0.6 - 0.4) * (1 - 1.5))


def _network(name: str, rng, *, lp_half: float, shape: float, noise: float) -> pd.DataFrame:
    lp_levels = np.array([0, 1, 3, 5, 7, 10, 15, 40])
    lp_acc = 0.9 / (1 + (lp_levels / lp_half) ** 3)  # halves exactly at lp_half
    frames = [records("low-pass", name, ["0", "1", "3", "5", "7", "10", "15", "40"],
                      lp_acc, 400, rng, human=False),
              records("uniform-noise", name, ["0.00", "0.35"], np.array([0.9, noise]), 400,
                      rng, human=False)]
    cue = records("cue-conflict", name, ["0"], np.array([shape]), 400, rng, human=False)
    cue["texture"] = "cat"
    cue["response"] = np.where(cue["correct"], "dog", "cat")  # shape hit or texture hit
    frames.append(cue)
    return pd.concat(frames, ignore_index=True)


def test_bias_table_and_rank_correlations_with_intervals():
    rng = np.random.default_rng(3)
    nets = [(f"net{i}", 2 + 2 * i, 0.2 + 0.1 * i, 0.1 + 0.08 * i) for i in range(6)]
    table = pd.concat([_network(n, rng, lp_half=lp, shape=sb, noise=acc)
                       for n, lp, sb, acc in nets], ignore_index=True)
    biases = bias_table(table).set_index("network")
    for name, lp, sb, acc in nets:
        assert biases.loc[name, "low_pass_half_sigma"] == pytest.approx(lp, rel=0.25)
        assert biases.loc[name, "shape_bias"] == pytest.approx(sb, abs=0.07)
        assert biases.loc[name, "accuracy_uniform-noise"] == pytest.approx(acc, abs=0.07)
    assert np.isnan(biases["channel_centre_cpi"]).all()  # no critical-band data
    corr = bias_correlations(biases.reset_index(), n_boot=500)
    row = corr[(corr["bias"] == "shape_bias") & (corr["robustness"] == "mean_ood_accuracy")]
    assert row["spearman_rho"].iloc[0] == pytest.approx(1.0)
    assert row["rho_low"].iloc[0] <= 1.0 and row["n_networks"].iloc[0] == 6


def test_spearman_rows_matches_scipy_with_ties():
    from scipy.stats import spearmanr
    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, (20, 9)).astype(float)
    y = rng.random((20, 9))
    ours = spearman_rows(x, y)
    for i in range(20):
        assert ours[i] == pytest.approx(spearmanr(x[i], y[i]).statistic, abs=1e-12)


def test_a_network_that_never_halves_is_a_censored_bound_not_dropped():
    rng = np.random.default_rng(5)
    table = pd.concat([_network("robust", rng, lp_half=400.0, shape=0.5, noise=0.5),
                       _network("fragile", rng, lp_half=4.0, shape=0.5, noise=0.5)],
                      ignore_index=True)
    biases = bias_table(table).set_index("network")
    assert biases.loc["robust", "low_pass_half_sigma"] == 40.0  # "> 40": the largest sigma
    assert biases.loc["robust", "low_pass_half_sigma_censored"] == 1.0
    assert biases.loc["fragile", "low_pass_half_sigma_censored"] == 0.0
    assert biases.loc["fragile", "low_pass_half_sigma"] == pytest.approx(4.0, rel=0.25)
    assert np.isnan(biases.loc["robust", "high_pass_half_sigma_censored"])  # not tested


def _top1(observer, experiment, condition, correct):
    return pd.DataFrame({"experiment": experiment, "observer": observer,
                         "condition": condition, "correct": correct})


def test_generalisation_targets_aggregate_as_gavrikov_and_keuper():
    imagenet = pd.concat([
        _top1("a", "imagenet-val", "", [1, 1, 1, 0]),          # 0.75
        _top1("a", "imagenet-v2", "", [1, 0]),                # 0.5
        # ImageNet-C: mean of the per-condition accuracies, not of the images
        _top1("a", "imagenet-c", "fog/1", [1, 1, 1, 1, 1, 1]),  # 1.0
        _top1("a", "imagenet-c", "fog/5", [0, 0]),              # 0.0
        _top1("a", "imagenet-a", "", [0, 1]),                  # 0.5
        _top1("a", "imagenet-r", "", [1, 0, 0, 0]),            # 0.25
        _top1("a", "imagenet-pgd", "0.5/255", [0, 1]),         # 0.5: their eps
        _top1("a", "imagenet-pgd", "4/255", [0, 0]),
    ], ignore_index=True)
    stylized = pd.DataFrame({"experiment": "stylized", "observer": "a", "condition": "0",
                             "correct": [True, False, False, False],
                             "observer_type": "dnn"})
    t = generalisation_targets(imagenet, stylized).loc["a"]
    assert t["top1_imagenet-c"] == 0.5
    assert t["target_ID"] == pytest.approx((0.75 + 0.5) / 2)
    assert t["target_Robustness"] == pytest.approx((0.5 + 0.5) / 2)
    assert t["target_Concepts"] == pytest.approx((0.25 + 0.25) / 2)  # -R and stylized
    assert t["target_Adversarial"] == 0.5 and t["top1_imagenet-pgd"] == 0.5
    # only another eps: that one (smallest), said in a warning
    only = imagenet[imagenet["condition"] != "0.5/255"]
    assert generalisation_targets(only).loc["a", "target_Adversarial"] == 0.0


def test_correlations_include_the_generalisation_targets():
    frame = pd.DataFrame({"network": [f"n{i}" for i in range(6)],
                          "shape_bias": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
                          "target_ID": [0.8, 0.7, 0.6, 0.5, 0.4, 0.3],
                          "top1_imagenet-val": [0.8, 0.7, 0.6, 0.5, 0.4, 0.3]})
    from results.biases import BIAS_COLUMNS
    frame = frame.reindex(columns=["network", *BIAS_COLUMNS, "top1_imagenet-val",
                                   "target_ID"])  # as bias_table gives it
    corr = bias_correlations(frame, n_boot=50)
    row = corr[(corr["bias"] == "shape_bias") & (corr["robustness"] == "target_ID")]
    assert row["spearman_rho"].iloc[0] == pytest.approx(-1.0)
    assert "top1_imagenet-val" not in set(corr["robustness"])  # the targets, not each set


def test_the_bias_figure_names_every_network_and_the_report_shows_the_same_correlations(
        tmp_path):
    """The figure had no legend (three unnamed markers) and no table beside it; the
    report's correlations are :func:`bias_correlations`' own."""
    from matplotlib.text import Text

    from results.figures.biases import draw_bias_figure
    from results.report import write_report

    rng = np.random.default_rng(3)
    nets = [(f"net{i}", 2 + 2 * i, 0.2 + 0.1 * i, 0.1 + 0.08 * i) for i in range(5)]
    table = pd.concat([_network(n, rng, lp_half=lp, shape=sb, noise=acc)
                       for n, lp, sb, acc in nets], ignore_index=True)
    biases = bias_table(table)
    correlations = bias_correlations(biases)
    fig = draw_bias_figure(biases, correlations, n_experiments=1)
    texts = [t.get_text() for t in fig.findobj(Text)]
    assert {f"net{i}" for i in range(5)} <= set(texts)
    assert "mean OOD accuracy\n(1 distortions defining no bias)" in texts
    assert any(t.startswith("shape bias\nrho 1.00 [") and t.endswith("n = 5 networks")
               for t in texts)

    # as scored files, read as the report reads them
    for (name, experiment), trials in table.groupby(["observer", "experiment"]):
        suffix = "-cat{}.png" if experiment == "cue-conflict" else ".png"
        write_dnn_tsv(tmp_path / "dnn" / experiment / f"{name}_sum_ses-1.tsv", [
            dnn_record(experiment, name, t + 1,
                       f"{experiment}/{row.condition}/dog{t}" + suffix.format(t), "dog",
                       row.condition, row.response)
            for t, row in enumerate(trials.itertuples())])
    page = write_report(read_trials([tmp_path / "dnn"]), tmp_path / "report",
                        workers=1).read_text(encoding="utf-8")
    section = page[page.index('<h2 id="biases">'):]
    section = section[:section.index("<h2 ", 5)]
    assert 'id="table-biases"' in section and 'id="table-bias-correlations"' in section
    shown = pd.read_csv(tmp_path / "report" / "bias_correlations.csv")
    ours = correlations[(correlations["subset"] == "all")
                        & (correlations["robustness"] == "mean_ood_accuracy")]
    assert list(shown["bias"]) == list(ours["bias"])
    assert shown["spearman_rho"].to_numpy() == pytest.approx(
        ours["spearman_rho"].to_numpy(), abs=5e-5)
