"""Datasets: any folder of photos, random multi-scale crops, and the seed 000 paired format.

Datasets return RGB crops as uint8 tensors; the trainer converts whole batches to the
model's colour space on the training device (cheaper than per-image conversion in workers).
"""

from __future__ import annotations

import hashlib
import math
import os
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset
from tqdm import tqdm

from colorgan.color import gray_rgb
from colorgan.images import ImageLoadError, list_images, load_rgb, save_png


def split_files(files: Sequence[Path], val_fraction: float, seed: int = 0,
                root: Path | None = None) -> tuple[list[Path], list[Path]]:
    """Seeded train/val split by file: a file's side depends only on its name and the seed.

    Hashing (rather than shuffling) keeps every photo on its side when more photos are
    added later, so validation never leaks into training between runs.
    """
    def key(path: Path) -> float:
        name = str(path.relative_to(root)) if root else str(path)
        digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2 ** 64

    keys = {path: key(path) for path in files}
    val = [p for p in files if keys[p] < val_fraction]
    if not val and val_fraction > 0 and len(files) >= 2:
        val = [min(files, key=keys.__getitem__)]
    train = [p for p in files if p not in set(val)]
    return train, val


def cut_mix(batch: torch.Tensor, share: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Paste a random rectangle (10-50% of the area) of another crop of the batch into ``share`` of the crops.

    Why: a few hundred photos, each seen a hundred times, are learnt by heart (on training photos
    the model's CIEDE2000 is half of gray's, on validation 87%): the network recognises a photo from
    its whole context and recalls its colours.  A crop whose context is a collage cannot be
    recalled, only coloured from what each region shows (CutMix, Yun et al. 2019, used here for a
    dense target).  NxCxHxW, any dtype; returns a new tensor.
    """
    count, height, width = batch.shape[0], batch.shape[-2], batch.shape[-1]
    out = batch.clone()
    if count < 2 or share <= 0:
        return out
    donors = torch.roll(torch.arange(count), 1)
    for index in range(count):
        if torch.rand(1, generator=generator).item() >= share:
            continue
        area = 0.1 + 0.4 * torch.rand(1, generator=generator).item()
        aspect = math.exp((torch.rand(1, generator=generator).item() - 0.5) * math.log(4))   # 1:2 .. 2:1
        box_h = max(1, min(height, round(math.sqrt(area * height * width / aspect))))
        box_w = max(1, min(width, round(math.sqrt(area * height * width * aspect))))
        top = int(torch.randint(0, height - box_h + 1, (1,), generator=generator))
        left = int(torch.randint(0, width - box_w + 1, (1,), generator=generator))
        out[index, ..., top:top + box_h, left:left + box_w] = batch[donors[index], ..., top:top + box_h,
                                                                    left:left + box_w]
    return out


def age_luma(luma: torch.Tensor, share: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Give ``share`` of the crops the tones of an old print: a tone curve, faded blacks and whites, blur, grain.

    Why: users bring scanned black-and-white prints, not the L channel of a modern colour photo;
    their tone curves, contrast, sharpness and grain differ from what the model trains on.  Only
    the input changes, the target colours stay, so the model learns colour from what things are
    rather than from exact grey levels, and a photo seen a hundred times looks a little different
    each time.  ``luma``: Nx1xHxW in [-1, 1] (both colour spaces); returns a new tensor.
    """
    out = luma.clone()
    if share <= 0:
        return out

    def uniform(low: float, high: float) -> float:
        return low + (high - low) * torch.rand(1, generator=generator).item()

    for index in range(luma.shape[0]):
        if torch.rand(1, generator=generator).item() >= share:
            continue
        tone = (luma[index] + 1.0) / 2.0                                       # [0, 1]
        tone = tone.clamp(0, 1).pow(math.exp(uniform(math.log(0.7), math.log(1.4))))   # tone curve
        black, white = uniform(0.0, 0.15), uniform(0.85, 1.0)                  # faded print
        tone = black + (white - black) * tone
        if torch.rand(1, generator=generator).item() < 0.3:                    # soft focus / scan blur
            sigma = uniform(0.5, 1.5)
            radius = max(1, math.ceil(2 * sigma))
            taps = torch.arange(-radius, radius + 1, dtype=tone.dtype, device=tone.device)
            kernel = torch.exp(-0.5 * (taps / sigma) ** 2)
            kernel = kernel / kernel.sum()
            padded = torch.nn.functional.pad(tone[None], (radius, radius, radius, radius), mode="replicate")
            tone = torch.nn.functional.conv2d(padded, kernel.view(1, 1, 1, -1))
            tone = torch.nn.functional.conv2d(tone, kernel.view(1, 1, -1, 1))[0]
        if torch.rand(1, generator=generator).item() < 0.3:                    # film grain
            noise = torch.randn(tone.shape, generator=generator, dtype=tone.dtype).to(tone.device)
            tone = tone + uniform(0.005, 0.03) * noise
        out[index] = tone.clamp(0, 1) * 2.0 - 1.0
    return out


def resize(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """Area interpolation when shrinking (no aliasing), bilinear when enlarging."""
    shrinking = width * height < rgb.shape[0] * rgb.shape[1]
    return cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def center_square(rgb: np.ndarray, size: int) -> np.ndarray:
    """Deterministic view for validation: shorter side to ``size``, then the centre square."""
    height, width = rgb.shape[:2]
    scale = size / min(height, width)
    new_w, new_h = max(size, round(width * scale)), max(size, round(height * scale))
    scaled = resize(rgb, new_w, new_h)
    top, left = (new_h - size) // 2, (new_w - size) // 2
    return np.ascontiguousarray(scaled[top:top + size, left:left + size])


def random_resized_crop(rgb: np.ndarray, size: int, min_scale: float, generator: torch.Generator | None = None,
                        ratio: tuple[float, float] = (3 / 4, 4 / 3)) -> np.ndarray:
    """A crop covering ``min_scale``..1 of the photo's area, aspect 3:4..4:3, resized to size x size.

    Multi-scale crops of a few hundred large photos show the model objects at many sizes:
    the main defence against overfitting a small dataset.
    """
    height, width = rgb.shape[:2]
    area = height * width
    for _ in range(10):
        target = area * (min_scale + (1 - min_scale) * torch.rand(1, generator=generator).item())
        log_ratio = math.log(ratio[0]) + (math.log(ratio[1]) - math.log(ratio[0])) * torch.rand(1, generator=generator).item()
        aspect = math.exp(log_ratio)
        crop_w = int(round(math.sqrt(target * aspect)))
        crop_h = int(round(math.sqrt(target / aspect)))
        if 0 < crop_w <= width and 0 < crop_h <= height:
            top = int(torch.randint(0, height - crop_h + 1, (1,), generator=generator))
            left = int(torch.randint(0, width - crop_w + 1, (1,), generator=generator))
            return resize(rgb[top:top + crop_h, left:left + crop_w], size, size)
    return center_square(rgb, size)


def face_crop(rgb: np.ndarray, box: tuple[float, float, float, float], size: int,
              generator: torch.Generator | None = None) -> np.ndarray:
    """A square crop around one face (a fraction box), the face 20-50% of its side, placed at random.

    Faces are where colorizers fail and a sliver of the pixels of random crops: these crops give
    the few training photos with faces the share of the loss that users give faces when they look.
    """
    height, width = rgb.shape[:2]
    left, top, right, bottom = box[0] * width, box[1] * height, box[2] * width, box[3] * height
    face = max(right - left, bottom - top, 1.0)
    rand = lambda: torch.rand(1, generator=generator).item()  # one draw in [0, 1)
    side = int(round(min(height, width, face / (0.2 + 0.3 * rand()))))
    side = max(1, min(side, height, width))
    # the crop's corner: anywhere that keeps the face centre inside it and the crop inside the photo
    cx, cy = (left + right) / 2, (top + bottom) / 2
    x0 = min(max(0, cx - side + 1), width - side), max(0, min(cx, width - side))
    y0 = min(max(0, cy - side + 1), height - side), max(0, min(cy, height - side))
    crop_left = int(x0[0] + (x0[1] - x0[0]) * rand())
    crop_top = int(y0[0] + (y0[1] - y0[0]) * rand())
    return resize(rgb[crop_top:crop_top + side, crop_left:crop_left + side], size, size)


class PhotoDataset(Dataset):
    """Photos from files, as ``3 x size x size`` uint8 RGB tensors.

    train=True: random multi-scale crops and horizontal flips, ``crops_per_image`` per epoch.
    train=False: the deterministic centre square.  ``paired=True`` reads seed 000 pair files
    (gray | colour side by side) and uses the colour half.  ``faces`` (a list of fraction boxes per
    file) with ``face_share``: that share of the crops of photos with faces is a ``face_crop``.  Photos are decoded once, scaled
    down to what the crops can use, and kept in memory (a few hundred MB for 350 photos).
    """

    def __init__(self, files: Sequence[Path], size: int, train: bool, min_scale: float = 0.25,
                 flip: bool = True, crops_per_image: int = 1, paired: bool = False, progress: bool = False,
                 repeats: Sequence[int] | None = None, faces: Sequence[list] | None = None,
                 face_share: float = 0.0):
        if not files:
            raise ValueError("no photos given to the dataset; check the data folder")
        self.size, self.train, self.min_scale, self.flip = size, train, min_scale, flip
        self.crops_per_image = crops_per_image if train else 1
        self.files = list(files)
        self.faces = list(faces) if faces is not None else [[] for _ in self.files]
        if len(self.faces) != len(self.files):
            raise ValueError(f"{len(self.faces)} face lists for {len(self.files)} photos")
        self.face_share = face_share
        # ``repeats``: crops per epoch of each photo, in units of crops_per_image (oversampling people)
        repeats = list(repeats) if (train and repeats is not None) else [1] * len(self.files)
        self.order = [i for i, r in enumerate(repeats) for _ in range(r * self.crops_per_image)]
        # Enough pixels that the smallest crop is never enlarged, no more.
        keep_short_side = math.ceil(size / math.sqrt(min_scale)) if train else size
        self.photos: list[np.ndarray] = []
        for path in tqdm(self.files, desc="decoding photos", disable=not progress, leave=False):
            try:
                rgb = load_rgb(path)
            except ImageLoadError as err:
                raise ImageLoadError(f"{err} (remove it from the data folder)") from None
            if paired:
                rgb = split_pair(rgb)[1]
            self.photos.append(_shrink_to_short_side(rgb, keep_short_side))

    def __len__(self) -> int:
        return len(self.order)

    def __getitem__(self, index: int) -> torch.Tensor:
        if not self.train:
            return self.centre_view(index)
        photo, faces = self.photos[self.order[index]], self.faces[self.order[index]]
        if faces and torch.rand(1).item() < self.face_share:
            rgb = face_crop(photo, faces[int(torch.randint(len(faces), (1,)))], self.size)
        else:
            rgb = random_resized_crop(photo, self.size, self.min_scale)
        if self.flip and torch.rand(1).item() < 0.5:
            rgb = rgb[:, ::-1]
        return _to_tensor(rgb)

    def centre_view(self, index: int) -> torch.Tensor:
        """The deterministic centre square of photo ``index`` (validation, sample grids)."""
        return _to_tensor(center_square(self.photos[index % len(self.photos)], self.size))


def _to_tensor(rgb: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)


def _shrink_to_short_side(rgb: np.ndarray, short_side: int) -> np.ndarray:
    height, width = rgb.shape[:2]
    scale = short_side / min(height, width)
    if scale >= 1:
        return rgb
    return resize(rgb, max(1, round(width * scale)), max(1, round(height * scale)))


def people_photos(manifest: str | os.PathLike) -> set[Path]:
    """The photos fetch_photos.py's manifest.csv marks as showing people (paths resolved).

    A missing manifest is an error: a recipe that asks to oversample people must find them.
    """
    import csv

    manifest = Path(manifest)
    if not manifest.is_file():
        raise FileNotFoundError(f"data.manifest {manifest} does not exist; run `python train/fetch_photos.py`, "
                                "or set data.manifest=null (and data.people_weight=1) for your own folders")
    with manifest.open(newline="") as handle:
        return {(manifest.parent / row["file"]).resolve() for row in csv.DictReader(handle)
                if str(row.get("people", "0")).strip() == "1"}


def photo_files(folder: str | os.PathLike) -> list[Path]:
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"data folder {folder} does not exist. Build it with `python train/fetch_photos.py` "
            "or point the recipe's data.train at a folder of your own photos.")
    files = list_images(folder)
    if not files:
        raise FileNotFoundError(f"no images (jpg, png, webp, tif, bmp) found under {folder}")
    return files


# ---------------------------------------------------------------- seed 000 paired format

def make_pair(rgb: np.ndarray, size: int = 256) -> np.ndarray:
    """The seed 000 dataset image: gray and colour, size x size each, side by side (size x 2*size)."""
    colour = center_square(rgb, size)
    return np.concatenate([gray_rgb(colour), colour], axis=1)


def split_pair(pair: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(gray, colour) halves of a paired image."""
    height, width = pair.shape[:2]
    if width != 2 * height:
        raise ValueError(f"a paired image is twice as wide as high (gray | colour); got {width}x{height}")
    return pair[:, :height], pair[:, height:]


def write_pairs(src: str | os.PathLike, dst: str | os.PathLike, size: int = 256, progress: bool = True) -> list[Path]:
    """Convert every photo under ``src`` to the paired format in ``dst`` (same sub-folders, .png)."""
    src, dst = Path(src), Path(dst)
    files = photo_files(src)
    written = []
    for path in tqdm(files, desc="writing pairs", disable=not progress):
        relative = path.relative_to(src) if src.is_dir() else Path(path.name)
        target = (dst / relative).with_suffix(".png")
        written.append(save_png(make_pair(load_rgb(path), size), target))
    return written
