"""Colour hints (Zhang et al. 2017): "this point was blue", as the model sees it and as users write it.

A model that takes hints (config ``takes_hints``) gets, beside the luma, three channels at
render size: the hint's a and b (normalised by 110) inside each hint patch, and a mask of the
patches; zero elsewhere.  This module makes them:

* ``sample_training_hints``: random hints from the ground truth, as Zhang's code does: keep
  adding hints while a uniform draw is below 7/8 (7 on average, none one time in eight),
  centres from a normal around the middle with a standard deviation of a quarter of the side,
  square patches of 1-9 px holding the patch's mean ab;
* ``Hint`` / ``parse_hints``: the user's form, ``{"x": 120, "y": 45, "color": "#c08060"}``
  in the photo's own pixels (after EXIF rotation, origin top-left), optional ``"size"`` (the
  patch side in the photo's pixels), with errors that name the entry;
* ``hint_map``: user hints -> the 3 channels at render size.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from colorgan.color import AB_SCALE, rgb_to_lab

CONTINUE_PROBABILITY = 7 / 8    # geometric number of hints: mean 7, P(none) = 1/8
MAX_TRAINING_HINTS = 50
PATCH_SIDES = (1, 9)            # training patch side, uniform in [1, 9] render pixels
MAX_HINTS = 200                 # a user file with more is refused (a click tool makes a few dozen)
MAX_HINT_SIZE = 512             # patch side in photo pixels
_HEX = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")


class HintError(ValueError):
    """A hint file or entry is wrong; the message names it and says what is expected."""


# ---------------------------------------------------------------- training

def draw_hint_count(generator: torch.Generator | None = None,
                    continue_probability: float = CONTINUE_PROBABILITY) -> int:
    """Zhang's geometric count: keep adding a hint while a uniform draw is below 7/8 (mean 7)."""
    count = 0
    while count < MAX_TRAINING_HINTS and float(torch.rand(1, generator=generator)) < continue_probability:
        count += 1
    return count


