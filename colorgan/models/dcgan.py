"""Global DCGAN discriminator: one real/fake logit per image, the pairing of seed 003.

Seed 003 (shared/seeds/003_75e0ae1d360d358e.txt) pairs its shave-block generator with "a CNN
that was used in Deep Convolutional GAN" (Radford et al. 2016, arXiv:1511.06434) and makes it
deliberately "less powerful" because its discriminator otherwise won too quickly.  DCGAN
rules: 4x4 stride-2 convolutions, batch norm on all but the first, LeakyReLU(0.2), then a fully
connected layer to one logit.  To take any training size the last map is average-pooled to a
fixed ``grid`` x ``grid`` before the fully connected layer (at 64 px with 3 layers that pooling
is the identity, as in DCGAN).  Weaker than the PatchGAN by design: 3 conv layers instead of 4
and one global decision instead of 30x30 patch decisions; 0.66M parameters at ndf=64 against
PatchGAN's 2.77M.  Outputs an Nx1 logit.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from colorgan.models.blocks import init_weights, norm_layer
from colorgan.models.registry import register_discriminator


class DCGANDiscriminator(nn.Module):
    def __init__(self, in_channels: int = 3, ndf: int = 64, n_layers: int = 3, norm: str = "batch",
                 grid: int = 4):
        super().__init__()
        if n_layers < 1 or grid < 1:
            raise ValueError("n_layers and grid must be at least 1")
        bias = norm != "batch"
        layers: list[nn.Module] = [nn.Conv2d(in_channels, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        width = ndf
        for n in range(1, n_layers):
            next_width = ndf * min(2 ** n, 8)
            layers += [nn.Conv2d(width, next_width, 4, 2, 1, bias=bias), norm_layer(norm, next_width),
                       nn.LeakyReLU(0.2, True)]
            width = next_width
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(grid)
        self.fc = nn.Linear(width * grid * grid, 1)
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


@register_discriminator("dcgan")
def build_dcgan(in_channels: int = 3, ndf: int = 64, n_layers: int = 3, norm: str = "batch",
                grid: int = 4) -> DCGANDiscriminator:
    return DCGANDiscriminator(in_channels, ndf, n_layers, norm, grid)
