"""The recommended model: a distribution over ab colours from the full ImageNet Lite0 encoder, with hints.

What: the whole EfficientNet-Lite0 feature encoder (to /32: 16, 24, 40, 112, 320 channels at
/2 .. /32, colorgan/models/efficientnet_lite.py) and a U-Net decoder that climbs from /32 to /4
(a 3x3 bottleneck at /32, then at /16, /8 and /4: bilinear x2, concatenate the encoder's skip,
two 3x3 conv-BN-ReLU).  The head is a 1x1 conv at /4:

* ``head="bins"`` (the recipe): logits over the ab bins of colorgan/ab_bins.py (Zhang et al.
  2016).  ``forward`` turns them into ab by the annealed mean at ``temperature`` and upsamples
  to the input size, so the model keeps every generator's contract (luma in, chroma in
  [-1, 1] out); ``logits`` gives the distribution itself (training, uncertainty, suggested
  colours).
* ``head="ab"``: two channels, tanh, upsampled: the same network as a regression model, for
  the L1 and L1 + GAN rows of the objective comparison (docs/results.md).

Hints (Zhang et al. 2017, "Real-Time User-Guided Image Colorization"): with ``hints=True`` the
model also takes, at input size, the ab of each hint patch (/110, zero elsewhere) and a mask
of where hints are, as 3 channels (a*mask, b*mask, mask).  They are average-pooled to every
decoder scale and concatenated there, not fed to the encoder: the encoder stays exactly the
ImageNet network (so it can be frozen, and its features cached), while the decoder, whose
receptive field at /32 covers the whole picture, learns to spread a hint over the region it
belongs to (``hint_pooling``: how the hints reach the coarse scales, see :func:`pool_hints`).  With no hints (all zero) it is the automatic model, so one checkpoint serves both.

Why the full encoder: a third of the photos users bring show people, and skin, clothes and
sky need the encoder's deepest, most semantic features; the /32 stage holds 2.26M of the
encoder's 2.96M weights (4.36M with the decoder).  Why a distribution: see colorgan/ab_bins.py
(regression averages the plausible colours of a pixel into sepia).

Frozen encoder: ``freeze_encoder=True`` trains the decoder only (encoder weights and BN
statistics stay ImageNet's: 400 photos cannot improve them, and the encoder's backward pass is
5/6 of the training cost on a CPU).  ``pretrained=True`` loads the ImageNet weights (training
only; a checkpoint carries all of its weights).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from colorgan import ab_bins
from colorgan.color import AB_SCALE
from colorgan.models.blocks import Generator, init_weights
from colorgan.models.efficientnet_lite import SKIP_CHANNELS, EfficientNetLite0Encoder, load_imagenet_weights
from colorgan.models.registry import register_generator

HINT_CHANNELS = 3   # a * mask, b * mask (normalised by 110), mask
HEADS = ("bins", "ab")
HINT_POOLINGS = ("mean", "max")


def pool_hints(hints: torch.Tensor, size, pooling: str) -> torch.Tensor:
    """Hint channels at a decoder scale.

    "mean": the average of (a*mask, b*mask, mask) over each cell, so a 5 px hint is 2% of a /32
    cell: the deep, wide-reaching layers barely see it (the first recipe; its checkpoints keep it).
    "max": each cell holds the mean colour of the hints inside it at full strength and a mask of 1
    if it holds any, so every scale sees every hint and the deep layers can spread it over the
    region it belongs to.
    """
    if pooling == "mean":
        return F.adaptive_avg_pool2d(hints, size)
    mask = hints[:, 2:3]
    share = F.adaptive_avg_pool2d(mask, size)
    colour = F.adaptive_avg_pool2d(hints[:, :2] * mask, size) / share.clamp_min(1e-6)
    present = (F.adaptive_max_pool2d(mask, size) > 0).to(hints.dtype)
    return torch.cat([colour * present, present], dim=1)


def _conv_bn_relu(in_ch: int, out_ch: int) -> list[nn.Module]:
    return [nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=False), nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True)]


class UpBlock(nn.Module):
    """Bilinear x2, concatenate the skip (and the pooled hints), two 3x3 conv-BN-ReLU."""

    def __init__(self, in_ch: int, skip_ch: int, out_ch: int):
        super().__init__()
        self.convs = nn.Sequential(*_conv_bn_relu(in_ch + skip_ch, out_ch), *_conv_bn_relu(out_ch, out_ch))

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.convs(torch.cat([x, skip], dim=1))


class EffColorGenerator(Generator):
    multiple = 32
    output_stride = 4
    # Kept float16 in int8 checkpoints (colorgan/checkpoints.py): the encoder's stem and first six
    # blocks (84K weights).  Their int8 rounding error passes through the whole encoder: with
    # them int8 the validation CIEDE2000 was 10.48 against 10.34 for float16, with them float16 10.35.
    float16_in_int8 = ("encoder._conv_stem.", *(f"encoder._blocks.{i}." for i in range(6)))

    def __init__(self, decoder_widths: tuple[int, ...] | list[int] = (192, 128, 96, 64), head: str = "bins",
                 hints: bool = True, temperature: float = ab_bins.PAPER_TEMPERATURE, pretrained: bool = False,
                 freeze_encoder: bool = True, class_weights: list[float] | None = None,
                 prior_correction: float = 0.0, hint_pooling: str = "mean"):
        super().__init__()
        if hint_pooling not in HINT_POOLINGS:
            raise ValueError(f"hint_pooling must be one of {HINT_POOLINGS}, got {hint_pooling!r}")
        self.hint_pooling = hint_pooling
        widths = [int(w) for w in decoder_widths]
        if len(widths) != 4 or min(widths) < 1:
            raise ValueError("decoder_widths are 4 positive channel counts: /32 bottleneck, /16, /8, /4")
        if head not in HEADS:
            raise ValueError(f"head must be one of {HEADS}, got {head!r}")
        if not 0 < float(temperature) <= 10:
            raise ValueError(f"temperature must be in (0, 10], got {temperature}")
        self.head_kind, self.takes_hints, self.temperature = head, bool(hints), float(temperature)
        self.predicts_distribution = head == "bins"
        # Class rebalancing makes the network favour rare (vivid) bins; decoding can take part of
        # that back: logits - prior_correction * log(weight), 0 = Zhang's decoding, 1 = the
        # unbiased posterior.  The weights come from training (set_class_weights) and are kept in
        # the checkpoint's config, not its tensors.
        if not 0.0 <= float(prior_correction) <= 1.0:
            raise ValueError(f"prior_correction must be in [0, 1], got {prior_correction}")
        self.prior_correction = float(prior_correction)
        self.register_buffer("log_class_weights", torch.zeros(0), persistent=False)
        self.in_channels = 1
        self.out_channels = 2
        extra = HINT_CHANNELS if self.takes_hints else 0
        self.encoder = EfficientNetLite0Encoder(5)
        skips = SKIP_CHANNELS   # 16, 24, 40, 112, 320 at /2 .. /32
        self.bottleneck = nn.Sequential(*_conv_bn_relu(skips[4] + extra, widths[0]))
        self.up16 = UpBlock(widths[0], skips[3] + extra, widths[1])
        self.up8 = UpBlock(widths[1], skips[2] + extra, widths[2])
        self.up4 = UpBlock(widths[2], skips[1] + extra, widths[3])
        self.head = nn.Conv2d(widths[3], ab_bins.bin_count() if self.predicts_distribution else 2, 1)
        init_weights(nn.ModuleList([self.bottleneck, self.up16, self.up8, self.up4, self.head]))
        if pretrained:
            load_imagenet_weights(self.encoder)
        self.freeze_encoder = bool(freeze_encoder)
        if self.freeze_encoder:
            self.encoder.requires_grad_(False)
        if class_weights is not None:
            self.set_class_weights(class_weights)
        self.train()

    def train(self, mode: bool = True) -> "EffColorGenerator":
        super().train(mode)
        if self.freeze_encoder:   # ImageNet BN statistics are kept, at any batch size
            self.encoder.eval()
        return self

    def set_class_weights(self, weights) -> None:
        """The rebalancing weights the network was trained with (one per ab bin)."""
        if isinstance(weights, torch.Tensor):
            weights = weights.detach().cpu().numpy()
        try:   # checked in numpy: the model may be built on the meta device
            weights = np.asarray(weights, dtype=np.float64).ravel()
        except (TypeError, ValueError):
            weights = np.zeros(0)
        if not self.predicts_distribution or weights.size != ab_bins.bin_count() or not np.all(weights > 0):
            raise ValueError(f"class_weights must be {ab_bins.bin_count()} positive numbers for a bins head")
        self.log_class_weights = torch.tensor(np.log(weights), dtype=torch.float32,
                                              device=self.log_class_weights.device)

    def learned_kwargs(self) -> dict:
        """Constructor arguments that training decided (saved in the checkpoint's config)."""
        if self.log_class_weights.numel():
            return {"class_weights": [round(float(w), 5) for w in self.log_class_weights.exp()]}
        return {}

    # ------------------------------------------------------------------ the network
    def tune_encoder_tail(self, blocks: int) -> list[nn.Parameter]:
        """Let the last ``blocks`` MBConv blocks of a frozen encoder learn (their batch norm keeps its
        ImageNet statistics); returns their parameters, for an optimizer group of their own.

        The deep blocks work at /16 and /32, so their backward pass is cheap, and they are the
        semantic ones that can adapt to gray input; the early, costly blocks stay frozen.
        """
        blocks = max(0, min(int(blocks), len(self.encoder._blocks)))
        self.tuned_blocks = blocks
        tail = [p for block in self.encoder._blocks[len(self.encoder._blocks) - blocks:] for p in block.parameters()]
        for parameter in tail:
            parameter.requires_grad_(True)
        return tail

    tuned_blocks = 0

    def _features(self, x: torch.Tensor) -> list[torch.Tensor]:
        rgb = ((x.expand(-1, 3, -1, -1) + 1) * 127.5 - 127.0) / 128.0   # TF Lite normalisation
        if self.freeze_encoder:
            if self.tuned_blocks and torch.is_grad_enabled():
                return self.encoder(rgb, grad_from=len(self.encoder._blocks) - self.tuned_blocks)
            with torch.no_grad():
                return self.encoder(rgb)
        return self.encoder(rgb)

    def _decode(self, features: list[torch.Tensor], hints: torch.Tensor | None) -> torch.Tensor:
        def with_hints(feature: torch.Tensor) -> torch.Tensor:
            if not self.takes_hints:
                return feature
            if hints is None:
                pooled = feature.new_zeros(feature.shape[0], HINT_CHANNELS, *feature.shape[-2:])
            else:
                pooled = pool_hints(hints.to(feature.dtype), feature.shape[-2:], self.hint_pooling)
            return torch.cat([feature, pooled], dim=1)

        y = self.bottleneck(with_hints(features[4]))
        y = self.up16(y, with_hints(features[3]))
        y = self.up8(y, with_hints(features[2]))
        y = self.up4(y, with_hints(features[1]))
        return self.head(y)

    def _pad(self, x: torch.Tensor, hints: torch.Tensor | None):
        height, width = x.shape[-2:]
        pad = (0, (-width) % self.multiple, 0, (-height) % self.multiple)
        if any(pad):
            x = F.pad(x, pad, mode="replicate")
            hints = F.pad(hints, pad) if hints is not None else None   # padding holds no hints
        return x, hints

    def logits(self, x: torch.Tensor, hints: torch.Tensor | None = None) -> torch.Tensor:
        """Nx1xHxW luma [-1, 1] (+ Nx3xHxW hints) -> head output at /4 of the padded input.

        Bins: NxQx(H/4)x(W/4) logits; ab head: Nx2x(H/4)x(W/4) in [-1, 1].  Any H, W: the input
        is padded to a multiple of 32; the output covers the padded size (crop with ``crop``).
        """
        if hints is not None and not self.takes_hints:
            raise ValueError("this model was not trained with hints")
        x, hints = self._pad(x, hints)
        out = self._decode(self._features(x), hints)
        return out if self.predicts_distribution else torch.tanh(out)

    def chroma_from_head(self, out: torch.Tensor, height: int, width: int, temperature: float | None = None,
                         prior_correction: float | None = None) -> torch.Tensor:
        """Head output at /4 of the padded input -> Nx2xHxW chroma in [-1, 1] for an HxW input.

        ``temperature`` and ``prior_correction`` default to the checkpoint's own (chosen on val)."""
        if self.predicts_distribution:
            out = ab_bins.annealed_mean(self.corrected(out, prior_correction),
                                        self.temperature if temperature is None else temperature)
            out = out / AB_SCALE
        padded = (out.shape[-2] * 4, out.shape[-1] * 4)
        out = F.interpolate(out, size=padded, mode="bilinear", align_corners=False)
        return out[..., :height, :width]

    def corrected(self, logits: torch.Tensor, prior_correction: float | None = None) -> torch.Tensor:
        """Logits with ``prior_correction`` of the rebalancing taken back (unchanged without weights)."""
        amount = self.prior_correction if prior_correction is None else float(prior_correction)
        if amount and self.log_class_weights.numel():
            return logits - amount * self.log_class_weights.view(1, -1, 1, 1).to(logits.dtype)
        return logits

    def forward(self, x: torch.Tensor, hints: torch.Tensor | None = None, temperature: float | None = None,
                raw: bool = False) -> torch.Tensor:
        """Luma Nx1xHxW in [-1, 1] (+ hints) -> chroma Nx2xHxW in [-1, 1], as every generator.

        ``raw=True`` returns the head output of :meth:`logits` instead (the trainer calls it
        so through DistributedDataParallel, which only syncs gradients of ``forward``)."""
        head = self.logits(x, hints)
        return head if raw else self.chroma_from_head(head, *x.shape[-2:], temperature=temperature)


@register_generator("effcolor")
def build_effcolor(decoder_widths: tuple[int, ...] | list[int] = (192, 128, 96, 64), head: str = "bins",
                   hints: bool = True, temperature: float = ab_bins.PAPER_TEMPERATURE, pretrained: bool = False,
                   freeze_encoder: bool = True, class_weights: list[float] | None = None,
                   prior_correction: float = 0.0, hint_pooling: str = "mean") -> EffColorGenerator:
    return EffColorGenerator(decoder_widths, head, hints, temperature, pretrained, freeze_encoder, class_weights,
                             prior_correction, hint_pooling)
