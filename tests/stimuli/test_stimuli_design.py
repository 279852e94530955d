"""Designs (Geirhos et al. 2018, Methods and supplementary material), the WNID mapping
(16-class-ImageNet, same paper), bundled data."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from lab.categories import check_mapping_file
from lab.design import EXPERIMENTS_DIR, list_experiments, load_design_file, load_experiment
from lab.errors import LabInputError
from lab.phases import PAPER_PHASES
from stimuli.data_files import IMAGENET_FILE, MAPPING_FILE, display_gamma_curve, mean_power_spectrum
from stimuli.manipulations import check_design, get_manipulation

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"

# experiment: (trials per observer, block size, distance cm, image px, observers)
PAPER_TABLE = {
    "colour": (1280, 256, 123, 256, 3),
    "contrast": (1280, 128, 123, 256, 3),
    "uniform-noise": (1280, 256, 123, 256, 5),
    "eidolonI": (1280, 256, 123, 256, 5),
    "eidolonII": (1280, 256, 123, 256, 5),
    "eidolonIII": (1280, 256, 123, 256, 5),
    "false-colour": (1120, 160, 107, 224, 6),
    "phase-scrambling": (1120, 160, 107, 224, 6),
    "power-equalisation": (1120, 160, 107, 224, 6),
    "low-pass": (1280, 160, 107, 224, 6),
    "high-pass": (1280, 160, 107, 224, 6),
    "rotation": (1280, 160, 107, 224, 6),
}


def test_all_twenty_experiments_load():
    # the 2018 twelve, cue-conflict, critical-band (and its ideal-filter variant),
    # Gavrikov & Keuper's spectral-ffc, and model-vs-human's copied image sets
    copied = {"edge", "silhouette", "sketch", "stylized"}
    extra = {"cue-conflict", "critical-band", "critical-band-ideal", "spectral-ffc"}
    assert len(list_experiments()) == 20
    assert set(PAPER_TABLE) | extra | copied == set(list_experiments())


@pytest.mark.parametrize("name", sorted(PAPER_TABLE))
def test_design_matches_paper_table(name):
    d = load_experiment(name)
    trials, block, distance, size, observers = PAPER_TABLE[name]
    assert (d.trials_per_observer, d.block_size, d.viewing_distance_cm, d.image_size,
            d.observers) == (trials, block, distance, size, observers)
    assert d.mask_batch == (1 if size == 256 else 2)
    assert d.background_grey == (0.454 if size == 256 else 0.4423)
    assert d.fixation_frame_px == (262 if size == 256 else 230)


@pytest.mark.parametrize("name", list_experiments())
def test_design_conditions_carry_the_manipulations_parameters(name):
    d = load_experiment(name)
    manipulation = get_manipulation(d.manipulation)
    for condition in d.conditions:
        params = d.parameters_of(condition)
        assert manipulation.check_parameters(params) == \
            {p.name: params.get(p.name, p.default) for p in manipulation.parameters}
    assert (d.trials_per_observer // len(d.conditions)) % 16 == 0  # balanced default set
    assert len(d.levels) == len(d.conditions)


# code -> parameters: the numbers the 2018 code derived from each code
CODED = {
    "contrast": ("c05", {"contrast": 0.05}),
    "uniform-noise": ("0.35", {"width": 0.35}),
    "low-pass": ("1", {"sigma": 1.0}),
    "high-pass": ("inf", {"sigma": float("inf")}),
    "phase-scrambling": ("90", {"width": 90.0}),
    "power-equalisation": ("pow", {"equalise": True}),
    "rotation": ("270", {"degrees": 270}),
    "colour": ("bw", {"greyscale": True}),
    "false-colour": ("false", {"flip": True}),
    "eidolonI": ("64-10-10", {"reach": 64.0, "coherence": 1.0, "grain": 10.0}),
    "eidolonII": ("2-3-10", {"reach": 2.0, "coherence": 0.3, "grain": 10.0}),
    "eidolonIII": ("128-0-10", {"reach": 128.0, "coherence": 0.0, "grain": 10.0}),
    "cue-conflict": ("0", {}),
}


@pytest.mark.parametrize("name", sorted(CODED))
def test_codes_map_to_the_numbers_of_the_original_code(name):
    code, params = CODED[name]
    assert load_experiment(name).parameters_of(code) == params


def test_what_differs_between_experiments_is_a_design_field():
    panels = {n: load_experiment(n).figure_panel for n in list_experiments()}
    assert sorted(p for p in panels.values() if p) == list(range(1, 13))  # paper's figure 3
    assert panels["colour"] == 1 and panels["eidolonIII"] == 12 and panels["cue-conflict"] == 0
    textured = [n for n in list_experiments() if load_experiment(n).texture_in_file_name]
    whole = [n for n in list_experiments() if load_experiment(n).whole_image_set]
    copied = [n for n in list_experiments() if load_experiment(n).copy_sources]
    assert textured == ["cue-conflict"]
    assert copied == ["edge", "silhouette", "sketch", "stylized"]
    assert whole == sorted(textured + copied)


GOOD = EXPERIMENTS_DIR / "contrast.toml"


@pytest.mark.parametrize("change,match", [
    (('"c50"  = { level = 50, contrast = 0.5 }', '"c50" = { level = 50, contrast = "0.5" }'),
     "condition 'c50'.*must be a number"),
    (('"c50"  = { level = 50, contrast = 0.5 }', '"c50" = { level = 50, contrst = 0.5 }'),
     "condition 'c50'.*no parameter 'contrst'"),
    (('"c50"  = { level = 50, contrast = 0.5 }', '"c50" = { level = 50 }'),
     "condition 'c50'.*needs the parameter"),
    (('"c50"  = { level = 50, contrast = 0.5 }', '"c50" = { contrast = 0.5 }'),
     "condition 'c50': needs an inline table with a 'level'"),
    (("image_size = 256", 'image_size = "256"'), "'image_size' must be int"),
    (("image_size = 256", "image_size = -256"), "'image_size' must be more than 0"),
    (("figure_panel = 2", "figure_panel = true"), "'figure_panel' must be int"),
    (('manipulation = "contrast"', 'manipulation = "contrst"'),
     "unknown manipulation 'contrst'"),
    (("[conditions]", "[condition]"), "missing keys"),
])
def test_bad_design_files_are_refused_in_one_line(tmp_path, change, match):
    text = GOOD.read_text(encoding="utf-8")
    assert change[0] in text
    bad = tmp_path / "contrast.toml"
    bad.write_text(text.replace(change[0], change[1]), encoding="utf-8")
    with pytest.raises(LabInputError, match=match) as err:
        check_design(load_design_file(bad))
    assert "\n" not in str(err.value) and str(bad) in str(err.value)


@pytest.mark.parametrize("name", sorted(set(PAPER_TABLE) - {"eidolonI", "eidolonII",
                                                           "eidolonIII"}))
def test_design_conditions_equal_the_human_data(name):
    d = load_experiment(name)
    folder = SHARED / "geirhos2018" / "human-raw-data" / d.original_experiment
    if not folder.is_dir():
        pytest.skip(f"reference data not found at {folder}")
    with open(sorted(folder.glob("*.csv"))[0], newline="") as fh:
        seen = {row["condition"] for row in csv.DictReader(fh)}
    assert seen == set(d.conditions)


def test_eidolon_conditions_equal_the_human_data():
    folder = SHARED / "geirhos2018" / "human-raw-data" / "eidolon-experiment"
    if not folder.is_dir():
        pytest.skip(f"reference data not found at {folder}")
    seen = set()
    for path in sorted(folder.glob("*.csv"))[:3]:
        with open(path, newline="") as fh:
            seen |= {row["condition"] for row in csv.DictReader(fh)}
    designed = set()
    for name in ("eidolonI", "eidolonII", "eidolonIII"):
        designed |= set(load_experiment(name).conditions)
    assert seen == designed


def test_bundled_mapping_matches_the_index_table():
    check_mapping_file(MAPPING_FILE, IMAGENET_FILE)


def test_tampered_mapping_is_refused_in_one_line(tmp_path):
    text = MAPPING_FILE.read_text(encoding="utf-8").replace("n02123045", "n02123394", 1)
    assert text != MAPPING_FILE.read_text(encoding="utf-8")  # cat: tabby -> Persian twice
    bad = tmp_path / "mapping.txt"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(LabInputError, match="mapping.txt: class") as err:
        check_mapping_file(bad, IMAGENET_FILE)
    assert "\n" not in str(err.value)


def test_bundled_data_equals_the_reference_data():
    ref = SHARED / "geirhos2018"
    if not ref.is_dir():
        pytest.skip(f"reference data not found at {ref}")
    np.testing.assert_array_equal(mean_power_spectrum(),
                                  np.load(ref / "mean_power_spectrum_grey.npy"))
    np.testing.assert_array_equal(display_gamma_curve(),
                                  np.load(ref / "x_gamma_function.npy").ravel())
    assert MAPPING_FILE.read_bytes() == (ref / "MSCOCO_to_ImageNet_category_mapping.txt")\
        .read_bytes()


def test_bundled_data_is_read_only_and_shaped():
    assert mean_power_spectrum().shape == (224, 224)
    curve = display_gamma_curve()
    assert curve.shape == (256,) and curve[0] == 0.0 and curve[-1] == 1.0
    assert np.all(np.diff(curve) > 0)
    with pytest.raises(ValueError):
        curve[0] = 1.0


def test_psychometric_axis_is_part_of_the_design(tmp_path):
    assert load_experiment("contrast").psychometric_axis == "log10"
    assert load_experiment("contrast").psychometric_rising
    assert load_experiment("high-pass").psychometric_axis == "reciprocal"
    assert load_experiment("rotation").psychometric_axis == ""  # not parametric
    text = (Path(__file__).resolve().parents[2] / "stimuli" / "experiments" /
            "low-pass.toml").read_text().replace('psychometric_axis = "linear"',
                                                 'psychometric_axis = "log2"')
    bad = tmp_path / "low-pass.toml"
    bad.write_text(text)
    from lab.design import load_design_file
    with pytest.raises(LabInputError, match="psychometric_axis must be one of") as err:
        load_design_file(bad)
    assert "\n" not in str(err.value)


# -- the trial's phases ([phases], lab/phases.py) --------------------------------------

def test_every_bundled_design_gives_the_papers_phases():
    """Geirhos et al. 2018 (Methods): fixation 300 ms, image 200 ms, one blank frame, mask
    200 ms, one blank frame, response 1500 ms (practice feedback 300 ms), ITI 300 ms."""
    for name in list_experiments():
        text = (EXPERIMENTS_DIR / f"{name}.toml").read_text(encoding="utf-8")
        assert "\n[phases]\n" in text, name  # written out, not a Python default
        phases = load_experiment(name).phases
        assert phases == PAPER_PHASES, name
    assert [(p.name, p.ms, p.frames) for p in PAPER_PHASES] == [
        ("fixation", 300, None), ("image", 200, None), ("blank_after_image", None, 1),
        ("mask", 200, None), ("blank_after_mask", None, 1), ("response", 1500, None),
        ("feedback", 300, None), ("iti", 300, None)]


def _phases_block(text: str) -> str:
    start = text.index("[phases]")
    return text[start:text.index("\n\n", start)]


def test_a_design_without_phases_runs_the_papers(tmp_path):
    text = GOOD.read_text(encoding="utf-8")
    path = tmp_path / "contrast.toml"
    path.write_text(text.replace(_phases_block(text), ""), encoding="utf-8")
    assert "[phases]" not in path.read_text()
    assert load_design_file(path).phases == PAPER_PHASES


def test_a_phases_table_gives_order_milliseconds_and_frames(tmp_path):
    text = GOOD.read_text(encoding="utf-8")
    path = tmp_path / "contrast.toml"
    path.write_text(text.replace(_phases_block(text), """[phases]
