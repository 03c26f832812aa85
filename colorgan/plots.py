"""Pictures for people: sample grids (gray | generated | original) and loss curves."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from colorgan.images import save_png


def image_grid(rows: list[list[np.ndarray]], gap: int = 2) -> np.ndarray:
    """Tile equally sized HxWx3 uint8 images row by row, with white gaps."""
    height, width = rows[0][0].shape[:2]
    columns = max(len(r) for r in rows)
    grid = np.full((len(rows) * (height + gap) - gap, columns * (width + gap) - gap, 3), 255, np.uint8)
    for r, row in enumerate(rows):
        for c, tile in enumerate(row):
            top, left = r * (height + gap), c * (width + gap)
            grid[top:top + height, left:left + width] = tile
    return grid


def save_grid(rows: list[list[np.ndarray]], path: str | os.PathLike) -> Path:
    return save_png(image_grid(rows), path)


def read_log(path: str | os.PathLike) -> list[dict]:
    path = Path(path)
    if not path.is_file():
        return []
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def plot_losses(log_path: str | os.PathLike, out_path: str | os.PathLike, title: str = "") -> Path | None:
    """Loss curves from train_log.csv: generator terms, discriminator, validation L1."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = read_log(log_path)
    if not rows:
        return None
    epochs = [int(r["epoch"]) for r in rows]

    def series(key):
        return [float(r[key]) if r.get(key) not in (None, "") else float("nan") for r in rows]

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    axes[0].plot(epochs, series("g_l1"), marker="o", label="G L1 (train)")
    axes[0].plot(epochs, series("val_l1"), marker="s", label="L1 (val)")
    axes[0].set_title("L1 of the chroma")
    axes[1].plot(epochs, series("g_adv"), marker="o", color="tab:red", label="G adversarial")
    axes[1].set_title("generator adversarial")
    if any(r.get("g_class") not in (None, "") for r in rows):   # models that predict ab bins
        axes[1].plot(epochs, series("g_class"), marker="s", color="tab:purple", label="classification (CE)")
        axes[1].set_title("generator: adversarial, classification")
    axes[2].plot(epochs, series("d_total"), marker="o", color="tab:green", label="D total")
    axes[2].set_title("discriminator")
    for axis in axes:
        axis.set_xlabel("epoch")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    out_path = Path(out_path)
    tmp = out_path.with_name(f".{out_path.name}.tmp-{os.getpid()}.png")
    fig.savefig(tmp, dpi=80)
    plt.close(fig)
    os.replace(tmp, out_path)
    return out_path
