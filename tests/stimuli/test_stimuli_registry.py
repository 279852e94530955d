"""The manipulation registry: names, keyword-only numeric parameters, errors, image
convention."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lab.errors import LabInputError
from stimuli.manipulations import get_manipulation, list_manipulations
from stimuli.manipulations.registry import register

#: every manipulation and its parameters (name: (type, default or None if required))
EXPECTED = {
    "colour": {"greyscale": (bool, None)},
    "contrast": {"contrast": (float, None)},
    "uniform-noise": {"width": (float, None), "contrast": (float, 0.3)},
    "low-pass": {"sigma": (float, None)},
    "high-pass": {"sigma": (float, None)},
    "phase-noise": {"width": (float, None)},
    "phase-noise-original": {"width": (float, None)},
    "power-equalisation": {"equalise": (bool, None)},
    "rotation": {"degrees": (int, None)},
    "opponent-colour": {"flip": (bool, None)},
    "salt-and-pepper": {"probability": (float, None), "contrast": (float, 0.3)},
    "eidolon": {"reach": (float, None), "coherence": (float, None), "grain": (float, 10.0)},
    "eidolon-sharp": {"reach": (float, None), "coherence": (float, None),
                      "grain": (float, 10.0)},
    "critical-band": {"band": (int, None), "noise_sd": (float, None),
                      "contrast": (float, 0.2), "mean": (float, 0.449)},
    "critical-band-ideal": {"band": (int, None), "noise_sd": (float, None),
                            "contrast": (float, 0.2)},
    "spectral-ffc": {"cutoff": (float, None), "high": (bool, None)},
    "none": {},
}
#: one setting per manipulation for the convention test
SAMPLE = {
    "colour": {"greyscale": True}, "contrast": {"contrast": 0.1},
    "uniform-noise": {"width": 0.35}, "low-pass": {"sigma": 3.0}, "high-pass": {"sigma": 1.0},
    "phase-noise": {"width": 90.0}, "phase-noise-original": {"width": 90.0},
    "power-equalisation": {"equalise": True}, "rotation": {"degrees": 180},
    "opponent-colour": {"flip": True}, "salt-and-pepper": {"probability": 0.2},
    "eidolon": {"reach": 8.0, "coherence": 0.3},
    "eidolon-sharp": {"reach": 8.0, "coherence": 0.3}, "none": {},
    "critical-band": {"band": 4, "noise_sd": 0.08},
    "critical-band-ideal": {"band": 4, "noise_sd": 0.08},
    "spectral-ffc": {"cutoff": 0.3, "high": True},
}


def test_registry_has_exactly_the_papers_manipulations_and_parameters():
    assert list_manipulations() == sorted(EXPECTED)
    for name, params in EXPECTED.items():
        got = {p.name: (p.kind, None if p.required else p.default)
               for p in get_manipulation(name).parameters}
        assert got == params, name


def test_unknown_name_lists_close_matches():
    with pytest.raises(LabInputError, match="did you mean contrast"):
        get_manipulation("contrst")


@pytest.mark.parametrize("kwargs,match", [
    ({"contrst": 0.5}, "no parameter 'contrst'.*its parameters: contrast"),
    ({}, "needs the parameter.*contrast"),
    ({"contrast": "0.5"}, "'contrast' must be float, got '0.5'"),
    ({"contrast": True}, "'contrast' must be float"),
    ({"contrast": math.nan}, "NaN"),
])
def test_wrong_parameters_are_refused_in_one_line(kwargs, match):
    with pytest.raises(LabInputError, match=match) as err:
        get_manipulation("contrast")(np.zeros((4, 4, 3)), **kwargs)
    assert "\n" not in str(err.value)


def test_int_and_bool_parameters_are_strict():
    with pytest.raises(LabInputError, match="'degrees' must be int"):
        get_manipulation("rotation")(np.zeros((4, 4, 3)), degrees=90.0)
    with pytest.raises(LabInputError, match="multiple of 90"):
        get_manipulation("rotation")(np.zeros((4, 4, 3)), degrees=45)
    with pytest.raises(LabInputError, match="'greyscale' must be bool"):
        get_manipulation("colour")(np.zeros((4, 4, 3)), greyscale=1)
    with pytest.raises(LabInputError, match="must be 0 or more"):
        get_manipulation("low-pass")(np.zeros((4, 4, 3)), sigma=-1.0)


def test_a_manipulation_must_declare_keyword_only_typed_parameters():
    with pytest.raises(TypeError, match="keyword-only"):
        register("bad-1")(lambda batch, rng, level: batch)
    with pytest.raises(TypeError, match="type hint"):
        def untyped(batch, rng, *, level):
            return batch
        register("bad-2")(untyped)
    assert "bad-1" not in list_manipulations() and "bad-2" not in list_manipulations()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_manipulation_keeps_convention(name, rng):
    """Shape, dtype (float32 stays float32), range [0, 1]; grey outputs have equal channels."""
    m = get_manipulation(name)
    size = (224 if name in ("power-equalisation", "critical-band", "critical-band-ideal")
            else 32)
    image = rng.random((size, size, 3)).astype(np.float32)
    out = m(image, np.random.default_rng(0), **SAMPLE[name])
    assert out.shape == image.shape and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    if m.grey_output:
        assert np.array_equal(out[..., 0], out[..., 1])
        assert np.array_equal(out[..., 0], out[..., 2])


@pytest.mark.parametrize("name", ["contrast", "low-pass", "rotation", "phase-noise"])
def test_batch_equals_single_for_deterministic_or_batched(name, rng):
    """A batch (N, H, W, 3) gives each image's own result where no noise is drawn."""
    m = get_manipulation(name)
    batch = rng.random((3, 16, 16, 3))
    params = {"width": 0.0} if name == "phase-noise" else SAMPLE[name]
    out = m(batch, np.random.default_rng(0), **params)
    for i in range(3):
        np.testing.assert_allclose(out[i], m(batch[i], np.random.default_rng(0), **params))


def test_same_seed_same_output_and_no_global_state(rng):
    m = get_manipulation("uniform-noise")
    image = rng.random((16, 16, 3))
    a = m(image, np.random.default_rng(5), width=0.35)
    np.random.seed(0)
    b = m(image, np.random.default_rng(5), width=0.35)
    c = m(image, np.random.default_rng(6), width=0.35)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_bad_image_shape_or_dtype_is_rejected():
    m = get_manipulation("contrast")
    with pytest.raises(ValueError, match="RGB image"):
        m(np.zeros((4, 4)), contrast=0.5)
    with pytest.raises(ValueError, match="float32 or float64"):
        m(np.zeros((4, 4, 3), dtype=np.uint8), contrast=0.5)
