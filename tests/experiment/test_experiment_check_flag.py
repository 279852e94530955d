"""``run_experiment.py --check`` is the pre-flight alone, like ``check``: nothing written."""

from __future__ import annotations

from pathlib import Path

from experiment_helpers import needs_display, run_cli


@needs_display
def test_check_flag_runs_the_preflight_and_writes_nothing(stimulus_set: Path,
                                                          tmp_path: Path) -> None:
    before = sorted(p.name for p in tmp_path.rglob("*"))
    done = run_cli("--check", "--experiment", "cue-conflict", "--stimuli",
                   str(stimulus_set), "--windowed")
    assert done.returncode == 0, done.stderr
    assert "pre-flight passed" in done.stdout
    assert "stimuli: " in done.stdout or "sha256" in done.stdout
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_check_flag_refuses_a_changed_stimulus_file(stimulus_set: Path) -> None:
    victim = next(stimulus_set.glob("*.png"))
    victim.write_bytes(victim.read_bytes() + b"x")
    done = run_cli("--check", "--experiment", "cue-conflict", "--stimuli",
                   str(stimulus_set), "--windowed")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("error: ")
    assert victim.name in done.stderr
