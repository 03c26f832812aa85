"""Sketch colorization (seed 001, issue 9): a line drawing in, a colour picture out.

A drawing has no luminance to keep, so the model predicts all three Lab channels:

    drawing -> gray, dark lines on light paper (normalise_drawing)
            -> render size, aspect kept; thin lines thickened first so they survive the shrink
            -> generator (1 -> 3 channels) -> Lab (L/50-1, ab/110), ab gamut-clipped
            -> Lab upsampled (bilinear) to full size; the drawing's own lines laid over L
            -> RGB, the size of the drawing

Training pairs come from colour photos: XDoG or Canny edge maps of each crop, black lines on
white, with random thickness, threshold and blur, so that hand drawings are in range.  The
trainer uses them when a recipe says ``model.task: sketch`` (train/configs/sketch.yaml);
such checkpoints live under the arch name ``sketch`` and record ``task: sketch`` and the
generator they use (``generator_arch``), so they never pass for photo colorizers.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
import torch

from colorgan.checkpoints import SKETCH_ARCH, CheckpointError, load_generator, read_config
from colorgan.color import AB_SCALE, clip_ab_to_gamut, lab_to_rgb, lab_to_rgb_t, rgb_to_lab_t
from colorgan.data import PhotoDataset
from colorgan.distributed import pick_device
from colorgan.pipeline import render_shape

__all__ = ["SKETCH_ARCH", "SKETCH_TASK", "SKETCH_CHANNELS", "LineStyle", "random_style", "fixed_style",
           "line_drawing", "training_drawing", "normalise_drawing", "SketchDataset", "encode_pairs", "decode_lab",
           "SketchColorizer"]

SKETCH_TASK = "sketch"
SKETCH_CHANNELS = {"in_channels": 1, "out_channels": 3}


# ---------------------------------------------------------------- photo -> line drawing

@dataclass(frozen=True)
class LineStyle:
    """How one training drawing is made from a photo.

    ``method``: "xdog" (extended difference of Gaussians, Winnemoeller et al. 2012: bolder,
    ink-like strokes and some filled shadows) or "canny" (thin contour lines).
    ``sigma``: the scale of the detail kept (px at render size); ``threshold``: XDoG's epsilon,
    or Canny's upper gradient threshold as a fraction of 255 (higher = fewer lines); ``thickness``: line width in
    px; ``ink``: how dark the lines are (0 = black, 0.4 = soft pencil); ``blur``: softening of
    the line edges.
    """

    method: str = "xdog"
    sigma: float = 0.8
    threshold: float = 0.0
    thickness: int = 1
    ink: float = 0.0
    blur: float = 0.0


def random_style(rng: np.random.Generator) -> LineStyle:
    """A random style in the range of hand drawings and of the two edge detectors."""
    method = "xdog" if rng.random() < 0.6 else "canny"
    if method == "xdog":
        sigma, threshold = rng.uniform(0.6, 1.4), rng.uniform(-0.03, -0.008)
    else:
        sigma, threshold = rng.uniform(0.7, 1.6), rng.uniform(0.5, 1.3)
    thickness = int(rng.choice([1, 1, 2, 2, 3]))
    ink = float(rng.choice([0.0, 0.0, rng.uniform(0.0, 0.4)]))
    blur = float(rng.choice([0.0, rng.uniform(0.3, 0.8)]))
    return LineStyle(method, float(sigma), float(threshold), thickness, ink, blur)


def fixed_style(index: int) -> LineStyle:
    """A deterministic style per validation photo (both methods, all widths), so val L1 compares across epochs."""
    return random_style(np.random.default_rng(10_000 + index))


def line_drawing(rgb: np.ndarray, style: LineStyle = LineStyle()) -> np.ndarray:
    """HxWx3 uint8 photo -> HxW uint8 line drawing: dark lines (0) on white paper (255)."""
    gray = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    if style.method == "xdog":
        fine = cv2.GaussianBlur(gray, (0, 0), style.sigma)
        coarse = cv2.GaussianBlur(gray, (0, 0), style.sigma * 1.6)
        response = fine - 0.98 * coarse
        paper = np.where(response >= style.threshold, 1.0, 1.0 + np.tanh(200.0 * (response - style.threshold)))
        lines = paper < 0.5
    elif style.method == "canny":
        smooth = (cv2.GaussianBlur(gray, (0, 0), style.sigma) * 255).astype(np.uint8)
        high = 255.0 * style.threshold
        lines = cv2.Canny(smooth, 0.4 * high, high) > 0
    else:
        raise ValueError(f"unknown line method {style.method!r}; use xdog or canny")
    lines = lines.astype(np.uint8)
    if style.thickness > 1:
        lines = cv2.dilate(lines, np.ones((style.thickness, style.thickness), np.uint8))
    drawing = np.where(lines > 0, style.ink, 1.0).astype(np.float32)
    if style.blur > 0:
        drawing = cv2.GaussianBlur(drawing, (0, 0), style.blur)
    return (np.clip(drawing, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def training_drawing(rgb: np.ndarray, style: LineStyle) -> np.ndarray:
    """``line_drawing``, made more sensitive (up to three times) when it leaves the paper almost empty.

    A low-contrast photo (haze, a plain sky) can give no lines at all; a blank drawing
    paired with a full photo teaches nothing.
    """
    drawing = line_drawing(rgb, style)
    for _ in range(3):
        if (drawing < 128).mean() >= 0.005:
            break
        style = replace(style, threshold=style.threshold * 0.5 if style.method == "canny" else style.threshold + 0.01)
        drawing = line_drawing(rgb, style)
    return drawing


# ---------------------------------------------------------------- any drawing -> what the model saw

def normalise_drawing(image: np.ndarray) -> np.ndarray:
    """Any drawing (HxWx3 RGB or HxW gray, uint8) -> HxW float32, paper 1.0 and lines toward 0.

    Light lines on a dark ground (chalk, an inverted scan) are inverted; the paper tone
    (the 60th percentile: a drawing is mostly paper) becomes white and the darkest ink black,
    so a faint pencil sketch on cream paper looks like the black-on-white training drawings.
    Transparent backgrounds were already composited on white by images.load_rgb.
    """
    gray = image if image.ndim == 2 else cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
    gray = gray.astype(np.float32) / 255.0
    if float(np.median(gray)) < 0.5:
        gray = 1.0 - gray
    return _stretch(gray)


def _stretch(gray: np.ndarray) -> np.ndarray:
    """Paper tone (60th percentile) -> 1, darkest ink -> 0, unless nothing is drawn."""
    paper = float(np.percentile(gray, 60))
    if paper <= 1e-3:
        return np.ones_like(gray)
    gray = np.clip(gray / paper, 0.0, 1.0)
    ink = float(np.percentile(gray, 0.2))
    if ink < 0.9:  # something is drawn: stretch the darkest lines to black
        gray = np.clip((gray - ink) / (1.0 - ink), 0.0, 1.0)
    return gray


def shrink_drawing(drawing: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize a normalised drawing, thickening its lines first so that they survive a big shrink.

    Area interpolation alone turns a 3 px line of a 2000 px drawing into a faint gray trace at
    128 px; the model was trained on lines 1-3 px wide at its render size, all dark.
    """
    factor = min(drawing.shape[0] / height, drawing.shape[1] / width)
    if factor >= 2:
        kernel = int(round(factor))
        drawing = cv2.erode(drawing, np.ones((kernel, kernel), np.uint8))
    interpolation = cv2.INTER_AREA if factor > 1 else cv2.INTER_LINEAR
    return cv2.resize(drawing, (width, height), interpolation=interpolation)


