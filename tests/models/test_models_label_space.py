"""The single points of the decision: the rule vocabulary (lab.decision_rules), the label
space a spec carries (models.registry, set by models.weights.spec_for_weights), one
decide(), and the device choices shared by scoring and training (models.acceleration)."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
import torch

import models.acceleration as acceleration
import models.registry as registry
from lab.categories import CATEGORIES
from lab.decision_rules import (
    ALL_RULES,
    DEFAULT,
    DEFAULT_RULE,
    HEAD_16_RULE,
    MAPPING_RULES,
    READ_RULES,
    RULE_MEANINGS,
    describe,
    rule_for_label_space,
)
from lab.errors import LabInputError
from models.acceleration import device_choices, loader_workers
from models.decision import decide
from models.heads import replace_head
from models.registry import CATEGORIES_16, IMAGENET_1000, get_spec, label_space_of
from models.weights import build_model, spec_for_weights

COL = {c: i for i, c in enumerate(CATEGORIES)}
CPU = torch.device("cpu")


# -- the vocabulary ----------------------------------------------------------------------
def test_every_rule_has_one_meaning_and_each_paper_a_default():
    assert set(RULE_MEANINGS) == set(ALL_RULES) == {"sum", "mean", "max", "other", "16-way"}
    assert READ_RULES == ("sum", "mean", "max", "other") and HEAD_16_RULE == "16-way"
    assert DEFAULT_RULE == {"geirhos2018": "sum", "model-vs-human": "mean",
                            "geirhos2017": "max", "subramanian2023": "mean",
                            "gavrikov2024": "mean"}
    assert DEFAULT == "sum"
    assert describe("sum").endswith("divided by their total")
    assert describe(HEAD_16_RULE) == RULE_MEANINGS[HEAD_16_RULE]


def test_the_models_cli_offers_the_mapping_rules():
    from models.cli import _parser

    score = _parser()._subparsers._group_actions[0].choices["score"]
    rule = next(a for a in score._actions if a.dest == "rule")
    assert tuple(rule.choices) == MAPPING_RULES and rule.default == DEFAULT


def test_the_label_space_chooses_the_rule():
    assert [rule_for_label_space(r, 1000) for r in MAPPING_RULES] == list(MAPPING_RULES)
    assert {rule_for_label_space(r, 16) for r in MAPPING_RULES} == {HEAD_16_RULE}
    assert CATEGORIES_16.rule("max") == HEAD_16_RULE and IMAGENET_1000.rule("max") == "max"
    with pytest.raises(ValueError, match="unknown decision rule 'median'"):
        rule_for_label_space("median", 1000)
    with pytest.raises(ValueError, match="10 classes"):
        rule_for_label_space("sum", 10)
    with pytest.raises(LabInputError, match="w.pt: 10 outputs"):
        label_space_of(10, source="w.pt")


# -- decide() by hand --------------------------------------------------------------------
def probs_1000() -> np.ndarray:
    """knife (its one ImageNet class) 0.4; cat classes 281 and 282: 0.3 and 0.2; tench (not
    one of the 16) 0.1."""
    p = np.zeros((1, 1000))
    p[0, [499, 281, 282, 0]] = [0.4, 0.3, 0.2, 0.1]
    return p


ENTROPY_1000 = -sum(x * math.log2(x) for x in (0.4, 0.3, 0.2, 0.1))  # 1.8464 bits


@pytest.mark.parametrize(("rule", "knife", "cat", "response"), [
    ("sum", 0.4 / 0.9, 0.5 / 0.9, "cat"),           # knife 0.4, cat 0.3 + 0.2
    ("mean", 24 / 29, 5 / 29, "knife"),             # knife 0.4 / 1, cat 0.5 / 6 members
    ("max", 0.4 / 0.7, 0.3 / 0.7, "knife"),         # knife 0.4, cat max(0.3, 0.2)
])
def test_decide_on_each_rule_by_hand(rule, knife, cat, response):
    d = decide(probs_1000(), rule, IMAGENET_1000)
    assert d.rule == rule and d.responses() == [response]
    assert d.probs_16[0, COL["knife"]] == pytest.approx(knife)
    assert d.probs_16[0, COL["cat"]] == pytest.approx(cat)
    assert d.probs_16[0].sum() == pytest.approx(1.0)
    assert np.count_nonzero(d.probs_16) == 2
    assert d.entropy_1000[0] == pytest.approx(ENTROPY_1000)
    # the same outputs as logits: softmax(log p) = p (zeros become -inf, then 0)
    with np.errstate(divide="ignore"):
        logits = np.log(probs_1000())
    np.testing.assert_allclose(decide(logits, rule, IMAGENET_1000, logits=True).probs_16,
                               d.probs_16, atol=1e-12)


def test_decide_for_a_16_way_head_by_hand():
    p = np.zeros((2, 16))
    p[0, COL["oven"]], p[0, COL["dog"]] = 0.75, 0.25
    p[1] = 1 / 16
    d = decide(np.log(p + 1e-300), HEAD_16_RULE, CATEGORIES_16, logits=True)
    assert d.rule == "16-way" and d.responses() == ["oven", CATEGORIES[0]]
    np.testing.assert_allclose(d.probs_16, p, atol=1e-12)
    np.testing.assert_allclose(d.entropy_16, [-(0.75 * math.log2(0.75)
                                                 + 0.25 * math.log2(0.25)), 4.0])
    assert np.isnan(d.entropy_1000).all()  # there is no 1000-class output
    with pytest.raises(ValueError, match="16-way head is decided by rule '16-way'"):
        decide(p, "sum", CATEGORIES_16)
    with pytest.raises(ValueError, match=r"\(N, 16\)"):
        decide(probs_1000(), HEAD_16_RULE, CATEGORIES_16)
    with pytest.raises(ValueError, match=r"\(N, 1000\)"):
        decide(p, "sum", IMAGENET_1000)


# -- the label space a spec carries ------------------------------------------------------
def test_a_pretrained_network_has_the_1000_imagenet_classes():
    for name in ("resnet18", "efficientnet_lite0"):
        spec = get_spec(name)
        assert spec.label_space == IMAGENET_1000 and spec.label_space.num_classes == 1000
        for weights in ("DEFAULT", "none"):
            assert spec_for_weights(spec, weights) is spec


def test_a_file_from_training_carries_its_16_way_head_into_the_spec(tmp_path):
    base = get_spec("resnet18")
    torch.manual_seed(0)
    net = replace_head(base.architecture(), 16, arch="resnet18")
    path = tmp_path / "model.pt"  # the layout python -m models train writes
    torch.save({"state_dict": net.state_dict(),
                "card": {"architecture": "resnet18", "head": 16, "image_size": 64}}, path)

    spec = spec_for_weights(base, str(path))
    assert spec.label_space == CATEGORIES_16 and spec.label_space.label_names == CATEGORIES
    assert spec.label_space.rule("sum") == HEAD_16_RULE
    assert spec.preprocessing.input_size == 64 and base.preprocessing.input_size == 224
    assert base.label_space == IMAGENET_1000  # the registered spec is left alone
    model, description = build_model(spec, str(path))
    assert str(path.resolve()) in description
    with torch.inference_mode():
        out = model(torch.zeros(1, 3, 64, 64))
        expected = net.eval()(torch.zeros(1, 3, 64, 64))
    assert out.shape == (1, 16)
    torch.testing.assert_close(out, expected)

    # the registered 1000-way spec does not fit the file: one line
    with pytest.raises(LabInputError, match="does not fit resnet18"):
        build_model(base, str(path))


def test_a_plain_state_dict_keeps_the_spec_and_a_foreign_card_is_refused(tmp_path):
    base = get_spec("resnet18")
    plain = tmp_path / "plain.pt"
    torch.save(base.architecture().state_dict(), plain)
    assert spec_for_weights(base, str(plain)) is base
    other = tmp_path / "other.pt"
    torch.save({"state_dict": {}, "card": {"architecture": "alexnet", "head": 16}}, other)
    with pytest.raises(LabInputError, match="trained as alexnet, not resnet18"):
        spec_for_weights(base, str(other))
    odd = tmp_path / "odd.pt"
    torch.save({"state_dict": {}, "card": {"architecture": "resnet18", "head": 10}}, odd)
    with pytest.raises(LabInputError, match="odd.pt: 10 outputs"):
        spec_for_weights(base, str(odd))


# -- adding a network: one module -------------------------------------------------------
def test_the_zoo_is_found_not_listed_and_torchvision_comes_last():
    zoo = registry.zoo_modules()
    assert zoo[:2] == ["models.zoo_efficientnet", "models.zoo_torchvision"]
    assert get_spec("efficientnet_lite0").source.startswith("efficientnet-lite-pytorch")


def test_a_plugin_module_registers_a_network(tmp_path, monkeypatch):
    (tmp_path / "toy_zoo_for_test.py").write_text(
        "from torch import nn\n"
        "from models.registry import CATEGORIES_16, ModelSpec, Preprocessing, "
        "register_model\n\n"
        "def _net():\n"
        "    return nn.Sequential(nn.Flatten(), nn.LazyLinear(16))\n\n"
        "@register_model('toy_16_for_test')\n"
        "def toy():\n"
        "    return ModelSpec(name='toy_16_for_test', source='a test',\n"
        "                     preprocessing=Preprocessing(input_size=8, mean=(0.5,) * 3,\n"
        "                                                 std=(0.5,) * 3),\n"
        "                     architecture=_net, pretrained=lambda: (_net(), 'random'),\n"
        "                     label_space=CATEGORIES_16)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "PLUGIN_MODULES", ["toy_zoo_for_test"])
    try:
        spec = get_spec("toy_16_for_test")
        assert spec.label_space == CATEGORIES_16 and "toy_16_for_test" in registry.list_models()
    finally:
        registry._REGISTRY.pop("toy_16_for_test", None)
        registry._loaded_plugins.discard("toy_zoo_for_test")
        sys.modules.pop("toy_zoo_for_test", None)


# -- device choices: one function for scoring and training ------------------------------
def test_device_choices_on_the_cpu():
    c = device_choices(CPU, precision="auto", workers=None, world=1)
    assert c.device == CPU and c.dtype is None and c.dtype_text == "float32"
    assert c.workers == loader_workers(CPU, 1)
    assert device_choices(CPU, precision="fp32", workers=3, world=1).workers == 3
    with pytest.raises(LabInputError, match=r"^--precision bf16 is for CUDA"):
        device_choices(CPU, precision="bf16", workers=None, world=1)
    with pytest.raises(LabInputError, match=r"^run.precision = fp16 is for CUDA"):
        device_choices(CPU, precision="fp16", workers=None, world=1,
                       precision_option="run.precision =")


@pytest.mark.parametrize(("cores", "device", "world", "workers"), [
    (32, "cuda", 1, 16), (32, "cuda", 2, 14), (3, "cuda", 1, 1),
    (2, "cpu", 1, 0), (4, "cpu", 1, 0), (16, "cpu", 1, 4), (32, "cpu", 4, 2),
])
def test_loader_workers_per_machine(monkeypatch, cores, device, world, workers):
    # the machine's size is what varies here; the rule itself runs as it is
    monkeypatch.setattr(acceleration, "available_cores", lambda: cores)
    assert loader_workers(torch.device(device), world) == workers
