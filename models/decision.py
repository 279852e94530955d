"""From a network's outputs to a 16-class decision: :func:`decide`. Pure numpy.

The rule names and their meanings are listed once, in :mod:`lab.decision_rules`; what the
outputs are comes from the network's spec (:class:`models.registry.LabelSpace`). A 16-way
head (``python -m models train``) is decided by its own softmax (rule ``16-way``). For the
1000 ImageNet classes (Geirhos et al. 2018, Methods), three rules aggregate the softmax
probabilities of the ImageNet classes that map to each of the 16 entry-level classes
(:data:`lab.categories.IMAGENET_INDICES`):

* ``sum``: the sum of the mapped probabilities (the 2018 paper; reproduces its numbers).
  Classes with many ImageNet members (dog: 109, bird: 49) collect more mass.
* ``mean``: the mean of the mapped probabilities (model-vs-human's default). Every class
  is weighed as if it had one member: ``mean = sum / n_members``.
* ``max``: the largest mapped probability (Geirhos et al. 2017): the response is the class of
  the single most probable mapped ImageNet class.

Each rule's 16 scores are then divided by their total so that they form a distribution
(the ``p_<class>`` columns, ``prob_correct_16`` and ``entropy_16`` use it). Dividing by a
common total never changes the argmax, so the response is the rule's decision.

Example
-------
>>> import numpy as np
>>> probs = np.full((1, 1000), 0.5 / 793)           # 793 unmapped classes share 0.5
>>> probs[0, list(IMAGENET_INDICES["dog"])] = 0.3 / 109
>>> probs[0, 499] = 0.2                              # knife
>>> decide(probs, "sum").responses()
['dog']
>>> decide(probs, "mean").responses()
['knife']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lab.categories import CATEGORIES, IMAGENET_INDICES
from lab.decision_rules import HEAD_16_RULE, MAPPING_RULES
from models.registry import IMAGENET_1000, LabelSpace

#: For each of the 16 classes (column order of :data:`CATEGORIES`), its ImageNet indices.
_MEMBERS: tuple[np.ndarray, ...] = tuple(
    np.asarray(IMAGENET_INDICES[c], dtype=np.intp) for c in CATEGORIES
)
#: How many ImageNet classes each of the 16 has.
MEMBER_COUNTS: np.ndarray = np.array([len(m) for m in _MEMBERS], dtype=np.float64)


def check_rule(rule: str) -> str:
    """Return ``rule`` if it is one of :data:`~lab.decision_rules.MAPPING_RULES`, else raise
    ``ValueError``."""
    if rule not in MAPPING_RULES:
        raise ValueError(f"unknown decision rule {rule!r}: use one of "
                         f"{', '.join(MAPPING_RULES)}")
    return rule


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax in float64 (shifted by the row maximum, so it never overflows)."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def entropy_bits(p: np.ndarray) -> np.ndarray:
    """Row-wise Shannon entropy in bits, with 0·log 0 = 0."""
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log2(np.where(p > 0, p, 1.0)), 0.0)
    return -terms.sum(axis=-1)


def aggregate_16(probs_1000: np.ndarray, rule: str) -> np.ndarray:
    """The rule's raw score per class, shape ``(N, 16)`` (not normalised)."""
    check_rule(rule)
    p = np.asarray(probs_1000, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 1000:
        raise ValueError(f"expected an (N, 1000) array of probabilities, got {p.shape}")
    if rule == "max":
        return np.stack([p[:, m].max(axis=1) for m in _MEMBERS], axis=1)
    sums = np.stack([p[:, m].sum(axis=1) for m in _MEMBERS], axis=1)
    return sums / MEMBER_COUNTS if rule == "mean" else sums


def probabilities_16(probs_1000: np.ndarray, rule: str) -> np.ndarray:
    """The rule's scores divided by their row total: a distribution over the 16 classes.

    A row whose mapped probabilities are all zero (only possible by underflow) becomes
    uniform.
    """
    scores = aggregate_16(probs_1000, rule)
    total = scores.sum(axis=1, keepdims=True)
    uniform = np.full_like(scores, 1.0 / scores.shape[1])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, scores / np.where(total > 0, total, 1.0), uniform)


def rank_of(probs_16: np.ndarray, correct: np.ndarray) -> np.ndarray:
    """1-based rank of each row's correct class (1 = chosen).

    Ties are broken like ``argmax``: the earlier class in :data:`CATEGORIES` ranks first, so
    rank 1 always means ``response == category``.
    """
    p = np.asarray(probs_16, dtype=np.float64)
    correct = np.asarray(correct, dtype=np.intp)
    pc = p[np.arange(len(p)), correct][:, None]
    cols = np.arange(p.shape[1])[None, :]
    ahead = (p > pc) | ((p == pc) & (cols < correct[:, None]))
    return 1 + ahead.sum(axis=1)


@dataclass(frozen=True)
class Decisions:
    """A batch of 16-class decisions under one rule."""

    rule: str
    probs_16: np.ndarray  #: (N, 16), rows sum to 1, columns in CATEGORIES order
    entropy_1000: np.ndarray  #: (N,) bits, of the 1000-class softmax

    @property
    def entropy_16(self) -> np.ndarray:
        return entropy_bits(self.probs_16)

    @property
    def response_index(self) -> np.ndarray:
        return np.argmax(self.probs_16, axis=1)

    def responses(self) -> list[str]:
        return [CATEGORIES[i] for i in self.response_index]

    def __len__(self) -> int:
        return len(self.probs_16)


def decide(outputs: np.ndarray, rule: str, label_space: LabelSpace = IMAGENET_1000, *,
           logits: bool = False) -> Decisions:
    """The decisions of a batch of network outputs, shape ``(N, label_space.num_classes)``:
    probability rows (each sums to 1), or raw scores with ``logits=True`` (softmaxed here).

    * 1000 ImageNet classes: ``rule`` (``sum``, ``mean`` or ``max``) maps them to 16 scores,
      which are divided by their total; ``entropy_1000`` is the entropy of the 1000.
    * 16 classes (a head trained here): ``rule`` must be ``16-way``; the probabilities are
      the decision, and ``entropy_1000`` is NaN (there is no 1000-class output).
    """
    p = softmax(outputs) if logits else np.asarray(outputs, dtype=np.float64)
    if label_space.num_classes == 16:
        if rule != HEAD_16_RULE:
            raise ValueError(f"a 16-way head is decided by rule {HEAD_16_RULE!r}, not {rule!r}")
        if p.ndim != 2 or p.shape[1] != 16:
            raise ValueError(f"expected an (N, 16) array of outputs, got {p.shape}")
        return Decisions(rule=rule, probs_16=p, entropy_1000=np.full(len(p), np.nan))
    return Decisions(rule=rule, probs_16=probabilities_16(p, rule), entropy_1000=entropy_bits(p))


def decide_logits(logits: np.ndarray, rule: str,
                  label_space: LabelSpace = IMAGENET_1000) -> Decisions:
    """:func:`decide` on raw scores (``logits=True``)."""
    return decide(logits, rule, label_space, logits=True)
