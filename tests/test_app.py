"""The web page (app.py + colorgan/webapp.py), launched in-process and driven over HTTP.

gradio_client calls every event as a visitor's browser would (uploads included); one test
drives the real page in headless Chromium (Playwright) and saves a screenshot to
test-artifacts/page.png.  Checkpoints are tiny ones in a temporary root named by
COLORGAN_CHECKPOINTS; whatever the repo's checkpoints/ holds is left out of the page.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import threading
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from colorgan import hub, webapp
from colorgan.web import batch as web_batch
from colorgan.checkpoints import save_checkpoint
from colorgan.models import build_generator
from tests.conftest import REPO, natural_photo

ARCHS = {"unet": ({"ngf": 8, "depth": 4}, (901, 902, 903)), "linknet": ({"ngf": 8, "levels": 3}, (901, 902))}
UPLOAD_LIMIT = 1 << 20  # the test server refuses uploads above 1 MB
pytestmark = pytest.mark.filterwarnings("ignore::Warning:gradio.queueing")  # pandas deprecations inside Gradio
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def make_root(root: Path) -> Path:
    for arch, (kwargs, epochs) in ARCHS.items():
        for epoch in epochs:
            torch.manual_seed(epoch)
            save_checkpoint(root / arch / f"epoch-{epoch:03d}", build_generator(arch, **kwargs),
                            {"arch": arch, "kwargs": kwargs, "epoch": epoch, "render_size": 32, "color_space": "lab"})
    (root / "unet" / "train_log.csv").write_text(
        "epoch,g_l1,val_l1,g_adv,d_total\n901,0.3,0.32,0.9,0.7\n902,0.2,0.25,0.8,0.6\n903,0.15,0.2,0.85,0.65\n")
    # as ship.py leaves it: measured on val, unet epoch 902 the best and so the default
    from colorgan.hub import write_manifest

    write_manifest(root, {("unet", 902): {"deltae2000": 9.0}, ("unet", 903): {"deltae2000": 9.5},
                          ("linknet", 902): {"deltae2000": 11.0}},
                   recommended=("unet", 902), baseline={"deltae2000": 10.0})
    return root


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The page on a free port, over the tiny checkpoints only; yields (url, WebApp)."""
    import app as page

    root = make_root(tmp_path_factory.mktemp("ckpts"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COLORGAN_CHECKPOINTS", str(root))
        mp.delenv("COLORGAN_HUB_REPO", raising=False)
        mp.setenv("GRADIO_ANALYTICS_ENABLED", "False")
        port = free_port()
        mp.setenv("GRADIO_SERVER_NAME", "127.0.0.1")   # launch() takes both from the environment
        mp.setenv("GRADIO_SERVER_PORT", str(port))
        listed = hub.list_checkpoints()
        entries = [e for e in listed if e.path is not None and root in e.path.parents]
        app = webapp.WebApp(entries=entries, cache=webapp.ModelCache(capacity=8),
                            workdir=webapp.WorkDir(tmp_path_factory.mktemp("work")))
        demo = page.build_demo(app)
        page.launch(demo, prevent_thread_lock=True, quiet=True, max_file_size=UPLOAD_LIMIT)
        try:
            yield f"http://127.0.0.1:{port}/", app
        finally:
            demo.close()


@contextmanager
def launched_page(root: Path, tmp_path_factory, **launch):
    """The page over the checkpoints under ``root`` only, on a free 127.0.0.1 port: yields (url, WebApp, demo)."""
    import app as page

    port = free_port()
    entries = [e for e in hub.list_checkpoints([root]) if e.path is not None and root in e.path.parents]
    app = webapp.WebApp(entries=entries, workdir=webapp.WorkDir(tmp_path_factory.mktemp("work")))
    demo = page.build_demo(app)
    page.launch(demo, prevent_thread_lock=True, quiet=True, server_name="127.0.0.1", server_port=port, **launch)
    try:
        yield f"http://127.0.0.1:{port}/", app, demo
    finally:
        demo.close()


def client_for(url: str, tmp_path_factory):
    """A gradio_client Client for a launched page, downloading into a fresh folder."""
    from gradio_client import Client

    return Client(url, verbose=False, download_files=str(tmp_path_factory.mktemp("downloads")))


@pytest.fixture(scope="module")
def client(server, tmp_path_factory):
    return client_for(server[0], tmp_path_factory)


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("photos")
    paths = {"colour": folder / "family.png", "bw": folder / "grandpa.png", "exif": folder / "phone.jpg",
             "example": folder / "horse.jpg"}
    with Image.open(REPO / "examples" / "colour_horse.jpg") as example:  # a real photo, small, for the browser
        example.convert("RGB").resize((320, 208)).save(paths["example"], quality=90)
    Image.fromarray(natural_photo(72, 96, seed=1)).save(paths["colour"])
    Image.fromarray(natural_photo(64, 48, seed=2)).convert("L").save(paths["bw"])
    exif = Image.Exif()
    exif[0x0112] = 6  # stored 80x60, shown rotated by 90 degrees: 60 wide, 80 high
    Image.fromarray(natural_photo(60, 80, seed=3)).save(paths["exif"], exif=exif, quality=95)
    return paths


def upload(path):
    from gradio_client import handle_file

    return handle_file(str(path))


# ---------------------------------------------------------------- the page over HTTP

def test_checkpoints_come_from_the_hub_listing(server):
    _, app = server
    assert [(e.arch, e.epoch) for e in app.entries] == [("unet", 901), ("unet", 902), ("unet", 903),
                                                        ("linknet", 901), ("linknet", 902)]
    # ordered by measured results, each with its validation figure; the default epoch marked
    assert app.model_choices() == [("pix2pix U-Net (recommended) · val -10% vs gray", "unet"),
                                   ("LinkNet · val +10% vs gray", "linknet")]
    assert app.epoch_choices("linknet") == [("epoch 902 (best measured, val +10% vs gray)", 902), ("epoch 901", 901)]
    assert app.epoch_choices("unet") == [("epoch 903 (latest, val -5% vs gray)", 903),
                                         ("epoch 902 (recommended, val -10% vs gray)", 902), ("epoch 901", 901)]
    assert (app.default_arch(), app.default_epoch("unet"), app.default_epoch("linknet")) == ("unet", 902, 902)
    assert app.entry("unet", None).epoch == 902 and app.entry("unet", "latest").epoch == 903


def test_colorize_three_panels_metrics_and_full_size_download(client, photos):
    gray, colorized, original, slider, summary, download, unsure = client.predict(
        upload(photos["colour"]), "unet", 902, 32, 1.0, api_name="/colorize")
    assert Path(download).name == "family_color.png"
    assert Image.open(download).size == (96, 72), "the download is the upload's full size"
    for view in (gray, colorized, original):
        assert Image.open(view).size == (96, 72)
    gray_px = np.asarray(Image.open(gray).convert("RGB")).astype(int)
    assert np.abs(gray_px - gray_px.mean(axis=2, keepdims=True)).max() <= 6, "the grayscale panel has no colour"
    source = np.asarray(Image.open(photos["colour"]).convert("RGB")).astype(int)
    assert np.abs(np.asarray(Image.open(original).convert("RGB")).astype(int) - source).mean() < 4
    assert [Path(p).name for p in slider] == [Path(gray).name, Path(colorized).name]
    assert "PSNR" in summary and "SSIM" in summary and "CIEDE2000" in summary and "epoch 902" in summary

    *_, summary, download, _ = client.predict(upload(photos["exif"]), "linknet", 901, 64, 1.5, api_name="/colorize")
    assert Image.open(download).size == (60, 80), "EXIF orientation is applied"

    *_, summary, download, _ = client.predict(upload(photos["bw"]), "unet", 903, 0, 1.0, api_name="/colorize")
    assert "no colour reference" in summary and "| colorized |" not in summary
    assert Image.open(download).size == (48, 64)


def test_epoch_choices_follow_the_model(client):
    update = client.predict("linknet", api_name="/epochs")
    assert update["value"] == 902 and [value for _, value in update["choices"]] == [902, 901]
    update = client.predict("unet", api_name="/epochs")
    assert update["value"] == 902 and [value for _, value in update["choices"]] == [903, 902, 901]


def test_compare_gives_gray_and_one_result_per_architecture(client, photos):
    gallery, summary = client.predict(upload(photos["colour"]), 32, 1.0, api_name="/compare")
    captions = [item["caption"] for item in gallery]
    assert len(gallery) == 3
    assert captions[0].startswith("gray (no colour) · ΔE ")
    assert captions[1].startswith("pix2pix U-Net · ep 902 · ΔE") and captions[2].startswith("LinkNet · ep 902")
    assert all(len(c) <= 40 for c in captions), "short captions: the table holds the rest"
    assert all(Image.open(item["image"]).size == (96, 72) for item in gallery)
    assert "| gray (no colour) |" in summary and "| LinkNet | 902 |" in summary and "total s" in summary


def test_progress_gives_one_result_per_epoch_and_loss_curves(client, photos):
    gallery, curves, summary = client.predict(upload(photos["bw"]), "unet", api_name="/progress")
    assert [item["caption"] for item in gallery] == ["epoch 901", "epoch 902", "epoch 903"]
    assert Image.open(curves).format == "PNG" and "3 epochs" in summary
    gallery, curves, _ = client.predict(upload(photos["colour"]), "linknet", api_name="/progress")
    assert [item["caption"].split(" · ")[0] for item in gallery] == ["epoch 901", "epoch 902"]
    assert curves is None, "linknet has no train_log.csv"


def test_errors_say_what_to_do(client, server, tmp_path, photos):
    import httpx
    from gradio_client.exceptions import AppError

    text = tmp_path / "letter.jpg"
    text.write_text("Dear grandma, here are the photos.")
    with pytest.raises(AppError, match="letter.jpg is not an image colorgan can read. Use a JPEG"):
        client.predict(upload(text), "unet", 903, 32, 1.0, api_name="/colorize")

    huge = tmp_path / "poster.png"
    Image.new("1", (8000, 7000)).save(huge)  # 56 megapixels in a few kB: refused before decoding
    with pytest.raises(AppError, match=r"poster.png is 8000x7000 = 56 megapixels; this page takes photos up to 50 MP. Shrink it to 7559x6614 px or less"):
        client.predict(upload(huge), "unet", 903, 32, 1.0, api_name="/colorize")

    with pytest.raises(AppError, match="has no epoch 904; choose one of 901, 902, 903"):
        client.predict(upload(photos["colour"]), "unet", 904, 32, 1.0, api_name="/colorize")
    with pytest.raises(AppError, match="not in the list of choices"):
        client.predict(upload(photos["colour"]), "effunet-xl", 1, 32, 1.0, api_name="/colorize")
    with pytest.raises(AppError, match="no photo yet"):
        client.predict(None, "unet", 903, 32, 1.0, api_name="/colorize")
    with pytest.raises(AppError, match="render size 8 is out of range"):
        client.predict(upload(photos["colour"]), "unet", 903, 8, 1.0, api_name="/colorize")

    big = tmp_path / "scan.tif"
    big.write_bytes(os.urandom(UPLOAD_LIMIT + 1000))
    with pytest.raises(ValueError, match="exceeds the maximum file size"):
        client.predict(upload(big), "unet", 903, 32, 1.0, api_name="/colorize")
    with big.open("rb") as handle:  # the server refuses it too, not only the client
        refused = httpx.post(server[0] + "gradio_api/upload", files=[("files", ("scan.tif", handle))])
    assert refused.status_code == 413 and "maximum allowed size" in refused.text


def test_batch_returns_a_zip_of_full_size_pngs(client, tmp_path):
    sizes = {"a": (40, 52), "b": (33, 47), "evil": (30, 30), "c": (50, 36)}
    def png(name):
        buffer = io.BytesIO()
        Image.fromarray(natural_photo(*sizes[name], seed=len(name))).save(buffer, format="PNG")
        return buffer.getvalue()
    archive = tmp_path / "album.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a.png", png("a"))
        zf.writestr("scans/b.png", png("b"))
        zf.writestr("../../evil.png", png("evil"))   # a name that would escape if extracted
        zf.writestr("notes.txt", "not a photo")
        zf.writestr("__MACOSX/._a.png", b"\0\0")
    loose = tmp_path / "c.png"
    loose.write_bytes(png("c"))
    zf_broken = tmp_path / "broken.jpg"
    zf_broken.write_bytes(b"\xff\xd8 not a photo")
    result, summary, thumbnails = client.predict([upload(archive), upload(loose), upload(zf_broken)], "unet", 903, 32,
                                                 1.0, api_name="/batch")
    assert len(thumbnails) == 4 and all(max(Image.open(t["image"]).size) <= 256 for t in thumbnails)
    assert "- broken.jpg: it is not an image colorgan can read" in summary and "broken.jpg: broken.jpg" not in summary
    assert "render size 32 px, strength 1" in summary
    with zipfile.ZipFile(result) as zf:
        names = sorted(zf.namelist())
        assert names == ["a_color.png", "b_color.png", "c_color.png", "evil_color.png"]
        for name in names:
            height, width = sizes[name.split("_")[0]]
            assert Image.open(io.BytesIO(zf.read(name))).size == (width, height)
    assert "4 photos colorized" in summary and "notes.txt: not an image file" in summary
    assert not (tmp_path.parent / "evil.png").exists()


def test_no_model_was_loaded_twice(server):
    _, app = server
    assert app.cache.loads, "the tests above loaded models"
    assert max(app.cache.loads.values()) == 1, app.cache.loads


def test_queue_bounds_the_jobs_that_run_models():
    import app as page

    demo = page.build_demo(webapp.WebApp(entries=[]))   # no checkpoints: the page still builds
    heavy = {fn.api_name: (fn.concurrency_id, fn.concurrency_limit) for fn in demo.fns.values()
             if fn.api_name in ("colorize", "compare", "progress", "batch")}
    assert heavy == dict.fromkeys(["colorize", "compare", "progress", "batch"], ("photos", page.CONCURRENCY))
    assert demo._queue.max_size == page.QUEUE_SIZE


# ---------------------------------------------------------------- the logic alone

def test_zip_guards(tmp_path, monkeypatch):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.png", b"\0" * 5000)
        zf.writestr("small.png", b"\0" * 10)
    monkeypatch.setattr(web_batch, "ZIP_MAX_MEMBER_BYTES", 1000)
    items, skipped = webapp.collect_batch([archive])
    assert [i.name for i in items] == ["bomb.zip/small.png"]
    assert skipped[0][0] == "bomb.zip/big.png" and "above" in skipped[0][1]

    monkeypatch.setattr(web_batch, "ZIP_MAX_MEMBER_BYTES", 5)   # the read is capped again, whatever the header says
    with pytest.raises(webapp.UserError, match="unpacks to more than"):
        items[0].read()

    monkeypatch.setattr(web_batch, "ZIP_MAX_MEMBER_BYTES", 1 << 20)
    monkeypatch.setattr(web_batch, "ZIP_MAX_TOTAL_BYTES", 4000)
    with pytest.raises(webapp.UserError, match="Send fewer or smaller photos"):
        webapp.collect_batch([archive])
    monkeypatch.setattr(web_batch, "ZIP_MAX_MEMBERS", 1)
    assert "entries, above the limit" in webapp.collect_batch([archive])[1][0][1]
    monkeypatch.setattr(web_batch, "BATCH_MAX_FILES", 1)
    with pytest.raises(webapp.UserError, match="the limit is 1 per batch"):
        webapp.collect_batch([tmp_path / "x.png", tmp_path / "y.png"])
    not_zip = tmp_path / "fake.zip"
    not_zip.write_text("hello")
    assert "not a readable zip" in webapp.collect_batch([not_zip])[1][0][1]


def test_model_cache_loads_once_under_concurrency_and_evicts_least_recent():
    loads = []

    def slow_loader(entry, device):
        time.sleep(0.05)
        loads.append(entry.epoch)
        return object()

    cache = webapp.ModelCache(capacity=2, loader=slow_loader)
    entries = [hub.Entry("unet", epoch, "test") for epoch in (1, 2, 3)]
    got = []
    threads = [threading.Thread(target=lambda: got.append(cache.get(entries[0]))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert loads == [1] and len({id(m) for m in got}) == 1
    cache.get(entries[1])
    cache.get(entries[0])            # 1 is now the most recent
    cache.get(entries[2])            # evicts 2
    assert cache.cached() == [("unet", 1), ("unet", 3)]
    cache.get(entries[1])
    assert loads == [1, 2, 3, 2] and cache.loads[("unet", 2)] == 2


def test_workdir_is_bounded(tmp_path):
    work = webapp.WorkDir(tmp_path / "w", max_jobs=3, max_age_s=3600)
    jobs = [work.new() for _ in range(6)]
    assert len(work.jobs()) <= 3 and jobs[-1].is_dir() and not jobs[0].exists()


def test_black_and_white_detection():
    colour = natural_photo(50, 60)
    assert not webapp.is_black_and_white(colour)
    assert webapp.is_black_and_white(np.repeat(colour[:, :, :1], 3, axis=2))
    assert webapp.safe_stem("../../a b?.png") == "a_b" and webapp.safe_stem("...") == "photo"


# ---------------------------------------------------------------- a real browser

def _chromium() -> str | None:
    found = shutil.which("chromium")
    if found or os.name != "posix" or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    subprocess.run("apt-get update -qq && apt-get install -y -qq chromium >/dev/null", shell=True,
                   timeout=900, check=False)
    return shutil.which("chromium")


def test_page_in_headless_chromium(server, photos, tmp_path):
    chromium = _chromium()
    if chromium is None:
        pytest.skip("chromium is not installed and cannot be installed here (needs root and apt-get)")
    from playwright.sync_api import sync_playwright

    artifacts = REPO / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=chromium, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1000})
        try:
            page = browser.new_page()
            page.goto(server[0], wait_until="domcontentloaded", timeout=60_000)
            page.locator("#photo-input input[type=file]").set_input_files(str(photos["example"]), timeout=60_000)
            page.locator("#photo-input img").first.wait_for(timeout=30_000)
            page.locator("#colorize-button").click()
            page.locator("#colorized-panel img").first.wait_for(timeout=60_000)
            page.locator("#metrics").get_by_text("CIEDE2000").first.wait_for(timeout=30_000)
            for panel in ("#gray-panel", "#original-panel"):
                assert page.locator(f"{panel} img").count() >= 1
            page.screenshot(path=str(artifacts / "page.png"), full_page=True)
        finally:
            browser.close()
    assert (artifacts / "page.png").stat().st_size > 10_000
