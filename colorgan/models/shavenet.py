"""Encoder-decoder with five "shave" residual blocks: the generator of seed 003.

Seed 003 (shared/seeds/003_75e0ae1d360d358e.txt) adds five residual blocks of two unpadded
3x3 convolutions (128 channels, BN, ReLU) whose identity path is cropped by 2 px a side
(``shave_block(2)``) to the encoder-decoder of its generator, without giving the encoder's
layers.  That block, the 128-channel width and the count of five are those of the image
transformation network of Johnson et al., "Perceptual Losses for Real-Time Style Transfer and
Super-Resolution" (ECCV 2016), so the encoder and decoder follow that network: a 9x9 stride-1
convolution (ngf), two 3x3 stride-2 convolutions (2ngf, 4ngf), the blocks at 1/4 resolution,
two x2 upsamplings (2ngf, ngf; transposed convolutions as Johnson's, or bilinear + conv) and a
9x9 stride-1 convolution to the two chroma channels, tanh.  Johnson reflection-pads the input
by 40 px so that the shaved borders are gone by the end; here the bottleneck is
reflection-padded by the total shave (5 blocks x 2 px = 10 px a side) instead: the blocks see
the same sizes, the encoder and decoder skip the padded border, and the output keeps the
input size.

Parameters (1 -> 2 channels): 1.67M at ngf=32 (the report's 128-channel blocks, the builder
default); 0.94M at ngf=24, the shipped recipe (train/configs/shavenet.yaml).  Independent of
the image size (fully convolutional).
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from colorgan.models.blocks import Generator, init_weights, norm_layer
from colorgan.models.registry import register_generator


class ShaveBlock(nn.Module):
    """Residual block with valid (unpadded) 3x3 convs; the identity is shaved by 2 px a side."""

    shave = 2

    def __init__(self, channels: int, norm: str = "batch"):
        super().__init__()
        bias = norm != "batch"
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, bias=bias), norm_layer(norm, channels), nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 3, bias=bias), norm_layer(norm, channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.shave
        return x[..., s:-s, s:-s] + self.body(x)


def reflect_pad(x: torch.Tensor, pad: int) -> torch.Tensor:
    """Reflection-pad every side by ``pad``, in steps when the map is smaller than the pad
    (tiny inputs: reflection needs pad < size), so any input size works."""
    while pad > 0:
        step = min(pad, x.shape[-2] - 1, x.shape[-1] - 1)
        if step < 1:  # a 1-pixel map has nothing to reflect
            return F.pad(x, (pad,) * 4, mode="replicate")
        x = F.pad(x, (step,) * 4, mode="reflect")
        pad -= step
    return x


def _up(in_ch: int, out_ch: int, mode: str) -> nn.Module:
    if mode == "transpose":  # Johnson's fractionally strided convolution
        return nn.ConvTranspose2d(in_ch, out_ch, 3, stride=2, padding=1, output_padding=1)
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
                         nn.Conv2d(in_ch, out_ch, 3, padding=1))


class ShaveNetGenerator(Generator):
    def __init__(self, in_channels: int = 1, out_channels: int = 2, ngf: int = 32, n_blocks: int = 5,
                 norm: str = "batch", upsample: str = "transpose"):
        super().__init__()
        if n_blocks < 0:
            raise ValueError("n_blocks must be >= 0")
        if upsample not in ("transpose", "bilinear"):
            raise ValueError("upsample must be 'transpose' or 'bilinear'")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.multiple = 4
        self.pad = n_blocks * ShaveBlock.shave
        bias = norm != "batch"

        def conv(cin, cout, k, stride):
            return [nn.Conv2d(cin, cout, k, stride, k // 2, bias=bias),
                    norm_layer(norm, cout), nn.ReLU(inplace=True)]

        self.encoder = nn.Sequential(*conv(in_channels, ngf, 9, 1), *conv(ngf, 2 * ngf, 3, 2),
                                     *conv(2 * ngf, 4 * ngf, 3, 2))
        self.blocks = nn.Sequential(*[ShaveBlock(4 * ngf, norm) for _ in range(n_blocks)])
        self.decoder = nn.Sequential(
            _up(4 * ngf, 2 * ngf, upsample), norm_layer(norm, 2 * ngf), nn.ReLU(inplace=True),
            _up(2 * ngf, ngf, upsample), norm_layer(norm, ngf), nn.ReLU(inplace=True),
            nn.Conv2d(ngf, out_channels, 9, 1, 4), nn.Tanh())
        init_weights(self)

    def forward_padded(self, x: torch.Tensor) -> torch.Tensor:
        x = self.encoder(x)
        x = self.blocks(reflect_pad(x, self.pad))
        return self.decoder(x)


@register_generator("shavenet")
def build_shavenet(in_channels: int = 1, out_channels: int = 2, ngf: int = 32, n_blocks: int = 5,
                   norm: str = "batch", upsample: str = "transpose") -> ShaveNetGenerator:
    return ShaveNetGenerator(in_channels, out_channels, ngf, n_blocks, norm, upsample)