# ---------------------------------------------------------------- training data

class SketchDataset(PhotoDataset):
    """Photos as (line drawing, colour photo) pairs: ``1 x size x size`` and ``3 x size x size`` uint8.

    The crop is PhotoDataset's (random multi-scale crops and flips for training, the centre
    square for validation); the drawing is made from the crop at render size, in a random
    style for training and a fixed one per photo for validation.
    """

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        rgb = super().__getitem__(index)
        if self.train:
            style = random_style(np.random.default_rng(int(torch.randint(0, 2 ** 31 - 1, (1,)))))
        else:
            style = fixed_style(index)
        drawing = training_drawing(rgb.permute(1, 2, 0).numpy(), style)
        return torch.from_numpy(drawing)[None], rgb


def encode_pairs(batch, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """A (drawings, photos) uint8 batch -> (drawing in [-1, 1], Lab target: L/50-1, ab/110)."""
    drawings, rgb = batch
    condition = drawings.to(device, non_blocking=True).float().div_(127.5).sub_(1.0)
    lab = rgb_to_lab_t(rgb.to(device, non_blocking=True).float().div_(255.0))
    return condition, torch.cat([lab[:, :1] / 50.0 - 1.0, lab[:, 1:] / AB_SCALE], dim=1)


def decode_lab(output: torch.Tensor, gamut_clip: bool = True) -> torch.Tensor:
    """Nx3 normalised Lab (the generator's output) -> Nx3 RGB in [0, 1]."""
    output = output.float().clamp(-1, 1)
    l_channel = (output[:, :1] + 1.0) * 50.0
    ab = output[:, 1:] * AB_SCALE
    if gamut_clip:
        ab = clip_ab_to_gamut(l_channel, ab)
    return lab_to_rgb_t(torch.cat([l_channel, ab], dim=1))


@torch.inference_mode()
def validate(generator, val_set: SketchDataset, device, batch_size: int, autocast) -> float:
    """Mean L1 over the three normalised Lab channels on the validation drawings."""
    generator.eval()
    total, count = 0.0, 0
    for start in range(0, len(val_set), batch_size):
        pairs = [val_set[i] for i in range(start, min(len(val_set), start + batch_size))]
        condition, target = encode_pairs((torch.stack([p[0] for p in pairs]), torch.stack([p[1] for p in pairs])),
                                         device)
        with autocast():
            fake = generator(condition)
        total += float(torch.nn.functional.l1_loss(fake.float(), target)) * len(pairs)
        count += len(pairs)
    generator.train()
    return total / max(count, 1)


@torch.inference_mode()
def sample_rows(generator, samples: torch.Tensor, device) -> list[list[np.ndarray]]:
    """drawing | generated | original for the fixed validation photos of the sample grid."""
    generator.eval()
    photos = samples.permute(0, 2, 3, 1).numpy()
    drawings = torch.stack([torch.from_numpy(training_drawing(p, fixed_style(i)))[None] for i, p in enumerate(photos)])
    condition, _ = encode_pairs((drawings, samples), device)
    generated = decode_lab(generator(condition))
    generator.train()
    generated = generated.clamp(0, 1).mul(255).round().byte().permute(0, 2, 3, 1).cpu().numpy()
    shown = drawings[:, 0].numpy()
    return [[np.repeat(d[:, :, None], 3, axis=2), g, p] for d, g, p in zip(shown, generated, photos)]


# ---------------------------------------------------------------- inference

class SketchColorizer:
    """A loaded sketch generator: any drawing (RGB, gray; alpha already on white) -> colour picture."""

    def __init__(self, model: torch.nn.Module, config: dict, device: str | torch.device = "auto"):
        self.device = pick_device(device) if isinstance(device, str) else device
        self.model = model.to(self.device).eval()
        self.config = config
        self.render_size = int(config.get("render_size", 128))

    @classmethod
    def from_checkpoint(cls, directory: str | Path, device: str | torch.device = "auto") -> "SketchColorizer":
        """Load a checkpoint written by a ``model.task: sketch`` recipe; anything else is refused."""
        directory = Path(directory)
        config = read_config(directory)
        if config.get("task") != SKETCH_TASK:
            raise CheckpointError(f"checkpoint {directory} is a photo colorizer ({config.get('arch')}), not a "
                                  "sketch model; train one with train/configs/sketch.yaml.")
        target = pick_device(device) if isinstance(device, str) else device
        model, config = load_generator(directory, device=target, config=config)
        if getattr(model, "in_channels", 1) != 1 or getattr(model, "out_channels", 3) != 3:
            raise CheckpointError(f"checkpoint {directory}: a sketch model takes 1 channel and predicts 3 "
                                  f"(Lab); this one has {model.in_channels} -> {model.out_channels}.")
        return cls(model, config, target)

    @property
    def name(self) -> str:
        return f"{self.config.get('arch')} epoch {self.config.get('epoch')}"

    def model_view(self, image: np.ndarray) -> np.ndarray:
        """The drawing as the model is given it (normalised, full size), as HxWx3 uint8."""
        gray = (normalise_drawing(image) * 255.0 + 0.5).astype(np.uint8)
        return np.repeat(gray[:, :, None], 3, axis=2)

    def colorize(self, image: np.ndarray, size: int | None = None, keep_lines: bool = True) -> np.ndarray:
        """One drawing (HxWx3 or HxW uint8, any size) -> HxWx3 uint8 colour picture, same size.

        ``size``: render size (default: the checkpoint's own).  ``keep_lines``: lay the
        drawing's own full-resolution lines over the predicted lightness, so that the lines
        stay as sharp as drawn (the model's L is upsampled from the render size).
        """
        size = int(size or self.render_size)
        if size < 8:
            raise ValueError(f"render size {size} is too small; use at least 8 (the model was trained at "
                             f"{self.render_size})")
        drawing = normalise_drawing(image)
        full_h, full_w = drawing.shape
        height, width = render_shape(full_h, full_w, size)
        small = shrink_drawing(drawing, height, width)
        small = _stretch(small)  # shrinking grays the lines again
        lab = self._predict(small)
        lab = cv2.resize(lab, (full_w, full_h), interpolation=cv2.INTER_LINEAR) if lab.shape[:2] != (full_h, full_w) \
            else lab
        if keep_lines:
            lab[:, :, 0] *= drawing
        return lab_to_rgb(lab)

    @torch.inference_mode()
    def _predict(self, drawing: np.ndarray) -> np.ndarray:
        """HxW normalised drawing (paper 1) -> HxWx3 Lab in Lab units, gamut-clipped."""
        x = torch.from_numpy(np.ascontiguousarray(drawing, dtype=np.float32) * 2.0 - 1.0)[None, None].to(self.device)
        autocast = torch.autocast("cuda", dtype=torch.bfloat16) if self.device.type == "cuda" else nullcontext()
        with autocast:
            out = self.model(x).float().clamp(-1, 1)
        l_channel = (out[:, :1] + 1.0) * 50.0
        ab = clip_ab_to_gamut(l_channel, out[:, 1:] * AB_SCALE)
        return torch.cat([l_channel, ab], dim=1)[0].permute(1, 2, 0).cpu().numpy().astype(np.float32)


def drawing_is_blank(image: np.ndarray) -> bool:
    """True when nothing is drawn: no pixel clearly darker (or lighter) than the paper."""
    gray = image if image.ndim == 2 else cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
    return int(gray.max()) - int(gray.min()) < 16
