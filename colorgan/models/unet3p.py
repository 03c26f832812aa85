"""U-Net 3+ generator (Huang et al. 2020, "UNet 3+: A Full-Scale Connected UNet for Medical Image
Segmentation"), one of the generators seed 000 compares (000_412239bb7d6a5458.txt, 3.2.3).

Encoder: a U-Net encoder (two 3x3 conv-BN-ReLU per level, 2x2 max-pool between), widths
ngf * 2^i.  Full-scale skip connections: every decoder node X_De^i takes every scale, namely
the shallower encoder maps max-pooled down to its size, the encoder map of its own level, and
all deeper decoder nodes (the bottom one being the deepest encoder map) bilinearly upsampled;
each goes through its own 3x3 conv-BN-ReLU to ``cat_channels``, the ``levels`` results are
concatenated and fused by one 3x3 conv-BN-ReLU.  The output is a 3x3 conv of X_De^0 and tanh.
No classification-guided module and no deep supervision (segmentation devices that a
colouriser does not need).  The paper's model is ngf=64, levels=5, cat_channels=64 (27.0M
parameters here, 1 -> 2 channels).

Parameter count (it does not depend on the input size, 256 px included): 0.95M (951,014) at the
recipe's ngf=12, levels=5, cat_channels=12 (train/configs/unet3p.yaml).
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from colorgan.models.blocks import Generator, init_weights
from colorgan.models.registry import register_generator


def _cbr(in_ch: int, out_ch: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=False), nn.BatchNorm2d(out_ch),
                         nn.ReLU(inplace=True))


class UNet3PlusGenerator(Generator):
    def __init__(self, in_channels: int = 1, out_channels: int = 2, ngf: int = 64, levels: int = 5,
                 cat_channels: int | None = None):
        super().__init__()
        if levels < 2:
            raise ValueError("levels must be at least 2")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.levels = levels
        self.multiple = 2 ** (levels - 1)
        widths = [ngf * 2 ** i for i in range(levels)]
        cat = cat_channels or ngf
        up = cat * levels
        self.encoder = nn.ModuleList(
            nn.Sequential(_cbr(in_channels if i == 0 else widths[i - 1], widths[i]), _cbr(widths[i], widths[i]))
            for i in range(levels))
        # decoder[i] for i = levels-2 .. 0 (stored by level): one 3x3 conv per source scale j, then fusion.
        self.skips = nn.ModuleList()
        self.fuse = nn.ModuleList()
        for i in range(levels - 1):
            sources = [widths[j] for j in range(i + 1)]                       # encoder, same or shallower
            sources += [up] * (levels - 2 - i) + [widths[-1]]                  # deeper decoders, bottom encoder
            self.skips.append(nn.ModuleList(_cbr(ch, cat) for ch in sources))
            self.fuse.append(_cbr(up, up))
        self.head = nn.Sequential(nn.Conv2d(up, out_channels, 3, padding=1), nn.Tanh())
        init_weights(self)

    def forward_padded(self, x: torch.Tensor) -> torch.Tensor:
        enc = []
        for i, block in enumerate(self.encoder):
            x = block(x if i == 0 else F.max_pool2d(x, 2))
            enc.append(x)
        dec = {self.levels - 1: enc[-1]}
        for i in range(self.levels - 2, -1, -1):
            parts = []
            for j, conv in enumerate(self.skips[i]):
                if j < i:
                    source = F.max_pool2d(enc[j], 2 ** (i - j))
                elif j == i:
                    source = enc[i]
                else:
                    source = F.interpolate(dec[j], scale_factor=2 ** (j - i), mode="bilinear", align_corners=False)
                parts.append(conv(source))
            dec[i] = self.fuse[i](torch.cat(parts, dim=1))
        return self.head(dec[0])


@register_generator("unet3p")
def build_unet3p(in_channels: int = 1, out_channels: int = 2, ngf: int = 64, levels: int = 5,
                 cat_channels: int | None = None) -> UNet3PlusGenerator:
    """``cat_channels`` (the width of each full-scale skip) defaults to ``ngf``, as in the paper."""
    return UNet3PlusGenerator(in_channels, out_channels, ngf, levels, cat_channels)
