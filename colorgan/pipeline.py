"""The path of one photo (DESIGN.md): full-resolution in, full-resolution colour out.

    photo -> luma at full resolution (kept)
          -> luma resized to the render size -> generator -> chroma
          -> chroma gamut-clipped at render size -> upsampled (bilinear) to full size
          -> joined with the ORIGINAL luma -> RGB

Chroma is low-frequency, so a model that works at 256 px still gives a sharp 12 MP result:
every detail comes from the photo's own luma.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np
import torch

from colorgan.checkpoints import load_generator
from colorgan.color import AB_SCALE, clip_ab_to_gamut, get_space, lab_to_rgb
from colorgan.distributed import pick_device
from colorgan.hint_spread import spread_hints
from colorgan.hints import Hint, hint_map


def render_shape(height: int, width: int, size: int) -> tuple[int, int]:
    """The (h, w) the model sees: about ``size * size`` pixels, the photo's aspect kept.

    Very long or thin photos are squeezed to at most 4:1, so a 1x65535 strip costs no more
    than a square photo; the chroma is stretched back afterwards.
    """
    scale = size / math.sqrt(height * width)
    low, high = max(8, size // 4), size * 4
    return (min(high, max(low, round(height * scale))), min(high, max(low, round(width * scale))))


class Colorizer:
    """A loaded generator plus everything needed to colorize photos with it."""

    def __init__(self, model: torch.nn.Module, config: dict, device: str | torch.device = "auto"):
        self.device = pick_device(device) if isinstance(device, str) else device
        self.model = model.to(self.device).eval()
        if self.device.type == "cuda":
            self.model = self.model.to(memory_format=torch.channels_last)
        self.config = config
        self.space = get_space(config.get("color_space", "lab"))
        self.render_size = int(config.get("render_size", 256))
        # The recommended model (effcolor) predicts a distribution over ab bins, decoded at a
        # temperature (the page's vividness), and may take colour hints (colorgan/hints.py).
        self.predicts_distribution = bool(getattr(model, "predicts_distribution", False))
        self.takes_hints = bool(getattr(model, "takes_hints", False))
        self.hint_spreading = True   # colorgan/hint_spread.py after the network (False: the network alone)
        self.temperature = float(getattr(model, "temperature", 1.0)) if self.predicts_distribution else None
        self.prior_correction = float(getattr(model, "prior_correction", 0.0)) if self.predicts_distribution else None
        # The network's output for the last few photos, so that decoding the same photo again at
        # another vividness (the page's slider, a sweep on val) skips the network.
        self._heads: OrderedDict[tuple, torch.Tensor] = OrderedDict()
        self._heads_lock = threading.Lock()

    @classmethod
    def from_checkpoint(cls, directory: str | Path, device: str | torch.device = "auto") -> "Colorizer":
        target = pick_device(device) if isinstance(device, str) else device
        model, config = load_generator(directory, device=target)
        return cls(model, config, target)

    @property
    def name(self) -> str:
        return f"{self.config.get('arch')} epoch {self.config.get('epoch')}"

    def colorize(self, rgb: np.ndarray, size: int | None = None, strength: float = 1.0,
                 hints: Sequence[Hint] | None = None, temperature: float | None = None,
                 prior_correction: float | None = None) -> np.ndarray:
        """One HxWx3 uint8 photo (colour or gray) -> HxWx3 uint8 colorized, same size.

        ``hints`` (in the photo's pixels) are followed by models that take them and ignored by
        the others (check ``takes_hints``); ``temperature`` is the vividness of distribution
        models (lower: more vivid; default: the checkpoint's), ignored by the others.
        """
        return self.colorize_many([rgb], size=size, strength=strength, hints=[hints] if hints else None,
                                  temperature=temperature, prior_correction=prior_correction)[0]

    def colorize_many(self, photos: Sequence[np.ndarray], size: int | None = None, strength: float = 1.0,
                      batch_size: int = 8, hints: Sequence[Sequence[Hint] | None] | None = None,
                      temperature: float | None = None, prior_correction: float | None = None) -> list[np.ndarray]:
        """Colorize several photos, batching those that share a render shape (``hints``: one list per photo)."""
        size = int(size or self.render_size)
        if size < 8:
            raise ValueError(f"render size {size} is too small; use at least 8 (the model was trained at "
                             f"{self.render_size})")
        if temperature is not None and not 0.01 <= float(temperature) <= 10:
            raise ValueError(f"temperature {temperature} is out of range; use 0.01 (vivid) to 10 (cautious)")
        if prior_correction is not None and not 0 <= float(prior_correction) <= 1:
            raise ValueError(f"prior correction {prior_correction} is out of range; use 0 to 1")
        decoding = {"temperature": temperature, "prior_correction": prior_correction}
        hints = hints if (hints is not None and self.takes_hints) else None
        lumas = [self.space.luma_np(photo) for photo in photos]
        shapes = [render_shape(*luma.shape, size) for luma in lumas]
        results: list[np.ndarray | None] = [None] * len(photos)
        groups: dict[tuple[int, int], list[int]] = {}
        for index, shape in enumerate(shapes):
            groups.setdefault(shape, []).append(index)
        for (height, width), indices in groups.items():
            for start in range(0, len(indices), batch_size):
                chunk = indices[start:start + batch_size]
                small = np.stack([_resize(lumas[i], width, height) for i in chunk])
                hint_maps = None
                if hints is not None and any(hints[i] for i in chunk):
                    hint_maps = torch.cat([hint_map(list(hints[i] or []), lumas[i].shape[1], lumas[i].shape[0],
                                                    height, width) for i in chunk])
                chroma = self._predict(self.space.normalise_luma_np(small), small, strength, hint_maps, decoding)
                for i, chroma_small in zip(chunk, chroma):
                    results[i] = self.join_chroma(lumas[i], chroma_small)
        return results  # type: ignore[return-value]

    def frame_chroma(self, rgb: np.ndarray, size: int | None = None,
                     strength: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The first half of :meth:`colorize` for one photo: (full-resolution luma, render-size luma,
        render-size chroma in the space's own units), so that video can steady the chroma between
        frames before :meth:`join_chroma` puts it on the full-resolution luma."""
        size = int(size or self.render_size)
        luma = self.space.luma_np(rgb)
        height, width = render_shape(*luma.shape, size)
        small = _resize(luma, width, height)
        chroma = self._predict(self.space.normalise_luma_np(small[None]), small[None], strength)[0]
        return luma, small, chroma

    def join_chroma(self, luma: np.ndarray, chroma_small: np.ndarray) -> np.ndarray:
        """Render-size chroma upsampled (bilinear) and joined with the full-resolution luma -> uint8 RGB."""
        full_h, full_w = luma.shape
        chroma_full = _resize(chroma_small, full_w, full_h, cv2.INTER_LINEAR)
        return self.space.join_np(luma, chroma_full.reshape(full_h, full_w, 2))

    @torch.inference_mode()
    def _predict(self, luma_normalised: np.ndarray, luma_units: np.ndarray, strength: float,
                 hint_maps: torch.Tensor | None = None, decoding: dict | None = None) -> np.ndarray:
        """NxHxW normalised luma (+ Nx3xHxW hints) -> NxHxWx2 chroma in the space's own units (gamut-safe for Lab)."""
        x = torch.from_numpy(np.ascontiguousarray(luma_normalised, dtype=np.float32))[:, None].to(self.device)
        if self.device.type == "cuda":
            x = x.contiguous(memory_format=torch.channels_last)
            autocast = torch.autocast("cuda", dtype=torch.bfloat16)
        else:
            autocast = nullcontext()
        extra = {}
        if self.takes_hints and hint_maps is not None:
            extra["hints"] = hint_maps.to(self.device)
        with autocast:
            if self.predicts_distribution:
                head = self._head(x, luma_normalised, hint_maps, extra)
                chroma = self.model.chroma_from_head(head.float(), *x.shape[-2:], **(decoding or {}))
            else:
                chroma = self.model(x, **extra)
            chroma = chroma.float().clamp(-1, 1)
        if self.takes_hints and self.hint_spreading and hint_maps is not None and self.space.name == "lab":
            lightness = torch.from_numpy(np.ascontiguousarray(luma_units, dtype=np.float32))[:, None]
            chroma = spread_hints(chroma, lightness, hint_maps)   # the user's colours, over the same surface
        chroma = chroma * strength
        if self.space.name == "lab":
            l_channel = torch.from_numpy(np.ascontiguousarray(luma_units, dtype=np.float32))[:, None].to(self.device)
            chroma = clip_ab_to_gamut(l_channel, chroma * AB_SCALE)
            return chroma.permute(0, 2, 3, 1).cpu().numpy()
        return self.space.chroma_units(chroma.permute(0, 2, 3, 1).cpu().numpy())

    def analyse(self, rgb: np.ndarray, size: int | None = None, hints: Sequence[Hint] | None = None) -> Analysis:
        """The colour distribution of one photo (models that predict one: ``predicts_distribution``).

        Uses the same render geometry and hint channels as :meth:`colorize`, so right after
        colorizing the network's output comes from the cache."""
        if not self.predicts_distribution:
            raise ValueError(f"{self.name} predicts one colour per pixel; it has no distribution to show")
        size = int(size or self.render_size)
        luma = self.space.luma_np(rgb)
        height, width = render_shape(*luma.shape, size)
        small = _resize(luma, width, height)
        hint_maps = None
        if hints and self.takes_hints:
            hint_maps = hint_map(list(hints), luma.shape[1], luma.shape[0], height, width)
        x = torch.from_numpy(np.ascontiguousarray(self.space.normalise_luma_np(small[None]), dtype=np.float32))
        x = x[:, None].to(self.device)
        extra = {"hints": hint_maps.to(self.device)} if hint_maps is not None else {}
        with torch.inference_mode():
            head = self._head(x, self.space.normalise_luma_np(small[None]), hint_maps, extra).float()
            logits = self.model.corrected(head)[..., :math.ceil(height / 4), :math.ceil(width / 4)].cpu()
        return Analysis(logits, small, luma.shape[1], luma.shape[0])

    HEAD_CACHE = 4

    def _head(self, x: torch.Tensor, luma: np.ndarray, hint_maps: torch.Tensor | None, extra: dict) -> torch.Tensor:
        """The network's head output (logits) for a batch, from the small cache when it was just computed."""
        key = _fingerprint(luma, hint_maps)
        with self._heads_lock:
            if key in self._heads:
                self._heads.move_to_end(key)
                return self._heads[key]
        head = self.model(x, raw=True, **extra)
        with self._heads_lock:
            self._heads[key] = head
            while len(self._heads) > self.HEAD_CACHE:
                self._heads.popitem(last=False)
        return head


@dataclass
class Analysis:
    """The model's colour distribution for one photo, at its render size (distribution models only).

    ``logits``: 1xQxhxw at a quarter of the render size; ``luma``: the render-size Lab L; the
    photo is ``width`` x ``height``.  It gives the uncertainty map (where a hint helps most)
    and the likely colours at a clicked pixel (suggested hint colours).
    """

    logits: torch.Tensor
    luma: np.ndarray
    width: int
    height: int

    def uncertainty(self) -> np.ndarray:
        """Normalised entropy (0 certain .. 1 every bin equally likely) at the photo's own size, float32."""
        from colorgan.ab_bins import entropy

        small = entropy(self.logits)[0, 0].cpu().numpy().astype(np.float32)
        return cv2.resize(small, (self.width, self.height), interpolation=cv2.INTER_LINEAR)

    def colours_at(self, x: float, y: float, count: int = 4) -> list[tuple[str, float]]:
        """The likely colours at photo pixel (x, y): (sRGB hex, probability), best first.

        Each is a mode of the distribution there, snapped into the sRGB gamut at that pixel's
        own lightness (its hue kept), so it is a colour the photo can show at that point.
        """
        from colorgan.ab_bins import top_colours

        q, h, w = self.logits.shape[1:]
        rh, rw = self.luma.shape
        col = min(w - 1, int(x / self.width * rw / 4))
        row = min(h - 1, int(y / self.height * rh / 4))
        lightness = float(self.luma[min(rh - 1, int(y / self.height * rh)), min(rw - 1, int(x / self.width * rw))])
        suggestions = []
        for ab, share in top_colours(self.logits[0, :, row, col], count=count):
            l_t = torch.tensor([[[[lightness]]]])
            ab_t = clip_ab_to_gamut(l_t, torch.tensor(ab, dtype=torch.float32).view(1, 2, 1, 1), steps=12)
            lab = np.array([[[lightness, float(ab_t[0, 0]), float(ab_t[0, 1])]]], dtype=np.float32)
            rgb = lab_to_rgb(lab)[0, 0]
            suggestions.append(("#%02x%02x%02x" % tuple(int(c) for c in rgb), float(share)))
        return suggestions


def _fingerprint(*arrays) -> tuple:
    import hashlib

    digest = hashlib.blake2b(digest_size=16)
    for array in arrays:
        if array is not None:
            data = array.cpu().numpy() if isinstance(array, torch.Tensor) else np.asarray(array)
            digest.update(str(data.shape).encode())
            digest.update(np.ascontiguousarray(data).tobytes())
    return (digest.hexdigest(),)


def _resize(image: np.ndarray, width: int, height: int, interpolation: int | None = None) -> np.ndarray:
    if image.shape[1] == width and image.shape[0] == height:
        return image.astype(np.float32, copy=False)
    if interpolation is None:
        shrinking = width * height < image.shape[0] * image.shape[1]
        interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(image.astype(np.float32, copy=False), (width, height), interpolation=interpolation)
