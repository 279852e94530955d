"""Display calibration: readings (CSV and typed), the PsychoPy gamma fit, the profile
updated and re-read, the plot, every refusal, the grey window, and a session's sidecar
naming the calibration it ran under (real files, real PsychoPy, Xvfb for windows)."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from experiment_helpers import REPO, TEST_DURATIONS, needs_display, needs_xdotool, run_cli
from PIL import Image

from experiment.files.calibration import (
    MIN_LEVELS,
    grey_levels,
    history_path,
    make_readings,
    read_readings_csv,
)
from experiment.files.profiles import load_profile
from experiment.files.summary import summarise
from experiment.window.gamma_fit import fit_gamma
from experiment.window.photometer import ask_while
from lab.errors import LabInputError

GAMMA, BLACK, WHITE = 2.35, 0.42, 118.0


def synthetic(levels: list[float], noise: float = 0.0, seed: int = 0) -> list[float]:
    """A display of gamma 2.35 (PsychoPy's eq=1 model) read with relative noise."""
    x = np.asarray(levels) / 255.0
    lum = BLACK + (WHITE - BLACK) * x ** GAMMA
    rng = np.random.default_rng(seed)
    return [float(v) for v in lum * (1 + noise * rng.standard_normal(len(lum)))]


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    """A copy of the lab profile under a new name in a temporary folder."""
    data = json.loads((REPO / "experiment/profiles/lab.json").read_text())
    data["name"] = "booth9"
    path = tmp_path / "profiles" / "booth9.json"
    path.parent.mkdir()
    path.write_text(json.dumps(data, indent=2))
    return path


@pytest.fixture
def readings_csv(tmp_path: Path) -> Path:
    levels = grey_levels(9)
    lums = synthetic(levels, noise=0.01, seed=4)
    rows = "".join(f"{lv / 255:.6f},{lum:.4f}\n" for lv, lum in zip(levels, lums,
                                                                  strict=True))
    return write_csv(tmp_path / "readings.csv", "level,luminance\n" + rows)


# -- the fit -------------------------------------------------------------------------
def test_fit_recovers_a_known_gamma_exactly_without_noise() -> None:
    levels = grey_levels(9)
    fit = fit_gamma(make_readings(levels, synthetic(levels), "typed"))
    assert fit.gamma == pytest.approx(GAMMA, abs=1e-3)
    assert (fit.min_cd_m2, fit.max_cd_m2) == pytest.approx((BLACK, WHITE))
    assert fit.rms_cd_m2 < 1e-3


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fit_recovers_gamma_from_noisy_readings_with_their_rms(seed: int) -> None:
    levels = grey_levels(17)
    lums = synthetic(levels, noise=0.01, seed=seed)
    fit = fit_gamma(make_readings(levels, lums, "typed"))
    assert fit.gamma == pytest.approx(GAMMA, abs=0.05)
    residual = fit.curve(np.asarray(levels)) - np.asarray(lums)
    assert fit.rms_cd_m2 == pytest.approx(float(np.sqrt(np.mean(residual ** 2))))
    assert 0.05 < fit.rms_cd_m2 < 2.0  # 1% noise on up to 118 cd/m²


def test_a_different_display_gives_a_different_gamma() -> None:
    levels = grey_levels(9)
    lums = [BLACK + (WHITE - BLACK) * (v / 255) ** 1.8 for v in levels]
    assert fit_gamma(make_readings(levels, lums, "typed")).gamma == pytest.approx(1.8,
                                                                                  abs=1e-3)


# -- CSV parsing ---------------------------------------------------------------------
def test_csv_levels_on_0_1_and_0_255_read_the_same(tmp_path: Path) -> None:
    levels = [0, 64, 128, 191, 255]
    lums = synthetic(levels)
    frac = "".join(f"{v / 255!r},{lum!r}\n" for v, lum in zip(levels, lums, strict=True))
    dac = "".join(f"{v},{lum!r}\n" for v, lum in reversed(list(zip(levels, lums,
                                                                    strict=True))))
    a = read_readings_csv(write_csv(tmp_path / "a.csv", "level,luminance\n" + frac))
    b = read_readings_csv(write_csv(tmp_path / "b.csv",
                                    "\ufeffLevel, Luminance\n\n" + dac + "\n"))
    assert a.levels == pytest.approx(b.levels) and a.levels == pytest.approx(levels)
    assert a.luminance == pytest.approx(lums) and b.luminance == pytest.approx(lums)
    assert a.source == str(tmp_path / "a.csv") and not a.warnings


BAD_CSVS = {
    "empty": ("", "empty"),
    "header": ("lum,level\n0,1\n", "line 1: header"),
    "fields": ("level,luminance\n0,0.5\n0.5,20,3\n", "line 3: 3 fields"),
    "level-text": ("level,luminance\n0,0.5\nhalf,20\n", "line 3: level 'half' is not a number"),
    "lum-text": ("level,luminance\n0,0.5\n0.5,bright\n",
                 "line 3: luminance 'bright' is not a number"),
    "nan": ("level,luminance\n0,nan\n", "line 2: luminance 'nan' is not a number"),
    "range": ("level,luminance\n0,0.5\n300,20\n", "line 3: level 300 is outside"),
    "negative": ("level,luminance\n0,-0.5\n1,20\n", "line 2: luminance -0.5 is negative"),
    "duplicate": ("level,luminance\n0,0.5\n0.5,20\n0.5,21\n0.25,5\n0.75,50\n1,100\n",
                  "level 0.5 is read twice"),
    "too-few": ("level,luminance\n0,0.5\n0.5,20\n1,100\n",
                f"3 levels; a gamma fit needs at least {MIN_LEVELS}"),
    "no-white": ("level,luminance\n0,0.5\n50,2\n100,8\n150,30\n200,60\n",
                 "must include black (level 0) and white"),
    "white-dark": ("level,luminance\n0,50\n0.25,40\n0.5,30\n0.75,20\n1,10\n",
                   "white reads 10 cd/m², not brighter than black"),
}


@pytest.mark.parametrize("name", sorted(BAD_CSVS))
def test_every_bad_csv_is_refused_in_one_line_naming_file_and_line(tmp_path: Path,
                                                                   name: str) -> None:
    text, expected = BAD_CSVS[name]
    path = write_csv(tmp_path / f"{name}.csv", text)
    with pytest.raises(LabInputError) as err:
        read_readings_csv(path)
    message = str(err.value)
    assert message.startswith(str(path)) and expected in message
    assert "\n" not in message


def test_missing_csv_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LabInputError, match="no such readings file"):
        read_readings_csv(tmp_path / "nope.csv")


