"""R2U-Net generator (Alom et al. 2018, "Recurrent Residual Convolutional Neural Network based on
U-Net (R2U-Net) for Medical Image Segmentation"), one of the generators seed 000 compares
(000_412239bb7d6a5458.txt, 3.2.5), where it "was unable to converge on a unique dataset at all".

A U-Net (2x2 max-pool down; bilinear x2 upsample + 3x3 conv-BN-ReLU up; concatenated skips;
widths ngf * 2^i) whose every unit is an RRCNN block: a 1x1 conv to the unit's width, then two
recurrent convolutional layers (RCL) and a residual add, ``x + res_scale * RCL(RCL(x))``.  An RCL
applies one shared 3x3 conv t+1 times, h_0 = f(conv(x)), h_k = f(conv(x + h_{k-1})) (t=2 as in
the paper), each step followed by BN and ReLU.  Output: 1x1 conv and tanh.  The paper's model
is ngf=64, levels=5, t=2 (39.1M parameters here, 1 -> 2 channels).

What it takes to make it train.  Measured: fit the colours of 8 fixed real photo crops (64 px,
ngf=10, levels=5, t=2), L1, Adam 2e-4 (0.5, 0.999), 150 steps; predicting gray scores 0.0866.
L1 in training mode at steps 0 / 50 / 150, then the L1 in eval mode (what a checkpoint does):

    no normalisation, N(0, 0.02) init       0.087 / 0.085 / 0.065   eval 0.065
    no normalisation, Glorot init (Keras)   0.467 / 0.074 / 0.046   eval 0.046
    reference code: one BN shared by the    0.092 / 0.048 / 0.026   eval 0.086  (= gray)
      t+1 steps, plain 1x1 entry conv       (linear output: eval 0.091; lr 1e-3: eval 0.089)
    + a BN per recurrence step              0.095 / 0.049 / 0.022   eval 0.026
    + BN after the 1x1 entry (this module)  0.108 / 0.022 / 0.014   eval 0.015

* A separate norm layer per recurrence step (``step_norm=True``).  The reference code shares one
  BN across the t+1 steps although each step sees a different input (x, then x + h): its running
  statistics are a blend that matches no step, so the model fits in training mode but its
  eval-mode output is no better than gray, i.e. it looks as if it never converged.
* BN after the 1x1 entry conv (``entry_norm=True``).  Unnormalised, and with the pix2pix
  N(0, 0.02) init, the entry conv outputs ~1/50 of its input's scale, so the residual shortcut
  carries almost nothing and the unit trains like a plain deep stack; normalised, the shortcut
  does its job (L1 0.022 instead of 0.049 at step 50; on the tests' toy task 40% lower L1 in
  30 steps instead of 9%).
* Without any normalisation the activations vanish through the 9 units at the N(0, 0.02) init
  (unit output std 7e-3 in the first unit, 1e-6 in the bottleneck) or start far too large with
  Glorot (the first L1 0.47); both end three to four times worse.
* Not needed, measured: scaling the residual branch (res_scale 0.5: same 0.014) and a learning
  rate other than the pix2pix 2e-4 (1e-3: 0.015, no better).  The tanh output is kept for the
  Generator contract (chroma in [-1, 1]); with BN it made no difference to the fit.

Parameter count (it does not depend on the input size, 256 px included): 0.96M (960,572) at the
recipe's ngf=10, levels=5, t=2 (train/configs/r2unet.yaml).
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from colorgan.models.blocks import UnitUNet, init_weights, norm_layer
from colorgan.models.registry import register_generator


class RecurrentConv(nn.Module):
    """RCL: one 3x3 conv applied t+1 times to x + (previous state), norm and ReLU after each step."""

    def __init__(self, channels: int, t: int, norm: str, step_norm: bool):
        super().__init__()
        self.t = t
        self.conv = nn.Conv2d(channels, channels, 3, padding=1, bias=norm == "none")
        self.norms = nn.ModuleList(norm_layer(norm, channels) for _ in range(t + 1 if step_norm else 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.norms[0](self.conv(x)))
        for k in range(1, self.t + 1):
            h = F.relu(self.norms[min(k, len(self.norms) - 1)](self.conv(x + h)))
        return h


class RRCNNBlock(nn.Module):
    """Recurrent residual unit: 1x1 conv to the width, two RCLs, residual add."""

    def __init__(self, in_ch: int, out_ch: int, t: int, norm: str, step_norm: bool, entry_norm: bool,
                 res_scale: float):
        super().__init__()
        self.entry = nn.Conv2d(in_ch, out_ch, 1, bias=not (entry_norm and norm != "none"))
        if entry_norm:
            self.entry = nn.Sequential(self.entry, norm_layer(norm, out_ch))
        self.body = nn.Sequential(RecurrentConv(out_ch, t, norm, step_norm), RecurrentConv(out_ch, t, norm, step_norm))
        self.res_scale = res_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.entry(x)
        return x + self.res_scale * self.body(x)


class R2UNetGenerator(UnitUNet):
    def __init__(self, in_channels: int = 1, out_channels: int = 2, ngf: int = 64, levels: int = 5, t: int = 2,
                 norm: str = "batch", step_norm: bool = True, entry_norm: bool = True, res_scale: float = 1.0):
        super().__init__()
        if levels < 2:
            raise ValueError("levels must be at least 2")
        if t < 0:
            raise ValueError("t (recurrent steps) must be >= 0")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.multiple = 2 ** (levels - 1)
        widths = [ngf * 2 ** i for i in range(levels)]
        unit = lambda i, o: RRCNNBlock(i, o, t, norm, step_norm, entry_norm, res_scale)  # noqa: E731
        self.down = nn.ModuleList(unit(in_channels if i == 0 else widths[i - 1], widths[i]) for i in range(levels))
        self.up = nn.ModuleList(
            nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
                          nn.Conv2d(widths[i + 1], widths[i], 3, padding=1, bias=norm == "none"),
                          norm_layer(norm, widths[i]), nn.ReLU(inplace=True))
            for i in range(levels - 1))
        self.up_units = nn.ModuleList(unit(2 * widths[i], widths[i]) for i in range(levels - 1))
        self.head = nn.Sequential(nn.Conv2d(widths[0], out_channels, 1), nn.Tanh())
        init_weights(self)


@register_generator("r2unet")
def build_r2unet(in_channels: int = 1, out_channels: int = 2, ngf: int = 64, levels: int = 5, t: int = 2,
                 norm: str = "batch", step_norm: bool = True, entry_norm: bool = True,
                 res_scale: float = 1.0) -> R2UNetGenerator:
    """``step_norm``: a norm layer per recurrence step (False: one shared, as the reference code);
    ``entry_norm``: normalise the 1x1 entry conv; ``res_scale``: scale of the residual branch.
    ``norm='none', step_norm=False, entry_norm=False, res_scale=1`` is the unnormalised variant."""
    return R2UNetGenerator(in_channels, out_channels, ngf, levels, t, norm, step_norm, entry_norm, res_scale)
