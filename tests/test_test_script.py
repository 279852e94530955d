"""scripts/test.sh: with no arguments ruff and the whole suite in one timed pytest-xdist run
(the longest files first, tests/conftest.py), failing if either fails or nothing was
collected; with arguments one pytest run with them.

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


def test_both_lanes_run_in_one_timed_run(tmp_path: Path, venv: None) -> None:
    root = _tree(tmp_path, {"test_fast.py": PASS.format(name="fast"),
                            "test_slow.py": SLOW + PASS.format(name="slow")})
    done = _run(root)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert len(re.findall(r"=+ 2 passed in ", out)) == 1, out  # one run, both lanes
    assert out.count("created: ") == 1  # on pytest-xdist workers
    assert "ruff + the whole suite took 0m" in out
    assert "test.sh: passed" in out


def test_a_failing_slow_test_fails_the_run(tmp_path: Path, venv: None) -> None:
    root = _tree(tmp_path, {"test_fast.py": PASS.format(name="fast"),
                            "test_slow.py": SLOW + FAIL.format(name="slow")})
    done = _run(root)
    assert done.returncode == 1, done.stdout
    assert "FAILED: pytest (exit status 1)" in done.stderr
    assert "ruff" not in done.stderr.split("FAILED:", 1)[1]


def test_a_ruff_finding_fails_the_run_after_the_tests(tmp_path: Path, venv: None) -> None:
    root = _tree(tmp_path, {"test_fast.py": "import os\n\n\n" + PASS.format(name="fast")})
    done = _run(root)
    assert done.returncode == 1
    assert "1 passed" in done.stdout  # the tests still ran
    assert "FAILED: ruff (exit status 1)" in done.stderr


def test_an_empty_suite_fails(tmp_path: Path, venv: None) -> None:
    empty = _tree(tmp_path, {"test_nothing.py": "X = 1\n"})
    done = _run(empty)
    assert done.returncode == 1
    assert "pytest collected no tests" in done.stderr


def test_the_longest_files_are_collected_first(tmp_path: Path, venv: None) -> None:
    """tests/conftest.py: end-to-end files with slow tests, then other files with slow
    tests, then the rest; a file's tests together and in their order."""
    root = _tree(tmp_path, {"test_a.py": PASS.format(name="a1") + PASS.format(name="a2"),
                            "test_b.py": PASS.format(name="b1") + "\n\n" + SLOW
                            + PASS.format(name="b2"),
                            "test_c.py": PASS.format(name="c")})
    shutil.copy(REPO / "tests" / "conftest.py", root / "tests" / "conftest.py")
    (root / "tests" / "e2e").mkdir()
    (root / "tests" / "e2e" / "test_e2e_x.py").write_text(SLOW + PASS.format(name="x"))
    done = subprocess.run([str(root / ".venv" / "bin" / "python"), "-m", "pytest",
                           "--collect-only", "-q"], cwd=root, capture_output=True,
                          text=True, timeout=300)
    ids = [line for line in done.stdout.splitlines() if "::" in line]
    assert ids == ["tests/e2e/test_e2e_x.py::test_x", "tests/test_b.py::test_b1",
                   "tests/test_b.py::test_b2", "tests/test_a.py::test_a1",
                   "tests/test_a.py::test_a2", "tests/test_c.py::test_c"], done.stdout


def test_arguments_pass_through_as_one_run(tmp_path: Path, venv: None) -> None:
    root = _tree(tmp_path, {"test_fast.py": PASS.format(name="fast"),
                            "test_slow.py": SLOW + FAIL.format(name="slow")})
    done = _run(root, "-m", "not slow")
    assert done.returncode == 0, done.stdout
    assert "whole suite" not in done.stdout
    done = _run(root, "-k", "slow")
    assert done.returncode == 1  # pytest's own status, the failing slow test
    done = _run(root, "-k", "no_such_test")
    assert done.returncode == 5  # pytest's "no tests collected", passed through as it is
