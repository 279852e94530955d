"""Frame timing of the booth: draw+flip CPU time per screen, and the frame log of a
simulated session.

Part 1 draws each screen N times and times draw + flip (CPU, ``time.perf_counter``)
against a baseline of empty flips measured in the same process (ratio = screen / empty).
Part 2 runs the real trial loop (:func:`experiment.trial.run_trial`) for a simulated
session (default 1280 trials, bundled 224 px demo images, a fresh 1/f mask each trial)
and summarises its flip stamps: prepare time per trial, frame intervals, dropped frames,
image/mask frames shown vs planned. By default the 1500 ms response screen and the
300 ms ITI are cut to one frame each (``--full-response`` keeps them) and flips are not
paced; ``--paced`` paces them to a virtual 60 Hz vsync (as a session on Xvfb does) so
that dropped frames mean what they mean in the booth.

Example::

    xvfb-run -a -s "-screen 0 1280x1024x24" .venv/bin/python benchmarks/frame_timing.py \\
        --trials 200 --paced
"""

from __future__ import annotations

import argparse
import statistics
import sys
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
    return parser


if __name__ == "__main__":
    # before PsychoPy loads: it parses sys.argv itself and would answer --help with the
    # usage of its preferences
    build_parser().parse_args()

from experiment.display import FrameClock, measure_rate, open_window  # noqa: E402
from experiment.frames import DROP_FACTOR, Durations, plan_frames  # noqa: E402
from experiment.profiles import load_profile  # noqa: E402
from experiment.screens import Screens  # noqa: E402
from experiment.trial import ResponseCollector, run_trial  # noqa: E402
from stimuli.design import load_experiment  # noqa: E402
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
                      full_response: bool, rate: float, batch: int) -> None:
    durations = Durations() if full_response else Durations(
        response=1000 / rate, iti=1000 / rate)
    plan = plan_frames(durations, rate)
    clock = FrameClock(win, pace_hz=rate if paced else None)
    from psychopy import event

    collector = ResponseCollector(event.Mouse(win=win), screens)
    images = sorted((ROOT / "stimuli" / "demo" / "source").glob("*/*.png"))
    prepare_ms, shown_ok, flagged, dropped, max_iv, durations_ms = [], 0, 0, 0, [], []
    t_start = time.perf_counter()
    for i in range(trials):
        t0 = time.perf_counter()
        screens.prepare_image(images[i % len(images)])
        screens.prepare_mask(make_mask(batch, np.random.default_rng(i)))
        prepare_ms.append((time.perf_counter() - t0) * 1000)
        r = run_trial(clock, screens, plan, collector)
        shown_ok += (r.image_frames_shown == r.image_frames_planned
                     and r.mask_frames_shown == r.mask_frames_planned)
        flagged += r.flagged
        dropped += r.dropped_frames
        max_iv.append(r.max_frame_interval_ms)
        durations_ms.append(r.image_duration_ms)
    wall = time.perf_counter() - t_start
    stamps = np.asarray(clock.stamps)
    intervals = np.diff(stamps) * 1000
    print(f"\nsimulated session: {trials} trials, {len(stamps)} flips in {wall:.1f} s, "
          f"{'paced to' if paced else 'unpaced, nominal'} {rate:g} Hz, frames {plan}")
    print(f"prepare (decode image + make mask) per trial: median "
          f"{statistics.median(prepare_ms):.2f} ms, max {max(prepare_ms):.2f} ms")
    print(f"all flip intervals: median {np.median(intervals):.3f} ms, p99 "
          f"{np.percentile(intervals, 99):.3f} ms, max {intervals.max():.3f} ms")
    print(f"timed part: longest interval per trial median {statistics.median(max_iv):.2f} "
          f"ms, max {max(max_iv):.2f} ms; intervals > {DROP_FACTOR} frames: {dropped}")
    print(f"image+mask frames shown == planned: {shown_ok}/{trials}; flagged: {flagged}")
    expected = (plan.image + 1) * 1000 / rate
    print(f"image duration (mask onset - image onset): median "
          f"{statistics.median(durations_ms):.2f} ms (nominal {expected:.2f}), range "
          f"{min(durations_ms):.2f}-{max(durations_ms):.2f} ms")


def main() -> int:
    args = build_parser().parse_args()

    design = load_experiment(args.experiment)
    profile = load_profile("lab")
    win, _ = open_window(profile, distance_cm=design.viewing_distance_cm,
                         background=design.background_grey)
    try:
        measured = measure_rate(win)
        rate = profile.virtual_rate_hz if measured > 500 else measured
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
                          batch=design.mask_batch)
    finally:
        win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
