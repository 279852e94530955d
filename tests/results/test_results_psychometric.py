"""psignifit thresholds and the critical-band channel recover known observers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from synthetic_observers import channel_observer, psi, records

from results.channels import channel_tables, fit_channel, stepped_thresholds
from results.psychometric import criterion_level, fit_all, fit_psychometric, threshold_table


@pytest.mark.parametrize("true_threshold,criterion", [(0.05, 0.5), (0.09, 0.75)])
def test_psignifit_threshold_recovered_within_its_interval(true_threshold, criterion):
    rng = np.random.default_rng(11)
    levels = np.array([0.0, 0.02, 0.04, 0.08, 0.16])
    p = psi(levels, threshold=true_threshold, spread=0.35 * true_threshold, lapse=0.02,
            criterion=criterion)
    n = np.full(5, 80)
    fit = fit_psychometric(levels, rng.binomial(n, p), n, decreasing=True,
                           criterion=criterion)
    low, high = fit.threshold_ci
    assert low < true_threshold < high
    assert low < fit.threshold < high
    assert high - low < 0.05  # informative, not the whole range
    # the fitted curve passes through the criterion at the threshold
    assert fit.proportion_correct(np.array([fit.threshold]))[0] == pytest.approx(criterion)
    true_width = 0.35 * true_threshold * 2 * 1.6448536  # 5 % to 95 % of the Gaussian
    assert fit.width_ci[0] < true_width < fit.width_ci[1]


def test_criterion_level_is_the_inverse_of_the_scaled_function():
    from scipy.stats import norm
    x = criterion_level(0.5, np.array([0.1]), np.array([0.2]), 1 / 16, np.array([0.05]))
    scale = 0.2 / (2 * norm.ppf(0.95))  # psignifit's width: 5 % to 95 %
    value = 1 / 16 + (1 - 1 / 16 - 0.05) * norm.cdf((x[0] - 0.1) / scale)
    assert value == pytest.approx(0.5)
    # lapse so high that the criterion is never reached
    assert criterion_level(0.5, np.array([0.1]), np.array([0.2]), 1 / 16,
                           np.array([0.6]))[0] == np.inf


def test_threshold_table_per_observer_and_network_in_level_units():
    rng = np.random.default_rng(5)
    conditions = ["c100", "c50", "c30", "c15", "c10", "c05", "c03", "c01"]
    contrast = np.array([100, 50, 30, 15, 10, 5, 3, 1])  # the design's levels: percent
    frames = []
    for name, threshold, human in (("sub-01", 6.0, True), ("net", 20.0, False)):
        p = psi(np.log10(contrast), threshold=np.log10(threshold), spread=0.3, lapse=0.02,
                decreasing=False)
        frames.append(records("contrast", name, conditions, p, 60, rng, human=human))
    table = threshold_table(fit_all(pd.concat(frames, ignore_index=True)))
    assert list(table["group"]) == ["humans", "net"]
    for (_, row), true in zip(table.iterrows(), (6.0, 20.0), strict=True):
        assert row["threshold_low"] < true < row["threshold_high"]  # contrast units
        assert row["fit_axis"] == "log10 contrast in percent"


def test_channel_recovered_within_its_intervals():
    """A network-like channel (centre 20 c/img, 3 octaves, peak sensitivity 50):
    psignifit per band, then the Gaussian; every parameter inside its 95 % interval."""
    rng = np.random.default_rng(0)
    table = channel_observer("net", rng, centre_cpi=20, bandwidth=3.0, peak=50,
                             n_per_condition=100, human=False)
    channels, bands = channel_tables(table, n_boot=400)
    row = channels.iloc[0]
    for column, true in (("centre_cpi", 20.0), ("bandwidth", 3.0), ("peak", 50.0)):
        value = row["bandwidth_octaves" if column == "bandwidth" else
                    "peak_sensitivity" if column == "peak" else column]
        low = row[f"{column}_low" if column != "centre_cpi" else "centre_cpi_low"]
        high = row[f"{column}_high" if column != "centre_cpi" else "centre_cpi_high"]
        assert low <= true <= high, (column, low, true, high)
        assert low <= value <= high
    assert row["n_measured_bands"] >= 5 and np.isnan(row["centre_cpd"])  # a network
    assert len(bands) == 7 and bands["censored"].iloc[0]  # 1.75 c/img: beyond the range
    # Subramanian et al.'s stepped thresholds on the same data land in the same place
    stepped, _ = channel_tables(table, method="stepped", n_boot=200)
    assert abs(np.log2(stepped["centre_cpi"].iloc[0] / 20.0)) < 0.3


def test_human_geometry_gives_cycles_per_degree():
    rng = np.random.default_rng(1)
    table = channel_observer("sub-01", rng, centre_cpi=20, bandwidth=3.0, peak=50,
                             n_per_condition=40)
    channels, _ = channel_tables(table, method="stepped", n_boot=50)
    row = channels.iloc[0]
    assert row["geometry"] == "design" and row["image_degrees"] == 3.0
    assert row["centre_cpd"] == pytest.approx(row["centre_cpi"] / 3.0)


def test_stepped_threshold_is_the_highest_level_above_criterion():
    levels = np.array([0, .02, .04, .08, .16])
    assert stepped_thresholds(levels, np.array([.9, .8, .6, .3, .1])) == 0.04
    assert stepped_thresholds(levels, np.array([.9, .3, .6, .3, .1])) == 0.04  # not first drop
    assert stepped_thresholds(levels, np.array([.9, .8, .7, .6, .55])) == 0.16
    assert np.isnan(stepped_thresholds(levels, np.array([.4, .3, .2, .1, .1])))


def test_channel_fit_exact_on_noise_free_gaussian_and_respects_censoring():
    k = np.arange(7.0)
    s = 30 * np.exp(-0.5 * ((k - 4.2) / 0.7) ** 2)
    c = fit_channel(k, s)
    assert (c.mu, c.sigma, c.peak_sensitivity) == pytest.approx((4.2, 0.7, 30), rel=1e-6)
    # bands below 1/0.16 reported as censored at 6.25 do not widen the channel
    censored = s < 6.25
    c2 = fit_channel(k, np.where(censored, 6.25, s), censored)
    assert c2.sigma == pytest.approx(0.7, rel=0.05)


def test_fast_default_priors_are_psignifits_defaults_value_for_value():
    """The priors passed to psignifit (``default_priors``) return exactly what psignifit
    4.3's own defaults return, on grids that cross every bound and fall-off."""
    from psignifit._priors import default_prior

    from results.psychometric import default_priors
    levels = -np.log10([100, 50, 30, 15, 10, 5, 3, 1.0])
    low, high = levels.min(), levels.max()
    width_min = np.diff(np.unique(levels)).min()
    ours = default_priors(levels)
    spread = high - low
    grids = {"threshold": np.linspace(low - spread, high + spread, 997),
             "width": np.linspace(0, 4 * spread, 997),
             "lambda": np.concatenate([[-0.1, 0.0, 1.0, 1.1, np.nan], np.linspace(0, 1, 501)]),
             "gamma": np.linspace(0, 0.5, 101),
             "eta": np.linspace(0, 1 - 1e-10, 101)}
    for name, x in grids.items():
        theirs = default_prior(name, (low, high), width_min, 0.05, 10)
        for values in (x, x.reshape(-1, 1, 1), x[3:4].reshape(1, 1, 1, 1)):
            np.testing.assert_array_equal(ours[name](values), theirs(values), err_msg=name)
    assert ours["lambda"](0.05) == default_prior("lambda", (low, high), width_min, 0.05,
                                                 10)(0.05)


