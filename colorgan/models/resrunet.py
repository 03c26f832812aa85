"""Residual-recurrent U-Net: the generator seed 000 proposes (000_412239bb7d6a5458.txt, 3.2.6,
"Our Proposed Model", figures 6 and 7), inspired by ResNet (He et al. 2016) and R2U-Net
(Alom et al. 2018).

A U-shaped net (2x2 max-pool down; 4x4 stride-2 transposed conv-ReLU-BN up, the report's
"transposed 2D convolutional layers"; concatenated skips; widths ngf * 2^i, capped at 8 * ngf
as in pix2pix) whose every unit is the report's "Conventional Block": "6 convolutions each of
them followed by ReLU and batch normalization ... a three-stream flow of layers where the first
layer is directly added, a single convolution is added and the third is passed through multiple
residual and recurrent layers ... The middle layer has 5 convolution layers that are connected
to the previous layer by the residual network."  Here:

    unit(x) = P(x) + C(x) + S(x)
    P: the input itself (a 1x1 projection when the width changes; not one of the six)
    C: a single 3x3 conv -> ReLU -> BN
    S: five 3x3 convs: an entry conv -> ReLU -> BN to the unit's width, then four recurrent
       residual layers s <- s + RCL(s), where an RCL applies its one conv t+1 times,
       h_0 = g(conv(s)), h_k = g(conv(s + h_{k-1})), g = ReLU then BN (its own BN per step).

Documented choices where the report is ambiguous: (1) "ReLU and batch normalization" is taken in
that order (conv -> ReLU -> BN, the Keras habit); (2) all four layers after the entry conv are
both residual and recurrent (the report says the stream is "residual and recurrent" without
saying which layer is which); (3) t=2 recurrence steps, as in R2U-Net; (4) no norm after the
three-stream sum (the report adds the streams and moves on); (5) each recurrence step has its own
BN (a BN shared across the steps leaves the eval-mode model at the gray baseline, measured on
R2U-Net, see r2unet.py).  Output: 1x1 conv and tanh.

Parameter count (it does not depend on the input size, 256 px included): 0.99M (990,306) at the
recipe's ngf=8, levels=5, t=2 (train/configs/resrunet.yaml).
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from colorgan.models.blocks import UnitUNet, init_weights
from colorgan.models.registry import register_generator


class _ConvReluBN(nn.Sequential):
    def __init__(self, in_ch: int, out_ch: int):
        super().__init__(nn.Conv2d(in_ch, out_ch, 3, padding=1), nn.ReLU(inplace=True), nn.BatchNorm2d(out_ch))


class _RecurrentResidual(nn.Module):
    """s + RCL(s): one shared 3x3 conv applied t+1 times, ReLU and a per-step BN after each."""

    def __init__(self, channels: int, t: int):
        super().__init__()
        self.t = t
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.norms = nn.ModuleList(nn.BatchNorm2d(channels) for _ in range(t + 1))

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        h = self.norms[0](F.relu(self.conv(s)))
        for k in range(1, self.t + 1):
            h = self.norms[k](F.relu(self.conv(s + h)))
        return s + h


class ConventionalBlock(nn.Module):
    """The report's three-stream unit: identity + single conv + residual/recurrent stack (6 convs)."""

    def __init__(self, in_ch: int, out_ch: int, t: int):
        super().__init__()
        self.identity = nn.Identity() if in_ch == out_ch else nn.Conv2d(in_ch, out_ch, 1)
        self.single = _ConvReluBN(in_ch, out_ch)
        self.stack = nn.Sequential(_ConvReluBN(in_ch, out_ch), *(_RecurrentResidual(out_ch, t) for _ in range(4)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.identity(x) + self.single(x) + self.stack(x)


class ResRUNetGenerator(UnitUNet):
    def __init__(self, in_channels: int = 1, out_channels: int = 2, ngf: int = 32, levels: int = 5, t: int = 2):
        super().__init__()
        if levels < 2:
            raise ValueError("levels must be at least 2")
        if t < 0:
            raise ValueError("t (recurrent steps) must be >= 0")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.multiple = 2 ** (levels - 1)
        widths = [ngf * min(2 ** i, 8) for i in range(levels)]
        self.down = nn.ModuleList(ConventionalBlock(in_channels if i == 0 else widths[i - 1], widths[i], t)
                                  for i in range(levels))
        self.up = nn.ModuleList(
            nn.Sequential(nn.ConvTranspose2d(widths[i + 1], widths[i], 4, stride=2, padding=1),
                          nn.ReLU(inplace=True), nn.BatchNorm2d(widths[i]))
            for i in range(levels - 1))
        self.up_units = nn.ModuleList(ConventionalBlock(2 * widths[i], widths[i], t) for i in range(levels - 1))
        self.head = nn.Sequential(nn.Conv2d(widths[0], out_channels, 1), nn.Tanh())
        init_weights(self)


@register_generator("resrunet")
def build_resrunet(in_channels: int = 1, out_channels: int = 2, ngf: int = 32, levels: int = 5,
                   t: int = 2) -> ResRUNetGenerator:
    return ResRUNetGenerator(in_channels, out_channels, ngf, levels, t)
