"""Helpers of the experiment tests (a uniquely named module: every area has a conftest):
a small real stimulus set on disk, display skips, the launcher in a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from experiment.plan.trial_list import read_trial_list
from lab.manifest import MANIFEST_NAME, ManifestEntry, sha256_file, write_manifest

REPO = Path(__file__).resolve().parents[2]
DEMO_SOURCE = REPO / "stimuli" / "demo" / "source"
XVFB_ARGS = ["-screen", "0", "1280x1024x24"]

#: Short phases for whole sessions in tests: still whole frames at 60 Hz (frame counts
#: exact), response long enough for the simulated observer's click.
#: Subprocess limit for a refusal: the launcher refuses before any window or trial, in a
#: few seconds; a refusal that stops refusing (say, a skipped sha256 check) then fails
#: within a minute instead of running a session until a long limit.
REFUSAL_TIMEOUT_S = 60
TEST_DURATIONS = "fixation=50,image=50,mask=50,response=500,iti=50,feedback=50"

needs_display = pytest.mark.skipif(
    not os.environ.get("DISPLAY"),
    reason="needs an X display: run under xvfb-run -a -s '-screen 0 1280x1024x24'",
)
needs_xdotool = pytest.mark.skipif(shutil.which("xdotool") is None,
                                   reason="needs xdotool for the simulated observer")


def make_cue_conflict_set(folder: Path, n: int | None = None) -> list[ManifestEntry]:
    """Copy the bundled cue-conflict demo images (224 px) into ``folder`` with a manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    sources = sorted(DEMO_SOURCE.glob("*/*.png"))
    for src in sources[:n]:
        shape = src.parent.name
        texture = src.stem.split("-")[1].rstrip("0123456789")
        dst = folder / src.name
        shutil.copyfile(src, dst)
        entries.append(ManifestEntry(
            file=src.name, sha256=sha256_file(dst), experiment="cue-conflict",
            condition="0", category=shape, source=f"{shape}/{src.name}", seed=0,
            width=224, height=224, texture=texture))
    write_manifest(folder / MANIFEST_NAME, entries)
    return entries


def run_cli(*args: str, timeout: float = 240, env: dict[str, str] | None = None,
            input: str | None = None) -> subprocess.CompletedProcess[str]:
    """``run_experiment.py`` in a subprocess (the display of this process); ``input``
    is typed on its standard input (closed after it)."""
    return subprocess.run([sys.executable, str(REPO / "run_experiment.py"), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=REPO,
                          env=env, input=input)


def headless_args(stimuli: Path, data: Path, *extra: str, observer: str = "fast-01",
                  session: int = 1, trials: int = 8) -> list[str]:
    """A short session without a window (the in-process simulated observer)."""
    return ["--experiment", "cue-conflict", "--stimuli", str(stimuli), "--observer",
            observer, "--session", str(session), "--data", str(data), "--trials",
            str(trials), "--block-size", "4", "--simulate-observer", "0.6", "--seed", "5",
            "--no-window", *extra]


def fork_cli(argv: list[str], env: dict[str, str] | None = None,
             out: Path | None = None) -> tuple[int, str]:
    """``run_experiment.py`` in a forked child of this (already imported) process: a real
    process that a test hook may ``kill -9``, without the start-up cost of a new Python.
    Returns (exit status, negative for a signal; its stderr + stdout)."""
    import tempfile
    import traceback

    from experiment.cli import main

    log = out or Path(tempfile.mkstemp(suffix=".txt")[1])
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        rc = 99
        try:
            os.environ.update(env or {})
            fh = open(log, "w", encoding="utf-8")  # noqa: SIM115
            sys.stdout = sys.stderr = fh
            rc = main(argv)
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            os._exit(rc)
    _, status = os.waitpid(pid, 0)
    rc = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
    text = log.read_text(encoding="utf-8") if log.exists() else ""
    if out is None:
        log.unlink(missing_ok=True)
    return rc, text


def check_exactly_once(rows: list[dict[str, str]], plan_path: Path) -> None:
    plan = {t.trial: t for t in read_trial_list(plan_path)}
    by_trial: dict[int, list[dict[str, str]]] = {}
    for row in rows:
        by_trial.setdefault(int(row["trial"]), []).append(row)
    assert sorted(by_trial) == sorted(plan), "a planned trial is missing or foreign"
    for trial, records in by_trial.items():
        flags = [r["flagged"] for r in records]
        # once, or a flagged attempt followed by its one re-run
        assert flags in (["0"], ["1", "0"]), f"trial {trial}: records {flags}"
        assert all(r["image"] == plan[trial].image for r in records)
        assert all(r["response"] == plan[trial].simulated_response for r in records)
