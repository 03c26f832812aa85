"""The all-stride-1 convolutional encoder-decoder of seed 004, trained by regression alone.

Seed 004 (shared/seeds/004_c71e6dae41e610a8.txt) builds this "baseline network" before its
GAN (after Nazeri et al., "Image Colorization using Generative Adversarial Networks",
arXiv:1803.05400, whose baseline is a regression-only network): its listing has no pooling
and no stride, only unpadded ("valid") convolutions that shrink the map and transposed
convolutions that grow it back, with earlier feature maps concatenated on the way up.

Encoder, three stages of (5x5, 3x3, 3x3) valid convolutions, each shrinking the map by 8 px:
16-32-32, 32-64-64, 64-128-128 channels at ngf=16 (the report's widths); a padded 3x3
bottleneck (128, tanh) concatenated with the last stage; decoder, three stages of (3x3, 3x3,
5x5) valid transposed convolutions mirroring them (128-128-64, 64-64-32, 32-32-out), each
stage's output concatenated with the mirrored encoder stage.  Because every shrink is undone
exactly, the output has the input's size with no padding (inputs under 25 px, which the
encoder would consume entirely, are replicate-padded first).  The report's listing has
LeakyReLU in the encoder and ReLU in the decoder; its text adds batch norm after each
convolution and a LeakyReLU slope of 0.2, which are kept here (``norm="none"`` gives the bare
listing).  The last layer is tanh to two chroma channels instead of ReLU to three Lab ones.

Trained with L2 (the report's choice; it names L2 as the cause of its "sepia" results) and no
discriminator: the reference for what the adversarial loss adds.

Parameters (1 -> 2 channels): 1.41M at ngf=16 (the report's widths); 0.79M at ngf=12, the
shipped recipe (train/configs/baseline.yaml).  Independent of the image size.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from colorgan.models.blocks import Generator, init_weights, norm_layer
from colorgan.models.registry import register_generator

_KERNELS = (5, 3, 3)
_SHRINK = 3 * sum(k - 1 for k in _KERNELS)  # 24 px over the three encoder stages


class BaselineGenerator(Generator):
    def __init__(self, in_channels: int = 1, out_channels: int = 2, ngf: int = 16, norm: str = "batch"):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.multiple = 1
        bias = norm != "batch"

        def conv(cin, cout, k):
            return [nn.Conv2d(cin, cout, k, bias=bias), norm_layer(norm, cout), nn.LeakyReLU(0.2, inplace=True)]

        def up(cin, cout, k):
            return [nn.ConvTranspose2d(cin, cout, k, bias=bias), norm_layer(norm, cout), nn.ReLU(inplace=True)]

        w = [ngf, 2 * ngf, 4 * ngf, 8 * ngf]
        self.enc = nn.ModuleList([
            nn.Sequential(*conv(in_channels, w[0], 5), *conv(w[0], w[1], 3), *conv(w[1], w[1], 3)),
            nn.Sequential(*conv(w[1], w[1], 5), *conv(w[1], w[2], 3), *conv(w[2], w[2], 3)),
            nn.Sequential(*conv(w[2], w[2], 5), *conv(w[2], w[3], 3), *conv(w[3], w[3], 3)),
        ])
        self.bottleneck = nn.Sequential(nn.Conv2d(w[3], w[3], 3, padding=1, bias=bias), norm_layer(norm, w[3]),
                                        nn.Tanh())
        self.dec = nn.ModuleList([
            nn.Sequential(*up(2 * w[3], w[3], 3), *up(w[3], w[3], 3), *up(w[3], w[2], 5)),
            nn.Sequential(*up(2 * w[2], w[2], 3), *up(w[2], w[2], 3), *up(w[2], w[1], 5)),
            nn.Sequential(*up(2 * w[1], w[1], 3), *up(w[1], w[1], 3),
                          nn.ConvTranspose2d(w[1], out_channels, 5), nn.Tanh()),
        ])
        init_weights(self)

    def forward_padded(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        short_h, short_w = max(0, _SHRINK + 1 - height), max(0, _SHRINK + 1 - width)
        if short_h or short_w:
            x = F.pad(x, (0, short_w, 0, short_h), mode="replicate")
        skips = []
        for stage in self.enc:
            x = stage(x)
            skips.append(x)
        x = self.bottleneck(x)
        for stage, skip in zip(self.dec, reversed(skips)):
            x = stage(torch.cat([x, skip], dim=1))
        return x[..., :height, :width]


@register_generator("baseline")
def build_baseline(in_channels: int = 1, out_channels: int = 2, ngf: int = 16,
                   norm: str = "batch") -> BaselineGenerator:
    return BaselineGenerator(in_channels, out_channels, ngf, norm)
