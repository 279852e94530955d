"""How fast is the vectorised bootstrap of error consistency, against a per-replicate loop?

Run from the repository root (needs ../shared/data):

    .venv/bin/python benchmarks/uncertainty_speed.py [--boot 200]

Both paths resample the images of every condition of model-vs-human's ``contrast`` data
(4 observers, 8 conditions, 160 images each) jointly for all observers and compute every
pair's error consistency per replicate: the naive path draws indices and calls
:func:`results.consistency.error_consistency` per replicate and pair; ours
(:func:`results.uncertainty.consistency_intervals`) turns replicates into weight vectors
and counts with matrix products. The script checks that both give the same interval
widths to within Monte-Carlo noise and prints times and the speed-up (same process).

Then the accuracy bootstrap (:func:`results.uncertainty.accuracy_intervals`, observers then
trials, and within observers) on the 2018 data (bundled humans, plus the networks where
``../shared/data/geirhos2018`` has them) against a plain numpy version of the same
resampling (one pandas group-by for the per-unit counts, then per cell
``rng.integers`` + ``rng.binomial``): the ratio should stay within 1.2x (issue 19).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = REPO / ".." / "shared" / "data" / "model-vs-human" / "human-raw-data" / "contrast"


def naive(table, n_boot: int, seed: int) -> dict[tuple[str, str, str], float]:
    from results.consistency import error_consistency, observer_ids
    rng = np.random.default_rng(seed)
    widths = {}
    work = table.assign(_who=observer_ids(table))
    for condition, cell in work.groupby("condition"):
        grid = cell.pivot(index="image_key", columns="_who", values="correct")
        names = list(grid.columns)
        values = grid.to_numpy(dtype=float) > 0.5
        n = len(values)
        for a in range(len(names)):
            for b in range(a + 1, len(names)):
                kappas = []
                for _ in range(n_boot):
                    pick = rng.integers(0, n, n)
                    kappas.append(error_consistency(values[pick, a], values[pick, b]).kappa)
                low, high = np.percentile(kappas, [2.5, 97.5])
                widths[(condition, names[a], names[b])] = high - low
    return widths


def plain_accuracy_bootstrap(table, n_boot: int, seed: int, observers: bool):
    """Per experiment, condition and group: the 2.5/97.5 percentiles of the mean over
    units, with plain pandas (per-unit counts) and numpy (per cell, a loop)."""
    rng = np.random.default_rng(seed)
    human = table["observer_type"] == "human"
    keys = [table["experiment"], table["condition"],
            table["observer"].where(~human, "humans").rename("group"),
            table["observer"], table["source_format"].where(human, ""),
            table["session"].where(~human, 0)]
    per_unit = table.groupby(keys, sort=False, observed=True)["correct"].agg(["sum", "size"])
    out = {}
    for cell, units in per_unit.groupby(level=[0, 1, 2], sort=False):
        k, n = units["sum"].to_numpy(), units["size"].to_numpy()
        pick = (rng.integers(0, len(n), size=(n_boot, len(n))) if observers
                else np.broadcast_to(np.arange(len(n)), (n_boot, len(n))))
        means = (rng.binomial(n[pick], k[pick] / n[pick]) / n[pick]).mean(axis=1)
        out[cell] = np.percentile(means, [2.5, 97.5])
    return out


def accuracy_vs_plain(n_boot: int, repeat: int = 3) -> None:
    """``accuracy_intervals`` against :func:`plain_accuracy_bootstrap`, same process."""
    from lab.datasets import HUMANS_2018
    from lab.readers import read_trials
    from results.uncertainty import OBSERVERS, TRIALS, accuracy_intervals
    sources = [HUMANS_2018]
    dnn = REPO / ".." / "shared" / "data" / "geirhos2018" / "dnn-raw-data"
    if dnn.is_dir():
        sources.append(dnn)
    table = read_trials(sources)
    print(f"accuracy bootstrap on {len(table)} trials of the 2018 data, {n_boot} replicates")
    for resample, observers in ((OBSERVERS, True), (TRIALS, False)):
        plain_s = ours_s = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            plain = plain_accuracy_bootstrap(table, n_boot, 0, observers)
            plain_s = min(plain_s, time.perf_counter() - start)
            start = time.perf_counter()
            ours = accuracy_intervals(table, n_boot=n_boot, seed=0, resample=resample)
            ours_s = min(ours_s, time.perf_counter() - start)
        widths = ours.set_index(["experiment", "condition", "observer"])
        diff = np.median([abs((widths.loc[c, "accuracy_high"] - widths.loc[c, "accuracy_low"])
                              - (high - low)) for c, (low, high) in plain.items()])
        print(f"  {resample:9s} plain numpy {plain_s:6.2f} s   ours {ours_s:6.2f} s   "
              f"ratio {ours_s / plain_s:4.2f} x (goal: within 1.2 x); median |width "
              f"difference| {diff:.4f} (Monte-Carlo)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boot", type=int, default=200)
    parser.add_argument("--accuracy-only", action="store_true",
                        help="only the accuracy bootstrap against plain numpy")
    args = parser.parse_args()
    if args.accuracy_only:
        accuracy_vs_plain(1000)
        return 0
    if not DATA.is_dir():
        print(f"reference data not found at {DATA}", file=sys.stderr)
        return 1
    from lab.readers import read_trials
    from results.uncertainty import consistency_intervals
    table = read_trials(DATA)
    start = time.perf_counter()
    slow = naive(table, args.boot, 0)
    t_naive = time.perf_counter() - start
    start = time.perf_counter()
    per_condition, _, _ = consistency_intervals(table, n_boot=args.boot, seed=0)
    t_ours = time.perf_counter() - start
    ours = {(r.condition, r.observer_1, r.observer_2):
            r.error_consistency_high - r.error_consistency_low
            for r in per_condition.itertuples()}
    diff = np.median([abs(ours[k] - slow[k]) / slow[k] for k in slow if slow[k] > 0])
    print(f"pairs x conditions:        {len(slow)}")
    print(f"replicates:                {args.boot}")
    print(f"naive loop:                {t_naive:8.2f} s")
    print(f"vectorised (ours):         {t_ours:8.2f} s")
    print(f"speed-up:                  {t_naive / t_ours:8.1f} x")
    print(f"median relative difference of the interval widths: {diff:.3f} (Monte-Carlo)")
    accuracy_vs_plain(1000)
    return 0


if __name__ == "__main__":
    sys.exit(main())
