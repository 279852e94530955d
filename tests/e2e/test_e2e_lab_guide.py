"""Every command of docs/lab-guide.md, run in order from a fresh clone under Xvfb.

The commands run exactly as written (said at the end of the guide), on an Xvfb screen of
the lab profile's size; the test plays the person at the booth by pressing the space bar
every second (start, practice and break screens; no icon is clicked, so trials end as
``na``). A line marked ``# GPU`` or ``# online`` may end with the one-line ``error:``
that says there is no GPU or no internet (network access is pointed at a closed local port
so it fails at once, unless LAB_TEST_ONLINE=1).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GUIDE = REPO / "docs" / "lab-guide.md"
SHARED_2018 = REPO.parent / "shared" / "data" / "geirhos2018"
TOLERATED = re.compile(r"#\s*(GPU|online)\s*$")


def guide_commands(text: str) -> list[str]:
    """The command lines of the ``bash`` blocks, continuation lines joined."""
    commands: list[str] = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL):
        joined = re.sub(r"\\\n\s*", " ", block)
        commands += [line.strip() for line in joined.splitlines()
                     if line.strip() and not line.strip().startswith("#")]
    return commands


def is_session(command: str) -> bool:
    """A session command: an observer and no sub-command (a person at the booth)."""
    return command.startswith("python run_experiment.py --") and "--observer" in command


@contextlib.contextmanager
def virtual_screen(width: int, height: int) -> Iterator[str]:
    """An Xvfb screen of ``width`` x ``height`` (24 bit); yields its DISPLAY."""
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0",
                               f"{width}x{height}x24", "-nolisten", "tcp"],
                              pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    try:
        with os.fdopen(read) as fh:
            number = fh.readline().strip()
        assert number, "Xvfb did not start"
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=30)


@contextlib.contextmanager
def person_at_the_booth(display: str) -> Iterator[None]:
    """Press the space bar every second (start, practice and break screens)."""
    stop = threading.Event()

    def press() -> None:
        while not stop.wait(1.0):
            subprocess.run(["xdotool", "key", "space"], env=dict(os.environ, DISPLAY=display),
                           capture_output=True, timeout=30)

    thread = threading.Thread(target=press, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


def test_guide_parses_into_the_documented_steps() -> None:
    commands = guide_commands(GUIDE.read_text(encoding="utf-8"))
    assert len(commands) >= 25
    assert any(c.startswith("torchrun ") for c in commands)
    assert any("calibrate" in c for c in commands)
    assert any("--resume" in c for c in commands)
    assert sum(bool(TOLERATED.search(c)) for c in commands) == 3
    assert not is_session("python run_experiment.py summary --data data")
    # three at the booth (contrast, its resume, cue-conflict) and the simulated edge session
    assert sum(is_session(c) for c in commands) == 4


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb")
@pytest.mark.skipif(shutil.which("xdotool") is None, reason="needs xdotool")
def test_every_command_of_the_lab_guide_runs(fresh_clone) -> None:
    clone = fresh_clone  # a clone of its own (tests/e2e/conftest.py), beside the demo's
    have_2018 = SHARED_2018.is_dir()  # the authors' data, beside the checkout in CI
    if have_2018:
        (clone / "geirhos2018").symlink_to(SHARED_2018)
    profile = json.loads((REPO / "experiment/profiles/lab.json").read_text())
    with virtual_screen(*profile["resolution"]) as display:
        env = dict(os.environ, MPLBACKEND="Agg", DISPLAY=display,
                   PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
        env.pop("XAUTHORITY", None)
        for command in guide_commands(GUIDE.read_text(encoding="utf-8")):
            if "geirhos2018/" in command and not have_2018:
                continue
            tolerated = bool(TOLERATED.search(command))
            line_env = dict(env)
            if tolerated and not os.environ.get("LAB_TEST_ONLINE"):
                line_env.update(HTTPS_PROXY="http://127.0.0.1:9",
                                HTTP_PROXY="http://127.0.0.1:9",
                                https_proxy="http://127.0.0.1:9",
                                http_proxy="http://127.0.0.1:9")
            booth = (person_at_the_booth(display) if is_session(command)
                     else contextlib.nullcontext())
            with booth:
                run = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=clone,
                                     env=line_env, capture_output=True, text=True,
                                     timeout=900)
            assert "Traceback" not in run.stderr, f"{command}\n{run.stderr[-3000:]}"
            if run.returncode == 0:
                continue
            last = run.stderr.strip().splitlines()[-1] if run.stderr.strip() else ""
            assert tolerated and run.returncode == 2 and last.startswith("error:"), (
                f"{command}\nexit {run.returncode}\n{run.stdout[-2000:]}\n"
                f"{run.stderr[-3000:]}")
    summary = subprocess.run([sys.executable, "run_experiment.py", "summary", "--data",
                              "data"], cwd=clone, capture_output=True, text=True, timeout=300)
    assert "128" in summary.stdout and "complete" in summary.stdout, summary.stdout
    report = clone / "report" / "report.html"
    assert report.is_file() and "shared by humans and models" in report.read_text()
    if have_2018:
        assert (clone / "paper-accuracy.csv").stat().st_size > 10_000
    assert (clone / "experiment/profiles/booth2.json").is_file()
