"""Evaluation as users' photos need it: all photos, the people subset, CIEDE2000 inside faces, per-photo rows."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from colorgan.color import gray_rgb
from colorgan.evaluation import (EvalPhoto, as_old_print, load_references, recommended_pick, score_photo,
                                 selection_score, summarise, with_lightness_of)
from colorgan.faces import detect_faces, read_faces
from colorgan.report import figure_photos
from tests.conftest import natural_photo


def dataset(root, people=("val/b.png",), faces=None):
    """A fetch_photos-like folder: val/ photos, manifest.csv with a people column, faces.json beside it."""
    (root / "val").mkdir(parents=True)
    for i, name in enumerate(("a.png", "b.png", "c.png")):
        Image.fromarray(natural_photo(60, 80, seed=i)).save(root / "val" / name)
    with (root / "manifest.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["file", "split", "people"])
        writer.writeheader()
        for name in ("a.png", "b.png", "c.png"):
            writer.writerow({"file": f"val/{name}", "split": "val", "people": int(f"val/{name}" in people)})
    boxes = faces if faces is not None else {"val/b.png": [[0.0, 0.0, 0.5, 0.5], [0.5, 0.5, 1.0, 1.0]]}
    (root / "faces.json").write_text(json.dumps({"format": "colorgan-faces", "faces": boxes}))
    return root / "val"


def test_people_and_faces_come_from_the_manifest_and_the_boxes(tmp_path):
    photos = load_references(dataset(tmp_path), max_side=40)
    assert [(p.name, p.people, len(p.faces)) for p in photos] == [("a.png", False, 0), ("b.png", True, 2),
                                                                    ("c.png", False, 0)]
    assert max(photos[0].rgb.shape) == 40


def test_face_error_is_measured_inside_each_box(tmp_path):
    photo = EvalPhoto(tmp_path / "x.png", natural_photo(40, 40), True, [(0.0, 0.0, 0.5, 0.5), (0.5, 0.5, 1.0, 1.0)])
    result = photo.rgb.copy()
    result[:20, :20] = gray_rgb(photo.rgb[:20, :20])          # only the first face loses its colour
    score = score_photo(photo, result)
    assert score["faces"][0] > 3 and score["faces"][1] < 1e-6
    assert 0 < score["deltae2000"] < score["faces"][0]


def test_rows_hold_people_face_and_per_photo_means(tmp_path):
    photos = load_references(dataset(tmp_path))
    gray = summarise("gray", None, "baseline", [score_photo(p, gray_rgb(p.rgb)) for p in photos])
    perfect = summarise("m", 1, "x", [score_photo(p, p.rgb) for p in photos])
    assert gray["people_images"] == 1 and gray["faces"] == 2 and len(gray["photos"]) == 3
    assert gray["people_deltae2000"] == gray["photos"][1]["deltae2000"]
    assert perfect["deltae2000"] < 1e-6 and perfect["face_deltae2000"] < 1e-6
    assert selection_score(perfect, gray) < 1e-6 and math.isclose(selection_score(gray, gray), 1.0)


def test_the_recommended_pick_counts_people(tmp_path):
    gray = {"arch": "gray", "epoch": None, "deltae2000": 10.0, "people_deltae2000": 10.0}
    rows = [gray, {"arch": "a", "epoch": 1, "deltae2000": 8.0, "people_deltae2000": 11.0},   # score 0.95
            {"arch": "b", "epoch": 3, "deltae2000": 9.0, "people_deltae2000": 9.0},          # score 0.90
            {"arch": "sketch", "epoch": 2, "deltae2000": 1.0, "people_deltae2000": 1.0}]     # never a photo default
    assert recommended_pick(rows) == ("b", 3)
    assert recommended_pick([gray]) is None


def test_without_a_manifest_the_bundled_detector_finds_faces(tmp_path):
    import skimage.data

    folder = tmp_path / "mine"
    folder.mkdir()
    Image.fromarray(skimage.data.astronaut()).save(folder / "portrait.png")
    Image.fromarray(natural_photo(120, 160)).save(folder / "landscape.png")
    photos = {p.name: p for p in load_references(folder, max_side=512)}
    assert photos["portrait.png"].people and photos["portrait.png"].faces
    assert any(0.3 < (left + right) / 2 < 0.55 and 0.1 < (top + bottom) / 2 < 0.35   # her face, upper middle
               for left, top, right, bottom in photos["portrait.png"].faces)
    assert not photos["landscape.png"].people
    assert detect_faces(np.zeros((10, 10, 3), np.uint8)) == []


def test_bad_face_files_are_refused(tmp_path):
    bad = tmp_path / "faces.json"
    bad.write_text(json.dumps({"faces": {"val/a.png": [[0.5, 0.1, 0.2, 0.3]]}}))
    with pytest.raises(ValueError, match="bad box"):
        read_faces(bad)
    bad.write_text("not json")
    with pytest.raises(ValueError, match="not a faces file"):
        read_faces(bad)


def test_the_figure_shows_people_first_largest_faces_first(tmp_path):
    make = lambda name, people, faces: EvalPhoto(tmp_path / name, natural_photo(8, 8), people, faces)  # noqa: E731
    photos = [make("crowd", True, [(0, 0, 0.1, 0.1)]), make("street", True, []), make("portrait", True, [(0, 0, 0.8, 0.9)]),
              make("sea", False, []), make("hills", False, []), make("tools", False, [])]
    assert [p.path.name for p in figure_photos(photos, 4)] == ["portrait", "crowd", "sea", "tools"]


def test_the_report_adds_the_decoding_hints_and_hint_cost_sections_beside_it(tmp_path):
    """decoding.json, hints.json and hint_cost.json beside results.json become tables in results.md, marked and compared."""
    from colorgan.report import write_report

    gray = {"arch": "gray", "epoch": None, "deltae2000": 10.0, "people_deltae2000": 12.0, "face_deltae2000": 8.0,
            "colorfulness_ratio": 0.0, "people_colorfulness_ratio": 0.0, "psnr": 20.0, "ssim": 0.9}
    model = dict(gray, arch="effcolor", epoch=5, deltae2000=8.5, people_deltae2000=11.0, colorfulness_ratio=0.7)
    grid = [dict(model, epoch=None, prior_correction=a, temperature=0.38) for a in (0.0, 0.5)]
    (tmp_path / "decoding.json").write_text(json.dumps({
        "checkpoint": "runs/effcolor/epoch-005", "data": "val", "rows": [gray, *grid],
        "chosen": {"prior_correction": 0.5, "temperature": 0.38}, "min_colourfulness": 0.6}))
    (tmp_path / "hints.json").write_text(json.dumps({"checkpoint": "effcolor epoch 5", "patch": 3, "rows": [
        {"hints": 0, "photos": 3, "deltae2000": 10.0, "psnr": 20.0, "at_hints_deltae2000": None},
        {"hints": 10, "photos": 3, "deltae2000": 6.0, "psnr": 24.0, "at_hints_deltae2000": 4.5}]}))
    (tmp_path / "hint_cost.json").write_text(json.dumps({"about": "twin", "rows": [
        gray, dict(model, variant="trained with hints (shipped), given none"),
        dict(model, variant="trained without hints", deltae2000=8.0)]}))
    markdown, _ = write_report([gray, model], tmp_path, "val", 3, 512, "evaluate", figure=None)
    text = markdown.read_text()
    lines = text.splitlines()
    delimiters = [i for i, line in enumerate(lines) if line.startswith("|---")]
    assert len(delimiters) >= 4 and all(lines[i].count("|") == lines[i - 1].count("|") for i in delimiters), \
        "every table's delimiter row has as many cells as its header (or GitHub shows no table)"
    cost = text.split("## What training with hints costs", 1)[1].split("\n## ", 1)[0]
    assert "| trained with hints (shipped), given none | 5 | 8.50 | -15.0% |" in cost
    assert "| trained without hints | 5 | 8.00 | -20.0% |" in cost
    decoding = text.split("## Decoding", 1)[1].split("\n## ", 1)[0]
    assert "| 0.50 | 0.38 **chosen** | -15.0% | -8.3% | 100% | 0.70 |" in decoding
    assert decoding.count("**chosen**") == 1
    hints = text.split("## Colour hints", 1)[1]
    assert "| 10 | 6.00 | -40.0% | 24.00 | 4.50 |" in hints and "| 0 | 10.00 |  | 20.00 |  |" in hints


def test_an_old_print_is_gray_with_other_tones_and_colours_are_scored_on_the_true_lightness():
    from colorgan.color import rgb_to_lab
    photo = natural_photo(48, 64, seed=4)
    printed = as_old_print(photo, seed=0)
    assert printed.shape == photo.shape and printed.dtype == np.uint8
    assert np.abs(rgb_to_lab(printed)[:, :, 1:]).max() < 1.5                 # no colour
    assert np.abs(printed.astype(int) - gray_rgb(photo).astype(int)).mean() > 2   # not the plain gray
    assert np.array_equal(printed, as_old_print(photo, seed=0))               # seeded: same every run
    # The true photo on the print's lightness scores (almost) perfectly; the print itself does not.
    rescored = with_lightness_of(printed, photo)
    assert np.abs(rgb_to_lab(rescored)[:, :, 0] - rgb_to_lab(gray_rgb(photo))[:, :, 0]).max() < 1.0
    assert score_photo(EvalPhoto(Path("p.png"), photo), with_lightness_of(photo, photo))["deltae2000"] < 0.5
