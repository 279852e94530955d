"""How fast are reading and the accuracy table, against a naive csv-module loop?

Run from the repository root (needs ../shared/data):

    .venv/bin/python benchmarks/analysis_speed.py [--repeat 3]

Both paths read every human and DNN trial of Geirhos et al. 2018 (the ``dnn-raw-data``
folders hold copies of the human files; both paths read each human file once) and compute
per experiment, condition and observer group the mean over observers (sessions) of the
accuracy. The script checks that both give the same numbers, then prints the times and the
speed-up. Timings are wall-clock, best of ``--repeat`` runs, in this one process.

It then times ``summary_table`` (what ``python -m results table`` computes) against a
plain pandas group-by of the same table that computes the same columns (per unit accuracy,
entropy and trial count, then per group mean, min, max, units and trials), and compares
their peak memory (tracemalloc): the ratios should stay within 1.2x (issue 19).

``--fits`` times instead the psignifit fits of every parametric experiment of the 2018
data (:func:`results.psychometric.fit_all`: psignifit's default priors evaluated without
scipy.stats overhead, one process per core) against the plain loop a user would write
(``psignifit.psignifit`` with its defaults, one fit after another, same data, same
sigmoid), checks that both give the same thresholds, widths and lapse rates, and prints
the ratio.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import logging
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / ".." / "shared" / "data" / "geirhos2018"
FOLDERS = [DATA / "human-raw-data", DATA / "dnn-raw-data"]


def naive(folders: list[Path]) -> dict[tuple[str, str, str], float]:
    """The baseline: csv.DictReader, a Python loop over every row, dicts of lists."""
    correct: dict[tuple, list[int]] = defaultdict(list)
    seen: set[str] = set()
    for folder in folders:
        for path in sorted(folder.rglob("*_session_*.csv")):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if digest in seen:
                continue
            seen.add(digest)
            with open(path, newline="") as fh:
                for row in csv.DictReader(fh):
                    row = {k.lower(): v for k, v in row.items()}
                    human = row["subj"].startswith("subject-")
                    response = row["object_response"] if human else row["object_response_sums"]
                    original = path.name.split("_")[0]
                    group = "humans" if human else row["subj"]
                    unit = row["subj"] if human else f"{row['subj']}:{row['session']}"
                    key = (original, row["condition"], group, unit)
                    correct[key].append(response == row["category"])
    per_group: dict[tuple, list[float]] = defaultdict(list)
    for (original, condition, group, _), hits in correct.items():
        per_group[(original, condition, group)].append(sum(hits) / len(hits))
    return {k: sum(v) / len(v) for k, v in per_group.items()}


def ours(folders: list[Path]):
    from lab.readers import read_trials
    from results.tables import summary_table

    started = time.perf_counter()
    table = read_trials(folders)
    read_s = time.perf_counter() - started
    summary = summary_table(table)
    return summary, read_s, time.perf_counter() - started - read_s, len(table)


def plain_pandas(table):
    """The same per-condition table with plain pandas group-bys on the table's columns."""
    import numpy as np
    human = table["observer_type"] == "human"
    keys = [table["experiment"], table["condition"],
            table["observer"].where(~human, "humans").rename("group"),
            table["observer"], table["source_format"].where(human, ""),
            table["session"].where(~human, 0)]
    per_unit = table.groupby(keys, sort=False, observed=True)["correct"].agg(["mean", "size"])
    answered = table["response"] != "na"
    counts = table[answered].groupby([k[answered] for k in keys] + [table["response"][answered]],
                                     sort=False, observed=True).size()
    p = counts / counts.groupby(level=list(range(6)), sort=False).transform("sum")
    per_unit["entropy"] = (-(p * np.log2(p))).groupby(level=list(range(6)), sort=False).sum()
    return per_unit.groupby(level=list(range(3)), sort=False).agg(
        accuracy=("mean", "mean"), entropy=("entropy", "mean"), n_trials=("size", "sum"),
        accuracy_min=("mean", "min"), accuracy_max=("mean", "max"),
        n_observers=("mean", "size"))


def accuracy_groupby(table):
    """The least a per-condition accuracy needs: one group-by of the table's own columns
    per unit, then the mean per observer type (no entropy, no human group)."""
    per_unit = table.groupby(["experiment", "condition", "observer_type", "source_format",
                              "observer", "session"], sort=False, observed=True)[
        "correct"].mean()
    return per_unit.groupby(level=[0, 1, 2, 4], sort=False).mean()


