"""``run_experiment.py check``: the pre-flight alone, with nothing written.

Verifies every file of a stimulus set against its manifest, opens the window, measures
the refresh rate and runs the display checks, then prints what a session would use.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from experiment.files.calibration import describe_provenance
from experiment.files.profiles import load_profile
from experiment.plan.frames import describe_frames
from experiment.plan.planning import refuse_other_experiment
from experiment.run.session import image_px_for
from lab.design import load_experiment
from lab.errors import LabInputError
from lab.manifest import read_manifest, verify_files


def preflight_report(experiment: str, stimuli: Path | None, display: str, *,
                     windowed: bool = False, screen: int | None = None,
                     durations: dict[str, float] | None = None,
                     allow_rate_mismatch: bool = False) -> list[str]:
    """Run every pre-flight check; the report's lines (:class:`LabInputError` on a
    refusal). Without ``stimuli`` only the display is checked; ``durations``: the
    ``--durations`` milliseconds replacing the design's."""
    design = load_experiment(experiment)
    phases = design.phases.override(durations or {})
    profile = load_profile(display)
    if screen is not None:
        profile = dataclasses.replace(profile, screen=screen)
    lines = [f"experiment {design.name}, display profile {profile.name}"]
    if stimuli is not None:
        entries = read_manifest(stimuli)
        refuse_other_experiment(entries, design.name)
        n = sum(1 for _ in verify_files(stimuli, entries))
        lines.append(f"stimuli: {n} files in {stimuli} match the manifest (sha256)")
    try:
        from experiment.window.display import calibration_record, open_window
        from experiment.window.preflight import check_display, window_size_note
    except Exception as err:  # pyglet cannot reach an X display
        raise LabInputError(
            f"cannot open the display ({str(err).splitlines()[0]}): run on the booth's "
            "screen, or under xvfb-run -a -s '-screen 0 1280x1024x24'"
        ) from err
    distance = profile.distance_cm or design.viewing_distance_cm
    win, warnings = open_window(profile, distance_cm=distance,
                                background=design.background_grey, windowed=windowed)
    try:
        info, frames = check_display(win, profile, phases,
                                     allow_rate_mismatch=allow_rate_mismatch,
                                     warnings=warnings)
    finally:
        win.close()
    image_px = image_px_for("deg", design, distance, profile.cm_per_px)
    lines += [
        f"renderer: {info.renderer}; window {info.window_size[0]}x{info.window_size[1]} px"
        + ("" if info.window_size == tuple(profile.resolution) else
           f" (profile {profile.name!r}: {profile.resolution[0]}x{profile.resolution[1]}; "
           f"{window_size_note(profile, windowed)})"),
        f"refresh: measured {info.measured_rate_hz:.2f} Hz, used {info.rate_hz:g} Hz"
        f"{' (virtual display: paced)' if info.virtual else ''}",
        f"frames: {describe_frames(frames)}",
        f"image: {design.image_degrees:g} deg at {distance:g} cm = {image_px} px",
        f"gamma: {'not used' if info.gamma_loaded is None else info.gamma_loaded}",
        describe_provenance(calibration_record(profile)),
        *(f"warning: {w}" for w in info.warnings),
        "pre-flight passed",
    ]
    return lines
