"""Progress bars are drawn on a terminal only, never into logs or pipes."""

from __future__ import annotations

import io
import os

from lab.progress import on_terminal, progress


def test_no_bar_into_a_file_or_pipe() -> None:
    sink = io.StringIO()
    assert not on_terminal(sink)
    assert list(progress(range(5), file=sink, desc="x")) == [0, 1, 2, 3, 4]
    assert sink.getvalue() == ""


def test_bar_on_a_terminal_unless_disabled() -> None:
    master, slave = os.openpty()
    try:
        with os.fdopen(slave, "w", closefd=True) as tty:
            assert on_terminal(tty)
            assert progress(range(3), file=tty, disable=True).disable
            bar = progress(range(3), file=tty, desc="files")
            assert not bar.disable
            list(bar)
            tty.flush()
            assert b"files" in os.read(master, 4096)
            assert progress(range(3), file=tty, enabled=False).disable
    finally:
        os.close(master)
