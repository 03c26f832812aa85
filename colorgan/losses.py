"""GAN objectives (one class for every mode, as in pytorch-CycleGAN-and-pix2pix) and L1.

Seeds 000/001/004: D loss = 0.5 * (BCE(D(real), 1) + BCE(D(fake), 0)) on logits;
G loss = BCE(D(fake), 1) + lambda * L1(fake, real) with lambda = 100.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

GAN_MODES = ("vanilla", "lsgan", "hinge")


class GANLoss(nn.Module):
    """``loss(logits, target_is_real, for_discriminator)`` for vanilla (BCE), lsgan (MSE) or hinge.

    ``real_label`` below 1 gives one-sided label smoothing (Salimans et al. 2016): only the
    discriminator's real targets are softened, the generator still aims for 1.
    """

    def __init__(self, mode: str = "vanilla", real_label: float = 1.0, fake_label: float = 0.0):
        super().__init__()
        if mode not in GAN_MODES:
            raise ValueError(f"unknown gan mode {mode!r}; choose one of {GAN_MODES}")
        self.mode, self.real_label, self.fake_label = mode, real_label, fake_label

    def forward(self, logits: torch.Tensor, target_is_real: bool, for_discriminator: bool = True,
                target: torch.Tensor | None = None) -> torch.Tensor:
        logits = logits.float()
        if self.mode == "hinge":
            if not for_discriminator:
                return -logits.mean()
            return F.relu(1.0 - logits).mean() if target_is_real else F.relu(1.0 + logits).mean()
        if target is None:
            value = self.real_label if (target_is_real and for_discriminator) else (
                1.0 if target_is_real else self.fake_label)
            target = torch.full_like(logits, value)
        if self.mode == "vanilla":
            return F.binary_cross_entropy_with_logits(logits, target)
        return F.mse_loss(logits, target)


def l1_loss(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    return F.l1_loss(fake.float(), real.float())


def regression_loss(kind: str, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """The reconstruction term: L1 (pix2pix, sharper) or L2 (seed 004 baseline option)."""
    if kind == "l2":
        return F.mse_loss(fake.float(), real.float())
    return l1_loss(fake, real)


def discriminator_targets(logits: torch.Tensor, is_real: bool, real_label: float = 1.0, noise: float = 0.0,
                          flip: float = 0.0) -> torch.Tensor:
    """Seed 003's stabilisers for D: smoothed real labels, noisy labels, occasionally flipped ones.

    Each sample's target is real_label (or 0), moved by up to ``noise`` toward the other side,
    and swapped with probability ``flip``.  The generator's own targets stay clean.
    """
    real = torch.full_like(logits, real_label)
    fake = torch.zeros_like(logits)
    if noise > 0:
        real = real - noise * torch.rand_like(real)
        fake = fake + noise * torch.rand_like(fake)
    target = real if is_real else fake
    if flip > 0:
        swap = torch.rand(logits.shape[0], *([1] * (logits.dim() - 1)), device=logits.device) < flip
        target = torch.where(swap, fake if is_real else real, target)
    return target
