"""The command line as users and scripts call it: list, colorize, evaluate, train, data; torchrun too."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from colorgan.cli import main
from colorgan.images import load_rgb
from tests.conftest import REPO, natural_photo
from tests.test_trainer import TINY_RUN

ENV = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "COLORGAN_CHECKPOINTS": ""}


@pytest.fixture(scope="module")
def trained_root(tmp_path_factory):
    """A tiny U-Net trained for 2 epochs through the CLI, as a checkpoint root."""
    base = tmp_path_factory.mktemp("cli")
    photos = base / "photos"
    for split, count in (("train", 5), ("val", 2)):
        (photos / split).mkdir(parents=True)
        for i in range(count):
            Image.fromarray(natural_photo(36 + i, 44, seed=i + 10 * len(split))).save(photos / split / f"{i}.png")
    out = base / "runs"
    code = main(["train", "--config", str(REPO / "train/configs/unet.yaml"), "--no-progress",
                 f"data.train={photos / 'train'}", f"data.val={photos / 'val'}", f"train.out={out}",
                 "train.epochs=2", *TINY_RUN])
    assert code == 0
    return out, photos


def test_list_text_and_json(trained_root, capsys):
    root, _ = trained_root
    assert main(["list", "--root", str(root), "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    mine = [e for e in entries if e["source"] == str(root)]
    assert [(e["arch"], e["epoch"]) for e in mine] == [("unet", 1), ("unet", 2)]
    assert main(["list", "--root", str(root)]) == 0
    assert "unet" in capsys.readouterr().out


def test_colorize_files_and_folders_keep_full_size(trained_root, tmp_path):
    root, photos = trained_root
    odd = tmp_path / "in" / "deeper"
    odd.mkdir(parents=True)
    Image.fromarray(natural_photo(333, 517)).convert("L").save(odd / "old photo.jpg")   # genuine gray, odd size
    Image.fromarray(natural_photo(1, 1)).save(tmp_path / "in" / "dot.png")
    out = tmp_path / "out"
    assert main(["colorize", str(tmp_path / "in"), str(photos / "val" / "0.png"), "--root", str(root),
                 "--arch", "unet", "--epoch", "1", "--out", str(out)]) == 0
    result = load_rgb(out / "deeper" / "old photo_color.png")
    assert result.shape == (333, 517, 3)
    assert load_rgb(out / "dot_color.png").shape == (1, 1, 3)
    assert load_rgb(out / "0_color.png").shape == (36, 44, 3)


def test_colorize_reports_bad_files_and_carries_on(trained_root, tmp_path, capsys):
    root, photos = trained_root
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    good = tmp_path / "good.png"
    Image.fromarray(natural_photo(20, 30)).save(good)
    code = main(["colorize", str(tmp_path / "broken.jpg"), str(good), "--root", str(root), "--out", str(tmp_path / "o")])
    assert code == 1
    assert "broken.jpg" in capsys.readouterr().err
    assert (tmp_path / "o" / "good_color.png").is_file()


def test_clear_errors_for_missing_things(trained_root, tmp_path, capsys):
    root, photos = trained_root
    assert main(["colorize", str(tmp_path / "nope.jpg"), "--root", str(root)]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["colorize", str(photos / "val"), "--root", str(root), "--arch", "unet", "--epoch", "9"]) == 2
    assert "available epochs: 1, 2" in capsys.readouterr().err
    assert main(["colorize", str(photos / "val"), "--root", str(root), "--arch", "../evil"]) == 2
    assert "invalid architecture" in capsys.readouterr().err
    assert main(["train", "--config", str(REPO / "train/configs/unet.yaml"), "train.epochs=lots"]) == 2
    assert "integer" in capsys.readouterr().err


def test_evaluate_table_json_and_gray_row(trained_root, tmp_path, capsys):
    root, photos = trained_root
    report = tmp_path / "eval.json"
    docs = tmp_path / "docs"
    assert main(["evaluate", "--data", str(photos / "val"), "--root", str(root), "--arch", "all",
                 "--epoch", "all", "--json", str(report), "--out", str(docs), "--figure-photos", "2"]) == 0
    printed = capsys.readouterr().out
    assert "| gray |" in printed and "| unet | 2 |" in printed
    rows = json.loads(report.read_text())["rows"]
    assert [(r["arch"], r["epoch"]) for r in rows][:3] == [("gray", None), ("unet", 1), ("unet", 2)]
    for row in rows:
        assert {"psnr", "ssim", "deltae2000", "colorfulness", "colorfulness_gt"} <= set(row)
    assert rows[0]["colorfulness"] < 1.0
    # The report: the same rows, the training losses of each epoch, and the figure it links.
    assert json.loads((docs / "results.json").read_text())["rows"] == rows
    markdown = (docs / "results.md").read_text()
    assert "![validation photos through every architecture](compare.png)" in markdown
    unet_2 = next(r for r in rows if r["arch"] == "unet" and r["epoch"] == 2)
    assert f"| {unet_2['deltae2000']:.2f} |" in markdown and f"| {unet_2['train_g_l1']:.4f} |" in markdown
    figure = load_rgb(docs / "compare.png")
    assert figure.shape[0] > 100 and figure.shape[1] > 3 * 100  # 2 rows; gray, unet, original


def test_evaluate_as_prints_scores_colours_and_leaves_the_report_alone(trained_root, tmp_path, capsys,
                                                                       monkeypatch):
    root, photos = trained_root
    monkeypatch.chdir(tmp_path)                    # where the default docs/ would be written
    report = tmp_path / "prints.json"
    assert main(["evaluate", "--data", str(photos / "val"), "--root", str(root), "--arch", "unet", "--epoch", "2",
                 "--as-prints", "--json", str(report)]) == 0
    assert "old-print tones" in capsys.readouterr().out
    assert not (tmp_path / "docs").exists()
    saved = json.loads(report.read_text())
    assert "old-print" in json.dumps(saved)
    plain = tmp_path / "plain.json"
    assert main(["evaluate", "--data", str(photos / "val"), "--root", str(root), "--arch", "unet", "--epoch", "2",
                 "--json", str(plain), "--out", ""]) == 0
    gray_rows = [json.loads(path.read_text())["rows"][0] for path in (report, plain)]
    assert gray_rows[0]["deltae2000"] == gray_rows[1]["deltae2000"]            # same floor
    model_rows = [json.loads(path.read_text())["rows"][1] for path in (report, plain)]
    assert model_rows[0]["deltae2000"] != model_rows[1]["deltae2000"]          # other inputs


def test_data_pairs(trained_root, tmp_path, capsys):
    _, photos = trained_root
    assert main(["data", "pairs", str(photos / "train"), str(tmp_path / "pairs"), "--size", "32"]) == 0
    files = sorted((tmp_path / "pairs").glob("*.png"))
    assert len(files) == 5 and load_rgb(files[0]).shape == (32, 64, 3)


def test_module_entry_point_help():
    done = subprocess.run([sys.executable, "-m", "colorgan", "--help"], capture_output=True, text=True, env=ENV,
                          cwd=REPO, timeout=120)
    assert done.returncode == 0
    for command in ("list", "colorize", "evaluate", "train", "data"):
        assert command in done.stdout


def torchrun(*args, cwd):
    return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
                           "--standalone", "-m", "colorgan", *args], capture_output=True, text=True, env=ENV,
                          cwd=cwd, timeout=600)


def test_torchrun_two_process_training_on_cpu(trained_root, tmp_path):
    _, photos = trained_root
    out = tmp_path / "ddp"
    done = torchrun("train", "--config", str(REPO / "train/configs/unet.yaml"), "--no-progress",
                    f"data.train={photos / 'train'}", f"data.val={photos / 'val'}", f"train.out={out}",
                    "train.epochs=2", *TINY_RUN, "train.batch_size=2", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 processes" in done.stdout
    rows = list(csv.DictReader((out / "unet" / "train_log.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2], "only rank 0 writes: one row per epoch"
    assert int(rows[0]["images"]) == 2 * 2 * int(rows[0]["steps"]), "both ranks' images counted"
    assert (out / "unet" / "epoch-002" / "model.safetensors").is_file()


def test_torchrun_colorize_splits_files(trained_root, tmp_path):
    root, photos = trained_root
    done = torchrun("colorize", str(photos / "train"), "--root", str(root), "--out", str(tmp_path / "o"), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    written = sorted(p.name for p in (tmp_path / "o").glob("*.png"))
    assert written == [f"{i}_color.png" for i in range(5)]
    assert done.stdout.count("->") == 5, "each file colorized exactly once across the two ranks"


@pytest.fixture(scope="module")
def hint_root(tmp_path_factory):
    """A tiny (untrained) effcolor checkpoint: it takes hints and predicts a distribution."""
    from tests.conftest import save_hint_sensitive_effcolor

    return save_hint_sensitive_effcolor(tmp_path_factory.mktemp("hints") / "root")


def test_colorize_follows_a_hint_file_and_a_folder_of_them(hint_root, tmp_path):
    photos = tmp_path / "in"
    photos.mkdir()
    for name in ("grandma", "street"):
        Image.fromarray(natural_photo(60, 90, seed=len(name))).convert("L").save(photos / f"{name}.png")
    hint = [{"x": 45, "y": 30, "color": "#2050c0", "size": 30}]
    (tmp_path / "grandma.json").write_text(json.dumps(hint))
    common = ["--root", str(hint_root), "--arch", "effcolor"]
    assert main(["colorize", str(photos / "grandma.png"), *common, "--out", str(tmp_path / "plain")]) == 0
    assert main(["colorize", str(photos / "grandma.png"), *common, "--hints", str(tmp_path / "grandma.json"),
                 "--out", str(tmp_path / "hinted")]) == 0
    plain = load_rgb(tmp_path / "plain" / "grandma_color.png").astype(int)
    hinted = load_rgb(tmp_path / "hinted" / "grandma_color.png").astype(int)
    assert np.abs(plain - hinted).mean() > 0.1   # the hint reached the model (following it is trained, tested on the shipped one)
    # a folder of <stem>.json: street has none and gets no hints
    folder = tmp_path / "hint_files"
    folder.mkdir()
    (folder / "grandma.json").write_text(json.dumps(hint))
    assert main(["colorize", str(photos), *common, "--hints", str(folder), "--out", str(tmp_path / "both")]) == 0
    assert np.array_equal(load_rgb(tmp_path / "both" / "grandma_color.png"), hinted.astype(np.uint8))
    assert np.array_equal(load_rgb(tmp_path / "both" / "street_color.png"),
                          load_rgb(tmp_path / "plain" / "grandma_color.png")) is False
    # vividness: the temperature changes the colours of a distribution model
    assert main(["colorize", str(photos / "street.png"), *common, "--temperature", "2.5",
                 "--out", str(tmp_path / "cautious")]) == 0
    assert not np.array_equal(load_rgb(tmp_path / "cautious" / "street_color.png"),
                              load_rgb(tmp_path / "both" / "street_color.png"))


@pytest.mark.parametrize("content, words", [
    ('[{"x": 500, "y": 3, "color": "#ffffff"}]', "entry 0: x=500 is off the photo (90x60 px"),
    ('[{"x": 5, "y": 3, "color": "sky"}]', "entry 0: color 'sky' is not an sRGB colour"),
    ("{not json", "not valid JSON"),
    (json.dumps([{"x": 1, "y": 1, "color": "#000"}] * 3000), "3000 hints is more than"),
])
def test_bad_hints_are_one_line_and_nothing_is_written(hint_root, tmp_path, capsys, content, words):
    photo = tmp_path / "grandma.png"
    Image.fromarray(natural_photo(60, 90)).save(photo)
    hints = tmp_path / "grandma.json"
    hints.write_text(content)
    out = tmp_path / "out"
    assert main(["colorize", str(photo), "--root", str(hint_root), "--hints", str(hints), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and str(hints) in err and words in err and "\n" not in err
    assert not out.exists()


def test_hints_for_a_model_without_them_are_ignored_with_a_warning(trained_root, tmp_path, capsys):
    root, photos = trained_root
    hints = tmp_path / "h.json"
    hints.write_text('[{"x": 1, "y": 1, "color": "#c08060"}]')
    assert main(["colorize", str(photos / "val" / "0.png"), "--root", str(root), "--arch", "unet",
                 "--hints", str(hints), "--out", str(tmp_path / "o")]) == 0
    assert "does not take colour hints" in capsys.readouterr().err
    assert main(["colorize", str(photos / "val"), "--root", str(root), "--hints", str(hints),
                 "--out", str(tmp_path / "o2")]) == 2
    assert "a hint file is for one photo" in capsys.readouterr().err
