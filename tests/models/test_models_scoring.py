"""``python -m models score`` end to end: real networks, real files, real trial TSVs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from lab.categories import CATEGORIES, IMAGENET_INDICES
from lab.manifest import MANIFEST_NAME, read_manifest, sha256_file
from lab.provenance import PROVENANCE_KEYS
from lab.schema import DNN_FILE_COLUMNS
from models.cli import main
from models.decision import MEMBER_COUNTS, decide_logits
from models.loading import fit_to_input, normalise, read_image
from models.registry import get_spec
from models.weights import build_model

P_COLUMNS = [f"p_{c}" for c in CATEGORIES]
REPO_DATA = Path(__file__).resolve().parents[2] / "stimuli" / "data"


def probs(rows) -> np.ndarray:
    return np.array([[float(r[c]) for c in P_COLUMNS] for r in rows])


# -- a real pretrained network -------------------------------------------------------------
def test_efficientnet_lite0_is_really_pretrained(scored_demo, rows):
    trials = rows(scored_demo)
    assert len(trials) == 49
    by_image = {r["image"].split("_", 1)[1]: r for r in trials}
    # the bundled lorikeet, and the cue-conflict images whose texture is their shape
    assert by_image["example_image.png"]["response"] == "bird"
    same = [r for r in trials if r["category"] in r["image"].split("-")[-1]]
    assert len(same) == 9
    hits = sum(r["correct"] == "1" for r in same)
    assert hits >= 7, [(r["image"], r["response"]) for r in same]
    for name in ("bear1-bear3.png", "cat1-cat3.png", "dog1-dog2.png", "bottle2-bottle3.png"):
        assert by_image[name]["response"] == by_image[name]["category"], name
    # random weights cannot do this: a chance observer gets ~1/16 right
    assert sum(r["correct"] == "1" for r in trials) >= 12


def test_records_follow_the_trial_schema(scored_demo, demo_set, rows):
    header = scored_demo.read_text().splitlines()[0].split("\t")
    assert tuple(header) == DNN_FILE_COLUMNS
    trials = rows(scored_demo)
    entries = read_manifest(demo_set)
    assert [r["image"] for r in trials] == [e.file for e in entries]
    assert [int(r["trial"]) for r in trials] == list(range(1, 50))
    for r, e in zip(trials, entries, strict=True):
        assert (r["observer"], r["block"], r["rt"], r["rule"]) == (
            "efficientnet_lite0", "1", "n/a", "sum")
        assert (r["sha256"], r["category"], r["condition"]) == (e.sha256, e.category,
                                                                 e.condition)
        p = np.array([float(r[c]) for c in P_COLUMNS])
        assert p.sum() == pytest.approx(1.0, abs=1e-4)
        assert r["response"] == CATEGORIES[int(np.argmax(p))]
        assert r["correct"] == ("1" if r["response"] == r["category"] else "0")
        assert float(r["prob_correct_16"]) == pytest.approx(float(r[f"p_{r['category']}"]))
        assert (r["rank_correct_16"] == "1") == (r["correct"] == "1")
        h = -sum(x * math.log2(x) for x in p if x > 0)
        assert float(r["entropy_16"]) == pytest.approx(h, abs=1e-4)
        assert 0 < float(r["entropy_1000"]) < math.log2(1000)


def test_sidecar_describes_the_run(scored_demo, demo_set):
    meta = json.loads(scored_demo.with_suffix(".json").read_text())
    assert meta["model"] == "efficientnet_lite0" and meta["rule"] == "sum"
    assert "57934424" in meta["weights"]
    assert meta["preprocessing"]["mean"] == [127.0] * 3
    assert meta["preprocessing"]["scale"] == 255.0
    assert meta["device"] == "cpu" and meta["dtype"] == "float32"
    assert meta["manifest_sha256"] == sha256_file(demo_set / MANIFEST_NAME)
    assert meta["software"]["torch"] == torch.__version__ and meta["batch_size"] == 32
    assert set(PROVENANCE_KEYS) <= set(meta) and meta["started"].endswith("+00:00")
    assert meta["n_images"] == 49 and set(meta["columns"]) == set(DNN_FILE_COLUMNS)


@pytest.fixture(scope="module")
def lite0_logits(demo_set) -> np.ndarray:
    """The network's raw outputs on the demo set, computed here without the pipeline."""
    spec = get_spec("efficientnet_lite0")
    model, _ = build_model(spec, "DEFAULT")
    entries = read_manifest(demo_set)
    x = torch.stack([fit_to_input(read_image(demo_set / e.file), spec.preprocessing)
                     for e in entries])
    with torch.inference_mode():
        return model(normalise(x, spec.preprocessing, torch.device("cpu"))).numpy()


