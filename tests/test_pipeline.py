"""Full-resolution inference: sizes kept, detail from the original luma, batches equal singles."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from colorgan.checkpoints import save_checkpoint
from colorgan.color import rgb_to_l
from colorgan.models import build_generator
from colorgan.pipeline import Colorizer, render_shape
from tests.conftest import natural_photo


@pytest.fixture(scope="module")
def colorizer():
    torch.manual_seed(0)
    model = build_generator("unet", ngf=8, depth=4)
    return Colorizer(model, {"arch": "unet", "epoch": 1, "render_size": 32, "color_space": "lab"}, device="cpu")


@pytest.mark.parametrize("shape", [(1, 1), (1, 300), (7, 5), (333, 517), (64, 64), (600, 45)])
def test_output_has_the_input_size(colorizer, shape):
    photo = natural_photo(*shape)
    out = colorizer.colorize(photo)
    assert out.shape == (*shape, 3) and out.dtype == np.uint8


def test_luma_of_the_result_is_the_original(colorizer):
    """All detail comes from the photo itself: L of the output equals L of the input."""
    photo = natural_photo(200, 300)
    out = colorizer.colorize(photo)
    assert np.abs(rgb_to_l(out) - rgb_to_l(photo)).mean() < 1.5


def test_batch_equals_one_by_one(colorizer):
    photos = [natural_photo(40, 60, seed=1), natural_photo(80, 120, seed=2), natural_photo(33, 33, seed=3)]
    batched = colorizer.colorize_many(photos, batch_size=4)
    for photo, result in zip(photos, batched):
        assert np.abs(result.astype(int) - colorizer.colorize(photo).astype(int)).max() <= 1


def test_strength_zero_gives_gray(colorizer):
    out = colorizer.colorize(natural_photo(30, 40), strength=0.0)
    assert np.abs(out[:, :, 0].astype(int) - out[:, :, 2]).max() <= 1


def test_render_shape_bounds():
    assert render_shape(3000, 4000, 256)[0] * render_shape(3000, 4000, 256)[1] == pytest.approx(256 * 256, rel=0.02)
    assert render_shape(1, 65535, 256) == (64, 1024)
    assert render_shape(1, 1, 256) == (256, 256)


def test_from_checkpoint_and_yuv_space(tmp_path):
    model = build_generator("unet", ngf=8, depth=4)
    save_checkpoint(tmp_path / "ck", model, {"arch": "unet", "kwargs": {"ngf": 8, "depth": 4}, "epoch": 3,
                                             "render_size": 24, "color_space": "yuv"})
    yuv = Colorizer.from_checkpoint(tmp_path / "ck", device="cpu")
    assert yuv.render_size == 24 and yuv.space.name == "yuv"
    assert yuv.colorize(natural_photo(50, 70)).shape == (50, 70, 3)
    with pytest.raises(ValueError, match="too small"):
        yuv.colorize(natural_photo(10, 10), size=2)
