"""LinkNet generator (Chaurasia & Culurciello 2017, "LinkNet: Exploiting Encoder Representations for
Efficient Semantic Segmentation"), one of the generators seed 000 compares
(000_412239bb7d6a5458.txt, 3.2.4: "replace the concatenation with the addition in U-Net").

Initial block: 7x7 stride-2 conv-BN-ReLU and 3x3 stride-2 max-pool.  Encoder block i (widths
ngf * 2^i): two ResNet basic blocks, the first one strided (/2, 1x1 projection shortcut).
Decoder block (m -> n): 1x1 conv m -> m/4, 3x3 stride-2 transposed conv (x2), 1x1 conv m/4 -> n,
each with BN and ReLU; its output is ADDED to the input of the matching encoder block (no
concatenation: that is the point of LinkNet).  Final block: 3x3 transposed conv (x2) to ngf/2,
3x3 conv, 2x2 transposed conv (x2), tanh.  As in the paper's figure every encoder block halves
the size, so the body needs a multiple of 2^(levels+2).  The paper's model is ngf=64, levels=4
(11.5M parameters here, 1 -> 2 channels).

One addition (``input_link=True``, the default; False gives the paper's final block exactly):
the paper's rule "the input of each encoder block is added to the output of its decoder block"
is extended to the initial block, whose input is the photo itself.  The luma goes through a 3x3
conv-BN (a linear shortcut, like a ResNet projection) and is added to the full-resolution
features of the last transposed conv (here with 2x2 -> ngf/2 channels, BN, ReLU), and a 1x1 conv
gives the chroma.  Without it every output pixel is decoded from 1/4-resolution features only
(the initial block's max-pool discards the rest): on the tests' pixel-exact toy task 30 Adam
steps lowered L1 by 5% instead of 29% (ngf=8, levels=3).

Parameter count (it does not depend on the input size, 256 px included): 1.13M (1,129,857) at
the recipe's ngf=20, levels=4, input_link=True (train/configs/linknet.yaml).
"""

from __future__ import annotations

import torch
import torch.nn as nn

from colorgan.models.blocks import Generator, init_weights
from colorgan.models.registry import register_generator


def _cbr(in_ch: int, out_ch: int, kernel: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_ch, out_ch, kernel, stride, kernel // 2, bias=False), nn.BatchNorm2d(out_ch),
                         nn.ReLU(inplace=True))


class _BasicBlock(nn.Module):
    """ResNet-18 basic block: two 3x3 convs, identity (or 1x1 projection) shortcut, add, ReLU."""

    def __init__(self, in_ch: int, out_ch: int, stride: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(in_ch, out_ch, 3, stride, 1, bias=False), nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True),
            nn.Conv2d(out_ch, out_ch, 3, 1, 1, bias=False), nn.BatchNorm2d(out_ch))
        self.shortcut = nn.Identity()
        if stride != 1 or in_ch != out_ch:
            self.shortcut = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride, bias=False), nn.BatchNorm2d(out_ch))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.shortcut(x))


def _decoder_block(in_ch: int, out_ch: int) -> nn.Sequential:
    mid = max(1, in_ch // 4)
    return nn.Sequential(
        _cbr(in_ch, mid, 1),
        nn.ConvTranspose2d(mid, mid, 3, stride=2, padding=1, output_padding=1, bias=False),
        nn.BatchNorm2d(mid), nn.ReLU(inplace=True),
        _cbr(mid, out_ch, 1))


class LinkNetGenerator(Generator):
    def __init__(self, in_channels: int = 1, out_channels: int = 2, ngf: int = 64, levels: int = 4,
                 input_link: bool = True):
        super().__init__()
        if levels < 1:
            raise ValueError("levels must be at least 1")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.multiple = 2 ** (levels + 2)
        widths = [ngf * 2 ** i for i in range(levels)]
        self.initial = nn.Sequential(_cbr(in_channels, ngf, 7, 2), nn.MaxPool2d(3, 2, 1))
        self.encoder = nn.ModuleList(
            nn.Sequential(_BasicBlock(ngf if i == 0 else widths[i - 1], widths[i], 2),
                          _BasicBlock(widths[i], widths[i], 1))
            for i in range(levels))
        self.decoder = nn.ModuleList(_decoder_block(widths[i], ngf if i == 0 else widths[i - 1])
                                     for i in range(levels))
        half = max(1, ngf // 2)
        self.final = nn.Sequential(
            nn.ConvTranspose2d(ngf, half, 3, stride=2, padding=1, output_padding=1, bias=False),
            nn.BatchNorm2d(half), nn.ReLU(inplace=True),
            _cbr(half, half, 3))
        # Full-resolution link (see the module docstring): conv-BN, a linear shortcut like a
        # ResNet projection, added to the full-resolution decoder features.
        self.input_link = nn.Sequential(nn.Conv2d(in_channels, half, 3, padding=1, bias=False),
                                        nn.BatchNorm2d(half)) if input_link else None
        if input_link:
            self.last = nn.Sequential(
                nn.ConvTranspose2d(half, half, 2, stride=2, bias=False), nn.BatchNorm2d(half), nn.ReLU(inplace=True))
            self.head = nn.Sequential(nn.Conv2d(half, out_channels, 1), nn.Tanh())
        else:
            self.last = nn.ConvTranspose2d(half, out_channels, 2, stride=2)
            self.head = nn.Tanh()
        init_weights(self)

    def forward_padded(self, x: torch.Tensor) -> torch.Tensor:
        image = x
        x = self.initial(x)
        skips = [x]
        for block in self.encoder:
            skips.append(block(skips[-1]))
        y = skips.pop()
        for i in range(len(self.decoder) - 1, -1, -1):
            y = self.decoder[i](y) + skips[i]
        y = self.last(self.final(y))
        if self.input_link is not None:
            y = y + self.input_link(image)
        return self.head(y)


@register_generator("linknet")
def build_linknet(in_channels: int = 1, out_channels: int = 2, ngf: int = 64, levels: int = 4,
                  input_link: bool = True) -> LinkNetGenerator:
    """``input_link=False`` is the paper's final block exactly (no full-resolution link)."""
    return LinkNetGenerator(in_channels, out_channels, ngf, levels, input_link)
