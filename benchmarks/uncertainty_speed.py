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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boot", type=int, default=200)
    args = parser.parse_args()
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