def test_fit_with_fast_priors_equals_psignifits_default_fit():
    """The whole fit (grid posterior, MAP, intervals) is psignifit's default fit."""
    import psignifit

    from results.psychometric import _sigmoid
    levels = np.array([0.0, 0.02, 0.04, 0.08, 0.16, 0.32])
    n = np.array([40, 40, 40, 40, 40, 38])
    k = np.array([38, 35, 27, 12, 4, 2])
    fit = fit_psychometric(levels, k, n, decreasing=True)
    data = np.column_stack([-levels, k, n]).astype(float)
    reference = psignifit.psignifit(data, experiment_type="16AFC", sigmoid=_sigmoid(),
                                    verbose=False)
    for name, value in reference.parameter_estimate_MAP.items():
        assert fit.params[name] == pytest.approx(value, rel=1e-12, abs=1e-14), name
    width_ci = reference.confidence_intervals["width"]["0.95"]
    assert fit.width_ci == pytest.approx(tuple(width_ci), rel=1e-12)


def test_fit_all_in_processes_equals_fit_all_in_this_process(monkeypatch):
    """Fitting in other processes changes where the fits run, not what they give."""
    import results.psychometric as psychometric
    rng = np.random.default_rng(3)
    conditions = ["c100", "c30", "c10", "c03", "c01"]
    contrast = np.array([100, 30, 10, 3, 1])
    frames = [records("contrast", f"net{i}", conditions,
                      psi(np.log10(contrast), threshold=np.log10(5 + 3 * i), spread=0.3,
                          lapse=0.02, decreasing=False), 30, rng, human=False)
              for i in range(2)]
    table = pd.concat(frames, ignore_index=True)
    monkeypatch.setattr(psychometric, "MIN_FITS_PER_WORKER", 1)  # a pool for 2 fits
    serial, pooled = fit_all(table, workers=1), fit_all(table, workers=2)
    assert list(serial) == list(pooled) and len(serial) == 2
    pd.testing.assert_frame_equal(threshold_table(serial), threshold_table(pooled),
                                  check_exact=True)
    for key, fit in serial.items():
        np.testing.assert_array_equal(fit.threshold_quantiles, pooled[key].threshold_quantiles)
        assert pooled[key].axis is not None


