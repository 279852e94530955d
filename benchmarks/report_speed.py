"""How long do the report's figures take on the full 2018 data (issue 19: the full 2018
report in under a minute on 2 cores)?

Run from the repository root (needs ../shared/data):

    .venv/bin/python benchmarks/report_speed.py [--cache /tmp/fig_input.pkl] [--full]

It reads every human and DNN trial of Geirhos et al. 2018, computes the analyses the
figures draw from (error consistency pairs, psignifit fits, bootstrap intervals, ...) once,
and then times drawing every registered figure into a temporary folder: each figure in
this process, PNG + PDF (as ``results plot`` does), then all of them as ``write_report``
does (PNG only unless ``--pdf``, in ``--workers`` forked processes). The analyses are timed apart
from the figures, so that the figure time does not change with the speed of the fits;
``--cache PATH`` keeps the computed analyses in a pickle between runs (delete it when the
analysis code changes). ``--full`` also times ``write_report`` end to end.

Printed: wall-clock and CPU seconds per figure, their sum and the share of each, then the
report's way with its ratios to the serial total (CPU seconds include the forked
workers'). On a machine busy with other jobs the CPU seconds are the steadier measure.
Compare a branch with its base by running the script on both.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / ".." / "shared" / "data" / "geirhos2018"
#: the cached analyses every figure of the 2018 report draws from
ANALYSES = ("pairs", "shape_bias", "benchmark", "psychometric_fits",
            "consistency_intervals", "noise_ceilings", "channel_tables", "simulated",
            "names")


def _transform(name: str, index: int):
    """A fit axis's transform by name (pickle cannot store the lambdas themselves)."""
    from results.psychometric import _TRANSFORMS
    return _TRANSFORMS[name][index]


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj):
        if callable(obj) and getattr(obj, "__name__", "") == "<lambda>":
            from results.psychometric import _TRANSFORMS
            for name, functions in _TRANSFORMS.items():
                for index, function in enumerate(functions):
                    if function is obj:
                        return _transform, (name, index)
        return NotImplemented


def _save_cache(path: Path, cache: dict) -> None:
    buffer = io.BytesIO()
    try:
        _Pickler(buffer).dump(cache)
    except (pickle.PicklingError, TypeError, AttributeError) as why:
        print(f"analyses not cached ({why})")
        return
    path.write_bytes(buffer.getvalue())


def _cpu() -> float:
    """CPU seconds of this process and of its ended children (the forked workers)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def _timed(func):
    wall, cpu = time.perf_counter(), _cpu()
    out = func()
    return out, time.perf_counter() - wall, _cpu() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, help="pickle of the computed analyses")
    parser.add_argument("--full", action="store_true", help="also time write_report")
    parser.add_argument("--data", type=Path, default=DATA, help="the 2018 data folder")
    parser.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    parser.add_argument("--only", nargs="*", default=None, help="figure names to time")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    sys.path.insert(0, str(REPO))
    from lab.readers import read_trials
    from results.figures._common import caution_outside_images
    from results.registry import FigureInput, figure_kinds

    folders = [args.data / "human-raw-data", args.data / "dnn-raw-data"]
    table, wall, _ = _timed(lambda: read_trials(folders))
    print(f"read {len(table)} trials: {wall:.1f} s")
    data = FigureInput(table)
    if args.cache and args.cache.exists():
        data._cache.update(pickle.loads(args.cache.read_bytes()))
        print(f"analyses from {args.cache}")
    else:
        _, wall, cpu = _timed(lambda: [getattr(data, name) for name in ANALYSES])
        print(f"analyses: {wall:.1f} s wall, {cpu:.1f} s CPU")
        if args.cache:
            _save_cache(args.cache, dict(data._cache))
    kinds = [k for k in figure_kinds() if args.only is None or k.name in args.only]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        for kind in kinds:
            with caution_outside_images():
                panels, wall, cpu = _timed(lambda kind=kind: kind.draw(data, Path(tmp)))
            rows.append((kind.name, len(panels), wall, cpu))
        serial = time.perf_counter() - start
        files = sorted(Path(tmp).iterdir())
        size = sum(p.stat().st_size for p in files)
    print("\nevery figure in this process, PNG + PDF (what `results plot` writes):")
    print(f"{'figure':<16}{'panels':>7}{'wall s':>9}{'CPU s':>9}{'share':>8}")
    for name, n, wall, cpu in rows:
        print(f"{name:<16}{n:>7}{wall:>9.2f}{cpu:>9.2f}{wall / serial:>8.0%}")
    serial_cpu = sum(r[3] for r in rows)
    print(f"{'all figures':<16}{sum(r[1] for r in rows):>7}{serial:>9.2f}{serial_cpu:>9.2f}")
    print(f"files written: {len(files)} ({sum(p.suffix == '.png' for p in files)} PNG, "
          f"{sum(p.suffix == '.pdf' for p in files)} PDF), {size / 1e6:.1f} MB")
    try:
        from results.report import draw_report_figures
    except ImportError:  # before the report drew its figures in worker processes
        draw_report_figures = None
    if draw_report_figures is not None:
        print("\nas write_report draws them (ratios to the serial PNG + PDF above):")
        for workers, pdf in ((1, False), (args.workers, False), (args.workers, True)):
            with tempfile.TemporaryDirectory() as tmp:
                _, wall, cpu = _timed(lambda w=workers, p=pdf: draw_report_figures(
                    kinds, data, Path(tmp), pdf=p, workers=w))
            what = "PNG + PDF" if pdf else "PNG only"
            print(f"  {workers} process{'es' if workers > 1 else ''}, {what:<10}"
                  f"{wall:>8.2f} s wall ({wall / serial:.2f}x), {cpu:.2f} s CPU "
                  f"({cpu / serial_cpu:.2f}x)")
    if args.full:
        from results.report import write_report
        with tempfile.TemporaryDirectory() as tmp:
            _, wall, cpu = _timed(lambda: write_report(read_trials(folders), tmp))
        print(f"\nwrite_report (full, analyses included): {wall:.1f} s wall, "
              f"{cpu:.1f} s CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
