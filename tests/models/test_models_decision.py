"""The 1000 -> 16 decision rules on hand-made probability vectors (Geirhos et al.
2018, Methods)."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import models.decision as decision
from lab.categories import CATEGORIES, IMAGENET_INDICES
from models.decision import (
    MEMBER_COUNTS,
    aggregate_16,
    decide,
    decide_logits,
    entropy_bits,
    probabilities_16,
    rank_of,
    softmax,
)

COL = {c: i for i, c in enumerate(CATEGORIES)}


def vector(mass: dict[int, float]) -> np.ndarray:
    """A 1000-vector with the given mass on given indices, the rest spread evenly."""
    p = np.zeros(1000)
    for i, m in mass.items():
        p[i] = m
    rest = [i for i in range(1000) if i not in mass]
    p[rest] = (1.0 - sum(mass.values())) / len(rest)
    return p[None, :]


def test_member_counts_follow_the_2018_mapping():
    assert MEMBER_COUNTS.sum() == 207
    assert MEMBER_COUNTS[COL["dog"]] == 109 and MEMBER_COUNTS[COL["bird"]] == 49
    assert MEMBER_COUNTS[COL["knife"]] == 1


def test_sum_mean_max_by_hand():
    # knife (499) 0.30; two cat classes 0.20 + 0.15; one dog class 0.25; rest spread.
    p = vector({499: 0.30, 281: 0.20, 282: 0.15, 160: 0.25})
    rest = (1 - 0.9) / 996
    n = dict(zip(CATEGORIES, MEMBER_COUNTS, strict=True))

    s = aggregate_16(p, "sum")[0]
    assert s[COL["knife"]] == pytest.approx(0.30)
    assert s[COL["cat"]] == pytest.approx(0.35 + 4 * rest)
    assert s[COL["dog"]] == pytest.approx(0.25 + 108 * rest)
    m = aggregate_16(p, "mean")[0]
    assert m[COL["cat"]] == pytest.approx((0.35 + 4 * rest) / n["cat"])
    assert m[COL["dog"]] == pytest.approx((0.25 + 108 * rest) / 109)
    x = aggregate_16(p, "max")[0]
    assert x[COL["knife"]] == 0.30 and x[COL["cat"]] == 0.20 and x[COL["dog"]] == 0.25

    # the documented differences: sum -> cat (0.35 over two classes), mean -> knife
    # (one member), max -> knife (single most probable mapped class)
    assert decide(p, "sum").responses() == ["cat"]
    assert decide(p, "mean").responses() == ["knife"]
    assert decide(p, "max").responses() == ["knife"]


def test_max_picks_the_class_of_the_top_mapped_imagenet_class():
    # cat has more total mass (0.4 over 4 classes), dog the single largest class (0.12)
    p = vector({281: 0.1, 282: 0.1, 283: 0.1, 284: 0.1, 200: 0.12})
    assert decide(p, "sum").responses() == ["cat"]
    assert decide(p, "max").responses() == ["dog"]


def test_probabilities_are_normalised_over_the_16():
    rng = np.random.default_rng(1)
    p = softmax(rng.normal(size=(5, 1000)))
    for rule in ("sum", "mean", "max"):
        p16 = probabilities_16(p, rule)
        assert p16.shape == (5, 16)
        np.testing.assert_allclose(p16.sum(axis=1), 1.0)
        raw = aggregate_16(p, rule)
        np.testing.assert_allclose(p16, raw / raw.sum(axis=1, keepdims=True))


def test_uniform_softmax_shows_how_sum_favours_big_classes():
    p = np.full((1, 1000), 1e-3)
    np.testing.assert_allclose(probabilities_16(p, "sum")[0], MEMBER_COUNTS / 207)
    np.testing.assert_allclose(probabilities_16(p, "mean")[0], np.full(16, 1 / 16))
    assert decide(p, "sum").responses() == ["dog"]


def test_zero_mapped_mass_becomes_uniform():
    p = np.zeros((1, 1000))
    p[0, 0] = 1.0  # tench: not one of the 207
    np.testing.assert_allclose(probabilities_16(p, "sum")[0], np.full(16, 1 / 16))


def test_entropy_in_bits():
    assert entropy_bits(np.full((1, 16), 1 / 16))[0] == pytest.approx(4.0)
    assert entropy_bits(np.full((1, 1000), 1e-3))[0] == pytest.approx(np.log2(1000))
    assert entropy_bits(np.eye(3))[1] == 0.0


def test_rank_breaks_ties_like_argmax():
    p16 = np.array([[0.25, 0.25, 0.5] + [0.0] * 13])
    assert list(rank_of(p16, np.array([2]))) == [1]
    assert list(rank_of(p16, np.array([0]))) == [2]
    assert list(rank_of(p16, np.array([1]))) == [3]  # tied with 0, which argmax prefers
    assert list(rank_of(p16, np.array([15]))) == [16]


def test_softmax_is_stable_and_matches_decide_logits():
    logits = np.array([[1000.0, 0.0] + [0.0] * 998])
    assert softmax(logits)[0, 0] == pytest.approx(1.0)
    rng = np.random.default_rng(2)
    z = rng.normal(size=(3, 1000))
    np.testing.assert_allclose(decide_logits(z, "mean").probs_16,
                               decide(softmax(z), "mean").probs_16)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="unknown decision rule"):
        aggregate_16(np.zeros((1, 1000)), "median")
    with pytest.raises(ValueError, match=r"\(N, 1000\)"):
        aggregate_16(np.zeros((1, 999)), "sum")


def test_indices_come_from_the_2018_mapping():
    bird = set(IMAGENET_INDICES["bird"])
    p = np.zeros((1, 1000))
    p[0, sorted(bird)] = 1 / len(bird)
    assert decide(p, "sum").responses() == ["bird"]


def test_module_example_runs():
    result = doctest.testmod(decision)
    assert result.attempted >= 2 and result.failed == 0
