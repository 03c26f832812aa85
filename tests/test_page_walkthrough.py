"""The page as a restorer and a student meet it (issue 16): desktop and phone in headless Chromium, and over HTTP.

One launched page over tiny checkpoints (measured and marked in their manifest, as shipped ones
are); the browser checks what a visitor sees: examples without scrolling, one message after an
error with the old result cleared, no JPEG download buttons on the panels, and on a phone the
upload, the button and the result on the first screen with every tab in the bar.

"""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import REPO, natural_photo
from tests.test_app import CHROMIUM_FLAGS, _chromium, client_for, launched_page, make_root, upload

pytestmark = pytest.mark.filterwarnings("ignore::Warning:gradio.queueing")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with launched_page(make_root(tmp_path_factory.mktemp("ckpts")), tmp_path_factory) as launched:
        yield launched


@pytest.fixture(scope="module")
def client(server, tmp_path_factory):
    return client_for(server[0], tmp_path_factory)


def test_the_default_model_is_loaded_when_the_page_starts(server):
    _, app, _ = server
    deadline = time.monotonic() + 60
    while ("unet", 902) not in app.cache.cached():
        assert time.monotonic() < deadline, "the recommended model was not loaded at start-up"
        time.sleep(0.2)


def test_transparent_areas_are_said_to_become_white(client, tmp_path):
    rgba = np.dstack([natural_photo(40, 60), np.full((40, 60), 255, np.uint8)])
    rgba[:10, :10, 3] = 0
    path = tmp_path / "cutout.png"
    Image.fromarray(rgba, "RGBA").save(path)
    *_, summary, png, _ = client.predict(upload(path), "unet", 902, 32, 1.0, "[]", 0, api_name="/colorize")
    assert "transparent areas: they were filled with white" in summary
    assert Image.open(png).mode == "RGB" and Image.open(png).size == (60, 40)


def test_the_tabs_follow_the_readme_and_the_progress_tab_explains_warm_up(server):
    _, _, demo = server
    import gradio as gr

    tabs = [block.label for block in demo.blocks.values() if isinstance(block, gr.Tab)]
    readme = (REPO / "README.md").read_text().split("## The page", 1)[1].split("\n## ", 1)[0]
    listed = [name for name in re.findall(r"^- \*\*([^*]+)\*\*", readme, re.M) if name in tabs]
    assert tabs == ["Colorize", "Compare", "Progress", "Batch", "Video", "Sketch"] and listed == tabs
    notes = " ".join(getattr(b, "value", "") or "" for b in demo.blocks.values() if isinstance(b, gr.Markdown))
    assert "warm-up epochs of L1 alone" in notes and "zero" in notes


def test_desktop_and_phone_in_chromium(server, tmp_path):
    chromium = _chromium()
    if chromium is None:
        pytest.skip("chromium is not installed and cannot be installed here (needs root and apt-get)")
    from playwright.sync_api import sync_playwright

    photo = tmp_path / "family.png"
    Image.fromarray(natural_photo(240, 320, seed=3)).save(photo)
    letter = tmp_path / "letter.jpg"
    letter.write_text("Dear grandma, this is not a photo.")
    artifacts = REPO / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        def open_page(width, height, name):
            browser = pw.chromium.launch_persistent_context(
                str(tmp_path / name), executable_path=chromium, headless=True, args=CHROMIUM_FLAGS,
                viewport={"width": width, "height": height})
            page = browser.new_page()
            page.goto(server[0], wait_until="domcontentloaded", timeout=60_000)
            page.locator("#colorize-button").wait_for(timeout=60_000)
            return browser, page

        browser, page = open_page(1400, 1000, "desktop")
        try:
            first_example = page.locator("#examples-wide button, #examples-wide img").first
            assert first_example.bounding_box()["y"] + 40 < 1000, "the examples are visible without scrolling"
            page.locator("#photo-input input[type=file]").set_input_files(str(photo), timeout=60_000)
            page.locator("#photo-input img").first.wait_for(timeout=30_000)
            page.locator("#colorize-button").click()
            page.locator("#colorized-panel img").first.wait_for(timeout=60_000)
            page.locator("#metrics").get_by_text("CIEDE2000").first.wait_for(timeout=60_000)   # after the result
            assert page.locator("#colorized-panel").get_by_role("button", name=re.compile("download", re.I)).count() == 0
            assert page.locator("#download").is_visible()
            page.screenshot(path=str(artifacts / "walkthrough-desktop.png"), full_page=True)
            # a text file named .jpg: one message at upload; Colorize then clears the old result
            page.locator("#photo-input input[type=file]").set_input_files(str(letter), timeout=60_000)
            page.locator("#status").get_by_text("Could not do that").wait_for(timeout=30_000)
            page.locator("#colorize-button").click()
            page.locator("#metrics").get_by_text("Could not do that").wait_for(timeout=30_000)
            assert "letter.jpg" in page.locator("#metrics").inner_text()
            page.wait_for_function("() => !document.querySelector('#colorized-panel img')", timeout=30_000)
            badges = page.locator(".error, [data-testid=status-tracker] .error").count()
            assert badges == 0, f"{badges} error badges on the panels"
        finally:
            browser.close()

        browser, page = open_page(390, 844, "phone")
        try:
            assert page.get_by_role("tab").count() == 6, "every tab fits a phone's tab bar"
            page.locator("#photo-input input[type=file]").set_input_files(str(photo), timeout=60_000)
            page.locator("#photo-input img").first.wait_for(timeout=30_000)
            button = page.locator("#colorize-button").bounding_box()
            assert button["y"] + button["height"] < 844, "the button is on the first screen"
            page.locator("#colorize-button").click()
            page.locator("#colorized-panel img").first.wait_for(timeout=60_000)
            page.evaluate("() => window.scrollTo(0, 0)")
            assert page.locator("#colorized-panel").bounding_box()["y"] < 844, "the result starts on the first screen"
            assert not page.locator("#examples-wide").is_visible() and page.locator("#examples-narrow").count() == 1
            page.screenshot(path=str(artifacts / "walkthrough-phone.png"), full_page=False)
        finally:
            browser.close()


def test_the_video_tab_over_http(client, tmp_path):
    """A visitor's clip through the page's /video endpoint: a playable mp4 with every frame, and a summary."""
    from tests.test_video import count_frames, write_clip

    clip = write_clip(tmp_path / "birthday.mp4", frames=8)
    player, download, summary = client.predict(upload(clip), "unet", 902, 0, True, api_name="/video")
    path = player["video"] if isinstance(player, dict) else player
    assert count_frames(Path(path))[0] == 8 and str(download).endswith("birthday_color.mp4")
    assert "8 frames" in summary and "carried along the motion" in summary