def test_fits_of_a_failed_process_are_made_here(monkeypatch, caplog):
    """A fitting process that fails (here: one that exits at once) leaves its fits to
    the calling process, with a warning; the fits are the same."""
    import results.psychometric as psychometric
    levels = np.array([0.0, 0.04, 0.08, 0.16])
    jobs = [(levels, np.array([60, 50, 20, 5]), np.full(4, 64), True, 0.5),
            (levels, np.array([62, 58, 40, 9]), np.full(4, 64), True, 0.5)]
    monkeypatch.setattr(psychometric, "MIN_FITS_PER_WORKER", 1)
    monkeypatch.setattr(psychometric.sys, "executable", "/bin/false")
    with caplog.at_level("WARNING", logger="results.psychometric"):
        fits = psychometric._run_fits(jobs, workers=2)
    assert "fitting process failed" in caplog.text
    assert [f.threshold for f in fits] == [psychometric._fit_job(j).threshold for j in jobs]


def test_psychometric_panels_show_their_trials_per_level(tmp_path):
    """Every point shows its n: each panel's title gives the trials per level."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    from results.figures.psychometric import psychometric_figures, trials_per_level
    levels = np.array([0.0, 0.02, 0.04, 0.08, 0.16])
    even = fit_psychometric(levels, np.array([70, 60, 40, 10, 5]), np.full(5, 80),
                            decreasing=True)
    uneven = fit_psychometric(levels, np.array([70, 60, 40, 10, 5]),
                              np.array([80, 80, 80, 80, 40]), decreasing=True)
    assert trials_per_level(even) == "n = 80 per level"
    assert trials_per_level(uneven) == "n = 40\u201380 per level"
    titles = []
    original = plt.Axes.set_title

    def record(ax, label, *args, **kwargs):
        titles.append(label)
        return original(ax, label, *args, **kwargs)

    plt.Axes.set_title = record
    try:
        psychometric_figures({("uniform-noise", "", "humans", "sub-01"): even,
                              ("uniform-noise", "", "humans", "sub-02"): uneven}, tmp_path)
    finally:
        plt.Axes.set_title = original
    assert sorted(titles) == ["sub-01 (n = 80 per level)", "sub-02 (n = 40\u201380 per level)"]