fixation = 500
cue = { frames = 2 }
image = 100
mask = 100
blank_after_mask = { frames = 3 }
response = 1000
feedback = 300
iti = 600"""), encoding="utf-8")
    phases = load_design_file(path).phases
    assert phases.names == ("fixation", "cue", "image", "mask", "blank_after_mask",
                            "response", "feedback", "iti")
    assert phases["cue"].frames == 2 and phases["cue"].ms is None
    assert phases.as_dict() == {"fixation": 500, "image": 100, "mask": 100,
                                "response": 1000, "feedback": 300, "iti": 600}


@pytest.mark.parametrize("table,match", [
    ("[phases]\nimage = 200\nmask = 200", "lacks response, feedback, iti"),
    ("[phases]\nimage = 200\nmask = 200\nresponse = 1500\niti = 300\nfeedback = 300",
     "must end with response, feedback, iti"),
    ("[phases]\nmask = 200\nimage = 200\nresponse = 1500\nfeedback = 300\niti = 300",
     "mask before image"),
    ("[phases]\nimage = 0\nmask = 200\nresponse = 1500\nfeedback = 300\niti = 300",
     "phase 'image' = 0: give positive milliseconds"),
    ("[phases]\nimage = \"200\"\nmask = 200\nresponse = 1500\nfeedback = 300\niti = 300",
     "phase 'image'"),
    ("[phases]\nimage = 200\nblank = { frames = 0 }\nmask = 200\nresponse = 1500\n"
     "feedback = 300\niti = 300", "phase 'blank': a frame count is"),
    ("[phases]\nimage = 200\nblank = { ms = 5 }\nmask = 200\nresponse = 1500\n"
     "feedback = 300\niti = 300", "phase 'blank': a frame count is"),
    ("[phases]\nImage = 200\nmask = 200\nresponse = 1500\nfeedback = 300\niti = 300",
     "phase 'Image': use lower-case"),
    ("phases = 3", "'phases' must be a table"),
])
def test_bad_phases_are_refused_in_one_line(tmp_path, table, match):
    text = GOOD.read_text(encoding="utf-8")
    path = tmp_path / "contrast.toml"
    if table.startswith("phases ="):  # a key, not a table: before the first table
        text = text.replace(_phases_block(text), "").replace("name =", f"{table}\nname =")
    else:
        text = text.replace(_phases_block(text), table)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LabInputError, match=match) as err:
        load_design_file(path)
    assert "\n" not in str(err.value) and str(path) in str(err.value)
