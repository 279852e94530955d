"""scripts/test.sh: with no arguments the whole suite in two stages (ruff + the fast lane,
then the slow lane), failing if either fails; with arguments one pytest run.

Each case runs the real script in a scratch tree: its own tiny suite, a set-up step that
does nothing (the real one installs the virtual environment), and this project's venv.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

SETUP_CFG = """\
[tool:pytest]
testpaths = tests
addopts = -p no:cacheprovider --strict-markers
markers =
    slow: takes more than a few seconds
"""

PASS = "def test_{name}():\n    assert True\n"
FAIL = "def test_{name}():\n    assert False\n"
SLOW = "import pytest\n\n\n@pytest.mark.slow\n"


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "repo"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / "test.sh", root / "scripts" / "test.sh")
    (root / "scripts" / "setup.sh").write_text("true\n")
    (root / ".venv").symlink_to(REPO / ".venv")
    (root / "setup.cfg").write_text(SETUP_CFG)
    (root / "tests").mkdir()
    for name, text in files.items():
        (root / "tests" / name).write_text(text)
    return root


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DISPLAY": os.environ.get("DISPLAY") or ":99"}
    return subprocess.run(["bash", "scripts/test.sh", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def venv() -> None:
    if not (REPO / ".venv" / "bin" / "ruff").exists():
        pytest.skip("no .venv with ruff here (scripts/setup.sh makes it)")


def test_two_stages_both_run_and_are_timed(tmp_path: Path, venv: None) -> None:
    root = _tree(tmp_path, {"test_fast.py": PASS.format(name="fast"),
                            "test_slow.py": SLOW + PASS.format(name="slow")})
    done = _run(root)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    # once per stage, one test each (pytest-xdist's summary leaves out the deselected)
    assert len(re.findall(r"=+ 1 passed(, 1 deselected)? in ", out)) == 2, out
    assert out.count("created: ") == 2  # each stage ran on pytest-xdist workers
    assert "stage 1 (ruff + not slow) took 0m" in out
    assert "stage 2 (slow) took 0m" in out
    assert out.index("stage 1 (ruff") < out.index("stage 2 (slow)")


def test_a_failing_slow_stage_fails_the_run_after_the_fast_stage(tmp_path: Path,
                                                                  venv: None) -> None:
    root = _tree(tmp_path, {"test_fast.py": PASS.format(name="fast"),
                            "test_slow.py": SLOW + FAIL.format(name="slow")})
    done = _run(root)
    assert done.returncode == 1, done.stdout
    assert "FAILED: stage 2: pytest -m slow" in done.stderr
    assert "stage 1" not in done.stderr.split("FAILED:", 1)[1]


def test_a_failing_fast_stage_still_runs_the_slow_stage(tmp_path: Path, venv: None) -> None:
    root = _tree(tmp_path, {"test_fast.py": FAIL.format(name="fast"),
                            "test_slow.py": SLOW + PASS.format(name="slow")})
    done = _run(root)
    assert done.returncode == 1
    assert "stage 2 (slow) took" in done.stdout
    assert "FAILED: stage 1: pytest -m 'not slow'" in done.stderr


def test_a_stage_without_tests_passes_but_an_empty_suite_fails(tmp_path: Path,
                                                               venv: None) -> None:
    root = _tree(tmp_path, {"test_fast.py": PASS.format(name="fast")})
    done = _run(root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "stage 2 collected no tests" in done.stdout

    empty = _tree(tmp_path / "empty", {"test_nothing.py": "X = 1\n"})
    done = _run(empty)
    assert done.returncode == 1
    assert "neither stage collected a test" in done.stderr


def test_arguments_pass_through_as_one_run(tmp_path: Path, venv: None) -> None:
    root = _tree(tmp_path, {"test_fast.py": PASS.format(name="fast"),
                            "test_slow.py": SLOW + FAIL.format(name="slow")})
    done = _run(root, "-m", "not slow")
    assert done.returncode == 0, done.stdout
    assert "stage" not in done.stdout
    done = _run(root, "-k", "slow")
    assert done.returncode == 1  # pytest's own status, the failing slow test
    done = _run(root, "-k", "no_such_test")
    assert done.returncode == 5  # pytest's "no tests collected", passed through as it is
