"""Shared fixtures: tiny synthetic photos generated inside the tests (no data downloads)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

torch.set_num_threads(min(2, os.cpu_count() or 1))
# Tests bring their own checkpoint roots; the shipped checkpoints/ must not shadow them.
# (Subprocesses inherit this.)  Tests of the shipped checkpoints set it back to 1.
os.environ["COLORGAN_BUILTIN_CHECKPOINTS"] = "0"
REPO = Path(__file__).resolve().parent.parent
# The size knob of the reliability tests (fuzzing, load, kill -9): a bounded smoke version by
# default, the long version with COLORGAN_FULL_RELIABILITY=1.
FULL_RELIABILITY = os.environ.get("COLORGAN_FULL_RELIABILITY", "").strip().lower() not in ("", "0", "false", "no")


def peak_rss_mb(reset: bool = False) -> float:
    """This process's peak resident memory in MB (Linux VmHWM); ``reset`` starts a new peak from now."""
    if reset:
        try:
            Path("/proc/self/clear_refs").write_text("5")
        except OSError:
            pass
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def natural_photo(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A smooth, colourful, slightly noisy picture: gradients and blobs, like a real photo's chroma."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    y /= max(height, 1)
    x /= max(width, 1)
    channels = []
    for c in range(3):
        phase = rng.uniform(0, 6.3, 3)
        channels.append(0.5 + 0.25 * np.sin(3 * x + phase[0]) + 0.25 * np.cos(4 * y + phase[1] + c))
    image = np.stack(channels, axis=2) * 255 + rng.normal(0, 4, (height, width, 3))
    return np.clip(image, 0, 255).astype(np.uint8)


@pytest.fixture
def photo_folder(tmp_path: Path) -> Path:
    """train/ and val/ folders of small synthetic colour photos in mixed formats."""
    for split, count in (("train", 6), ("val", 2)):
        folder = tmp_path / "photos" / split
        (folder / "sub").mkdir(parents=True)
        for i in range(count):
            rgb = natural_photo(40 + 7 * i, 56 - 3 * i, seed=i + (100 if split == "val" else 0))
            target = folder / ("sub" if i % 2 else "") / f"p{i}.{'jpg' if i % 3 == 0 else 'png'}"
            Image.fromarray(rgb).save(target, quality=95)
    return tmp_path / "photos"


def save_hint_sensitive_effcolor(root: Path, epoch: int = 1) -> Path:
    """A tiny untrained effcolor checkpoint under ``root`` (manifest written) whose decoder reacts strongly
    to the hint channels and whose logits have a spread of about 2: hints and vividness visibly matter."""
    from colorgan import ab_bins
    from colorgan.checkpoints import save_checkpoint
    from colorgan.hub import write_manifest
    from colorgan.models import build_generator

    kwargs = {"decoder_widths": [8, 8, 8, 8], "class_weights": [1.0] * ab_bins.bin_count()}
    torch.manual_seed(0)
    model = build_generator("effcolor", **kwargs)
    with torch.no_grad():
        for conv in (model.bottleneck[0], model.up16.convs[0], model.up8.convs[0], model.up4.convs[0]):
            conv.weight[:, -3:] *= 300
        model.eval()
        model.head.weight.mul_(2 / model.logits(torch.rand(1, 1, 64, 64) * 2 - 1).std())
    save_checkpoint(root / "effcolor" / f"epoch-{epoch:03d}", model,
                    {"arch": "effcolor", "kwargs": kwargs, "epoch": epoch, "render_size": 64, "takes_hints": True,
                     "predicts_distribution": True, "parameters": 0})
    write_manifest(root)
    return root
