"""The crash-safe trial-file writer (foundation ``lab.trial_file``), on real files."""

from __future__ import annotations

import json
import os

import pytest
from results_helpers import human_record

from lab.errors import LabInputError
from lab.readers import read_trials
from lab.schema import BASE_COLUMNS, HUMAN_FILE_COLUMNS
from lab.trial_file import TrialFile, read_rows, sidecar_path


def _record(trial: int):
    return human_record("rotation", "sub-01", trial, f"rotation/0/img{trial}.png", "dog", "0",
                        "dog" if trial % 2 else "na")


def test_create_writes_header_and_sidecar_and_refuses_existing(tmp_path):
    path = tmp_path / "sub-01" / "beh" / "sub-01_beh.tsv"
    with TrialFile.create(path, HUMAN_FILE_COLUMNS, sidecar={"seed": 7}) as fh:
        fh.write(_record(1))
    lines = path.read_text().splitlines()
    assert lines[0].split("\t") == list(HUMAN_FILE_COLUMNS) and len(lines) == 2
    meta = json.loads(sidecar_path(path).read_text())
    assert meta["seed"] == 7 and set(meta["columns"]) == set(HUMAN_FILE_COLUMNS)
    before = path.read_bytes()
    with pytest.raises(LabInputError, match="already exists"):
        TrialFile.create(path, HUMAN_FILE_COLUMNS)
    assert path.read_bytes() == before  # nothing recorded is lost


def test_every_write_is_fsynced(tmp_path, monkeypatch):
    synced: list[int] = []
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    with TrialFile.create(tmp_path / "t.tsv", HUMAN_FILE_COLUMNS) as fh:
        after_create = len(synced)
        for trial in range(1, 4):
            fh.write(_record(trial))
            assert len(synced) == after_create + trial  # durable before write() returns
            assert len(read_rows(tmp_path / "t.tsv")) == trial


def test_resume_appends_and_keeps_a_torn_line(tmp_path):
    path = tmp_path / "t.tsv"
    with TrialFile.create(path, HUMAN_FILE_COLUMNS) as fh:
        fh.write(_record(1))
        fh.write(_record(2))
    torn = "rotation\tsub-01\t1\t3\t1\trotation/0/im"
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(torn)  # the process died inside a write
    assert len(read_rows(path)) == 2  # a torn line is no trial
    with TrialFile.resume(path, HUMAN_FILE_COLUMNS) as fh:
        fh.write(_record(3))
    assert (tmp_path / "t.tsv.torn").read_text() == torn + "\n"
    rows = read_rows(path)
    assert [r["trial"] for r in rows] == ["1", "2", "3"]
    table = read_trials(path)
    assert list(table["trial"]) == [1, 2, 3] and list(table["response"]) == ["dog", "na", "dog"]


def test_resume_refuses_other_columns_and_missing_files(tmp_path):
    path = tmp_path / "t.tsv"
    TrialFile.create(path, HUMAN_FILE_COLUMNS).close()
    with pytest.raises(LabInputError, match="columns differ"):
        TrialFile.resume(path, BASE_COLUMNS)
    with pytest.raises(LabInputError, match="nothing to resume"):
        TrialFile.resume(tmp_path / "none.tsv", HUMAN_FILE_COLUMNS)
