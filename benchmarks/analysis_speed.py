"""How fast are reading and the accuracy table, against a naive csv-module loop?

Run from the repository root (needs ../shared/data):

    .venv/bin/python benchmarks/analysis_speed.py [--repeat 3]

Both paths read every human and DNN trial of Geirhos et al. 2018 (the ``dnn-raw-data``
folders hold copies of the human files; both paths read each human file once) and compute
per experiment, condition and observer group the mean over observers (sessions) of the
accuracy. The script checks that both give the same numbers, then prints the times and the
speed-up. Timings are wall-clock, best of ``--repeat`` runs, in this one process.
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
    args = parser.parse_args()
    if not FOLDERS[0].is_dir():
        raise SystemExit(f"error: {FOLDERS[0]} not found; the benchmark needs ../shared/data")
    logging.basicConfig(level=logging.ERROR)
    sys.path.insert(0, str(REPO))  # run as a script from anywhere

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


if __name__ == "__main__":
    main()
