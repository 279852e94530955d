"""Every command of docs/lab-guide.md, run in order from a fresh clone under Xvfb (the
clone the demo test ran in: the demo writes its output outside it).

Adaptations (said at the end of the guide): sessions get four simulated trials with
short phases; a line marked ``# GPU`` or ``# online`` may end with the one-line
``error:`` that says there is no GPU or no internet (network access is pointed at a
closed local port so it fails at once, unless LAB_TEST_ONLINE=1).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GUIDE = REPO / "docs" / "lab-guide.md"
SHARED_2018 = REPO.parent / "shared" / "data" / "geirhos2018"
SESSION_EXTRA = ("--trials 4 --simulate-observer 1 --windowed --durations "
                 "fixation=50,image=50,mask=50,response=500,iti=50,feedback=50")
TOLERATED = re.compile(r"#\s*(GPU|online)\s*$")


def guide_commands(text: str) -> list[str]:
    """The command lines of the ``bash`` blocks, continuation lines joined."""
    commands: list[str] = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL):
        joined = re.sub(r"\\\n\s*", " ", block)
        commands += [line.strip() for line in joined.splitlines()
                     if line.strip() and not line.strip().startswith("#")]
    return commands


def adapt(command: str) -> str:
    """Shorten a session command (an observer and no sub-command) for the test."""
    is_session = (command.startswith("python run_experiment.py --")
                  and "--observer" in command)
    return f"{command} {SESSION_EXTRA}" if is_session else command


def test_guide_parses_into_the_documented_steps() -> None:
    commands = guide_commands(GUIDE.read_text(encoding="utf-8"))
    assert len(commands) >= 25
    assert any(c.startswith("torchrun ") for c in commands)
    assert any("calibrate" in c for c in commands)
    assert any("--resume" in c for c in commands)
    assert sum(bool(TOLERATED.search(c)) for c in commands) == 3
    assert adapt("python run_experiment.py summary --data data").endswith("data")


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs an X display (xvfb-run)")
@pytest.mark.skipif(shutil.which("xdotool") is None, reason="needs xdotool")
def test_every_command_of_the_lab_guide_runs(demo_clone) -> None:
    clone = demo_clone.clone  # the demo's fresh clone (tests/e2e/conftest.py), after the demo
    have_2018 = SHARED_2018.is_dir()  # the authors' data, beside the checkout in CI
    if have_2018:
        (clone / "geirhos2018").symlink_to(SHARED_2018)
    env = dict(os.environ, MPLBACKEND="Agg",
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    for command in guide_commands(GUIDE.read_text(encoding="utf-8")):
        if "geirhos2018/" in command and not have_2018:
            continue
        tolerated = bool(TOLERATED.search(command))
        line_env = dict(env)
        if tolerated and not os.environ.get("LAB_TEST_ONLINE"):
            line_env.update(HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9",
                            https_proxy="http://127.0.0.1:9", http_proxy="http://127.0.0.1:9")
        run = subprocess.run(["bash", "-o", "pipefail", "-c", adapt(command)], cwd=clone,
                             env=line_env, capture_output=True, text=True, timeout=600)
        assert "Traceback" not in run.stderr, f"{command}\n{run.stderr[-3000:]}"
        if run.returncode == 0:
            continue
        last = run.stderr.strip().splitlines()[-1] if run.stderr.strip() else ""
        assert tolerated and run.returncode == 2 and last.startswith("error:"), (
            f"{command}\nexit {run.returncode}\n{run.stdout[-2000:]}\n{run.stderr[-3000:]}")
    report = clone / "report" / "report.html"
    assert report.is_file() and "shared by humans and models" in report.read_text()
    if have_2018:
        assert (clone / "paper-accuracy.csv").stat().st_size > 10_000
    assert (clone / "experiment/profiles/booth2.json").is_file()
