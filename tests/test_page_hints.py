"""Colour hints on the page: the colorize endpoint takes them, suggested colours, uncertainty, and a real click.

A launched page (gradio_client and headless Chromium) over a tiny effcolor checkpoint whose
decoder reacts strongly to hints, and a tiny U-Net that takes none.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from colorgan.checkpoints import save_checkpoint
from colorgan.hub import write_manifest
from colorgan.models import build_generator
from tests.conftest import natural_photo, save_hint_sensitive_effcolor
from tests.test_app import CHROMIUM_FLAGS, _chromium, client_for, launched_page, upload

pytestmark = pytest.mark.filterwarnings("ignore::Warning:gradio.queueing")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = save_hint_sensitive_effcolor(tmp_path_factory.mktemp("ckpts"))
    save_checkpoint(root / "unet" / "epoch-002", build_generator("unet", ngf=8, depth=4),
                    {"arch": "unet", "kwargs": {"ngf": 8, "depth": 4}, "epoch": 2, "render_size": 32})
    write_manifest(root, {("effcolor", 1): {"deltae2000": 8.0}, ("unet", 2): {"deltae2000": 9.0}},
                   recommended=("effcolor", 1), baseline={"deltae2000": 10.0})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GRADIO_ANALYTICS_ENABLED", "False")
        with launched_page(root, tmp_path_factory) as (url, app, _):
            yield url, app


@pytest.fixture(scope="module")
def client(server, tmp_path_factory):
    return client_for(server[0], tmp_path_factory)


@pytest.fixture(scope="module")
def photo(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("photos") / "grandma.png"
    Image.fromarray(natural_photo(96, 128, seed=5)).convert("L").save(path)
    return path


def pixels(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB")).astype(int)


def test_the_recommended_model_is_the_default_and_follows_hints_given_to_the_api(client, photo):
    hints = json.dumps([{"x": 64, "y": 48, "color": "#2050c0", "size": 40}])
    *_, summary, plain, unsure = client.predict(upload(photo), "effcolor", 1, 0, 1.0, "[]", 0, api_name="/colorize")
    *_, hinted_summary, hinted, _ = client.predict(upload(photo), "effcolor", 1, 0, 1.0, hints, 0,
                                                   api_name="/colorize")
    assert "Following 1 colour hint" in hinted_summary and "Following" not in summary
    assert np.abs(pixels(plain) - pixels(hinted)).mean() > 0.1
    assert Image.open(unsure).size == (128, 96)                     # the uncertainty view, full size
    *_, vivid, _ = client.predict(upload(photo), "effcolor", 1, 0, 1.0, "[]", 0.1, api_name="/colorize")
    *_, cautious, _ = client.predict(upload(photo), "effcolor", 1, 0, 1.0, "[]", 2.5, api_name="/colorize")
    chroma = lambda p: np.ptp(pixels(p), axis=2).mean()             # noqa: E731
    assert chroma(vivid) > chroma(cautious)


def test_suggested_colours_come_from_the_models_distribution(client, photo):
    colours = client.predict(upload(photo), 30, 20, "effcolor", 1, 0, "[]", api_name="/suggest")
    assert 1 <= len(colours) <= 4
    assert all(len(c) == 7 and c.startswith("#") for c, _ in colours)
    shares = [share for _, share in colours]
    assert shares == sorted(shares, reverse=True) and sum(shares) <= 1.0001


def test_bad_hints_and_models_without_hints_are_explained(client, photo):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=r"hints, entry 0: x=900 is off the photo \(128x96"):
        client.predict(upload(photo), "effcolor", 1, 0, 1.0, '[{"x": 900, "y": 3, "color": "#fff"}]', 0,
                       api_name="/colorize")
    with pytest.raises(AppError, match="hints: not valid JSON"):
        client.predict(upload(photo), "effcolor", 1, 0, 1.0, "[{x: 1}]", 0, api_name="/colorize")
    *_, summary, _, unsure = client.predict(upload(photo), "unet", 2, 0, 1.0, '[{"x": 3, "y": 3, "color": "#fff"}]',
                                            0, api_name="/colorize")
    assert "does not take colour hints" in summary and unsure is None
    with pytest.raises(AppError, match="off the photo"):
        client.predict(upload(photo), 500, 20, "effcolor", 1, 0, "[]", api_name="/suggest")


def test_a_click_a_suggested_colour_and_the_result_changes_in_chromium(server, photo, tmp_path):
    """A visitor clicks the colorized photo, takes the first suggested colour, adds the hint: the hint is
    listed, the colorized panel changes, and removing all hints brings the first result back."""
    chromium = _chromium()
    if chromium is None:
        pytest.skip("chromium is not installed and cannot be installed here (needs root and apt-get)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=chromium, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1000})
        try:
            page = browser.new_page()
            page.goto(server[0], wait_until="domcontentloaded", timeout=60_000)
            page.locator("#photo-input input[type=file]").set_input_files(str(photo), timeout=60_000)
            page.locator("#photo-input img").first.wait_for(timeout=30_000)
            page.locator("#colorize-button").click()
            result = page.locator("#colorized-panel img").first
            result.wait_for(timeout=60_000)
            first_src = result.get_attribute("src")
            box = result.bounding_box()
            result.click(position={"x": box["width"] * 0.5, "y": box["height"] * 0.5})
            page.locator("#hint-point").get_by_text("chosen").wait_for(timeout=30_000)
            suggestion = page.locator("#hint-suggestions label").first
            suggestion.wait_for(timeout=30_000)
            suggestion.click()
            page.locator("#add-hint").click()
            page.wait_for_function("(src) => { const img = document.querySelector('#colorized-panel img');"
                                   " return img && img.src !== src; }", arg=first_src, timeout=60_000)
            hints = json.loads(page.locator("#hints-json textarea").input_value())
            assert len(hints) == 1 and 40 <= hints[0]["x"] <= 88 and 30 <= hints[0]["y"] <= 66
            assert hints[0]["color"].startswith("#")
            assert page.locator("#uncertainty-panel img").count() >= 1
            page.screenshot(path=str(tmp_path / "hints.png"), full_page=True)
            page.locator("#clear-hints").click()
            page.wait_for_function("() => document.querySelector('#hints-json textarea').value === '[]'",
                                   timeout=30_000)
        finally:
            browser.close()
