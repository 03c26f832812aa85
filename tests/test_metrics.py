"""Metrics behave as their definitions say."""

import numpy as np

from colorgan.color import gray_rgb
from colorgan.metrics import colorfulness, compare, deltae2000, psnr, ssim
from tests.conftest import natural_photo


def test_identical_images():
    rgb = natural_photo(32, 40)
    assert psnr(rgb, rgb) == float("inf")
    assert abs(ssim(rgb, rgb) - 1.0) < 1e-9
    assert deltae2000(rgb, rgb) < 1e-6


def test_gray_is_worse_than_the_photo_and_has_no_colourfulness():
    rgb = natural_photo(32, 40)
    gray = gray_rgb(rgb)
    scores = compare(rgb, gray)
    assert scores["colorfulness"] < 1.0 < scores["colorfulness_gt"]
    assert scores["deltae2000"] > 3 and scores["psnr"] < 40


def test_colourfulness_grows_with_saturation():
    rgb = natural_photo(32, 40).astype(float)
    mean = rgb.mean(axis=2, keepdims=True)
    dull = (mean + 0.3 * (rgb - mean)).astype(np.uint8)
    assert colorfulness(dull) < colorfulness(rgb.astype(np.uint8))


def test_tiny_images_do_not_crash():
    tiny = natural_photo(2, 2)
    assert np.isnan(ssim(tiny, tiny))
    assert np.isfinite(compare(tiny, gray_rgb(tiny))["deltae2000"])
