"""pix2pix U-Net generator (Isola et al. 2017), the architecture of seeds 000, 001 and 004.

Encoder: 4x4 stride-2 convolutions, LeakyReLU(0.2), batch norm; decoder: 4x4 stride-2
transposed convolutions, ReLU, batch norm, each fed the mirrored encoder output
(concatenated skip).  Dropout 0.5 in the innermost decoder levels, tanh output.
At ngf=64, depth=8 (the paper's 256 px model, 1 -> 2 channels) it has 54.4M parameters;
the shipped recipes use much narrower widths (see train/configs/unet.yaml).
"""

from __future__ import annotations

import torch
import torch.nn as nn

from colorgan.models.blocks import Generator, init_weights, norm_layer
from colorgan.models.registry import register_generator


def _up(in_ch: int, out_ch: int, mode: str) -> nn.Module:
    if mode == "transpose":
        return nn.ConvTranspose2d(in_ch, out_ch, 4, stride=2, padding=1)
    # Resize-convolution avoids checkerboard artefacts (Odena et al. 2016).
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
                         nn.Conv2d(in_ch, out_ch, 3, padding=1))


class UNetGenerator(Generator):
    def __init__(self, in_channels: int = 1, out_channels: int = 2, ngf: int = 64, depth: int = 8,
                 norm: str = "batch", dropout: float = 0.5, upsample: str = "transpose"):
        super().__init__()
        if depth < 2:
            raise ValueError("depth must be at least 2")
        if upsample not in ("transpose", "bilinear"):
            raise ValueError("upsample must be 'transpose' or 'bilinear'")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.multiple = 2 ** depth
        widths = [ngf * min(2 ** i, 8) for i in range(depth)]
        bias = norm != "batch"

        self.downs = nn.ModuleList([nn.Conv2d(in_channels, widths[0], 4, 2, 1, bias=bias)])
        for i in range(1, depth):
            innermost = i == depth - 1
            self.downs.append(nn.Sequential(
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(widths[i - 1], widths[i], 4, 2, 1, bias=bias),
                nn.Identity() if innermost else norm_layer(norm, widths[i])))

        self.ups = nn.ModuleList()
        for i in range(depth):
            outermost, innermost = i == 0, i == depth - 1
            in_ch = widths[i] if innermost else widths[i] * 2
            if outermost:
                self.ups.append(nn.Sequential(nn.ReLU(inplace=True), _up(in_ch, out_channels, upsample),
                                              nn.Tanh()))
                continue
            layers = [nn.ReLU(inplace=True), _up(in_ch, widths[i - 1], upsample), norm_layer(norm, widths[i - 1])]
            if dropout > 0 and 4 <= i < depth - 1:
                layers.append(nn.Dropout(dropout))
            self.ups.append(nn.Sequential(*layers))
        init_weights(self)

    def forward_padded(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for down in self.downs:
            x = down(x)
            skips.append(x)
        x = self.ups[-1](skips[-1])
        for i in range(len(self.ups) - 2, -1, -1):
            x = self.ups[i](torch.cat([x, skips[i]], dim=1))
        return x


@register_generator("unet")
def build_unet(in_channels: int = 1, out_channels: int = 2, ngf: int = 64, depth: int = 8,
               norm: str = "batch", dropout: float = 0.5, upsample: str = "transpose") -> UNetGenerator:
    return UNetGenerator(in_channels, out_channels, ngf, depth, norm, dropout, upsample)
