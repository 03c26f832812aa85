"""Pieces every architecture shares: the any-size wrapper, initialisation, norm choice."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class Generator(nn.Module):
    """Base class of every generator: luma Nx1xHxW in, chroma Nx2xHxW in [-1, 1] out, any H, W.

    Subclasses set ``multiple`` (the factor the body's downsampling needs) and implement
    ``forward_padded``.  The input is padded (replicate) up to that multiple and the output
    cropped back, so an odd 333x517 photo works as well as 256x256.
    """

    multiple: int = 1
    output_stride: int = 1      # the chroma's own resolution, as a fraction of the input's (effcolor: 1/4)
    in_channels: int = 1
    out_channels: int = 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        pad_h = (-height) % self.multiple
        pad_w = (-width) % self.multiple
        if pad_h or pad_w:
            x = F.pad(x, (0, pad_w, 0, pad_h), mode="replicate")
        out = self.forward_padded(x)
        return out[..., :height, :width]

    def forward_padded(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError


class UnitUNet(Generator):
    """A U-Net whose convolution unit is the architecture (R2U-Net, the seed 000 residual/recurrent U-Net).

    Subclasses build ``down`` (units, max-pooled between levels), ``up`` (upsamplers),
    ``up_units`` (units after each concatenated skip) and ``head``; the data flow is shared.
    """

    def forward_padded(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for i, unit in enumerate(self.down):
            x = unit(x if i == 0 else F.max_pool2d(x, 2))
            skips.append(x)
        for i in range(len(self.up) - 1, -1, -1):
            x = self.up_units[i](torch.cat([skips[i], self.up[i](x)], dim=1))
        return self.head(x)


def init_weights(net: nn.Module, std: float = 0.02) -> nn.Module:
    """pix2pix / DCGAN initialisation: conv weights N(0, 0.02), norm weights N(1, 0.02), biases 0."""
    for module in net.modules():
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(module.weight, 0.0, std)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, (nn.BatchNorm2d, nn.InstanceNorm2d)) and module.weight is not None:
            nn.init.normal_(module.weight, 1.0, std)
            nn.init.zeros_(module.bias)
    return net


def norm_layer(kind: str, channels: int) -> nn.Module:
    """'batch' (pix2pix default), 'instance' or 'none'."""
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown norm {kind!r}; use 'batch', 'instance' or 'none'")
