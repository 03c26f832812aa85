"""Noise-fed stride-1 generator in YUV, with its global conv + FC discriminator: seed 002.

Seed 002 (shared/seeds/002_ab3d3a6c7b29ba43.txt), after "Automatic Colorization with Deep
Convolutional GANs" (Koo) and the conditional GAN of arXiv:1702.06674, works in YUV: the
model sees Y and predicts U and V (its recipe sets ``model.color_space: yuv``).

Generator: a noise vector z (``noise_dim``, 100 in the report; uniform in [-1, 1]) is
projected by one linear layer to a ``grid`` x ``grid`` map and resized bilinearly to the image
size (the report projects straight to its fixed 64x64 images; the fixed grid lets any size
work).  Then six stride-1 convolutions, 128 k7, 64 k5, 64 k5, 64 k5, 64 k5, 32 k5 (at
``ngf=64``), each with batch norm and ReLU, and a final 5x5 convolution to U, V with a sigmoid
(the report tried tanh and kept sigmoid).  The Y channel is concatenated to the input of EVERY
layer and the noise map to the first three, as the report says.  The sigmoid s is mapped to
our normalised chroma as 2s - 1 (which equals tanh(x/2)), so outputs lie in [-1, 1].

Noise at inference: random only in training mode.  In eval mode z = 0, the mean of the
training noise: the first layers are linear in z before their norm, so this gives their
expected input; inference is reproducible and a saved/loaded model gives identical outputs
without storing any noise.  (The trade: eval mode gives one colouring per photo, not samples.)

Parameters (1 -> 2 channels): 0.62M at ngf=64, the report's widths and the shipped recipe
(train/configs/yuvgan.yaml): 0.59M of convolutions, independent of the image size, plus
25,856 in the noise projection, which depends only on noise_dim and grid (100 -> 16x16), not
on the image size.

Discriminator ``yuvgan_d``: four 5x5 stride-2 convolutions (64, 128, 256, 512 at ndf=64), batch
norm and LeakyReLU(0.2), then two fully connected layers to one logit (no activation at the
end: logits for the cross entropy, as the report says; a LeakyReLU between the two, without
which they would collapse to one linear map).  The report's 64 px images leave a 4x4 map after
four stride-2 layers; here that map is average-pooled to ``grid`` x ``grid`` (4x4) so any training
size works.  4.83M parameters at ndf=64, fc=64.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from colorgan.models.blocks import Generator, init_weights, norm_layer
from colorgan.models.registry import register_discriminator, register_generator


class YUVGANGenerator(Generator):
    def __init__(self, in_channels: int = 1, out_channels: int = 2, ngf: int = 64, noise_dim: int = 100,
                 grid: int = 16, norm: str = "batch"):
        super().__init__()
        if noise_dim < 1 or grid < 1:
            raise ValueError("noise_dim and grid must be at least 1")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.multiple = 1
        self.noise_dim, self.grid = noise_dim, grid
        self.project = nn.Linear(noise_dim, grid * grid)
        # (width, kernel, gets the noise map) for the report's six layers at ngf=64.
        plan = [(2 * ngf, 7, True), (ngf, 5, True), (ngf, 5, True), (ngf, 5, False), (ngf, 5, False),
                (max(1, ngf // 2), 5, False)]
        bias = norm != "batch"
        self.layers = nn.ModuleList()
        self.noisy = []
        width = 0
        for out_ch, kernel, noisy in plan:
            cin = width + in_channels + (1 if noisy else 0)
            self.layers.append(nn.Sequential(nn.Conv2d(cin, out_ch, kernel, 1, kernel // 2, bias=bias),
                                             norm_layer(norm, out_ch), nn.ReLU(inplace=True)))
            self.noisy.append(noisy)
            width = out_ch
        self.head = nn.Conv2d(width + in_channels, out_channels, 5, 1, 2)
        init_weights(self)

    def noise_map(self, y: torch.Tensor) -> torch.Tensor:
        """Nx1xHxW noise map: random z in training, z = 0 in eval mode (deterministic)."""
        n, _, height, width = y.shape
        if self.training:
            z = torch.rand(n, self.noise_dim, device=y.device, dtype=y.dtype) * 2 - 1
        else:
            z = torch.zeros(n, self.noise_dim, device=y.device, dtype=y.dtype)
        small = self.project(z).view(n, 1, self.grid, self.grid)
        return F.interpolate(small, size=(height, width), mode="bilinear", align_corners=False)

    def forward_padded(self, y: torch.Tensor) -> torch.Tensor:
        noise = self.noise_map(y)
        x = None
        for layer, noisy in zip(self.layers, self.noisy):
            parts = ([] if x is None else [x]) + [y] + ([noise] if noisy else [])
            x = layer(torch.cat(parts, dim=1))
        return 2 * torch.sigmoid(self.head(torch.cat([x, y], dim=1))) - 1


@register_generator("yuvgan")
def build_yuvgan(in_channels: int = 1, out_channels: int = 2, ngf: int = 64, noise_dim: int = 100,
                 grid: int = 16, norm: str = "batch") -> YUVGANGenerator:
    return YUVGANGenerator(in_channels, out_channels, ngf, noise_dim, grid, norm)


class YUVGANDiscriminator(nn.Module):
    def __init__(self, in_channels: int = 3, ndf: int = 64, fc: int = 64, grid: int = 4, norm: str = "batch"):
        super().__init__()
        bias = norm != "batch"
        layers: list[nn.Module] = []
        width = in_channels
        for n in range(4):
            out_ch = ndf * 2 ** n
            layers += [nn.Conv2d(width, out_ch, 5, 2, 2, bias=bias), norm_layer(norm, out_ch),
                       nn.LeakyReLU(0.2, True)]
            width = out_ch
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(grid)
        self.fc = nn.Sequential(nn.Linear(width * grid * grid, fc), nn.LeakyReLU(0.2, True), nn.Linear(fc, 1))
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


@register_discriminator("yuvgan_d")
def build_yuvgan_d(in_channels: int = 3, ndf: int = 64, fc: int = 64, grid: int = 4,
                   norm: str = "batch") -> YUVGANDiscriminator:
    return YUVGANDiscriminator(in_channels, ndf, fc, grid, norm)