def test_non_monotonic_readings_warn_but_fit(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "dip.csv",
                     "level,luminance\n0,0.5\n64,6\n128,5.5\n191,60\n255,118\n")
    readings = read_readings_csv(path)
    assert len(readings.warnings) == 1
    assert "falls from 6 to 5.5 cd/m² between levels 64 and 128" in readings.warnings[0]
    assert 0.8 < fit_gamma(readings).gamma < 5


def test_the_window_is_refreshed_while_a_reading_is_typed() -> None:
    refreshed = threading.Event()
    count = 0

    def refresh() -> None:
        nonlocal count
        count += 1
        if count >= 5:
            refreshed.set()

    def typist(prompt: str) -> str:
        assert refreshed.wait(30), "the window was not refreshed while waiting"
        return f"{prompt} 3.5"

    assert ask_while(typist, "level 1", refresh, period_s=0.001) == "level 1 3.5"
    assert count >= 5

    def closed(prompt: str) -> str:
        raise EOFError

    with pytest.raises(EOFError):
        ask_while(closed, "level 2", lambda: None)


def test_grey_levels_and_too_few_levels() -> None:
    assert grey_levels(5) == [0, 64, 128, 191, 255]
    assert grey_levels(9)[1] == 32 and len(grey_levels(256)) == 256
    with pytest.raises(LabInputError, match="at least 5 levels"):
        grey_levels(4)


