"""Fixtures for the results tests: the shared reference data and small hand-made files."""

from __future__ import annotations

from pathlib import Path

import pytest
from results_helpers import SHARED_DATA, dnn_record, human_record, write_dnn_tsv, write_human_tsv


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the repository (skip when this checkout lacks it)."""
    if not (SHARED_DATA / "geirhos2018" / "human-raw-data").is_dir():
        pytest.skip("reference data ../shared/data not present beside the repository")
    return SHARED_DATA.resolve()


@pytest.fixture(scope="session")
def geirhos2018_all(shared_data: Path):
    """All 2018 human and DNN trials, read once per test session (sum rule)."""
    from lab.readers import read_trials
    return read_trials([shared_data / "geirhos2018" / "human-raw-data",
                        shared_data / "geirhos2018" / "dnn-raw-data"])


@pytest.fixture(scope="session")
def full_2018_report(geirhos2018_all, tmp_path_factory) -> tuple[Path, list[str], list[str]]:
    """The report of the full 2018 data (humans and networks), built once per test session
    (the layout and the mixes tests both look at it): its page, the warnings printed while
    it was built and the texts its figures draw over each other (drawn in this process, so
    that :func:`results.plot_style.checking_overlaps` sees every figure)."""
    import warnings

    from results.plot_style import checking_overlaps
    from results.report import write_report
    out = tmp_path_factory.mktemp("full-2018") / "report"
    with warnings.catch_warnings(record=True) as caught, checking_overlaps() as overlaps:
        warnings.simplefilter("always")
        page = write_report(geirhos2018_all, out, inputs=["human-raw-data", "dnn-raw-data"],
                            workers=1)
    return page, [str(w.message) for w in caught], overlaps


@pytest.fixture
def lab_records(tmp_path: Path) -> Path:
    """Our own records of a tiny rotation experiment: two humans and one network on the
    same 8 stimulus files (2 conditions x 4 images)."""
    images = [(f"rotation/{c}/img{i}.png", cat, c)
              for c in ("0", "90") for i, cat in enumerate(("dog", "cat", "car", "bird"))]
    answers = {
        "sub-01": ["dog", "cat", "car", "bird", "dog", "dog", "na", "bird"],
        "sub-02": ["dog", "cat", "car", "oven", "dog", "cat", "car", "knife"],
    }
    for observer, responses in answers.items():
        records = [human_record("rotation", observer, t + 1, img, cat, cond, resp,
                                flagged=(t == 3 and observer == "sub-01"))
                   for t, ((img, cat, cond), resp) in enumerate(zip(images, responses,
                                                                    strict=True))]
        write_human_tsv(tmp_path / observer / "ses-1" / "beh" /
                        f"{observer}_ses-1_task-rotation_beh.tsv", records)
    model = ["dog", "cat", "car", "bird", "dog", "dog", "dog", "dog"]
    write_dnn_tsv(tmp_path / "dnn" / "rotation" / "resnet50_sum_ses-1.tsv",
                  [dnn_record("rotation", "resnet50", t + 1, img, cat, cond, resp)
                   for t, ((img, cat, cond), resp) in enumerate(zip(images, model,
                                                                    strict=True))])
    return tmp_path
