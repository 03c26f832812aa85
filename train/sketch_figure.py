"""Draw docs/sketch.png: what the shipped sketch model makes of hand drawings and of photo line drawings.

    python train/sketch_figure.py                       # checkpoints/sketch, data/photos/val -> docs/sketch.png
    python train/sketch_figure.py --photos 2 --out /tmp/sketch.png

Rows: a house and a face drawn with strokes as a visitor draws them on the page's sketchpad, then
the first ``--photos`` validation photos as training-style line drawings (fixed styles).
Columns: the drawing, each shipped epoch of the sketch model, and the photo the lines came from.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a clone without installing
from colorgan import hub  # noqa: E402
from colorgan.images import load_rgb, save_png  # noqa: E402
from colorgan.sketch import fixed_style, training_drawing  # noqa: E402

TILE = 224
INK = (0, 0, 0)


def house(side: int = 512) -> np.ndarray:
    """A child's house with a tree and a sun, 5 px strokes on white."""
    d = np.full((side, side, 3), 255, np.uint8)
    cv2.rectangle(d, (140, 260), (360, 440), INK, 5)
    cv2.polylines(d, [np.array([[120, 260], [250, 150], [380, 260]])], False, INK, 5)
    cv2.rectangle(d, (225, 350), (275, 440), INK, 5)
    cv2.rectangle(d, (170, 290), (210, 330), INK, 4)
    cv2.circle(d, (430, 80), 40, INK, 5)
    cv2.line(d, (0, 440), (side, 440), INK, 5)
    cv2.line(d, (60, 440), (60, 330), INK, 5)
    cv2.circle(d, (60, 300), 40, INK, 5)
    return d


def face(side: int = 512) -> np.ndarray:
    """An oval face with eyes, nose and a smile, 4 px strokes on white."""
    d = np.full((side, side, 3), 255, np.uint8)
    cv2.ellipse(d, (256, 256), (150, 190), 0, 0, 360, INK, 4)
    cv2.circle(d, (200, 210), 18, INK, 4)
    cv2.circle(d, (312, 210), 18, INK, 4)
    cv2.ellipse(d, (256, 330), (60, 25), 0, 0, 180, INK, 4)
    cv2.line(d, (256, 230), (245, 290), INK, 4)
    return d


def photo_drawing(path: Path, index: int) -> tuple[np.ndarray, np.ndarray]:
    """(line drawing, photo) at a long side of 512, the drawing in validation style ``index``."""
    rgb = load_rgb(path)
    scale = 512 / max(rgb.shape[:2])
    rgb = cv2.resize(rgb, (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale)), interpolation=cv2.INTER_AREA)
    return np.repeat(training_drawing(rgb, fixed_style(index))[:, :, None], 3, axis=2), rgb


def tile(image: np.ndarray | None, label: str = "") -> np.ndarray:
    """A TILE x TILE cell: the image letterboxed on white, with a caption."""
    cell = np.full((TILE, TILE, 3), 255, np.uint8)
    if image is not None:
        scale = TILE / max(image.shape[:2])
        h, w = round(image.shape[0] * scale), round(image.shape[1] * scale)
        y, x = (TILE - h) // 2, (TILE - w) // 2
        cell[y:y + h, x:x + w] = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
    if label:
        cv2.putText(cell, label, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 3, cv2.LINE_AA)
        cv2.putText(cell, label, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    return cell


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoints", default=str(REPO / "checkpoints"), help="checkpoint root (default checkpoints/)")
    parser.add_argument("--val", default=str(REPO / "data" / "photos" / "val"), help="validation photos")
    parser.add_argument("--photos", type=int, default=3, help="validation photos to show (default 3)")
    parser.add_argument("--out", default=str(REPO / "docs" / "sketch.png"))
    args = parser.parse_args(argv)

    entries = sorted(hub.sketch_entries(hub.list_checkpoints([Path(args.checkpoints)])), key=lambda e: e.epoch)
    if not entries:
        print(f"no sketch checkpoints under {args.checkpoints}: train and ship one first "
              "(python -m colorgan train --config train/configs/sketch.yaml; python train/ship.py sketch)")
        return 1
    models = [(e.epoch, hub.load_sketch_colorizer(e, device="cpu")) for e in entries]
    rows: list[tuple[np.ndarray, np.ndarray | None]] = [(house(), None), (face(), None)]
    photos = sorted(p for p in Path(args.val).iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
    rows += [photo_drawing(p, i) for i, p in enumerate(photos[:args.photos])]

    lines = []
    for drawing, photo in rows:
        cells = [tile(drawing, "drawing")]
        cells += [tile(model.colorize(drawing), f"epoch {epoch}") for epoch, model in models]
        cells.append(tile(photo, "photo" if photo is not None else ""))
        lines.append(np.hstack(cells))
    out = Path(args.out)
    save_png(np.vstack(lines), out)
    print(f"wrote {out}: {len(rows)} drawings x epochs {', '.join(str(e) for e, _ in models)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