# -- the command: profile updated, re-read, plot, history ------------------------------
def test_calibrate_from_csv_updates_the_profile_and_saves_the_plot(
        profile: Path, readings_csv: Path) -> None:
    result = run_cli("calibrate", str(profile), "--readings", str(readings_csv))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    plot = Path(next(ln for ln in lines if ln.startswith("plot: "))[6:])
    assert plot.parent == profile.parent and plot.name.startswith("booth9-calibration-")
    with Image.open(plot) as img:
        assert img.format == "PNG" and img.size == (600, 450)
        pixels = np.asarray(img.convert("RGB"))
    blue = (pixels[..., 2] > 150) & (pixels[..., 0] < 80)
    assert blue.sum() > 500  # the fitted curve is drawn
    reread = load_profile(str(profile))
    cal = reread.calibration
    assert cal is not None and reread.gamma == pytest.approx(GAMMA, abs=0.05)
    assert cal["gamma"] == reread.gamma and cal["plot"] == plot.name
    assert cal["source"] == str(readings_csv) and len(cal["levels"]) == 9
    assert cal["min_cd_m2"] == pytest.approx(BLACK, rel=0.05)
    assert f"calibration of {cal['date']}" in lines[-1]
    assert f"gamma {cal['gamma']:.3f}" in result.stdout
    history = history_path(profile).read_text().splitlines()
    assert [json.loads(h) for h in history] == [cal]

    again = run_cli("calibrate", str(profile), "--readings", str(readings_csv))
    assert again.returncode == 0, again.stderr
    assert len(history_path(profile).read_text().splitlines()) == 2
    assert plot.is_file()  # the earlier plot is kept (one per calibration)


def test_warnings_are_printed_and_stored_with_the_calibration(profile: Path,
                                                               tmp_path: Path) -> None:
    # a dip between 64 and 128, and a curve flatter than any display (gamma 0.5)
    levels = [0, 64, 128, 191, 255]
    lums = [0.5 + 100 * (v / 255) ** 0.5 for v in levels]
    lums[2] = lums[1] - 1
    path = write_csv(tmp_path / "odd.csv", "level,luminance\n" + "".join(
        f"{v},{lum:.3f}\n" for v, lum in zip(levels, lums, strict=True)))
    result = run_cli("calibrate", str(profile), "--readings", str(path))
    assert result.returncode == 0, result.stderr
    warned = [ln for ln in result.stderr.splitlines() if ln.startswith("warning: ")]
    assert len(warned) == 2, result.stderr
    assert "not monotonic" in warned[0] and "at the fit's bound" in warned[1]
    cal = load_profile(str(profile)).calibration
    assert cal is not None and cal["warnings"] == [w[len("warning: "):] for w in warned]


def test_typed_readings_without_window_reask_on_a_bad_number(profile: Path) -> None:
    levels = grey_levels(5)
    typed = [f"{v:.3f}" for v in synthetic(levels)]
    stdin = "\n".join([typed[0], "bright", "-3", *typed[1:]]) + "\n"
    result = run_cli("calibrate", str(profile), "--no-window", "--levels", "5",
                     input=stdin)
    assert result.returncode == 0, result.stderr
    assert "'bright' is not a number" in result.stdout
    assert "'-3': luminance must be a number >= 0" in result.stdout
    assert "level 5/5: grey 255/255" in result.stdout
    cal = load_profile(str(profile)).calibration
    assert cal is not None and cal["source"] == "typed" and cal["levels"] == levels
    assert cal["gamma"] == pytest.approx(GAMMA, abs=0.01)


def assert_refused(result: subprocess.CompletedProcess[str], profile: Path, before: bytes,
                   text: str) -> None:
    assert result.returncode == 2
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and text in errors[0], result.stderr
    assert "Traceback" not in result.stderr
    assert profile.read_bytes() == before and not history_path(profile).exists()
    assert not list(profile.parent.glob("*.png"))


