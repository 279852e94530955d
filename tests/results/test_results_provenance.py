"""One record schema and one provenance schema for human and network files."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields

from lab.provenance import PROVENANCE_KEYS, provenance, run_provenance
from lab.schema import (
    DESCRIPTION,
    DNN_FILE_COLUMNS,
    HUMAN_FILE_COLUMNS,
    DnnTrialRecord,
    HumanTrialRecord,
    column_descriptions,
)


def test_every_column_is_described_by_its_record_field():
    for record, columns in ((HumanTrialRecord, HUMAN_FILE_COLUMNS),
                            (DnnTrialRecord, DNN_FILE_COLUMNS)):
        described = column_descriptions(columns)
        assert list(described) == list(columns)
        assert all(len(text) > 10 for text in described.values())
        for f in fields(record):
            if f.name != "probs_16":
                assert described[f.name] == f.metadata[DESCRIPTION]
    human = column_descriptions(HUMAN_FILE_COLUMNS)
    assert "blank" in human["image_duration_ms"] and "mask onset minus image onset" in \
        human["soa_ms"]
    assert HUMAN_FILE_COLUMNS[:13] == DNN_FILE_COLUMNS[:12] + ("attempt",)


def test_provenance_has_the_shared_keys_in_utc(tmp_path):
    meta = provenance(tmp_path, "ab" * 32, ("numpy",), runtime={"torch": "9.9+test"})
    assert tuple(meta) == PROVENANCE_KEYS
    assert meta["stimulus_set"] == str(tmp_path.resolve())
    assert meta["software"]["torch"] == "9.9+test" and meta["software"]["numpy"]
    assert meta["software"]["vision-generalisation-lab"] and meta["software"]["python"]
    started = dt.datetime.fromisoformat(meta["started"])
    assert started.utcoffset() == dt.timedelta(0)
    assert abs((dt.datetime.now(dt.UTC) - started).total_seconds()) < 60
    assert set(run_provenance()) == {"software", "git_commit", "started"}
