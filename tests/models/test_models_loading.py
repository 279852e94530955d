"""Reading files into batches: sizes, resize policies, sharding."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from models.loading import StimulusDataset, fit_to_input, read_image, shard_positions
from models.registry import get_spec


def test_224_files_are_used_as_they_are(demo_set):
    pre = get_spec("efficientnet_lite0").preprocessing
    path = next(demo_set.glob("*.png"))
    image = read_image(path)
    assert fit_to_input(image, pre) is image
    np.testing.assert_array_equal(image.permute(1, 2, 0).numpy(),
                                  np.asarray(Image.open(path).convert("RGB")))


def test_256_files_are_resized_or_centre_cropped(tmp_path):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(256, 256, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "x.png")
    image = read_image(tmp_path / "x.png")
    pre = get_spec("resnet50").preprocessing
    resized = fit_to_input(image, pre)
    assert resized.shape == (3, 224, 224) and resized.dtype == torch.uint8
    cropped = fit_to_input(image, pre.with_resize("centre-crop"))
    np.testing.assert_array_equal(cropped.permute(1, 2, 0).numpy(), pixels[16:240, 16:240])
    assert not torch.equal(resized, cropped)


def test_grey_files_get_three_channels(tmp_path):
    Image.fromarray(np.full((224, 224), 77, dtype=np.uint8)).save(tmp_path / "g.png")
    image = read_image(tmp_path / "g.png")
    assert image.shape == (3, 224, 224) and int(image.min()) == int(image.max()) == 77


def test_shards_cover_every_position_once_and_pad_evenly():
    for n in (1, 7, 8, 49):
        for world in (1, 2, 3):
            shards = [shard_positions(n, r, world) for r in range(world)]
            assert len({len(s) for s in shards}) == 1
            real = sorted(p for s in shards for p in s if p < n)
            assert real == list(range(n))
            padding = [p for s in shards for p in s if p >= n]
            assert len(padding) < world


def test_dataset_items_carry_positions_and_wrap_padding(demo_set):
    files = sorted(p.name for p in demo_set.glob("*.png"))[:3]
    pre = get_spec("efficientnet_lite0").preprocessing
    ds = StimulusDataset(demo_set, files, pre, positions=[1, 3])
    assert len(ds) == 2
    pos, image = ds[1]
    assert pos == 3 and torch.equal(image, read_image(demo_set / files[0]))


def test_numpy_collate_equals_the_default_collate(demo_set, tmp_path):
    """The loaders stack with numpy (fast in busy workers): same tensors, same dtypes as
    torch's default collate."""
    from torch.utils.data import default_collate

    from models.distortion_plan import make_plan
    from models.loading import collate_stimuli
    from models.train_config import DistortionSection
    from models.train_data import TrainingImages, collate_training, scan_folder

    pre = get_spec("efficientnet_lite0").preprocessing
    files = sorted(p.name for p in demo_set.glob("*.png"))[:3]
    items = [StimulusDataset(demo_set, files, pre)[i] for i in range(3)]
    for got, want in zip(collate_stimuli(items), default_collate(items), strict=True):
        assert got.dtype == want.dtype and torch.equal(got, want)
    assert collate_stimuli(items)[1].is_contiguous()
    root = tmp_path / "train" / "bear"
    root.mkdir(parents=True)
    for name in files:
        (root / name).write_bytes((demo_set / name).read_bytes())
    plan = make_plan(DistortionSection(regime="one", manipulation="uniform-noise"), 32)
    data = TrainingImages(scan_folder(tmp_path / "train", head=16, skip_greyscale=True), 32,
                          "random-resized",
                          True, plan, seed=0)
    items = [data[i] for i in range(3)]
    got, want = collate_training(items), default_collate(items)
    assert len(got) == len(want) == 6
    for a, b in zip(got, want, strict=True):
        assert a.dtype == b.dtype and torch.equal(a, b)
