"""The manipulation registry: names, condition codes, errors, image convention."""

from __future__ import annotations

import numpy as np
import pytest

from stimuli.errors import LabInputError
from stimuli.manipulations import get_manipulation, list_manipulations

EXPECTED = {
    "colour": ("cr", "bw"),
    "contrast": ("c100", "c50", "c30", "c15", "c10", "c05", "c03", "c01"),
    "uniform-noise": ("0.00", "0.03", "0.05", "0.10", "0.20", "0.35", "0.60", "0.90"),
    "low-pass": ("0", "1", "3", "5", "7", "10", "15", "40"),
    "high-pass": ("inf", "3", "1.5", "1", "0.7", "0.55", "0.45", "0.4"),
    "phase-noise": ("0", "30", "60", "90", "120", "150", "180"),
    "phase-noise-original": ("0", "30", "60", "90", "120", "150", "180"),
    "power-equalisation": ("0", "pow"),
    "rotation": ("0", "90", "180", "270"),
    "opponent-colour": ("true", "false"),
    "salt-and-pepper": ("0", "0.1", "0.2", "0.35", "0.5", "0.65", "0.8", "0.95"),
    "eidolon-I": tuple(f"{r}-10-10" for r in (1, 2, 4, 8, 16, 32, 64, 128)),
    "eidolon-II": tuple(f"{r}-3-10" for r in (1, 2, 4, 8, 16, 32, 64, 128)),
    "eidolon-III": tuple(f"{r}-0-10" for r in (1, 2, 4, 8, 16, 32, 64, 128)),
    "none": ("0",),
    "critical-band": ("0",) + tuple(f"b{k}-{sd}" for k in range(7)
                                   for sd in ("0.02", "0.04", "0.08", "0.16")),
}


def test_registry_has_exactly_the_spec_manipulations_and_codes():
    assert list_manipulations() == sorted(EXPECTED)
    for name, codes in EXPECTED.items():
        assert get_manipulation(name).conditions == codes


def test_unknown_name_lists_close_matches():
    with pytest.raises(LabInputError, match="did you mean contrast"):
        get_manipulation("contrst")


def test_unknown_condition_lists_valid_codes():
    with pytest.raises(LabInputError, match="c100, c50.*c01") as err:
        get_manipulation("contrast")(np.zeros((4, 4, 3)), "c7")
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_manipulation_keeps_convention(name, rng):
    """Shape, dtype (float32 stays float32), range [0, 1]; grey outputs have equal channels."""
    m = get_manipulation(name)
    size = 224 if name in ("power-equalisation", "critical-band") else 32
    image = rng.random((size, size, 3)).astype(np.float32)
    for condition in m.conditions[:: max(1, len(m.conditions) // 3)] + m.conditions[-1:]:
        out = m(image, condition, np.random.default_rng(0))
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
    condition = m.conditions[0] if name == "phase-noise" else m.conditions[2]
    out = m(batch, condition, np.random.default_rng(0))
    for i in range(3):
        np.testing.assert_allclose(out[i], m(batch[i], condition, np.random.default_rng(0)))


def test_same_seed_same_output_and_no_global_state(rng):
    m = get_manipulation("uniform-noise")
    image = rng.random((16, 16, 3))
    a = m(image, "0.35", np.random.default_rng(5))
    np.random.seed(0)
    b = m(image, "0.35", np.random.default_rng(5))
    c = m(image, "0.35", np.random.default_rng(6))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_bad_image_shape_or_dtype_is_rejected():
    m = get_manipulation("contrast")
    with pytest.raises(ValueError, match="RGB image"):
        m(np.zeros((4, 4)), "c50")
    with pytest.raises(ValueError, match="float32 or float64"):
        m(np.zeros((4, 4, 3), dtype=np.uint8), "c50")
