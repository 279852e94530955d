"""Table commands that are one analysis function and nothing else (no options, no checks):
``table``, ``consistency``, ``quality``. Each module still registers its own command; this
is the one body they share."""

from __future__ import annotations

import argparse
import importlib

import pandas as pd

from results.registry import TableFunc, register_table


def register_plain_table(name: str, compute: str, *, help: str, example: str,
                         order: int, legend: str = "") -> TableFunc:
    """Register ``python -m results name`` as ``compute(table)``, where ``compute`` is
    ``"module:function"``, imported when the command runs (``--help`` and the other
    commands need not import the analysis). ``legend``: see
    :class:`results.registry.TableKind`."""
    module, _, function = compute.partition(":")

    def command(table: pd.DataFrame, args: argparse.Namespace) -> pd.DataFrame:
        return getattr(importlib.import_module(module), function)(table)

    command.__name__ = command.__qualname__ = f"{name.replace('-', '_')}_command"
    command.__doc__ = f"``python -m results {name}``: ``{compute}`` of the trials."
    return register_table(name, help=help, example=example, order=order,
                          legend=legend)(command)
