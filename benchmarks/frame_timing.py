"""Frame timing of the booth: draw+flip CPU time per screen, and the frame log of a
simulated session.

Part 1 draws each screen N times and times draw + flip (CPU, ``time.perf_counter``)
against a baseline of empty flips measured in the same process (ratio = screen / empty).
Part 2 runs the real trial loop (:func:`experiment.window.trial.run_trial` and
:func:`experiment.window.trial.run_iti`) for a simulated session (default 1280 trials, bundled
224 px demo images, a fresh 1/f mask each trial), preparing each trial during the ITI
before it as the booth does (fsync a record line, decode the image, make the mask), and
summarises: preparation time against the ITI's budget, measured ITI, frame intervals,
dropped frames, image/mask frames shown vs planned, image and mask durations and SOA.
By default the 1500 ms response screen is cut to one frame (``--full-response`` keeps
it; the ITI is always its planned 300 ms) and flips are not paced; ``--paced`` paces them to a
virtual 60 Hz vsync (as a session on Xvfb does) so that dropped frames mean what they
mean in the booth. ``--figure PATH`` draws preparation and ITI per trial.

Example::

    xvfb-run -a -s "-screen 0 1280x1024x24" .venv/bin/python benchmarks/frame_timing.py \\
        --trials 200 --paced --figure benchmarks/frame_timing.png
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="benchmarks/frame_timing.py",
        description="Frame timing of the booth: draw+flip CPU time per screen against\n"
                    "empty flips, and the frame log of a simulated session.",
        epilog="example:" + __doc__.split("Example::")[1].rstrip() + "\n",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=1280,
                        help="trials of the simulated session (default 1280)")
    parser.add_argument("--draws", type=int, default=300,
                        help="draw+flip repetitions per screen (default 300)")
    parser.add_argument("--paced", action="store_true",
                        help="pace flips to a virtual 60 Hz vsync, as a session on Xvfb")
    parser.add_argument("--full-response", action="store_true",
                        help="keep the 1500 ms response screen and 300 ms ITI")
    parser.add_argument("--experiment", default="rotation",
                        help="design whose timing and sizes are used (default rotation)")
    parser.add_argument("--figure", type=Path,
                        help="write the preparation / ITI figure here (PNG)")
    return parser


if __name__ == "__main__":
    # before PsychoPy loads: it parses sys.argv itself and would answer --help with the
    # usage of its preferences
    build_parser().parse_args()

from experiment.files.profiles import load_profile  # noqa: E402
from experiment.plan.frames import DROP_FACTOR, plan_frames  # noqa: E402
from experiment.window.display import FrameClock, measure_rate, open_window  # noqa: E402
from experiment.window.screens import Screens  # noqa: E402
from experiment.window.trial import ResponseCollector, run_iti, run_trial  # noqa: E402
from lab.design import load_experiment  # noqa: E402
from stimuli.masks import make_mask  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def time_screens(win, screens: Screens, n: int) -> None:  # noqa: ANN001
    def timed(draw) -> list[float]:  # noqa: ANN001
        out = []
        for _ in range(n):
            t0 = time.perf_counter()
            draw()
            win.flip()
            out.append((time.perf_counter() - t0) * 1000)
        return out

    baseline = statistics.median(timed(lambda: None))
    print(f"\ndraw + flip CPU time, median of {n} (ms); baseline empty flip "
          f"{baseline:.3f} ms")
    print(f"{'screen':<10}{'median':>9}{'p99':>9}{'max':>9}{'x empty':>9}")
    for name, draw in (("fixation", screens.draw_fixation), ("image", screens.draw_image),
                       ("mask", screens.draw_mask), ("response", screens.draw_response),
                       ("text", lambda: screens.draw_text("Block 1 done: 87% correct"))):
        t = timed(draw)
        med = statistics.median(t)
        print(f"{name:<10}{med:9.3f}{percentile(t, 99):9.3f}{max(t):9.3f}"
              f"{med / baseline:9.2f}")


def simulated_session(win, screens: Screens, trials: int, *, paced: bool,  # noqa: ANN001
                      full_response: bool, rate: float, batch: int,
                      figure: Path | None) -> None:
    """The booth's loop: each trial prepared during the ITI before it (decode image, make
    mask, fsync a record line), as :class:`experiment.window.booth.Booth` does."""
    phases = load_experiment("contrast").phases  # the paper's phases
    if not full_response:
        phases = phases.override({"response": 1000 / rate})
    plan = plan_frames(phases, rate)
    clock = FrameClock(win, pace_hz=rate if paced else None)
    from psychopy import event

    collector = ResponseCollector(event.Mouse(win=win), screens)
    images = sorted((ROOT / "stimuli" / "demo" / "source").glob("*/*.png"))
    prepare_ms: list[float] = []
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        fd = os.open(Path(tmp) / "records.tsv", os.O_WRONLY | os.O_CREAT | os.O_APPEND)

        def prepare(i: int) -> None:
            t0 = time.perf_counter()
            os.write(fd, f"trial {i}\t{'x' * 400}\n".encode())  # a record line, fsynced
            os.fsync(fd)
            screens.prepare_image(images[i % len(images)])
            screens.prepare_mask(make_mask(batch, np.random.default_rng(i)))
            prepare_ms.append((time.perf_counter() - t0) * 1000)

        t_start = time.perf_counter()
        prepare(0)
        iti_onset = None
        for i in range(trials):
            results.append(run_trial(clock, screens, plan, collector, iti_onset=iti_onset))
            iti_onset = run_iti(clock, screens, plan,
                                (lambda i=i: prepare(i + 1)) if i + 1 < trials else None)
        wall = time.perf_counter() - t_start
        os.close(fd)
    in_iti = prepare_ms[1:]
    budget = (plan["iti"] - 1) * 1000 / rate
    itis = [r.preceding_iti_ms for r in results[1:]]
    stamps = np.asarray(clock.stamps)
    intervals = np.diff(stamps) * 1000
    shown_ok = sum(r.image_frames_shown == r.image_frames_planned
                   and r.mask_frames_shown == r.mask_frames_planned for r in results)
    print(f"\nsimulated session: {trials} trials, {len(stamps)} flips in {wall:.1f} s, "
          f"{'paced to' if paced else 'unpaced, nominal'} {rate:g} Hz, frames {plan}")
    print(f"preparation during the ITI (fsync a record, decode image, make mask): median "
          f"{statistics.median(in_iti):.2f} ms, p99 {percentile(in_iti, 99):.2f} ms, worst "
          f"{max(in_iti):.2f} ms; ITI budget {budget:.1f} ms ({plan['iti']} frames less the "
          f"first), over budget {sum(v > budget for v in in_iti)}/{len(in_iti)}")
    print(f"measured ITI: median {statistics.median(itis):.2f} ms (planned "
          f"{plan['iti'] * 1000 / rate:.2f}), max {max(itis):.2f} ms, == planned "
          f"{sum(abs(v - plan['iti'] * 1000 / rate) < 1.0 for v in itis)}/{len(itis)}")
    print(f"all flip intervals: median {np.median(intervals):.3f} ms, p99 "
          f"{np.percentile(intervals, 99):.3f} ms, max {intervals.max():.3f} ms")
    max_iv = [r.max_frame_interval_ms for r in results]
    print(f"timed part: longest interval per trial median {statistics.median(max_iv):.2f} "
          f"ms, max {max(max_iv):.2f} ms; intervals > {DROP_FACTOR} frames: "
          f"{sum(r.dropped_frames for r in results)}")
    print(f"image+mask frames shown == planned: {shown_ok}/{trials}; flagged: "
          f"{sum(r.flagged for r in results)}")
    for name, values, nominal in (
            ("image duration", [r.image_duration_ms for r in results], plan["image"]),
            ("mask duration", [r.mask_duration_ms for r in results], plan["mask"]),
            ("image-mask SOA", [r.soa_ms for r in results], plan["image"] + 1)):
        print(f"{name}: median {statistics.median(values):.2f} ms (nominal "
              f"{nominal * 1000 / rate:.2f}), range {min(values):.2f}-{max(values):.2f} ms")
    if figure is not None:
        preparation_figure(in_iti, itis, budget, plan["iti"] * 1000 / rate, figure)


def preparation_figure(prepare_ms: list[float], iti_ms: list[float], budget_ms: float,
                       planned_iti_ms: float, path: Path) -> None:
    """Per trial: the preparation done in the ITI against its budget, and the measured
    ITI against the planned one."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 5), sharex=True)
    trial = np.arange(2, len(prepare_ms) + 2)
    top.plot(trial, prepare_ms, ".", ms=3, color="#a51e37", label="preparation")
    top.axhline(budget_ms, color="k", lw=0.8, ls="--", label="ITI budget")
    top.set_ylabel("ms")
    top.set_title("Preparing the next trial during the ITI", fontsize=10)
    top.legend(frameon=False, fontsize=8)
    bottom.plot(trial, iti_ms, ".", ms=3, color="#1f5fa5", label="measured ITI")
    bottom.axhline(planned_iti_ms, color="k", lw=0.8, ls="--", label="planned")
    bottom.set_ylabel("ms")
    bottom.set_xlabel("trial")
    bottom.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(f"figure: {path}")


def main() -> int:
    args = build_parser().parse_args()

    design = load_experiment(args.experiment)
    profile = load_profile("lab")
    win, _ = open_window(profile, distance_cm=design.viewing_distance_cm,
                         background=design.background_grey)
    try:
        measured = measure_rate(win)
        rate = profile.virtual_rate_hz if measured > 500 or args.paced else measured
        print(f"window {tuple(int(v) for v in win.size)}, measured flip rate {measured:.1f} Hz, "
              f"rate used {rate:g} Hz")
        screens = Screens(win, image_px=design.image_size,
                          frame_px=design.fixation_frame_px,
                          background=design.background_grey)
        screens.prepare_image(ROOT / "stimuli" / "data" / "example_image.png")
        screens.prepare_mask(make_mask(design.mask_batch, np.random.default_rng(0)))
        time_screens(win, screens, args.draws)
        simulated_session(win, screens, args.trials, paced=args.paced,
                          full_response=args.full_response, rate=rate,
                          batch=design.mask_batch, figure=args.figure)
    finally:
        win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
