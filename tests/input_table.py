"""The checks of the table-driven bad-input tests (one table per command, issue 20).

A case is data: the command line (``{name}`` fields are paths of the test's workspace),
the text its one line must hold, and how to run it (in-process ``main(argv)``, which is
fast, or a subprocess where the process itself matters: the entry point, Ctrl-C, a
read-only mount). Every case must end with a non-zero exit, exactly one line on stderr,
no traceback, and the workspace unchanged (every path, size and content as before).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Case:
    """One bad input: ``argv`` (``{field}`` filled from the workspace), the expected text."""

    name: str
    argv: tuple[str, ...]
    expect: str
    read_only: str = ""  #: a workspace folder mounted read-only for the run (subprocess)

    def args(self, fields: dict[str, Path]) -> list[str]:
        return [a.format(**fields) for a in self.argv]


def case(name: str, argv: str, expect: str, **kw: str) -> Case:
    """``argv`` written as one string, split on spaces."""
    return Case(name, tuple(argv.split()), expect, **kw)


def snapshot(root: Path) -> dict[str, str]:
    """Every path under ``root`` with its content's digest (``dir`` for a folder)."""
    out = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        out[key] = ("dir" if path.is_dir() else
                    hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "?")
    return out


def one_line(stderr: str, expect: str, status: int) -> str:
    """The checks every case shares; returns the line."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert status != 0, f"exit 0; stderr: {stderr!r}"
    assert "Traceback" not in stderr, stderr
    assert len(lines) == 1, f"{len(lines)} lines on stderr: {stderr!r}"
    assert lines[0].startswith("error: "), lines
    assert expect in lines[0], f"{expect!r} not in {lines[0]!r}"
    return lines[0]


def run_in_process(main: Callable[[list[str]], int], argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            status = main(argv)
        except SystemExit as exit_:  # argparse
            status = exit_.code if isinstance(exit_.code, int) else 2
    return status, err.getvalue()


def command_line(module_or_script: str, argv: Sequence[str]) -> list[str]:
    if module_or_script.endswith(".py"):
        return [sys.executable, str(REPO / module_or_script), *argv]
    return [sys.executable, "-m", module_or_script, *argv]


def can_mount_read_only() -> bool:
    return shutil.which("unshare") is not None and subprocess.run(
        ["unshare", "-rm", "true"], capture_output=True).returncode == 0


def run_subprocess(cmd: list[str], *, read_only: Path | None = None,
                   timeout: float = 120) -> tuple[int, str]:
    """``cmd`` in a subprocess; with ``read_only`` that folder is a read-only bind mount in
    a private mount namespace (``unshare``), as on a write-protected share."""
    env = dict(os.environ, PYTHONPATH=str(REPO), MPLBACKEND="Agg")
    if read_only is not None:
        ro = str(read_only)
        script = (f'mount --bind "{ro}" "{ro}" && mount -o remount,ro,bind "{ro}" "{ro}" '
                  '&& exec "$@"')
        cmd = ["unshare", "-rm", "sh", "-c", script, "sh", *cmd]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO,
                            env=env)
    return result.returncode, result.stderr


def check_case(c: Case, fields: dict[str, Path], root: Path,
               main: Callable[[list[str]], int] | None, program: str) -> str:
    """Run ``c`` and apply every check; ``main`` None runs ``program`` in a subprocess."""
    before = snapshot(root)
    if c.read_only or main is None:
        status, stderr = run_subprocess(
            command_line(program, c.args(fields)),
            read_only=fields[c.read_only] if c.read_only else None)
    else:
        status, stderr = run_in_process(main, c.args(fields))
    line = one_line(stderr, c.expect, status)
    assert snapshot(root) == before, f"{c.name}: the workspace changed"
    return line


def common_fields(root: Path) -> dict[str, Path]:
    """The places every table's workspace has under ``root``: ``out`` (an empty folder),
    ``ro`` (the folder a ``read_only`` case mounts read-only), ``afile`` (a file where a
    folder belongs) and ``binary`` (a file that is not text)."""
    (root / "out").mkdir()
    (root / "ro").mkdir()
    (root / "afile").write_text("x")
    (root / "binary").write_bytes(bytes(range(256)) * 8)
    return {name: root / name for name in ("out", "ro", "afile", "binary")}


def check_table_case(c: Case, workspace: tuple[Path, dict[str, Path]],
                     main: Callable[[list[str]], int] | None, program: str) -> str:
    """:func:`check_case` on a ``(root, fields)`` workspace fixture; a ``read_only`` case
    is skipped where no read-only mount can be made."""
    if c.read_only and not can_mount_read_only():
        pytest.skip("needs unshare for a read-only mount")
    root, fields = workspace
    return check_case(c, fields, root, main, program)
