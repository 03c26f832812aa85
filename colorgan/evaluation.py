"""Evaluate checkpoints on a folder of colour photos: metrics per (arch, epoch) plus gray, overall, on people and in faces.

Each photo is reduced to its luma, colorized, and compared with the original.  The "gray"
row is the photo with no colour at all: the floor every model must beat.  Users restore
family photos, so beside the all-photo means every row has the same means over the photos
that show people, and the CIEDE2000 inside faces (each face counted once):

* which photos show people, from the dataset's ``manifest.csv`` (its ``people`` column) in
  the folder or its parent, as train/fetch_photos.py writes it;
* where the faces are, from ``faces.json`` beside that manifest (hand-checked boxes); a folder
  without them falls back to scikit-image's bundled face detector (colorgan/faces.py), and
  then "people" means the photos it finds a face in.

Every row also carries per-photo scores (``photos``), so a regression can be traced to a photo.

``as_prints=True`` asks the question users bring: the gray input gets the tones of an old print
(data.age_luma, seeded per photo), and the result's colours are scored on the photo's own
lightness, so only the colour is judged, not the print's faded tones.
"""

from __future__ import annotations

import csv
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from tqdm import tqdm

from colorgan.color import gray_rgb, lab_to_rgb, rgb_to_l, rgb_to_lab
from colorgan.data import age_luma, resize
from colorgan.faces import Box, box_pixels, detect_faces, read_faces
from colorgan.hub import Entry, load_colorizer
from colorgan.images import ImageLoadError, list_images, load_rgb
from colorgan.metrics import colorfulness, deltae2000_map, psnr, ssim

COLUMNS = ("psnr", "ssim", "deltae2000", "colorfulness", "colorfulness_gt")
PEOPLE_COLUMNS = ("deltae2000", "colorfulness", "colorfulness_gt", "psnr")


@dataclass
class EvalPhoto:
    """One ground-truth photo: its pixels (shrunk for speed), whether it shows people, its face boxes."""

    path: Path
    rgb: np.ndarray
    people: bool = False
    faces: list[Box] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name


def _find_beside(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder.parent / name):
        if candidate.is_file():
            return candidate
    return None


def load_references(folder: str | os.PathLike, max_side: int | None = 1024,
                    detect: bool = True) -> list[EvalPhoto]:
    """The evaluation photos, shrunk so the long side is at most ``max_side``, with people and faces.

    Unreadable files are skipped with a message.  ``detect=False`` skips the face detector
    fallback (no faces, no people subset) for folders without a manifest.
    """
    folder = Path(folder)
    manifest = _find_beside(folder, "manifest.csv")
    people: set[Path] | None = None
    faces: dict[Path, list[Box]] = {}
    if manifest is not None:
        with manifest.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        if rows and "people" in rows[0]:
            people = {(manifest.parent / r["file"]).resolve() for r in rows if str(r["people"]).strip() == "1"}
        faces_file = manifest.parent / "faces.json"
        if faces_file.is_file():
            faces = read_faces(faces_file)
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
        key = path.resolve()
        if people is not None:
            photo = EvalPhoto(path, rgb, key in people, faces.get(key, []))
        else:
            boxes = detect_faces(rgb) if detect else []
            photo = EvalPhoto(path, rgb, bool(boxes), boxes)
        photos.append(photo)
    if not photos:
        raise FileNotFoundError(f"no readable photos under {folder}")
    return photos


def score_photo(photo: EvalPhoto, result: np.ndarray) -> dict:
    """Every metric of one result against its photo, including the CIEDE2000 of each face."""
    reference = photo.rgb
    if reference.shape != result.shape:
        raise ValueError(f"shapes differ: {reference.shape} vs {result.shape}")
    error = deltae2000_map(reference, result)
    height, width = error.shape
    face_errors = [float(error[box_pixels(box, height, width)].mean()) for box in photo.faces]
    return {"file": photo.name, "people": photo.people, "psnr": psnr(reference, result), "ssim": ssim(reference, result),
            "deltae2000": float(error.mean()), "colorfulness": colorfulness(result),
            "colorfulness_gt": colorfulness(reference), "faces": face_errors}


def as_old_print(rgb: np.ndarray, seed: int) -> np.ndarray:
    """The photo as a gray old print: its lightness through one draw of data.age_luma (uint8 RGB)."""
    luma = torch.from_numpy(rgb_to_l(rgb) / 50.0 - 1.0)[None, None]
    aged = age_luma(luma, 1.0, torch.Generator().manual_seed(seed))[0, 0].numpy()
    lightness = (aged + 1.0) * 50.0
    return lab_to_rgb(np.stack([lightness, np.zeros_like(lightness), np.zeros_like(lightness)], axis=2))