def test_pipeline_matches_a_direct_forward_pass(scored_demo, lite0_logits, rows):
    expected = decide_logits(lite0_logits, "sum").probs_16
    np.testing.assert_allclose(probs(rows(scored_demo)), expected, rtol=1e-4, atol=1e-6)


def test_the_three_rules_differ_as_documented_on_real_outputs(lite0_logits):
    d = {rule: decide_logits(lite0_logits, rule) for rule in ("sum", "mean", "max")}
    # mean = sum / member count, renormalised
    mean_from_sum = d["sum"].probs_16 / MEMBER_COUNTS
    mean_from_sum /= mean_from_sum.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(d["mean"].probs_16, mean_from_sum, rtol=1e-9)
    # max: the class of the single most probable mapped ImageNet class
    owner = {i: c for c, idx in IMAGENET_INDICES.items() for i in idx}
    mapped = np.array(sorted(owner))
    top = mapped[np.argmax(lite0_logits[:, mapped], axis=1)]
    assert d["max"].responses() == [owner[i] for i in top]
    # sum favours the classes with many ImageNet members (dog 109, bird 49)
    big = {"dog", "bird"}
    n_big = {r: sum(c in big for c in d[r].responses()) for r in d}
    assert n_big["sum"] > n_big["mean"]
    assert sum(a != b for a, b in zip(d["sum"].responses(), d["mean"].responses(),
                                      strict=True)) >= 5


def test_scoring_is_deterministic_on_cpu(scored_demo, demo_set, tmp_path, run_score):
    assert run_score("--model", "efficientnet_lite0", "--stimuli", demo_set,
                     "--out", tmp_path) == 0
    again = tmp_path / "cue-conflict" / "efficientnet_lite0_sum_ses-1.tsv"
    assert again.read_bytes() == scored_demo.read_bytes()


# -- refusals: one line, exit 2, nothing overwritten ----------------------------------------
def test_a_changed_file_stops_the_run(small_set, copy_set, tmp_path, run_score, capsys):
    damaged = copy_set(small_set, tmp_path / "set")
    victim = sorted(damaged.glob("*.png"))[3]
    data = bytearray(victim.read_bytes())
    data[-20] ^= 0xFF
    victim.write_bytes(bytes(data))
    code = run_score("--model", "mobilenet_v3_small", "--weights", "none",
                     "--stimuli", damaged, "--out", tmp_path / "out")
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("error: ") and victim.name in err[0]
    assert "sha256" in err[0]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.tsv"))


