"""PatchGAN discriminator (pix2pix): classifies overlapping 70x70 patches as real or fake.

Sees the luma and the chroma together (3 channels), so it judges whether the colours fit
the picture.  n_layers=3 gives the 70x70 receptive field of the paper; 2.77M parameters at
ndf=64.  Outputs logits, one per patch.
"""

from __future__ import annotations

import torch.nn as nn

from colorgan.models.blocks import init_weights, norm_layer
from colorgan.models.registry import register_discriminator


class PatchGANDiscriminator(nn.Module):
    def __init__(self, in_channels: int = 3, ndf: int = 64, n_layers: int = 3, norm: str = "batch"):
        super().__init__()
        bias = norm != "batch"
        layers: list[nn.Module] = [nn.Conv2d(in_channels, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        width = ndf
        for n in range(1, n_layers + 1):
            stride = 2 if n < n_layers else 1
            next_width = ndf * min(2 ** n, 8)
            layers += [nn.Conv2d(width, next_width, 4, stride, 1, bias=bias),
                       norm_layer(norm, next_width), nn.LeakyReLU(0.2, True)]
            width = next_width
        layers.append(nn.Conv2d(width, 1, 4, 1, 1))
        self.net = nn.Sequential(*layers)
        init_weights(self)

    def forward(self, x):
        return self.net(x)


def receptive_field(n_layers: int) -> int:
    """Pixels seen by one output logit: n_layers stride-2 4x4 convs, then two stride-1 (70 for 3)."""
    field = 1
    for stride in reversed([2] * n_layers + [1, 1]):
        field = (field - 1) * stride + 4
    return field


@register_discriminator("patchgan")
def build_patchgan(in_channels: int = 3, ndf: int = 64, n_layers: int = 3, norm: str = "batch"):
    return PatchGANDiscriminator(in_channels, ndf, n_layers, norm)
