"""The decision rules: how a network's outputs become one of the 16 classes. Pure Python.

This is the one list of rule names; :mod:`models.decision` computes the rules, the
``--rule`` options of ``python -m models`` and ``python -m results`` offer them, and a trial
record's ``rule`` column holds one of them.

A network with the 1000 ImageNet classes is mapped to the 16 entry-level classes through
the ImageNet members of each class (:data:`lab.categories.IMAGENET_INDICES`) by one of
:data:`MAPPING_RULES` (Geirhos et al. 2018, Methods, "Mapping ImageNet to 16 classes"). A
network trained here with a 16-way head (``python -m models train``) needs no mapping: its
rule is :data:`HEAD_16_RULE`. The 2018 network files carry two decision columns each
(:data:`ORIGINAL_RULES`).

Example
-------
>>> rule_for_label_space("mean", 1000), rule_for_label_space("mean", 16)
('mean', '16-way')
>>> DEFAULT_RULE["geirhos2018"]
'sum'
"""

from __future__ import annotations

#: The ``rule`` of a network scored through its own 16-way head (no 1000-to-16 mapping).
HEAD_16_RULE = "16-way"

#: Rules that map the 1000 ImageNet probabilities to 16 scores.
MAPPING_RULES: tuple[str, ...] = ("sum", "mean", "max")

#: Rules of the 2018 network CSVs: ``sum`` reads the ``*_sums`` columns (the paper's rule;
#: it reproduces the published accuracies), ``other`` the unsuffixed ones.
ORIGINAL_RULES: tuple[str, ...] = ("sum", "other")

#: Rules a reader of trial records can ask for (``python -m results --rule``); records of a
#: 16-way head are always read along with them.
READ_RULES: tuple[str, ...] = (*MAPPING_RULES, "other")

#: Every rule name a trial record's ``rule`` column may hold.
ALL_RULES: tuple[str, ...] = (*READ_RULES, HEAD_16_RULE)

#: One line per rule: what it computes and where it comes from.
RULE_MEANINGS: dict[str, str] = {
    "sum": "sum of the softmax probabilities of each class's ImageNet classes (2018 paper)",
    "mean": "mean of the softmax probabilities of each class's ImageNet classes "
            "(model-vs-human)",
    "max": "largest softmax probability among each class's ImageNet classes (2017 rule)",
    "other": "the unsuffixed decision columns of the 2018 network CSVs (read only)",
    HEAD_16_RULE: "the network's own 16-way softmax (a head trained on the 16 classes, "
                  "python -m models train); no 1000-to-16 mapping",
}

#: The default rule of each paper: Geirhos et al. 2018 sum the members' probabilities;
#: model-vs-human (Geirhos et al. 2021) averages them; Geirhos et al. 2017 take the largest;
#: Subramanian et al. 2023 (``probs1000_to_cat16``) and Gavrikov & Keuper 2024 (shape bias
#: through model-vs-human) average them.
DEFAULT_RULE: dict[str, str] = {
    "geirhos2018": "sum",
    "model-vs-human": "mean",
    "geirhos2017": "max",
    "subramanian2023": "mean",
    "gavrikov2024": "mean",
}

#: The rule this project scores and reads with unless told otherwise (the 2018 paper's).
DEFAULT: str = DEFAULT_RULE["geirhos2018"]


def rule_for_label_space(requested: str, num_classes: int) -> str:
    """The rule a network with ``num_classes`` outputs is decided by: ``requested`` (one of
    :data:`MAPPING_RULES`) for the 1000 ImageNet classes, :data:`HEAD_16_RULE` for 16."""
    if num_classes == 16:
        return HEAD_16_RULE
    if num_classes != 1000:
        raise ValueError(f"no decision rule for {num_classes} classes: use 1000 or 16")
    if requested not in MAPPING_RULES:
        raise ValueError(f"unknown decision rule {requested!r}: use one of "
                         f"{', '.join(MAPPING_RULES)}")
    return requested


def describe(rule: str) -> str:
    """The sidecar's ``rule_description``: the rule's meaning, and for a mapping rule that
    its 16 scores are divided by their total."""
    text = RULE_MEANINGS[rule]
    return text + ("; the 16 scores are divided by their total" if rule in MAPPING_RULES
                   else "")
