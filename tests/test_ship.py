"""train/ship.py: a run becomes a checkpoint set in the Hub layout, and the README block follows the results."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest
from PIL import Image

from colorgan import hub
from colorgan.checkpoints import scan_root
from colorgan.cli import main
from tests.conftest import REPO, natural_photo
from tests.test_trainer import TINY_RUN


def _load_ship():
    spec = importlib.util.spec_from_file_location("ship", REPO / "train" / "ship.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["ship"] = module
    spec.loader.exec_module(module)
    return module


ship = _load_ship()


def test_spaced_epochs_keep_the_last_and_spread_the_rest():
    assert ship.spaced_epochs(list(range(1, 11)), 3) == [3, 7, 10]
    assert ship.spaced_epochs(list(range(1, 11)), 6) == [2, 3, 5, 7, 8, 10]
    assert ship.spaced_epochs([1, 2], 3) == [1, 2]
    assert ship.spaced_epochs([4, 8, 12, 16], 2) == [8, 16]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A tiny U-Net trained 4 epochs through the CLI: the runs/ folder train_all.py leaves."""
    base = tmp_path_factory.mktemp("ship")
    photos = base / "photos"
    for split, count in (("train", 4), ("val", 2)):
        (photos / split).mkdir(parents=True)
        for i in range(count):
            Image.fromarray(natural_photo(34 + i, 40, seed=i + 7 * len(split))).save(photos / split / f"{i}.png")
    out = base / "runs"
    assert main(["train", "--config", str(REPO / "train/configs/unet.yaml"), "--no-progress",
                 f"data.train={photos / 'train'}", f"data.val={photos / 'val'}", f"train.out={out}",
                 "train.epochs=4", *TINY_RUN]) == 0
    return out, photos


def test_ship_copies_chosen_epochs_and_writes_the_manifest(runs, tmp_path):
    out, _ = runs
    root = tmp_path / "checkpoints"
    (root / "unet" / "epoch-099").mkdir(parents=True)  # an older shipped set is replaced whole
    assert ship.main(["--runs", str(out), "--to", str(root), "--keep", "3"]) == 0
    assert [(a, e) for a, e, _ in scan_root(root)] == [("unet", 1), ("unet", 3), ("unet", 4)]
    unet = root / "unet"
    assert sorted(p.name for p in (unet / "epoch-003").iterdir()) == ["config.json", "model.safetensors"]
    assert [p.name for p in (unet / "samples").iterdir()] == ["epoch-004.png"]
    assert (unet / "loss_curve.png").is_file() and not (unet / "state").exists()
    assert [line.split(",")[0] for line in (unet / "train_log.csv").read_text().splitlines()] == \
        ["epoch", "1", "2", "3", "4"]
    manifest = json.loads((root / "manifest.json").read_text())
    assert {(c["arch"], c["epoch"]) for c in manifest["checkpoints"]} == {("unet", 1), ("unet", 3), ("unet", 4)}
    assert not list(root.glob(".*")), "no staging folders left behind"
    entries = hub.list_checkpoints([root])
    colorizer = hub.load_colorizer(hub.resolve(entries, "unet", "latest"), device="cpu")
    assert colorizer.colorize(natural_photo(30, 50)).shape == (30, 50, 3)


def test_results_fill_the_manifest_and_the_readme_block(runs, tmp_path):
    out, photos = runs
    root = tmp_path / "checkpoints"
    ship.main(["--runs", str(out), "--to", str(root), "--keep", "2"])
    docs = tmp_path / "docs"
    assert main(["evaluate", "--data", str(photos / "val"), "--root", str(root), "--arch", "all", "--epoch", "all",
                 "--out", str(docs), "--figure-photos", "0"]) == 0
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\n\n{ship.START}\nold\n{ship.END}\n\nafter\n")
    assert ship.main(["--no-copy", "--to", str(root), "--results", str(docs / "results.json"),
                      "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert "old" not in text and text.endswith("after\n")
    rows = json.loads((docs / "results.json").read_text())["rows"]
    from colorgan.evaluation import recommended_pick

    pick = recommended_pick(rows)   # the README shows the recommended epoch, marked
    best = next(r for r in rows if (r["arch"], r["epoch"]) == pick)
    assert f"| **unet** (recommended, epoch {pick[1]}) | 2, 4 | " in text and f"| {best['deltae2000']:.2f} |" in text
    manifest = json.loads((root / "manifest.json").read_text())
    metrics = {(c["arch"], c["epoch"]): c.get("metrics") for c in manifest["checkpoints"]}
    final = next(r for r in rows if r["arch"] == "unet" and r["epoch"] == 4)
    assert metrics[("unet", 4)]["deltae2000"] == pytest.approx(final["deltae2000"])
    assert [(c["arch"], c["epoch"]) for c in manifest["checkpoints"] if c["recommended"]] == [pick]
    assert manifest["baseline"]["deltae2000"] == pytest.approx(rows[0]["deltae2000"])
    # A README without the block is an error that says so, not a silent append.
    readme.write_text("# no block\n")
    with pytest.raises(SystemExit, match="results:start"):
        ship.main(["--no-copy", "--to", str(root), "--results", str(docs / "results.json"), "--readme", str(readme)])


def test_requantize_re_stores_shipped_checkpoints_in_place(runs, tmp_path):
    out, _ = runs
    root = tmp_path / "checkpoints"
    ship.main(["--runs", str(out), "--to", str(root), "--keep", "4", "--dtype", "float16"])
    before = (root / "unet" / "epoch-004" / "model.safetensors").stat().st_size
    photo = natural_photo(30, 50)
    colour_before = hub.load_colorizer(hub.resolve(hub.list_checkpoints([root]), "unet", "latest"),
                                       device="cpu").colorize(photo)
    assert ship.main(["--requantize", "unet", "--to", str(root), "--keep", "2", "--dtype", "int8"]) == 0
    assert [(a, e) for a, e, _ in scan_root(root)] == [("unet", 2), ("unet", 4)]
    assert (root / "unet" / "epoch-004" / "model.safetensors").stat().st_size < 0.6 * before
    assert json.loads((root / "unet" / "epoch-004" / "config.json").read_text())["dtype"] == "int8"
    entries = hub.list_checkpoints([root])   # the manifest was rewritten: the digests match the new files
    colour_after = hub.load_colorizer(hub.resolve(entries, "unet", "latest"), device="cpu").colorize(photo)
    assert abs(colour_after.astype(int) - colour_before.astype(int)).mean() < 2