def test_an_existing_output_is_never_overwritten(small_set, tmp_path, run_score, rows,
                                                 capsys):
    args = ("--model", "mobilenet_v3_small", "--weights", "none", "--stimuli", small_set,
            "--out", tmp_path)
    assert run_score(*args) == 0
    path = tmp_path / "cue-conflict" / "mobilenet_v3_small_sum_ses-1.tsv"
    before = path.read_bytes()
    capsys.readouterr()
    assert run_score(*args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(path) in err[0] and "--session" in err[0]
    assert path.read_bytes() == before
    assert run_score(*args, "--session", "2") == 0
    second = rows(path.parent / "mobilenet_v3_small_sum_ses-2.tsv")
    assert {r["session"] for r in second} == {"2"}
    np.testing.assert_array_equal(probs(second), probs(rows(path)))


def test_weights_from_a_state_dict_file(small_set, tmp_path, run_score, rows, capsys):
    spec = get_spec("resnet18")
    torch.manual_seed(123)
    model = spec.architecture()
    torch.save(model.state_dict(), tmp_path / "weights.pt")
    common = ("--model", "resnet18", "--stimuli", small_set, "--rule", "max")
    assert run_score(*common, "--weights", tmp_path / "weights.pt", "--out", tmp_path / "a") == 0
    assert run_score(*common, "--weights", "none", "--seed", "123", "--out", tmp_path / "b") == 0
    assert run_score(*common, "--weights", "none", "--out", tmp_path / "c") == 0
    name = "cue-conflict/resnet18_max_ses-1.tsv"
    digest = sha256_file(tmp_path / "weights.pt")
    # a weights file is its own observer: <architecture>@<file stem>-<sha256[:8]>
    own = f"cue-conflict/resnet18@weights-{digest[:8]}_max_ses-1.tsv"
    from_file = probs(rows(tmp_path / "a" / own))
    np.testing.assert_array_equal(from_file, probs(rows(tmp_path / "b" / name)))
    assert not np.allclose(from_file, probs(rows(tmp_path / "c" / name)))
    meta = json.loads((tmp_path / "a" / own).with_suffix(".json").read_text())
    assert digest in meta["weights"] and meta["weights_sha256"] == digest
    assert meta["observer"] == f"resnet18@weights-{digest[:8]}"

    # a state_dict of another network is refused in one line
    torch.save(get_spec("mobilenet_v3_small").architecture().state_dict(), tmp_path / "other.pt")
    capsys.readouterr()
    assert run_score(*common, "--weights", tmp_path / "other.pt", "--out", tmp_path / "d") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "other.pt: does not fit resnet18" in err[0]
    (tmp_path / "junk.pt").write_text("not a checkpoint")
    assert run_score(*common, "--weights", tmp_path / "junk.pt", "--out", tmp_path / "d") == 2
    assert "junk.pt: not a readable torch state_dict" in capsys.readouterr().err
    assert run_score(*common, "--weights", tmp_path / "missing.pt", "--out", tmp_path / "d") == 2
    assert "no such weights file" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()


def test_256_px_sets_are_resized_by_default_or_centre_cropped(set_maker, sources, tmp_path,
                                                              run_score, rows):
    big = set_maker(tmp_path / "set", sources[:4], experiment="contrast", size=256,
                    conditions=["c100", "c50", "c100", "c50"])
    common = ("--model", "resnet18", "--weights", "none", "--stimuli", big)
    assert run_score(*common, "--out", tmp_path / "r") == 0
    assert run_score(*common, "--out", tmp_path / "c", "--resize", "centre-crop") == 0
    name = "contrast/resnet18_sum_ses-1.tsv"
    resized, cropped = rows(tmp_path / "r" / name), rows(tmp_path / "c" / name)
    assert [r["condition"] for r in resized] == ["c100", "c50", "c100", "c50"]
    assert not np.allclose(probs(resized), probs(cropped))
    meta = json.loads((tmp_path / "c" / name).with_suffix(".json").read_text())
    assert meta["preprocessing"]["resize"] == "centre-crop"


def test_one_file_per_experiment_in_a_mixed_set(set_maker, sources, tmp_path, run_score, rows):
    mixed = set_maker(tmp_path / "set", sources[:5],
                      experiments=["colour", "contrast", "colour", "contrast", "colour"],
                      conditions=["cr", "c100", "bw", "c05", "cr"])  # each of its design
    assert run_score("--model", "mobilenet_v3_small", "--weights", "none",
                     "--stimuli", mixed, "--out", tmp_path / "out", "--batch-size", "2") == 0
    colour = rows(tmp_path / "out" / "colour" / "mobilenet_v3_small_sum_ses-1.tsv")
    contrast = rows(tmp_path / "out" / "contrast" / "mobilenet_v3_small_sum_ses-1.tsv")
    assert [r["trial"] for r in colour] == ["1", "2", "3"]
    assert [r["trial"] for r in contrast] == ["1", "2"]


# -- the command line ---------------------------------------------------------------------
def test_help_shows_an_example(capsys):
    for argv in (["--help"], ["score", "--help"]):
        with pytest.raises(SystemExit) as stop:
            main(argv)
        assert stop.value.code == 0
        assert "python -m models score --model efficientnet_lite0" in capsys.readouterr().out


def test_list_marks_the_paper_models_and_the_offline_one(capsys):
    assert main(["list"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert "paper" in lines["vgg19"] and "paper" in lines["resnet152"]
    assert "offline pretrained" in lines["efficientnet_lite0"]
    assert "224px" in lines["resnet50"]


def test_unknown_model_and_bad_values_are_one_line(small_set, tmp_path, run_score, capsys):
    assert run_score("--model", "resnet-50", "--stimuli", small_set, "--out", tmp_path) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "did you mean resnet50" in err[0]
    assert run_score("--model", "resnet18", "--stimuli", tmp_path, "--out", tmp_path) == 2
    assert "no manifest" in capsys.readouterr().err
    assert run_score("--model", "resnet18", "--weights", "none", "--stimuli", small_set,
                     "--out", tmp_path, "--session", "0") == 2
    assert "sessions start at 1" in capsys.readouterr().err


def test_tflite_normalisation_fits_the_packaged_weights_better():
    """The package's commented-out demo uses ImageNet mean/std; the TF-Lite convention
    ((x - 127) / 128) the weights were trained with gives more confident right answers on
    the two bundled natural photographs (a lorikeet and a mountain bike)."""
    from dataclasses import replace

    spec = get_spec("efficientnet_lite0")
    model, _ = build_model(spec, "DEFAULT")
    data = REPO_DATA
    x = torch.stack([read_image(data / "example_image.png"),
                     read_image(data / "test_image.JPEG")])
    imagenet = replace(spec.preprocessing, mean=(0.485 * 255, 0.456 * 255, 0.406 * 255),
                       std=(0.229 * 255, 0.224 * 255, 0.225 * 255))
    top = {}
    for name, pre in (("tflite", spec.preprocessing), ("imagenet", imagenet)):
        with torch.inference_mode():
            p = torch.softmax(model(normalise(x, pre, torch.device("cpu"))), dim=1).numpy()
        top[name] = p.max(axis=1)
        assert decide_logits(np.log(p), "sum").responses() == ["bird", "bicycle"]
    assert np.all(top["tflite"] > top["imagenet"])


def test_undecodable_files_and_unknown_classes_are_one_line(small_set, copy_set, tmp_path,
                                                            run_score, capsys):
    import csv

    for workers in ("0", "1"):
        broken = copy_set(small_set, tmp_path / f"broken{workers}")
        victim = sorted(broken.glob("*.png"))[2]
        victim.write_bytes(b"not a png at all")
        manifest = broken / MANIFEST_NAME
        table = list(csv.DictReader(manifest.open()))
        for row in table:
            if row["file"] == victim.name:
                row["sha256"] = sha256_file(victim)
        with manifest.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(table[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(table)
        capsys.readouterr()
        assert run_score("--model", "mobilenet_v3_small", "--weights", "none", "--workers",
                         workers, "--stimuli", broken, "--out", tmp_path / "o" / workers) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0] == (
            f"error: {victim}: cannot be decoded as an image (UnidentifiedImageError); "
            "rebuild the set")

    odd = copy_set(small_set, tmp_path / "odd")
    text = (odd / MANIFEST_NAME).read_text().replace(",bear,", ",teddy,", 1)
    (odd / MANIFEST_NAME).write_text(text)
    assert run_score("--model", "mobilenet_v3_small", "--weights", "none",
                     "--stimuli", odd, "--out", tmp_path / "odd-out") == 2
    assert "category 'teddy' in the manifest is not one of the 16" in capsys.readouterr().err
    assert not (tmp_path / "odd-out").exists()
