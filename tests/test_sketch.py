"""Sketch colorization (seed 001, issue 9): training pairs, the 1 -> 3 channel model, the
trainer's sketch task, the CLI's ``sketch`` command and the page's Sketch tab over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from colorgan import hub, webapp
from colorgan.checkpoints import CheckpointError, load_generator, save_checkpoint
from colorgan.cli import main
from colorgan.data import center_square
from colorgan.images import load_rgb
from colorgan.models import build_discriminator, build_generator
from colorgan.sketch import (LineStyle, SketchColorizer, SketchDataset, decode_lab, encode_pairs, line_drawing,
                             normalise_drawing, random_style)
from tests.conftest import REPO, natural_photo
from tests.test_trainer import TINY_RUN

# The sketch recipe's generator (effunet) at test size: the rest of TINY_RUN, without the U-Net widths.
SKETCH_TINY_RUN = ["model.generator.encoder_depth=2", "model.generator.decoder_width=4",
                   *(o for o in TINY_RUN if not o.startswith("model.generator."))]

pytestmark = pytest.mark.filterwarnings("ignore::Warning:gradio.queueing")


@pytest.fixture(scope="module")
def horse() -> np.ndarray:
    """A real photo (examples/), small: edges worth drawing."""
    return center_square(load_rgb(REPO / "examples" / "colour_horse.jpg"), 96)


def ink(drawing: np.ndarray) -> float:
    return float((drawing < 128).mean())


def pen_drawing(height: int, width: int, ground: int = 255, pen: int = 0, alpha: bool = False) -> np.ndarray:
    """A hand drawing: a few strokes (a house and a sun) on plain paper, RGB (or RGBA, transparent ground)."""
    import cv2

    canvas = np.full((height, width, 4 if alpha else 3), ground, np.uint8)
    colour = (pen, pen, pen, 255) if alpha else (pen, pen, pen)
    if alpha:
        canvas[:] = (0, 0, 0, 0)
    thick = max(1, min(height, width) // 60)
    cv2.rectangle(canvas, (width // 5, height // 2), (width // 2, height - height // 8), colour, thick)
    cv2.line(canvas, (width // 5, height // 2), (width * 7 // 20, height // 4), colour, thick)
    cv2.line(canvas, (width * 7 // 20, height // 4), (width // 2, height // 2), colour, thick)
    cv2.circle(canvas, (width * 3 // 4, height // 4), min(height, width) // 8, colour, thick)
    return canvas


# ---------------------------------------------------------------- training pairs

def test_line_drawings_are_dark_lines_on_white_paper(horse):
    for seed in range(12):
        style = random_style(np.random.default_rng(seed))
        drawing = line_drawing(horse, style)
        assert drawing.shape == horse.shape[:2] and drawing.dtype == np.uint8
        assert np.median(drawing) >= 245, f"{style}: the paper is white"
        assert 0.005 < ink(drawing) < 0.5, f"{style}: some lines, mostly paper ({ink(drawing):.3f})"
        assert drawing.min() <= 0.6 * 255, f"{style}: the lines are dark"


def test_thickness_and_threshold_vary_the_lines(horse):
    canny = [ink(line_drawing(horse, LineStyle("canny", 1.0, 0.7, t))) for t in (1, 2, 3)]
    assert canny[0] < canny[1] < canny[2], f"thicker lines cover more paper: {canny}"
    xdog = [ink(line_drawing(horse, LineStyle("xdog", 0.8, eps))) for eps in (-0.03, -0.01, 0.005)]
    assert xdog[0] < xdog[1] < xdog[2], f"a higher XDoG threshold draws more: {xdog}"
    sensitive = [ink(line_drawing(horse, LineStyle("canny", 1.0, s))) for s in (0.4, 1.2)]
    assert sensitive[0] > sensitive[1], f"a higher Canny threshold draws less: {sensitive}"
    pencil = line_drawing(horse, LineStyle("canny", 1.0, 0.7, 2, ink=0.35))
    assert 0.3 * 255 <= pencil.min() <= 0.4 * 255, "soft pencil lines are gray, not black"
    styles = [random_style(np.random.default_rng(s)) for s in range(60)]
    assert {s.method for s in styles} == {"xdog", "canny"} and {s.thickness for s in styles} == {1, 2, 3}
    assert len({round(s.threshold, 3) for s in styles}) > 20 and any(s.blur > 0 for s in styles)


def test_sketch_dataset_yields_drawing_and_photo(photo_folder):
    files = sorted((photo_folder / "train").rglob("*.*"))
    train_set = SketchDataset(files, 24, train=True)
    drawing, rgb = train_set[0]
    assert drawing.shape == (1, 24, 24) and rgb.shape == (3, 24, 24)
    assert drawing.dtype == rgb.dtype == torch.uint8
    val_set = SketchDataset(files, 20, train=False)
    assert all(torch.equal(a, b) for a, b in zip(val_set[1], val_set[1])), "validation pairs are fixed"
    pairs = [train_set[0], train_set[1]]
    condition, target = encode_pairs((torch.stack([p[0] for p in pairs]), torch.stack([p[1] for p in pairs])),
                                     torch.device("cpu"))
    assert condition.shape == (2, 1, 24, 24) and target.shape == (2, 3, 24, 24)
    assert condition.min() >= -1 and condition.max() <= 1 and target.abs().max() <= 1.01
    photos = torch.stack([p[1] for p in pairs]).float() / 255
    assert (decode_lab(target) - photos).abs().mean() < 0.01, "the target is the whole photo, in Lab"


def test_any_drawing_is_normalised_to_dark_lines_on_white():
    drawn = pen_drawing(60, 80)
    lines = drawn[:, :, 0] < 128
    for variant in (drawn, 255 - drawn,                                   # white chalk on a blackboard
                    (drawn * 0.35 + 140).astype(np.uint8),                 # faint pencil on gray paper
                    load_rgb(pen_drawing(60, 80, alpha=True))):            # transparent ground = white
        norm = normalise_drawing(variant)
        assert norm.shape == (60, 80) and norm.dtype == np.float32
        assert norm[~lines].mean() > 0.97 and norm[lines].mean() < 0.25


# ---------------------------------------------------------------- the model

# The plain U-Net, and the pretrained-encoder U-Net the shipped sketch recipe uses (tiny widths).
SKETCH_GENERATORS = {"unet": {"ngf": 8, "depth": 4, "dropout": 0.0},
                     "effunet": {"encoder_depth": 2, "decoder_width": 8, "pretrained": True}}


@pytest.mark.parametrize("arch", sorted(SKETCH_GENERATORS))
@pytest.mark.parametrize("size", [(32, 32), (33, 47), (17, 64)])
def test_sketch_generator_takes_one_channel_and_predicts_three(size, arch):
    torch.manual_seed(0)
    model = build_generator(arch, in_channels=1, out_channels=3, **SKETCH_GENERATORS[arch]).eval()
    with torch.no_grad():
        out = model(torch.rand(2, 1, *size) * 2 - 1)
    assert out.shape == (2, 3, *size) and torch.isfinite(out).all() and out.abs().max() <= 1
    drawing = torch.rand(2, 1, 64, 64) * 2 - 1   # the PatchGAN judges drawing + Lab: 1 + 3 channels
    logits = build_discriminator("patchgan", in_channels=4, ndf=8, n_layers=3)(
        torch.cat([drawing, torch.rand(2, 3, 64, 64)], dim=1))
    assert logits.shape == (2, 1, 6, 6)


@pytest.mark.parametrize("arch", sorted(SKETCH_GENERATORS))
def test_a_tiny_sketch_model_fits_a_few_pairs(horse, arch):
    """L1 on the full Lab image falls by more than half on four drawing -> photo pairs."""
    torch.manual_seed(0)
    crops = [center_square(np.ascontiguousarray(horse[y:y + 64, x:x + 64]), 32) for y, x in
             ((0, 0), (0, 32), (32, 0), (32, 32))]
    drawings = torch.stack([torch.from_numpy(line_drawing(c, LineStyle("xdog", 0.7)))[None] for c in crops])
    photos = torch.stack([torch.from_numpy(c).permute(2, 0, 1) for c in crops])
    condition, target = encode_pairs((drawings, photos), torch.device("cpu"))
    model = build_generator(arch, in_channels=1, out_channels=3, **SKETCH_GENERATORS[arch])
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3, betas=(0.5, 0.999))
    losses = []
    for _ in range(200):
        loss = torch.nn.functional.l1_loss(model(condition), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if losses[-1] < 0.4 * losses[0]:
            break
    assert losses[-1] < 0.5 * losses[0], f"L1 {losses[0]:.4f} -> {losses[-1]:.4f} in {len(losses)} steps"


# ---------------------------------------------------------------- trainer and CLI

@pytest.fixture(scope="module")
def sketch_root(tmp_path_factory):
    """A tiny sketch model trained for 2 epochs through the CLI (arch sketch), plus a tiny photo U-Net."""
    base = tmp_path_factory.mktemp("sketch")
    photos = base / "photos"
    for split, count in (("train", 5), ("val", 2)):
        (photos / split).mkdir(parents=True)
        for i in range(count):
            Image.fromarray(natural_photo(36 + i, 44, seed=i + 10 * len(split))).save(photos / split / f"{i}.png")
    out = base / "runs"
    code = main(["train", "--config", str(REPO / "train/configs/sketch.yaml"), "--no-progress",
                 f"data.train={photos / 'train'}", f"data.val={photos / 'val'}", f"train.out={out}",
                 "train.epochs=2", *SKETCH_TINY_RUN])
    assert code == 0
    torch.manual_seed(0)
    save_checkpoint(out / "unet" / "epoch-001", build_generator("unet", ngf=8, depth=4),
                    {"arch": "unet", "kwargs": {"ngf": 8, "depth": 4}, "epoch": 1, "render_size": 32,
                     "color_space": "lab"})
    return out


def test_training_writes_a_sketch_checkpoint_that_rebuilds_itself(sketch_root):
    folder = sketch_root / "sketch" / "epoch-002"
    config = json.loads((folder / "config.json").read_text())
    assert config["arch"] == "sketch" and config["task"] == "sketch" and config["generator_arch"] == "effunet"
    assert config["kwargs"]["in_channels"] == 1 and config["kwargs"]["out_channels"] == 3
    assert config["recipe"]["model"]["task"] == "sketch"
    model, _ = load_generator(folder)
    assert model.in_channels == 1 and model.out_channels == 3
    assert not (sketch_root / "unet" / "epoch-002").exists(), "a sketch run never writes under its generator's name"
    assert (sketch_root / "sketch" / "samples" / "epoch-002.png").is_file()
    log = (sketch_root / "sketch" / "train_log.csv").read_text().splitlines()
    assert len(log) == 3 and all(np.isfinite(float(x)) for x in log[-1].split(",")[-1:])

    entries = hub.list_checkpoints([sketch_root])
    assert [e.arch for e in hub.photo_entries(entries)] == ["unet"]
    with pytest.raises(CheckpointError, match="is a sketch model"):
        hub.load_colorizer(hub.resolve(entries, "sketch"))
    with pytest.raises(CheckpointError, match="not a sketch model"):
        SketchColorizer.from_checkpoint(sketch_root / "unet" / "epoch-001")
    colorizer = hub.load_sketch_colorizer(hub.resolve(entries, "sketch"))
    for drawing in (pen_drawing(50, 70), pen_drawing(41, 23)[:, :, 0], load_rgb(pen_drawing(30, 90, alpha=True))):
        result = colorizer.colorize(drawing)
        assert result.shape == (*drawing.shape[:2], 3) and result.dtype == np.uint8
    big = colorizer.colorize(pen_drawing(600, 400))
    assert big.shape == (600, 400, 3)


def test_cli_sketch_colours_files_and_folders(sketch_root, tmp_path, capsys):
    folder = tmp_path / "in" / "deeper"
    folder.mkdir(parents=True)
    Image.fromarray(pen_drawing(90, 130)).save(folder / "house.png")
    Image.fromarray(pen_drawing(40, 30, alpha=True)).save(tmp_path / "in" / "sun.png")
    (tmp_path / "in" / "notes.jpg").write_bytes(b"\xff\xd8\xff\xe0 not an image")
    Image.fromarray(pen_drawing(33, 21)).convert("L").save(tmp_path / "cat.jpg")
    out = tmp_path / "out"
    code = main(["sketch", str(tmp_path / "in"), str(tmp_path / "cat.jpg"), "--root", str(sketch_root),
                 "--epoch", "1", "--out", str(out)])
    assert code == 1, "a bad file is reported and the rest carry on"
    captured = capsys.readouterr()
    assert "notes.jpg" in captured.err and "sketch epoch 1" in captured.out
    assert load_rgb(out / "deeper" / "house.png").shape == (90, 130, 3)
    assert load_rgb(out / "sun.png").shape == (40, 30, 3)
    assert load_rgb(out / "cat.png").shape == (33, 21, 3)

    assert main(["sketch", str(tmp_path / "nope.png"), "--root", str(sketch_root)]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["sketch", str(tmp_path / "cat.jpg"), "--root", str(sketch_root), "--epoch", "9"]) == 2
    assert "has no epoch 9" in capsys.readouterr().err
    assert main(["sketch", str(tmp_path / "cat.jpg"), "--root", str(sketch_root), "--arch", "unet"]) == 2
    assert "not a sketch model" in capsys.readouterr().err
    assert main(["sketch", str(tmp_path / "cat.jpg"), "--root", str(tmp_path)]) == 2
    assert "no sketch model found" in capsys.readouterr().err
    assert main(["colorize", str(tmp_path / "cat.jpg"), "--root", str(sketch_root), "--arch", "sketch"]) == 2
    assert "python -m colorgan sketch" in capsys.readouterr().err
    assert main(["list", "--root", str(sketch_root), "--json"]) == 0
    listed = [(e["arch"], e["epoch"]) for e in json.loads(capsys.readouterr().out)]
    assert ("sketch", 2) in listed and ("unet", 1) in listed


# ---------------------------------------------------------------- the page

@pytest.fixture(scope="module")
def sketch_server(sketch_root, tmp_path_factory):
    import app as page
    from tests.test_app import free_port

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GRADIO_ANALYTICS_ENABLED", "False")
        port = free_port()
        mp.setenv("GRADIO_SERVER_NAME", "127.0.0.1")
        mp.setenv("GRADIO_SERVER_PORT", str(port))
        entries = [e for e in hub.list_checkpoints([sketch_root]) if e.path and sketch_root in e.path.parents]
        app = webapp.WebApp(entries=entries, workdir=webapp.WorkDir(tmp_path_factory.mktemp("work")))
        demo = page.build_demo(app)
        page.launch(demo, prevent_thread_lock=True, quiet=True, max_file_size=1 << 20)
        try:
            yield f"http://127.0.0.1:{port}/", app
        finally:
            demo.close()


def test_page_sketch_tab_over_http(sketch_server, tmp_path):
    from gradio_client import Client, handle_file
    from gradio_client.exceptions import AppError

    url, app = sketch_server
    assert [e.arch for e in app.entries] == ["unet"] and app.model_choices() == [("pix2pix U-Net", "unet")]
    assert app.sketch_epoch_choices() == [("epoch 2 (latest)", 2), ("epoch 1", 1)]
    client = Client(url, verbose=False, download_files=str(tmp_path / "downloads"))

    upload = tmp_path / "castle.png"
    Image.fromarray(pen_drawing(70, 110, alpha=True)).save(upload)
    view, colored, summary, download = client.predict(handle_file(str(upload)), None, 2, api_name="/sketch")
    assert Path(download).name == "castle_color.png" and Image.open(download).size == (110, 70)
    assert Image.open(colored).size == Image.open(view).size == (110, 70)
    assert "epoch 2" in summary

    drawn = tmp_path / "pad.png"   # what the sketchpad sends: layers over a white background, flattened
    Image.fromarray(pen_drawing(64, 64)).save(drawn)
    pad = {"background": None, "layers": [], "composite": handle_file(str(drawn)), "id": None}
    *_, download = client.predict(None, pad, "latest", api_name="/sketch")
    assert Path(download).name == "drawing_color.png" and Image.open(download).size == (64, 64)

    with pytest.raises(AppError, match="no drawing yet"):
        client.predict(None, None, 2, api_name="/sketch")
    blank = tmp_path / "blank.png"
    Image.new("RGB", (50, 40), "white").save(blank)
    with pytest.raises(AppError, match="blank.png is blank"):
        client.predict(handle_file(str(blank)), None, 2, api_name="/sketch")
    letter = tmp_path / "letter.png"
    letter.write_text("not a drawing")
    with pytest.raises(AppError, match="letter.png is not an image colorgan can read"):
        client.predict(handle_file(str(letter)), None, 2, api_name="/sketch")
    with pytest.raises(AppError, match="has no epoch 7"):
        client.predict(handle_file(str(upload)), None, 7, api_name="/sketch")


def test_without_a_sketch_model_the_tab_says_so(sketch_root):
    import app as page

    photo_only = webapp.WebApp(entries=hub.photo_entries(hub.list_checkpoints([sketch_root])))
    with pytest.raises(webapp.UserError, match="no sketch model is installed"):
        photo_only.colorize_sketch(None, None)
    demo = page.build_demo(photo_only)
    missing = [b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "sketch-missing"]
    assert missing and "No sketch model" in missing[0].value
    assert "sketch" in {fn.api_name for fn in demo.fns.values()}


def draw_house_and_colour_it(page, url: str, screenshot: Path) -> None:
    """In a real browser: open the Sketch tab, draw a house with the mouse on the sketchpad, colour it."""
    page.goto(url, wait_until="domcontentloaded", timeout=60_000)
    page.get_by_role("tab", name="Sketch").click()
    canvas = page.locator("#sketch-pad canvas").first
    canvas.wait_for(timeout=30_000)
    # Gradio's pad starts with no tool in a tab hidden at load; the page picks the brush itself.
    page.locator("#sketch-pad").get_by_text("select the draw tool").wait_for(state="hidden", timeout=15_000)
    box = canvas.bounding_box()   # the editor's whole area; the square paper is shown at its centre
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    reach = 0.7 * min(box["width"], box["height"])   # stay inside the paper, whatever the zoom

    def stroke(*points):   # points in [0, 1] across the paper
        page.mouse.move(cx + (points[0][0] - 0.5) * reach, cy + (points[0][1] - 0.5) * reach)
        page.mouse.down()
        for px, py in points[1:]:
            page.mouse.move(cx + (px - 0.5) * reach, cy + (py - 0.5) * reach)  # one event per corner: each costs ~0.7 s in headless WebGL
        page.mouse.up()

    stroke((0.3, 0.5), (0.7, 0.5), (0.7, 0.85), (0.3, 0.85), (0.3, 0.5))   # walls
    stroke((0.25, 0.5), (0.5, 0.3), (0.75, 0.5))                           # roof
    stroke((0.45, 0.85), (0.45, 0.7), (0.55, 0.7), (0.55, 0.85))           # door
    stroke((0.05, 0.85), (0.95, 0.85))                                     # ground
    page.locator("#sketch-button").click()
    try:
        page.locator("#sketch-colored img").first.wait_for(timeout=60_000)
        page.locator("#sketch-summary").get_by_text("Sketch model").first.wait_for(timeout=30_000)
    finally:  # the screenshot shows what went wrong too
        page.screenshot(path=str(screenshot), full_page=True)


def test_a_drawing_made_in_headless_chromium_comes_back_coloured(sketch_server, tmp_path):
    from tests.test_app import CHROMIUM_FLAGS, _chromium

    chromium = _chromium()
    if chromium is None:
        pytest.skip("chromium is not installed and cannot be installed here (needs root and apt-get)")
    from playwright.sync_api import sync_playwright

    url, app = sketch_server
    artifacts = REPO / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    before = set(app.workdir.root.rglob("drawing_color.png"))
    with sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=chromium, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1100})
        try:
            draw_house_and_colour_it(browser.new_page(), url, artifacts / "sketch-page.png")
        finally:
            browser.close()
    made = set(app.workdir.root.rglob("drawing_color.png")) - before
    assert len(made) == 1, "the page's Colour button made one full-size download of the drawn picture"
    picture = np.asarray(Image.open(made.pop()).convert("RGB"))
    assert picture.shape[:2] == (512, 512)
    lines = picture.min(axis=2) < 80          # the drawn strokes come back dark; the paper is coloured
    assert 0.01 < lines.mean() < 0.3, f"{lines.mean():.3f} of the picture is line"
