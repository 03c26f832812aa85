"""U-Net++ generator (Zhou et al. 2018, "UNet++: A Nested U-Net Architecture for Medical Image
Segmentation"), one of the generators seed 000 compares (000_412239bb7d6a5458.txt, 3.2.2).

Nodes X^{i,j}: level i works at 1/2^i resolution, j counts along the nested skip pathway.
X^{i,0} is the encoder (2x2 max-pool, then two 3x3 conv-BN-ReLU); every other node is the same
two-conv block over the concatenation of all the earlier nodes of its level and the upsampled
node below, X^{i,j} = H([X^{i,0}, ..., X^{i,j-1}, up(X^{i+1,j-1})]) (dense skip pathways).
Upsampling is bilinear, as in the authors' code.  The output is a 1x1 conv of X^{0,L} and tanh;
no deep supervision (the full model's one output is all we use).  Widths are ngf * 2^i; the
paper's model is ngf=32, levels=5 (9.2M parameters here, 1 -> 2 channels).

Parameter count (it does not depend on the input size, 256 px included): 0.90M (896,092) at the
recipe's ngf=10, levels=5 (train/configs/unetpp.yaml).
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from colorgan.models.blocks import Generator, init_weights
from colorgan.models.registry import register_generator


def _vgg_block(in_ch: int, out_ch: int) -> nn.Sequential:
    """Two 3x3 conv-BN-ReLU, the node function H of the paper."""
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=False), nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True),
        nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False), nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True))


class UNetPlusPlusGenerator(Generator):
    def __init__(self, in_channels: int = 1, out_channels: int = 2, ngf: int = 32, levels: int = 5):
        super().__init__()
        if levels < 2:
            raise ValueError("levels must be at least 2")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.levels = levels
        self.multiple = 2 ** (levels - 1)
        widths = [ngf * 2 ** i for i in range(levels)]
        # nodes[i][j] is X^{i,j}; level i has levels - i nodes.
        self.nodes = nn.ModuleList()
        for i in range(levels):
            row = nn.ModuleList([_vgg_block(in_channels if i == 0 else widths[i - 1], widths[i])])
            for j in range(1, levels - i):
                row.append(_vgg_block(widths[i] * j + widths[i + 1], widths[i]))
            self.nodes.append(row)
        self.head = nn.Sequential(nn.Conv2d(widths[0], out_channels, 1), nn.Tanh())
        init_weights(self)

    def forward_padded(self, x: torch.Tensor) -> torch.Tensor:
        grid: list[list[torch.Tensor]] = [[] for _ in range(self.levels)]
        # Walk the anti-diagonals as the paper does: each new encoder node X^{k,0} lets the
        # nodes X^{k-j,j} above it be computed.
        for k in range(self.levels):
            grid[k].append(self.nodes[k][0](x if k == 0 else F.max_pool2d(grid[k - 1][0], 2)))
            for j in range(1, k + 1):
                i = k - j
                below = F.interpolate(grid[i + 1][j - 1], scale_factor=2, mode="bilinear", align_corners=False)
                grid[i].append(self.nodes[i][j](torch.cat([*grid[i], below], dim=1)))
        return self.head(grid[0][-1])


@register_generator("unetpp")
def build_unetpp(in_channels: int = 1, out_channels: int = 2, ngf: int = 32, levels: int = 5) -> UNetPlusPlusGenerator:
    return UNetPlusPlusGenerator(in_channels, out_channels, ngf, levels)