def _peak_mib(fn) -> float:
    """Peak resident memory that ``fn()`` adds, measured in a forked child (tracemalloc
    misses pyarrow's allocations)."""
    import os
    import resource
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: baseline, run, report the rise of the peak
        os.close(read)
        with open("/proc/self/status") as fh:
            rss_kib = next(int(line.split()[1]) for line in fh if line.startswith("VmRSS"))
        fn()
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        os.write(write, str(max(peak_kib - rss_kib, 0)).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as fh:
        added = int(fh.read() or 0)
    os.waitpid(pid, 0)
    return added / 1024


def table_vs_plain(table, repeat: int) -> None:
    """``summary_table`` against :func:`plain_pandas` on the same table: time and memory."""
    from results.tables import summary_table
    plain_s, plain = _best(lambda: plain_pandas(table), repeat)
    ours_s, ours = _best(lambda: summary_table(table), repeat)
    mine = ours.set_index(["experiment", "condition", "observer"])
    theirs = plain.rename_axis(["experiment", "condition", "observer"]).reindex(mine.index)
    worst = max(float((mine[c] - theirs[c]).abs().max())
                for c in ("accuracy", "entropy", "accuracy_min", "accuracy_max"))
    if worst > 1e-12 or not (mine["n_observers"] == theirs["n_observers"]).all():
        raise SystemExit(f"error: summary_table and the plain group-by differ ({worst})")
    plain_mib, ours_mib = _peak_mib(lambda: plain_pandas(table)), _peak_mib(
        lambda: summary_table(table))
    least_s, _ = _best(lambda: accuracy_groupby(table), repeat)
    least_mib = _peak_mib(lambda: accuracy_groupby(table))
    print(f"plain pandas, same table: {plain_s:7.2f} s   +{plain_mib:6.1f} MiB peak")
    print(f"plain accuracy group-by:  {least_s:7.2f} s   +{least_mib:6.1f} MiB peak")
    print(f"summary_table (ours):     {ours_s:7.2f} s   +{ours_mib:6.1f} MiB peak")
    print(f"ours / plain same table:  {ours_s / plain_s:7.2f} x time, "
          f"{ours_mib / max(plain_mib, 1e-9):.2f} x memory   (goal: within 1.2 x)")
    print(f"ours / accuracy group-by: {ours_s / least_s:7.2f} x time, "
          f"{ours_mib / max(least_mib, 1e-9):.2f} x memory   (ours also gives entropy, "
          "min/max, Wilson intervals)")


def fits_vs_plain(table) -> None:
    """``fit_all`` against a plain loop of default psignifit fits on the same counts."""
    import warnings

    import numpy as np
    import psignifit

    from results.psychometric import (
        _sigmoid,
        available_cores,
        criterion_level,
        fit_all,
        fit_axis,
        psychometric_data,
    )

    def plain() -> dict:
        out = {}
        data = psychometric_data(table)
        for key, cell in data.groupby(["experiment", "band", "group", "observer"]):
            cell = cell.sort_values("x")
            if cell["x"].nunique() < 3:
                continue
            sign = -1.0 if fit_axis(key[0], cell["condition"].unique()).decreasing else 1.0
            counts = np.column_stack([sign * cell["x"], cell["n_correct"], cell["n_trials"]])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = psignifit.psignifit(counts.astype(float), experiment_type="16AFC",
                                             sigmoid=_sigmoid(), verbose=False)
            p = result.parameter_estimate_MAP
            out[key] = (sign * float(criterion_level(0.5, p["threshold"], p["width"],
                                                     1 / 16, p["lambda"])),
                        p["width"], p["lambda"])
        return out

    started = time.perf_counter()
    theirs = plain()
    plain_s = time.perf_counter() - started
    started = time.perf_counter()
    ours = fit_all(table)
    ours_s = time.perf_counter() - started
    worst = max(abs(a - b) for key, fit in ours.items()
                for a, b in zip((fit.threshold, fit.width, fit.lapse), theirs[key], strict=True)
                if np.isfinite(a) or np.isfinite(b))
    if worst > 1e-9 or set(ours) != set(theirs):
        raise SystemExit(f"error: fit_all and plain psignifit differ ({worst})")
    print(f"psychometric fits:        {len(ours)} (2018 data, {available_cores()} cores)")
    print(f"plain psignifit loop:     {plain_s:7.1f} s")
    print(f"fit_all (ours):           {ours_s:7.1f} s")
    print(f"ours / plain:             {ours_s / plain_s:7.2f} x   (max |difference| "
          f"{worst:.1e})")


def _best(fn, repeat: int):
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="example: .venv/bin/python "
                                            "benchmarks/analysis_speed.py --repeat 3")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--table-only", action="store_true",
                        help="only summary_table against the plain pandas group-by")
    parser.add_argument("--fits", action="store_true",
                        help="only the psignifit fits against a plain psignifit loop")
    args = parser.parse_args()
    if not FOLDERS[0].is_dir():
        raise SystemExit(f"error: {FOLDERS[0]} not found; the benchmark needs ../shared/data")
    logging.basicConfig(level=logging.ERROR)
    sys.path.insert(0, str(REPO))  # run as a script from anywhere
    if args.fits:
        from lab.readers import read_trials
        fits_vs_plain(read_trials(FOLDERS))
        return
    if args.table_only:
        from lab.readers import read_trials
        table_vs_plain(read_trials(FOLDERS), args.repeat)
        return

    naive_s, baseline = _best(lambda: naive(FOLDERS), args.repeat)
    runs = [ours(FOLDERS) for _ in range(args.repeat)]
    summary, _, _, n_trials = runs[0]
    read_s = min(r[1] for r in runs)
    table_s = min(r[2] for r in runs)
    total_s = min(r[1] + r[2] for r in runs)

    # same numbers? (the naive loop keys by the 2018 folder name and keeps the eidolon
    # experiments together, so compare on the conditions that identify them)
    mine = {(row.condition, row.observer): row.accuracy for row in summary.itertuples()
            if row.experiment in ("contrast", "rotation")}
    theirs = {(c, g): a for (o, c, g), a in baseline.items()
              if o in ("contrast-png-experiment", "rotation-experiment")}
    worst = max(abs(mine[k] - theirs[k]) for k in theirs)
    if worst > 1e-12:
        raise SystemExit(f"error: results differ from the baseline by {worst}")

    print(f"trials read:              {n_trials}")
    print(f"naive csv loop + table:   {naive_s:7.2f} s")
    print(f"read_trials:              {read_s:7.2f} s")
    print(f"summary_table:            {table_s:7.2f} s")
    print(f"read + table (ours):      {total_s:7.2f} s")
    print(f"speed-up vs naive:        {naive_s / total_s:7.1f} x   (max |difference| {worst:.1e})")
    from lab.readers import read_trials
    table_vs_plain(read_trials(FOLDERS), args.repeat)


if __name__ == "__main__":
    main()
