"""Seed 003's discriminator stabilisers: smoothed, noisy and flipped labels (losses.discriminator_targets)."""

from __future__ import annotations

import pytest
import torch

from colorgan.losses import discriminator_targets

N = 200_000  # samples: enough for rates to within a fraction of a percent


@pytest.fixture(autouse=True)
def seeded():
    torch.manual_seed(0)


def test_defaults_are_clean_labels():
    logits = torch.randn(8, 1, 5, 5)
    real = discriminator_targets(logits, True)
    fake = discriminator_targets(logits, False)
    assert real.shape == fake.shape == logits.shape and real.dtype == logits.dtype
    assert torch.equal(real, torch.ones_like(logits))
    assert torch.equal(fake, torch.zeros_like(logits))


def test_one_sided_smoothing():
    logits = torch.randn(64, 1)
    assert torch.allclose(discriminator_targets(logits, True, real_label=0.9), torch.full_like(logits, 0.9))
    # One-sided: the fake targets stay exactly 0.
    assert torch.equal(discriminator_targets(logits, False, real_label=0.9), torch.zeros_like(logits))


def test_noise_stays_in_range_and_is_uniform():
    logits = torch.zeros(N, 1)
    real = discriminator_targets(logits, True, real_label=0.9, noise=0.1)
    fake = discriminator_targets(logits, False, real_label=0.9, noise=0.1)
    # Real targets move down toward fake, fake targets up toward real, by at most `noise`.
    assert real.min() >= 0.8 - 1e-6 and real.max() <= 0.9 + 1e-6
    assert fake.min() >= 0.0 and fake.max() <= 0.1 + 1e-6
    # Uniform: the mean is mid-range and the values fill the range.
    assert real.mean().item() == pytest.approx(0.85, abs=2e-3)
    assert fake.mean().item() == pytest.approx(0.05, abs=2e-3)
    assert real.std().item() == pytest.approx(0.1 / 12 ** 0.5, rel=0.05)
    assert real.min() < 0.801 and real.max() > 0.899
    # Noise differs from sample to sample.
    assert real.unique().numel() > N // 2


@pytest.mark.parametrize("flip", [0.05, 0.2])
def test_flip_rate(flip):
    logits = torch.zeros(N, 1)
    real = discriminator_targets(logits, True, real_label=0.9, flip=flip)
    fake = discriminator_targets(logits, False, real_label=0.9, flip=flip)
    assert ((real == 0) | torch.isclose(real, torch.tensor(0.9))).all()
    assert (real == 0).float().mean().item() == pytest.approx(flip, abs=0.005)
    assert (fake > 0.5).float().mean().item() == pytest.approx(flip, abs=0.005)
    assert torch.allclose(fake[fake > 0.5], torch.tensor(0.9))


def test_flip_swaps_whole_samples_of_patch_logits():
    """A PatchGAN's Nx1xhxw logits: one flip decision per sample, not per patch."""
    logits = torch.zeros(20_000, 1, 4, 4)
    real = discriminator_targets(logits, True, flip=0.1)
    per_sample = real.flatten(1)
    assert torch.equal(per_sample.min(dim=1).values, per_sample.max(dim=1).values)
    assert (per_sample[:, 0] == 0).float().mean().item() == pytest.approx(0.1, abs=0.01)


def test_noise_and_flip_together():
    logits = torch.zeros(N, 1)
    real = discriminator_targets(logits, True, real_label=0.9, noise=0.1, flip=0.05)
    flipped = real < 0.5
    assert flipped.float().mean().item() == pytest.approx(0.05, abs=0.005)
    # A flipped real sample gets a noisy fake target, an unflipped one a noisy smoothed real one.
    assert real[flipped].min() >= 0.0 and real[flipped].max() <= 0.1 + 1e-6
    assert real[~flipped].min() >= 0.8 - 1e-6 and real[~flipped].max() <= 0.9 + 1e-6


def test_targets_do_not_need_grad_and_follow_device():
    logits = torch.randn(4, 1, requires_grad=True)
    target = discriminator_targets(logits, True, real_label=0.9, noise=0.1, flip=0.1)
    assert not target.requires_grad
    assert target.device == logits.device
