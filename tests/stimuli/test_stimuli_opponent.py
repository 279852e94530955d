"""Opponent colour, against a step-by-step reading of Geirhos et al. 2018, Methods."""

from __future__ import annotations

import numpy as np

from stimuli.data_files import display_gamma_curve
from stimuli.manipulations import get_manipulation

M = np.array([[0.1619982647, 0.208049264, 0.0389347448],
              [0.0330275785, 0.2496504557, 0.0618343518],
              [0.0015524055, 0.0198861001, 0.1890224274]])
N = np.array([[9.27590805, 9.27590805, 0.0],
              [7.86421647, -9.33587662, 0.0],
              [-3.39709047, -3.39709047, 12.16230246]])
WHITE = np.array([0.20449114, 0.17225619, 0.10523047])


def reference_pixel(rgb8: np.ndarray) -> np.ndarray:
    """One pixel, literally as the paper's Methods say, with argmin for the curve inversion."""
    curve = display_gamma_curve()
    rgb = curve[rgb8]
    dkl = N @ (M @ rgb - WHITE)
    dkl[1] *= -1
    dkl[2] *= -1
    back = np.linalg.inv(M) @ (np.linalg.inv(N) @ dkl + WHITE)
    back = np.clip(back, 0, 1)
    return np.array([np.argmin(np.abs(curve - v)) for v in back]) / 255.0


def test_matches_step_by_step_reference(rng):
    pixels = rng.integers(0, 256, size=(12, 12, 3))
    out = get_manipulation("opponent-colour")(pixels / 255.0, flip=True)
    expected = np.array([[reference_pixel(p) for p in row] for row in pixels])
    np.testing.assert_array_equal(out, expected)


def test_known_values_red_turns_green_and_grey_stays_grey():
    m = get_manipulation("opponent-colour")
    red = m(np.array([[[200, 60, 60]]]) / 255.0, flip=True)[0, 0] * 255
    assert red[1] > red[0]  # L-M flipped: reddish becomes greenish
    blue = m(np.array([[[60, 60, 200]]]) / 255.0, flip=True)[0, 0] * 255
    assert blue[2] < blue[0]  # S-(L+M) flipped: bluish becomes yellowish
    grey = m(np.full((1, 1, 3), 128 / 255.0), flip=True)[0, 0] * 255
    assert np.abs(grey - 128).max() <= 3
    assert np.array_equal(reference_pixel(np.array([200, 60, 60])) * 255, red.round())


def test_round_trip_returns_the_image(rng):
    m = get_manipulation("opponent-colour")
    pixels = rng.integers(90, 170, size=(30, 30, 3)) / 255.0
    twice = m(m(pixels, flip=True), flip=True)
    diff = np.abs(twice - pixels) * 255
    # The flip is an involution; only out-of-gamut colours (clipped after the first flip)
    # and the 8-bit quantisation keep a few pixels from coming back exactly.
    assert (diff <= 1.0 + 1e-9).mean() > 0.95
    assert (diff.max(axis=-1) == 0).mean() > 0.5


def test_true_is_identity(example_image):
    assert np.array_equal(get_manipulation("opponent-colour")(example_image, flip=False),
                          example_image)
