"""Evaluate checkpoints on a folder of colour photos: metrics per (arch, epoch) plus gray.

Each photo is reduced to its luma, colorized, and compared with the original.  The "gray"
row is the photo with no colour at all: the floor every model must beat.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Sequence

import numpy as np
from tqdm import tqdm

from colorgan.color import gray_rgb
from colorgan.data import resize
from colorgan.hub import Entry, load_colorizer
from colorgan.images import ImageLoadError, list_images, load_rgb
from colorgan.metrics import compare

COLUMNS = ("psnr", "ssim", "deltae2000", "colorfulness", "colorfulness_gt")


def load_references(folder: str | os.PathLike, max_side: int | None = 1024) -> list[tuple[Path, np.ndarray]]:
    """The evaluation photos, shrunk so the long side is at most ``max_side`` (speed), skipping unreadable ones."""
    photos = []
    for path in list_images(folder):
        try:
            rgb = load_rgb(path)
        except ImageLoadError as err:
            print(f"skipping {err}")
            continue
        height, width = rgb.shape[:2]
        if max_side and max(height, width) > max_side:
            scale = max_side / max(height, width)
            rgb = resize(rgb, max(1, round(width * scale)), max(1, round(height * scale)))
        photos.append((path, rgb))
    if not photos:
        raise FileNotFoundError(f"no readable photos under {folder}")
    return photos


def _mean_row(name: str, epoch, source: str, scores: list[dict]) -> dict:
    row = {"arch": name, "epoch": epoch, "source": source, "images": len(scores)}
    for column in COLUMNS:
        values = [s[column] for s in scores if not math.isnan(s[column]) and not math.isinf(s[column])]
        row[column] = float(np.mean(values)) if values else float("nan")
    row["colorfulness_ratio"] = row["colorfulness"] / row["colorfulness_gt"] if row["colorfulness_gt"] else float("nan")
    return row


def evaluate(entries: Sequence[Entry], photos: list[tuple[Path, np.ndarray]], size: int | None = None,
             device: str = "auto", progress: bool = True) -> list[dict]:
    """One row per entry plus the gray baseline row, with mean metrics over ``photos``."""
    rows = [_mean_row("gray", None, "baseline", [compare(rgb, gray_rgb(rgb)) for _, rgb in photos])]
    for entry in tqdm(entries, desc="evaluating", disable=not progress):
        colorizer = load_colorizer(entry, device=device)
        scores = [compare(rgb, colorizer.colorize(rgb, size=size)) for _, rgb in photos]
        row = _mean_row(entry.arch, entry.epoch, entry.source, scores)
        row["render_size"] = size or colorizer.render_size
        row.update({f"train_{k}": v for k, v in colorizer.config.get("losses", {}).items()})
        rows.append(row)
    return rows


def markdown_table(rows: list[dict]) -> str:
    header = "| arch | epoch | PSNR dB | SSIM | CIEDE2000 | colourfulness | GT colourfulness | ratio |"
    lines = [header, "|" + "---|" * 8]
    for r in rows:
        epoch = "" if r["epoch"] is None else str(r["epoch"])
        lines.append(f"| {r['arch']} | {epoch} | {r['psnr']:.2f} | {r['ssim']:.4f} | {r['deltae2000']:.2f} | "
                     f"{r['colorfulness']:.1f} | {r['colorfulness_gt']:.1f} | {r['colorfulness_ratio']:.2f} |")
    return "\n".join(lines)


def write_json(rows: list[dict], path: str | os.PathLike, data: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean = [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()} for r in rows]
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps({"data": str(data), "rows": clean}, indent=2))
    os.replace(tmp, path)
