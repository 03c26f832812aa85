"""Where the faces are in evaluation photos: hand-checked boxes, or a detector for folders without them.

Faces are where colorizers fail and what family-photo restorers look at first, so evaluation
measures CIEDE2000 inside them.  Boxes are ``[left, top, right, bottom]`` as fractions of the
photo's width and height (they hold at any size).  ``faces.json`` beside a dataset's
manifest.csv (train/fetch_photos.py writes it from the hand-checked train/val_faces.json)
is used when present; otherwise ``detect_faces`` runs the LBP frontal-face cascade that ships
inside scikit-image (no download), a weak detector: frontal faces of 24 px and up, some false
alarms; good enough to pick out portraits in a user's own folder.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import numpy as np

Box = tuple[float, float, float, float]


def read_faces(path: str | os.PathLike) -> dict[Path, list[Box]]:
    """{photo path (resolved): boxes} from a faces.json; keys in the file are relative to its folder."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
        faces = data["faces"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ValueError(f"{path} is not a faces file ({err}); rebuild it with python train/fetch_photos.py") from None
    found = {}
    for name, boxes in faces.items():
        checked = []
        for box in boxes:
            if (not isinstance(box, list) or len(box) != 4
                    or not all(isinstance(v, (int, float)) and 0 <= v <= 1 for v in box)
                    or box[0] >= box[2] or box[1] >= box[3]):
                raise ValueError(f"{path}: {name} has a bad box {box!r}; boxes are [left, top, right, bottom] "
                                 "fractions with left < right and top < bottom")
            checked.append(tuple(float(v) for v in box))
        found[(path.parent / name).resolve()] = checked
    return found


@functools.lru_cache(maxsize=1)
def _cascade():
    from skimage import data
    from skimage.feature import Cascade

    return Cascade(data.lbp_frontal_face_cascade_filename())


def detect_faces(rgb: np.ndarray, max_side: int = 640) -> list[Box]:
    """Frontal faces in an RGB photo, as fraction boxes (scikit-image's bundled LBP cascade)."""
    from colorgan.data import resize

    height, width = rgb.shape[:2]
    scale = min(1.0, max_side / max(height, width))
    small = resize(rgb, max(1, round(width * scale)), max(1, round(height * scale))) if scale < 1 else rgb
    h, w = small.shape[:2]
    if min(h, w) < 24:
        return []
    found = _cascade().detect_multi_scale(img=small, scale_factor=1.2, step_ratio=1, min_size=(24, 24),
                                          max_size=(min(h, w), min(h, w)), min_neighbor_number=6)
    return [(f["c"] / w, f["r"] / h, (f["c"] + f["width"]) / w, (f["r"] + f["height"]) / h) for f in found]


def box_pixels(box: Box, height: int, width: int) -> tuple[slice, slice]:
    """The rows and columns a fraction box covers in an image of ``height`` x ``width`` (at least one pixel)."""
    left, top, right, bottom = box
    x0, y0 = min(width - 1, int(left * width)), min(height - 1, int(top * height))
    x1, y1 = max(x0 + 1, int(round(right * width))), max(y0 + 1, int(round(bottom * height)))
    return slice(y0, y1), slice(x0, x1)
