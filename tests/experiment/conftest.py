"""Fixtures of the experiment tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from experiment_helpers import make_cue_conflict_set


@pytest.fixture
def stimulus_set(tmp_path: Path) -> Path:
    folder = tmp_path / "stimuli"
    make_cue_conflict_set(folder)
    return folder
