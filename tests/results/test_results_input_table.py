"""Every bad input to ``python -m results`` as data (issue 20 and the refusals before it):
non-zero exit, one line, no traceback, nothing written. Checks: tests/input_table.py."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
from results_helpers import write_original

from results.cli import main
from tests.input_table import Case, case, check_table_case, common_fields

CASES: list[Case] = [
    # issue 20
    case("a .partial scoring file named", "table {partial}", "unfinished file of a scoring"),
    case("report on a running session", "report {running} --out {out}/report",
         "the session is still running"),
    case("plot on a running session", "plot {running} --out {out}/figures",
         "the session is still running"),
    case("report --out a file", "report {done} --out {afile}", "is a file, not a folder"),
    case("report --out read-only", "report {done} --out {ro}/report", "read-only",
         read_only="ro"),
    case("plot --out read-only", "plot {done} --out {ro}/figures", "read-only",
         read_only="ro"),
    case("fetch --cache a file", "fetch geirhos2018-dnn --cache {afile}",
         "is a file, not a folder"),
    case("verify --cache a file", "verify --cache {afile}", "is a file, not a folder"),
    # refused before (test_results_*.py)
    case("missing path", "table {out}/none", "no such file or folder"),
    case("not a trial file", "table {afile}", "not a trial file"),
    case("no trial files", "table {out}", "no trial files found"),
    case("unknown figure", "plot {done} --out {out}/figures --kind nope", "nope"),
]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> tuple[Path, dict[str, Path]]:
    root = tmp_path_factory.mktemp("results-inputs")
    rows = [("subject-01", 1, t, 0.8, "cat", "cat", "c100", f"0{t}_img.png")
            for t in range(1, 5)]
    done = root / "done"
    write_original(done, "contrast-experiment_subject-01_session_1.csv", rows)
    running = root / "running"
    beh = running / "sub-x" / "ses-1" / "beh"
    write_original(beh, "contrast-experiment_subject-01_session_1.csv", rows)
    (beh / "sub-x_ses-1_task-contrast.lock").write_text(json.dumps(
        {"pid": os.getpid(), "host": socket.gethostname(),
         "started": "2026-01-01T00:00:00+00:00"}))
    partial = root / "scores" / "resnet18_sum_ses-1.tsv.partial"
    partial.parent.mkdir()
    partial.write_text("experiment\tobserver\tsession\trule\n")
    return root, {**common_fields(root), "done": done, "running": running,
                  "partial": partial}


@pytest.mark.parametrize("c", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_one_line_and_writes_nothing(c: Case, workspace) -> None:
    check_table_case(c, workspace, main, "results")
