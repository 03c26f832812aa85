"""The checkpoints shipped in checkpoints/: listed, verified against the manifest, and usable."""

from __future__ import annotations

import json

import pytest

from colorgan import hub
from colorgan.images import load_rgb
from tests.conftest import REPO


@pytest.fixture
def shipped(monkeypatch):
    monkeypatch.setenv("COLORGAN_BUILTIN_CHECKPOINTS", "1")
    monkeypatch.delenv("COLORGAN_CHECKPOINTS", raising=False)
    monkeypatch.delenv("COLORGAN_HUB_REPO", raising=False)
    return [e for e in hub.list_checkpoints() if e.source == "checkpoints"]


def test_manifest_covers_every_shipped_checkpoint(shipped):
    manifest = json.loads((REPO / "checkpoints" / "manifest.json").read_text())
    listed = {(c["arch"], c["epoch"]) for c in manifest["checkpoints"]}
    assert shipped and {(e.arch, e.epoch) for e in shipped} == listed
    assert all(e.digests for e in shipped), "every shipped checkpoint has sha256 digests"


def test_checkpoints_folder_fits_the_budget():
    total = sum(p.stat().st_size for p in (REPO / "checkpoints").rglob("*") if p.is_file())
    assert total <= 40_000_000, f"checkpoints/ is {total / 1e6:.1f} MB; the limit is 40 MB"


def test_every_shipped_checkpoint_colorizes_an_example_at_full_size(shipped):
    photo = load_rgb(REPO / "examples" / "gray_astronaut.jpg")
    for entry in hub.photo_entries(shipped):
        colorizer = hub.load_colorizer(entry, device="cpu")
        result = colorizer.colorize(photo, size=64)
        assert result.shape == photo.shape, entry


def test_the_shipped_sketch_model_paints_a_drawing(shipped):
    """Both shipped sketch epochs turn a drawn house into colour: the paper gets a non-gray tint, the lines stay."""
    import importlib.util

    import numpy as np

    spec = importlib.util.spec_from_file_location("sketch_figure", REPO / "train" / "sketch_figure.py")
    figure = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(figure)
    sketches = hub.sketch_entries(shipped)
    assert len(sketches) >= 2, "the sketch model ships its final epoch and an earlier one"
    drawing = figure.house()
    for entry in sketches:
        picture = hub.load_sketch_colorizer(entry, device="cpu").colorize(drawing)
        assert picture.shape == drawing.shape and picture.dtype == np.uint8, entry
        paper = picture[drawing.min(axis=2) > 200].astype(np.float32)
        chroma = paper.max(axis=1) - paper.min(axis=1)   # 0 for gray, up to 255 for saturated colour
        assert chroma.mean() > 12, f"{entry}: the paper came back gray (mean chroma {chroma.mean():.1f})"
        assert picture[drawing.min(axis=2) < 50].mean() < 90, f"{entry}: the drawn lines were lost"


def test_every_architecture_ships_with_its_epochs(shipped):
    """The page's pickers show learning: every architecture its final epoch and two earlier ones; the
    recommended network (4.4M parameters) two."""
    from colorgan.models import generator_names

    epochs: dict[str, list[int]] = {}
    for entry in shipped:
        epochs.setdefault(entry.arch, []).append(entry.epoch)
    expected = set(generator_names())
    assert expected <= set(epochs), f"not shipped: {sorted(expected - set(epochs))}"
    for arch in expected:
        assert len(epochs[arch]) >= (2 if arch == "effcolor" else 3), (arch, epochs[arch])


def test_exactly_one_photo_checkpoint_is_recommended_and_it_is_the_measured_best(shipped):
    from colorgan.evaluation import recommended_pick

    marked = [e for e in shipped if e.recommended]
    assert len(marked) == 1 and marked[0].arch != hub.SKETCH_ARCH
    results = json.loads((REPO / "docs" / "results.json").read_text())
    assert recommended_pick(results["rows"]) == (marked[0].arch, marked[0].epoch)
    assert hub.resolve(shipped) == marked[0]
    assert shipped[0].arch == marked[0].arch      # listed (and offered on the page) first


def test_readme_results_come_from_the_shipped_checkpoints():
    """The README's results block is what train/ship.py makes of docs/results.json and checkpoints/."""
    from tests.test_ship import ship

    results = json.loads((REPO / "docs" / "results.json").read_text())
    shipped_pairs = {(a, e) for a, e, _ in ship.scan_root(REPO / "checkpoints") if a != hub.SKETCH_ARCH}
    evaluated = {(r["arch"], r["epoch"]) for r in results["rows"] if r["arch"] != "gray"}
    assert shipped_pairs <= evaluated, f"not evaluated: {sorted(shipped_pairs - evaluated)}"
    readme = (REPO / "README.md").read_text()
    block = readme.split(ship.START, 1)[1].split(ship.END, 1)[0].strip()
    assert block == ship.readme_section(results, REPO / "checkpoints").strip()
    assert (REPO / "docs" / "compare.png").is_file() and "docs/results.md" in readme