def sample_training_hints(chroma: torch.Tensor, generator: torch.Generator | None = None,
                          continue_probability: float = CONTINUE_PROBABILITY) -> torch.Tensor:
    """Nx2xHxW ground-truth chroma ([-1, 1]) -> Nx3xHxW hint channels (a*mask, b*mask, mask)."""
    n, _, height, width = chroma.shape
    hints = torch.zeros(n, 3, height, width, device=chroma.device, dtype=torch.float32)
    randn = lambda *shape: torch.randn(*shape, generator=generator)        # noqa: E731
    for i in range(n):
        for _ in range(draw_hint_count(generator, continue_probability)):
            side = int(torch.randint(PATCH_SIDES[0], PATCH_SIDES[1] + 1, (1,), generator=generator))
            cy, cx = (randn(2) * torch.tensor([height / 4, width / 4]) + torch.tensor([height / 2, width / 2]))
            top = int(min(max(round(float(cy)) - side // 2, 0), height - side))
            left = int(min(max(round(float(cx)) - side // 2, 0), width - side))
            patch = chroma[i, :, top:top + side, left:left + side].float().mean(dim=(1, 2))
            hints[i, :2, top:top + side, left:left + side] = patch[:, None, None]
            hints[i, 2, top:top + side, left:left + side] = 1.0
    return hints


# ---------------------------------------------------------------- what users write

@dataclass(frozen=True)
class Hint:
    """One hint in the photo's own pixels: centre (x, y), an sRGB colour, a square patch of ``size`` px."""

    x: float
    y: float
    color: tuple[int, int, int]
    size: float | None = None

    @property
    def hex(self) -> str:
        return "#%02x%02x%02x" % self.color

    def as_dict(self) -> dict:
        item = {"x": self.x, "y": self.y, "color": self.hex}
        if self.size is not None:
            item["size"] = self.size
        return item


def parse_color(value) -> tuple[int, int, int]:
    """'#c08060', 'c08060', '#c86' or [192, 128, 96] -> (192, 128, 96)."""
    if isinstance(value, str):
        match = _HEX.match(value.strip())
        if match:
            digits = match.group(1)
            if len(digits) == 3:
                digits = "".join(c * 2 for c in digits)
            return tuple(int(digits[k:k + 2], 16) for k in (0, 2, 4))  # type: ignore[return-value]
        rgb = re.match(r"^rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)", value.strip())
        if rgb:   # what a browser colour picker may send
            channels = [float(rgb.group(k)) for k in (1, 2, 3)]
            if all(0 <= c <= 255 for c in channels):
                return tuple(int(round(c)) for c in channels)  # type: ignore[return-value]
    elif isinstance(value, (list, tuple)) and len(value) == 3 and all(
            isinstance(c, (int, float)) and not isinstance(c, bool) and 0 <= c <= 255 for c in value):
        return tuple(int(round(c)) for c in value)  # type: ignore[return-value]
    raise ValueError(f"color {value!r} is not an sRGB colour; write it as \"#rrggbb\", e.g. \"#c08060\"")


def parse_hints(data, width: int, height: int, where: str = "hints") -> list[Hint]:
    """A JSON-like list of hint dicts -> Hints, checked against a ``width`` x ``height`` photo.

    Every problem raises HintError naming ``where`` and the entry (0-based), so a user can find it.
    """
    if isinstance(data, dict) and "hints" in data:
        data = data["hints"]
    if not isinstance(data, list):
        raise HintError(f"{where}: expected a list of hints like [{{\"x\": 120, \"y\": 45, \"color\": \"#c08060\"}}], "
                        f"got {type(data).__name__}")
    if len(data) > MAX_HINTS:
        raise HintError(f"{where}: {len(data)} hints is more than the {MAX_HINTS} allowed; a few dozen well-placed "
                        "ones are plenty")
    hints = []
    for k, item in enumerate(data):
        entry = f"{where}, entry {k}"
        if not isinstance(item, dict):
            raise HintError(f"{entry}: expected {{\"x\": ..., \"y\": ..., \"color\": \"#rrggbb\"}}, got {item!r}")
        unknown = set(item) - {"x", "y", "color", "size"}
        if unknown:
            raise HintError(f"{entry}: unknown key(s) {sorted(unknown)}; a hint has x, y, color and optionally size")
        for key in ("x", "y", "color"):
            if key not in item:
                raise HintError(f"{entry}: '{key}' is missing")
        x, y = item["x"], item["y"]
        for name, value, limit in (("x", x, width), ("y", y, height)):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
                raise HintError(f"{entry}: {name} must be a number of pixels, got {value!r}")
            if not 0 <= value < limit:
                raise HintError(f"{entry}: {name}={value} is off the photo ({width}x{height} px; x runs 0..{width - 1}, "
                                f"y 0..{height - 1}, origin top-left)")
        try:
            color = parse_color(item["color"])
        except ValueError as err:
            raise HintError(f"{entry}: {err}") from None
        size = item.get("size")
        if size is not None and (not isinstance(size, (int, float)) or isinstance(size, bool)
                                 or not math.isfinite(size) or not 1 <= size <= MAX_HINT_SIZE):
            raise HintError(f"{entry}: size must be a patch side from 1 to {MAX_HINT_SIZE} px, got {size!r}")
        hints.append(Hint(float(x), float(y), color, None if size is None else float(size)))
    return hints


def read_hint_file(path: str | Path, width: int, height: int) -> list[Hint]:
    """Hints from a JSON file for one photo of ``width`` x ``height``; errors name the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise HintError(f"{path}: cannot be read ({err})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise HintError(f"{path}: not valid JSON ({err.msg} at line {err.lineno}, column {err.colno})") from None
    return parse_hints(data, width, height, where=str(path))


def default_patch(width: int, height: int, render_size: int) -> float:
    """A hint patch's side in photo pixels when none is given: about 3 render pixels."""
    return max(1.0, 3.0 * math.sqrt(width * height) / render_size)


def hint_map(hints: list[Hint], width: int, height: int, render_h: int, render_w: int) -> torch.Tensor:
    """User hints for a ``width`` x ``height`` photo -> 1x3xHxW channels at the render size.

    A hint's ab is its sRGB colour's; the photo keeps its own lightness there, and the
    pipeline's gamut clip shrinks the chroma where that lightness cannot hold it.
    """
    channels = torch.zeros(1, 3, render_h, render_w)
    scale_x, scale_y = render_w / width, render_h / height
    for hint in hints:
        side_px = hint.size if hint.size is not None else default_patch(width, height, max(render_h, render_w))
        side = max(1, int(round(side_px * math.sqrt(scale_x * scale_y))))
        cx, cy = hint.x * scale_x, hint.y * scale_y
        left = int(min(max(round(cx - side / 2), 0), render_w - 1))
        top = int(min(max(round(cy - side / 2), 0), render_h - 1))
        lab = rgb_to_lab(np.array([[hint.color]], dtype=np.uint8))[0, 0]
        ab = torch.tensor(lab[1:] / AB_SCALE, dtype=torch.float32)
        channels[0, :2, top:top + side, left:left + side] = ab[:, None, None]
        channels[0, 2, top:top + side, left:left + side] = 1.0
    return channels


def resize_hint_map(hints: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Hint channels at another size: nearest, so a patch keeps its exact colour."""
    return F.interpolate(hints, size=(height, width), mode="nearest")
