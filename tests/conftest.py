"""Import order for the whole suite: torch before PsychoPy; the longest files first.

The suite runs the booth's tests (PsychoPy, psychtoolbox, Qt) and the networks' tests
(torch) in one process. Importing torchvision after PsychoPy's audio and window stack has
loaded segfaults here (torch's bundled libraries are then resolved against the ones
PsychoPy's stack loaded first); importing torch first does not. The product never mixes
them: only ``experiment/`` imports PsychoPy and only ``models/`` imports torch.

The collection is reordered by file (:func:`pytest_collection_modifyitems`): the end-to-end
files with slow tests (the lab guide, the demo: minutes each) first, then the other files
with slow tests, then the rest, each group in its usual order. ``scripts/test.sh`` runs
pytest-xdist in that order (``--no-loadscope-reorder``), so the long tests start at once
and the short ones fill the other cores; a file's tests stay together and in order.
"""

import contextlib

import pytest

with contextlib.suppress(ImportError):
    import torch  # noqa: F401
    import torchvision.models  # noqa: F401


def _file_rank(items: list[pytest.Item]) -> dict[str, int]:
    """0: an end-to-end file with slow tests; 1: another file with slow tests; 2: the rest."""
    rank: dict[str, int] = {}
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        slow = item.get_closest_marker("slow") is not None
        here = (0 if path.startswith("tests/e2e/") else 1) if slow else 2
        rank[path] = min(rank.get(path, 2), here)
    return rank


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = _file_rank(items)
    items.sort(key=lambda item: rank[item.nodeid.split("::", 1)[0]])  # stable