@pytest.mark.parametrize("stdin,text", [
    ("0.4\n3\n", "input ended after 2 of 5 levels: nothing stored"),
    ("0.4\nq\n", "calibration stopped at level 2 of 5: nothing stored"),
], ids=["eof", "quit"])
def test_typed_readings_stopped_store_nothing(profile: Path, stdin: str, text: str) -> None:
    before = profile.read_bytes()
    result = run_cli("calibrate", str(profile), "--no-window", "--levels", "5", input=stdin)
    assert_refused(result, profile, before, text)


@pytest.mark.parametrize("window", [
    pytest.param(False, id="no-window"),
    pytest.param(True, id="window", marks=[needs_display, pytest.mark.display]),
])
def test_ctrl_c_while_typing_stores_nothing(profile: Path, window: bool) -> None:
    before = profile.read_bytes()
    args = ["--windowed"] if window else ["--no-window"]
    # Ctrl-C as a person at a terminal sends it: SIGINT with its default action and not
    # blocked (a command inherits both from whatever started it; a test worker that
    # started this one with SIGINT ignored or blocked would test that, not the command)
    default_sigint = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                      "signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT}); "
                      "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])")
    proc = subprocess.Popen(
        [sys.executable, "-c", default_sigint, str(REPO / "run_experiment.py"), "calibrate",
         str(profile), "--levels", "5", *args], cwd=REPO, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(b"0.4\n")
        proc.stdin.flush()
        seen = b""
        while b"level 2/5" not in seen:  # the second prompt: one reading was taken
            chunk = os.read(proc.stdout.fileno(), 4096)
            assert chunk, f"no second prompt: {seen!r}"
            seen += chunk
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert b"calibration interrupted: nothing stored" in err and b"Traceback" not in err
    assert profile.read_bytes() == before and not history_path(profile).exists()


def test_command_refusals_leave_the_profile_untouched(profile: Path, tmp_path: Path,
                                                      readings_csv: Path) -> None:
    before = profile.read_bytes()
    bad = write_csv(tmp_path / "bad.csv", "level,luminance\n0,0.5\n0.5,x\n")
    assert_refused(run_cli("calibrate", str(profile), "--readings", str(bad)), profile,
                   before, f"{bad} line 3: luminance 'x' is not a number")
    assert_refused(run_cli("calibrate", str(profile), "--no-window", "--levels", "3"),
                   profile, before, "--levels 3: a gamma fit needs at least 5 levels")
    assert_refused(run_cli("calibrate", str(profile), "--readings", str(readings_csv),
                           "--levels", "9"), profile, before, "give one or the other")
    assert_refused(run_cli("calibrate", str(tmp_path / "nope.json"), "--readings",
                           str(readings_csv)), profile, before, "not found")
    data = json.loads(before)
    data["psychopy_monitor"] = "someMonitor"
    profile.write_text(json.dumps(data))
    before = profile.read_bytes()
    assert_refused(run_cli("calibrate", str(profile), "--readings", str(readings_csv)),
                   profile, before, "uses Monitor Center calibration 'someMonitor'")


def test_profile_whose_gamma_disagrees_with_its_calibration_is_refused(
        profile: Path, readings_csv: Path) -> None:
    assert run_cli("calibrate", str(profile), "--readings", str(readings_csv)).returncode == 0
    data = json.loads(profile.read_text())
    data["gamma"] = 1.0
    profile.write_text(json.dumps(data))
    with pytest.raises(LabInputError, match="differs from the calibration's"):
        load_profile(str(profile))
    del data["calibration"]["levels"]
    profile.write_text(json.dumps(data))
    with pytest.raises(LabInputError, match="calibration must be an object with"):
        load_profile(str(profile))


def test_calibrate_help_shows_examples() -> None:
    result = run_cli("calibrate", "--help")
    assert result.returncode == 0
    assert "run_experiment.py calibrate booth2 --readings readings.csv" in result.stdout
    assert "--no-window" in result.stdout


# -- with a display --------------------------------------------------------------------
@needs_display
@pytest.mark.display
def test_grey_screen_fills_the_window_with_each_level(profile: Path) -> None:
    from experiment.window.display import make_monitor
    from experiment.window.photometer import GreyScreen

    screen = GreyScreen(load_profile(str(profile)), windowed=True)
    try:
        assert any("gamma table" in w for w in screen.warnings)  # Xvfb: no ramp
        for level in (255, 0, 128, 32, 191):
            screen.show(level)
            frame = np.asarray(screen.win.getMovieFrame(buffer="back"))
            screen.win.movieFrames.clear()
            assert (frame == level).all(), f"level {level}: {np.unique(frame)[:5]}"
    finally:
        screen.close()
    cal = {"date": "2026-01-02T03:04:05+00:00", "gamma": 2.2, "min_cd_m2": 0.5,
           "max_cd_m2": 100.0, "rms_cd_m2": 0.1, "levels": [0, 255],
           "luminance_cd_m2": [0.5, 100.0]}
    monitor = make_monitor(dataclasses.replace(load_profile(str(profile)), gamma=2.2,
                                               calibration=cal), 57.0)
    assert list(monitor.getGamma()) == pytest.approx([2.2] * 3)
    assert monitor.getGammaGrid()[0, :3].tolist() == pytest.approx([0.5, 100.0, 2.2])
    assert monitor.getCalibDate().year == 2026


@needs_display
@pytest.mark.display
@pytest.mark.slow
def test_typed_calibration_with_the_grey_window(profile: Path) -> None:
    levels = grey_levels(5)
    stdin = "\n".join(f"{v:.3f}" for v in synthetic(levels)) + "\n"
    result = run_cli("calibrate", str(profile), "--windowed", "--levels", "5", input=stdin)
    assert result.returncode == 0, result.stderr
    assert "warning: display cannot take a gamma table" in result.stderr  # Xvfb
    assert "no grey window" not in result.stderr
    assert load_profile(str(profile)).gamma == pytest.approx(GAMMA, abs=0.01)


@needs_display
@needs_xdotool
@pytest.mark.display
@pytest.mark.slow
def test_session_sidecar_and_log_name_the_calibration(profile: Path, readings_csv: Path,
                                                      stimulus_set: Path,
                                                      tmp_path: Path) -> None:
    assert run_cli("calibrate", str(profile), "--readings", str(readings_csv)).returncode == 0
    cal = load_profile(str(profile)).calibration
    assert cal is not None
    data = tmp_path / "data"
    result = run_cli("--experiment", "cue-conflict", "--stimuli", str(stimulus_set),
                     "--observer", "cal-01", "--session", "1", "--data", str(data),
                     "--trials", "2", "--simulate-observer", "1", "--seed", "1",
                     "--durations", TEST_DURATIONS, "--windowed", "--display", str(profile))
    assert result.returncode == 0, result.stderr[-2000:]
    beh = data / "sub-cal01" / "ses-1" / "beh"
    meta = json.loads((beh / "sub-cal01_ses-1_task-cueconflict_beh.json").read_text())
    assert meta["calibration"]["kind"] == "photometer"
    assert meta["calibration"]["date"] == cal["date"]
    assert meta["calibration"]["gamma"] == cal["gamma"] == meta["gamma_requested"]
    assert meta["display_profile"]["calibration"] == cal
    # Xvfb has no gamma ramp: the calibrated profile still degrades with a warning
    assert meta["gamma_loaded"] is False
    assert any("WITHOUT gamma correction" in w for w in meta["warnings"])
    log = (beh / "sub-cal01_ses-1_task-cueconflict_log.txt").read_text()
    assert f"photometer calibration of {cal['date']}, gamma {cal['gamma']:.3f}" in log
    [session] = summarise(data)
    assert (session.done, session.planned, session.state) == (2, 2, "complete")
    check = run_cli("check", "--experiment", "cue-conflict", "--display", str(profile),
                    "--windowed")
    assert check.returncode == 0, check.stderr[-2000:]
    assert (f"display calibration: profile 'booth9', photometer calibration of "
            f"{cal['date']}") in check.stdout