def with_lightness_of(result: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``result``'s colours (a, b) on ``reference``'s lightness: scores the colour alone."""
    lab = rgb_to_lab(result)
    lab[:, :, 0] = rgb_to_l(reference)
    return lab_to_rgb(lab)


def _mean(values: list[float]) -> float:
    finite = [v for v in values if not (math.isnan(v) or math.isinf(v))]
    return float(np.mean(finite)) if finite else float("nan")


def summarise(name: str, epoch, source: str, scores: list[dict]) -> dict:
    """A result row: means over all photos, over the people photos, and over all faces; per-photo scores kept."""
    row = {"arch": name, "epoch": epoch, "source": source, "images": len(scores)}
    for column in COLUMNS:
        row[column] = _mean([s[column] for s in scores])
    row["colorfulness_ratio"] = row["colorfulness"] / row["colorfulness_gt"] if row["colorfulness_gt"] else float("nan")
    people = [s for s in scores if s["people"]]
    row["people_images"] = len(people)
    for column in PEOPLE_COLUMNS:
        row[f"people_{column}"] = _mean([s[column] for s in people])
    row["people_colorfulness_ratio"] = (row["people_colorfulness"] / row["people_colorfulness_gt"]
                                        if people and row["people_colorfulness_gt"] else float("nan"))
    faces = [e for s in scores for e in s["faces"]]
    row["faces"] = len(faces)
    row["face_deltae2000"] = _mean(faces)
    row["photos"] = scores
    return row


def evaluate(entries: Sequence[Entry], photos: list[EvalPhoto], size: int | None = None, device: str = "auto",
             progress: bool = True, temperature: float | None = None, as_prints: bool = False) -> list[dict]:
    """One row per entry plus the gray baseline row (see :func:`summarise`); ``as_prints``: see the module."""
    rows = [summarise("gray", None, "baseline", [score_photo(p, gray_rgb(p.rgb)) for p in photos])]
    inputs = [as_old_print(p.rgb, seed) if as_prints else p.rgb for seed, p in enumerate(photos)]
    for entry in tqdm(entries, desc="evaluating", disable=not progress):
        colorizer = load_colorizer(entry, device=device)
        scores = []
        for photo, given in zip(photos, inputs):
            result = colorizer.colorize(given, size=size, temperature=temperature)
            scores.append(score_photo(photo, with_lightness_of(result, photo.rgb) if as_prints else result))
        row = summarise(entry.arch, entry.epoch, entry.source, scores)
        row["render_size"] = size or colorizer.render_size
        if colorizer.predicts_distribution:
            row["temperature"] = temperature if temperature is not None else colorizer.temperature
        row["parameters"] = colorizer.config.get("parameters")
        row.update({f"train_{k}": v for k, v in colorizer.config.get("losses", {}).items()})
        rows.append(row)
    return rows


def vs_gray(row: dict, gray: dict, column: str = "deltae2000") -> float:
    """The row's value as a fraction of gray's (0.85 = 15% below gray)."""
    base = gray.get(column)
    value = row.get(column)
    if not base or value is None or (isinstance(value, float) and math.isnan(value)):
        return float("nan")
    return value / base


def selection_score(row: dict, gray: dict) -> float:
    """How the recommended checkpoint is chosen: CIEDE2000 against gray's, all photos and people counted equally.

    Lower is better; without a people subset it is the all-photo ratio alone.
    """
    overall = vs_gray(row, gray)
    people = vs_gray(row, gray, "people_deltae2000")
    return overall if math.isnan(people) else 0.5 * (overall + people)


def recommended_pick(rows: list[dict]) -> tuple[str, int] | None:
    """The (arch, epoch) of the photo checkpoint with the best selection score, or None without gray or models."""
    from colorgan.hub import SKETCH_ARCH

    gray = next((r for r in rows if r.get("arch") == "gray"), None)
    models = [r for r in rows if r.get("arch") not in ("gray", SKETCH_ARCH) and r.get("epoch") is not None]
    scored = [(selection_score(r, gray), r["arch"], -int(r["epoch"])) for r in models] if gray else []
    scored = [s for s in scored if not math.isnan(s[0])]
    if not scored:
        return None
    _, arch, neg_epoch = min(scored)
    return arch, -neg_epoch


def markdown_table(rows: list[dict]) -> str:
    header = ("| arch | epoch | PSNR dB | SSIM | CIEDE2000 | people | faces | colourfulness | GT colourfulness "
              "| ratio |")
    lines = [header, "|" + "---|" * 10]
    for r in rows:
        epoch = "" if r["epoch"] is None else str(r["epoch"])
        lines.append(f"| {r['arch']} | {epoch} | {r['psnr']:.2f} | {r['ssim']:.4f} | {r['deltae2000']:.2f} | "
                     f"{r['people_deltae2000']:.2f} | {r['face_deltae2000']:.2f} | {r['colorfulness']:.1f} | "
                     f"{r['colorfulness_gt']:.1f} | {r['colorfulness_ratio']:.2f} |")
    return "\n".join(lines)


def _clean(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def shown_path(path: str | os.PathLike, root: str | os.PathLike) -> str:
    """A path as reports show it: relative to ``root`` (the repository) when inside it, so that
    committed reports do not carry one machine's folders."""
    try:
        return str(Path(path).resolve().relative_to(Path(root).resolve()))
    except ValueError:
        return str(path)


def write_json(rows: list[dict], path: str | os.PathLike, data: str, about: str | None = None) -> None:
    """The rows as JSON (atomically); ``about`` says how they were made, for the report's section."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    document = {"data": str(data), **({"about": about} if about else {}), "rows": _clean(rows)}
    tmp.write_text(json.dumps(document, indent=1))
    os.replace(tmp, path)
