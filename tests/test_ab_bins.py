"""The colour distribution (Zhang et al. 2016): bins, soft targets, rebalancing, decoding, uncertainty, modes."""

from __future__ import annotations

import math

import numpy as np
import torch

from colorgan import ab_bins
from colorgan.color import lab_to_rgb_t


def test_bins_are_the_cells_of_side_10_that_hold_srgb_colours():
    centres = ab_bins.bin_centres()
    assert len(centres) == ab_bins.bin_count() == 261
    assert np.all(centres % 10 == 0)
    assert (centres[:, 0].min(), centres[:, 0].max(), centres[:, 1].min(), centres[:, 1].max()) == (-90, 100, -110, 90)
    # every bin holds a displayable colour: somewhere within its cell, at some lightness, sRGB has it
    offsets = torch.tensor([[da, db] for da in (-5, -2.5, 0, 2.5, 5) for db in (-5, -2.5, 0, 2.5, 5)])
    lightness = torch.linspace(1, 99, 50)
    for a, b in centres[::17]:
        ab = torch.tensor([a, b]) + offsets
        lab = torch.cat([lightness.repeat_interleave(len(ab))[:, None], ab.repeat(len(lightness), 1)], dim=1)
        linear = lab_to_rgb_t(lab.T.reshape(1, 3, -1, 1), clip=False)
        assert bool(((linear >= -1e-3) & (linear <= 1 + 1e-3)).all(dim=1).any()), (a, b)


def test_soft_encoding_weights_the_nearest_bins():
    ab = torch.tensor([[[[23.0]], [[-41.0]]], [[[0.0]], [[0.0]]]])   # two pixels
    weights, index = ab_bins.soft_encode(ab)
    assert weights.shape == index.shape == (2, 5, 1, 1)
    assert torch.allclose(weights.sum(dim=1), torch.ones(2, 1, 1))
    centres = ab_bins.bin_centres()
    assert tuple(centres[index[0, 0, 0, 0]]) == (20.0, -40.0)      # the nearest bin, the largest weight
    assert tuple(centres[index[1, 0, 0, 0]]) == (0.0, 0.0)
    assert weights[0, 0] == weights[0].max()


def test_rebalancing_favours_rare_colours_and_keeps_the_mean_weight_at_one():
    counts = np.zeros(ab_bins.bin_count())
    gray = int(np.argmin(np.abs(ab_bins.bin_centres()).sum(axis=1)))
    counts[gray], counts[0] = 10_000, 1
    prior = ab_bins.prior_from_counts(counts)
    weights = ab_bins.rebalancing_weights(prior)
    assert math.isclose(float((prior * weights).sum()), 1.0, rel_tol=1e-5)
    assert weights[0] > weights[gray] * 5
    # lambda = 1: uniform mixing only, every weight equal
    assert np.allclose(ab_bins.rebalancing_weights(prior, lam=1.0), 1.0)


def test_annealed_mean_moves_from_the_mean_to_the_mode():
    centres = ab_bins.bin_centres()
    red = int(np.argmin(np.abs(centres - [60, 40]).sum(axis=1)))
    blue = int(np.argmin(np.abs(centres - [0, -60]).sum(axis=1)))
    logits = torch.full((1, ab_bins.bin_count(), 1, 1), -30.0)
    logits[0, red], logits[0, blue] = math.log(0.6), math.log(0.4)
    mean = ab_bins.annealed_mean(logits, 1.0)[0, :, 0, 0]
    assert torch.allclose(mean, torch.tensor([0.6 * 60 + 0.4 * 0, 0.6 * 40 + 0.4 * -60]), atol=0.1)
    mode = ab_bins.annealed_mean(logits, 0.05)[0, :, 0, 0]
    assert torch.allclose(mode, torch.tensor([60.0, 40.0]), atol=0.5)


def test_entropy_is_zero_when_certain_and_one_when_uniform():
    certain = torch.full((1, ab_bins.bin_count(), 1, 1), -50.0)
    certain[0, 3] = 50.0
    assert float(ab_bins.entropy(certain)) < 1e-3
    assert abs(float(ab_bins.entropy(torch.zeros(1, ab_bins.bin_count(), 1, 1))) - 1.0) < 1e-5


def test_top_colours_finds_the_distinct_modes():
    centres = ab_bins.bin_centres()
    logits = torch.full((ab_bins.bin_count(),), -20.0)
    for ab, p in (([60, 40], 0.5), ([50, 40], 0.2), ([0, -60], 0.3)):   # two neighbouring bins make one mode
        logits[int(np.argmin(np.abs(centres - ab).sum(axis=1)))] = math.log(p)
    modes = ab_bins.top_colours(logits, count=4)
    assert len(modes) == 2
    (first, share1), (second, share2) = modes
    assert math.isclose(share1, 0.7, abs_tol=1e-3) and math.isclose(share2, 0.3, abs_tol=1e-3)
    assert np.allclose(first, [(0.5 * 60 + 0.2 * 50) / 0.7, 40], atol=0.1)
    assert np.allclose(second, [0, -60], atol=0.1)


def test_the_loss_is_lowest_for_the_target_distribution():
    ab = (torch.rand(2, 2, 3, 3) - 0.5) * 120
    weights, index = ab_bins.soft_encode(ab)
    target = torch.zeros(2, ab_bins.bin_count(), 3, 3).scatter_(1, index, weights)
    best = ab_bins.soft_cross_entropy(torch.log(target + 1e-9), weights, index)
    assert best < ab_bins.soft_cross_entropy(torch.zeros_like(target), weights, index)
    assert best < ab_bins.soft_cross_entropy(torch.log(target.roll(7, dims=1) + 1e-9), weights, index)
