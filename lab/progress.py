"""Progress bars only where a person watches: on a terminal. In a log file, a pipe or a
batch job (CI, ``nohup``, a cluster) tqdm's carriage-return updates only fill the log, so
there the bar is off. The one helper every package uses."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any, TextIO

from tqdm import tqdm


def on_terminal(stream: TextIO | None = None) -> bool:
    """Whether ``stream`` (default: standard error, where tqdm draws) is a terminal."""
    stream = sys.stderr if stream is None else stream
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or not a real stream
        return False


def progress(iterable: Iterable[Any] | None = None, *, enabled: bool = True,
             **kwargs: Any) -> tqdm:
    """``tqdm(iterable, **kwargs)``, drawn only when ``enabled`` (and not ``disable``) and
    its output stream is a terminal."""
    disable = bool(kwargs.pop("disable", False)) or not enabled
    return tqdm(iterable, disable=disable or not on_terminal(kwargs.get("file")), **kwargs)
