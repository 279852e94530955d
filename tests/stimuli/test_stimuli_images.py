"""Reading sources, centre-crop + resize, 8-bit writing with rounding."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from lab.errors import LabInputError
from lab.images import fit_square, load_rgb, png_bytes, to_uint8, write_png


def test_to_uint8_rounds_not_truncates():
    values = np.array([0.0, 100.4 / 255, 100.6 / 255, 127.5 / 255, 254.7 / 255, 1.0, 1.2, -0.1])
    assert to_uint8(values).tolist() == [0, 100, 101, 128, 255, 255, 255, 0]


def test_written_png_reads_back_rounded(tmp_path, rng):
    image = rng.random((7, 9, 3))
    path = tmp_path / "x.png"
    write_png(image, path)
    with Image.open(path) as im:
        assert im.mode == "RGB" and im.size == (9, 7)
        back = np.asarray(im)
    assert np.array_equal(back, np.floor(image * 255 + 0.5).astype(np.uint8))
    assert np.abs(back / 255.0 - image).max() <= 0.5 / 255 + 1e-12
    assert png_bytes(image) == path.read_bytes()  # deterministic bytes


def test_fit_square_centre_crops_then_resizes():
    image = np.zeros((30, 40, 3))
    image[:, 5:35] = 1.0  # the centre 30 x 30 is white, the side strips black
    out = fit_square(image, 16)
    assert out.shape == (16, 16, 3)
    assert out.min() > 0.99  # the black strips were cropped away
    same = np.random.default_rng(0).random((16, 16, 3))
    assert fit_square(same, 16) is same  # already the size: untouched


def test_load_rgb_converts_and_names_corrupt_files(tmp_path):
    grey = tmp_path / "grey.png"
    Image.fromarray(np.full((4, 4), 51, dtype=np.uint8)).save(grey)
    np.testing.assert_allclose(load_rgb(grey), 0.2)
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    with pytest.raises(LabInputError, match="broken.jpg: not a readable image"):
        load_rgb(bad)


def test_load_with_size_equals_fit_square_of_the_full_image(tmp_path, rng):
    path = tmp_path / "wide.png"
    write_png(rng.random((37, 61, 3)), path)
    np.testing.assert_array_equal(load_rgb(path, 24), fit_square(load_rgb(path), 24))
    np.testing.assert_array_equal(load_rgb(path, 37), load_rgb(path)[:, 12:49])


def test_grey_images_are_written_as_greyscale_png_with_the_same_pixels(rng):
    grey = rng.random((7, 9))
    grey[0, 0] = 100 / 255
    image = np.repeat(grey[..., None], 3, axis=-1)
    data = png_bytes(image)
    with Image.open(io.BytesIO(data)) as im:
        assert im.mode == "L"
        back = np.asarray(im.convert("RGB"))
    assert np.array_equal(back, to_uint8(image))
    # channels that differ only before rounding are grey too; any other difference is RGB
    nearly = image.copy()
    nearly[0, 0, 1] += 0.1 / 255
    assert png_bytes(nearly) == data
    colour = image.copy()
    colour[0, 0, 1] = min(1.0, colour[0, 0, 1] + 2 / 255)
    with Image.open(io.BytesIO(png_bytes(colour))) as im:
        assert im.mode == "RGB"
