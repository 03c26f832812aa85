"""Colour conversion against scikit-image, round trips, normalisation and gamut clipping."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage.color import deltaE_ciede2000, lab2rgb, rgb2lab

from colorgan import color

RNG = np.random.default_rng(0)
RANDOM_RGB = RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8)


def as_batch(rgb: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 255.0


def test_numpy_lab_matches_scikit_image():
    delta = deltaE_ciede2000(rgb2lab(RANDOM_RGB), color.rgb_to_lab(RANDOM_RGB))
    assert delta.mean() < 0.5
    assert delta.max() < 2.0


def test_torch_lab_matches_scikit_image():
    ours = color.rgb_to_lab_t(as_batch(RANDOM_RGB))[0].permute(1, 2, 0).numpy()
    assert deltaE_ciede2000(rgb2lab(RANDOM_RGB), ours).mean() < 0.5


def test_lab_to_rgb_matches_scikit_image():
    lab = rgb2lab(RANDOM_RGB).astype(np.float32)
    ours = color.lab_to_rgb(lab).astype(int)
    reference = (np.clip(lab2rgb(lab), 0, 1) * 255 + 0.5).astype(int)
    assert np.abs(ours - reference).max() <= 2


def test_round_trips():
    assert np.abs(color.lab_to_rgb(color.rgb_to_lab(RANDOM_RGB)).astype(int) - RANDOM_RGB).max() <= 1
    batch = as_batch(RANDOM_RGB)
    assert (color.lab_to_rgb_t(color.rgb_to_lab_t(batch)) - batch).abs().max() < 1e-4
    assert np.abs(color.yuv_to_rgb(color.rgb_to_yuv(RANDOM_RGB)).astype(int) - RANDOM_RGB).max() <= 1
    assert (color.yuv_to_rgb_t(color.rgb_to_yuv_t(batch)) - batch).abs().max() < 1e-4


@pytest.mark.parametrize("space_name", ["lab", "yuv"])
def test_color_space_normalisation(space_name):
    space = color.get_space(space_name)
    batch = as_batch(RANDOM_RGB)
    luma, chroma = space.encode(batch)
    assert luma.shape == (1, 1, 64, 64) and chroma.shape == (1, 2, 64, 64)
    assert luma.min() >= -1 - 1e-5 and luma.max() <= 1 + 1e-5
    assert chroma.abs().max() <= 1.0 + 1e-5
    assert (space.decode(luma, chroma) - batch).abs().max() < 1e-3


def test_pix2pix_normalisation_values():
    white = torch.ones(1, 3, 2, 2)
    luma, chroma = color.get_space("lab").encode(white)
    assert torch.allclose(luma, torch.ones_like(luma), atol=1e-3)  # L=100 -> 100/50-1 = 1
    assert chroma.abs().max() < 1e-3
    luma, _ = color.get_space("lab").encode(torch.zeros(1, 3, 2, 2))
    assert torch.allclose(luma, -torch.ones_like(luma), atol=1e-3)


def test_gamut_clipping_keeps_hue_and_fits_srgb():
    l_channel = torch.full((1, 1, 4, 4), 60.0)
    ab = torch.randn(1, 2, 4, 4) * 120
    clipped = color.clip_ab_to_gamut(l_channel, ab)
    linear = color.lab_to_rgb_t(torch.cat([l_channel, clipped], dim=1), clip=False)
    assert linear.min() > -2e-3 and linear.max() < 1 + 2e-3
    # hue kept: clipped ab is the original scaled by a factor in [0, 1]
    ratio = (clipped * ab).sum(1) / (ab * ab).sum(1)
    assert torch.allclose(clipped, ab * ratio[:, None], atol=1e-4)
    assert (ratio >= 0).all() and (ratio <= 1 + 1e-6).all()
    inside = torch.tensor([[[[10.0]], [[-5.0]]]])
    assert torch.equal(color.clip_ab_to_gamut(torch.full((1, 1, 1, 1), 50.0), inside), inside)


def test_gray_rgb_has_no_chroma():
    gray = color.gray_rgb(RANDOM_RGB)
    lab = rgb2lab(gray)
    assert np.abs(lab[:, :, 1:]).max() < 1.0
