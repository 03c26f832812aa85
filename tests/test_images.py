"""Every odd format a family archive holds, generated inside the test, through load_rgb."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from colorgan.images import ImageLoadError, list_images, load_rgb, save_png
from tests.conftest import natural_photo


def encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


RGB = natural_photo(24, 36, seed=3)


def test_plain_rgb_png_round_trips(tmp_path):
    path = tmp_path / "a.png"
    Image.fromarray(RGB).save(path)
    out = load_rgb(path)
    assert out.dtype == np.uint8 and out.shape == (24, 36, 3)
    assert np.array_equal(out, RGB)


def test_exif_orientation_is_applied():
    image = Image.fromarray(RGB)
    exif = image.getexif()
    exif[0x0112] = 6  # "rotate 90 CW to view"
    out = load_rgb(encode(image, "JPEG", exif=exif, quality=95))
    assert out.shape == (36, 24, 3)


@pytest.mark.parametrize("mode", ["L", "LA", "P", "RGBA", "CMYK", "I;16", "I", "F", "1"])
def test_modes(mode):
    image = Image.fromarray(RGB)
    if mode == "I;16":
        image = Image.fromarray((RGB[:, :, 0].astype(np.uint16) * 257))
    elif mode == "F":
        image = Image.fromarray(RGB[:, :, 0].astype(np.float32) / 255.0, mode="F")
    else:
        image = image.convert(mode)
    fmt = "TIFF" if mode in ("I;16", "I", "F", "CMYK") else "PNG"
    out = load_rgb(encode(image, fmt))
    assert out.shape == (24, 36, 3) and out.dtype == np.uint8
    if mode in ("I;16", "F"):  # made from the red channel: values must survive the scaling
        assert np.abs(out[:, :, 0].astype(int) - RGB[:, :, 0]).max() <= 1
    if mode in ("L", "I"):  # gray from RGB: brightness kept
        gray = np.asarray(Image.fromarray(RGB).convert("L"), dtype=int)
        assert np.abs(out[:, :, 0].astype(int) - gray).max() <= 1
    if mode in ("L", "I;16", "I", "F", "1"):
        assert (out[:, :, 0] == out[:, :, 1]).all()


def test_alpha_is_composited_on_white():
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[:, :, :3] = 10
    rgba[:4, :, 3] = 0      # transparent top half -> white
    rgba[4:, :, 3] = 255    # opaque bottom -> the colour
    out = load_rgb(encode(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert (out[:4] == 255).all() and (out[4:] == 10).all()


def test_palette_with_transparency():
    image = Image.fromarray(RGB).convert("P")
    image.info["transparency"] = 0
    out = load_rgb(encode(image, "PNG", transparency=0))
    assert out.shape == (24, 36, 3)


def test_16bit_png_gray_and_16bit_rgb_tiff():
    gray16 = (np.linspace(0, 65535, 24 * 36).reshape(24, 36)).astype(np.uint16)
    ok, png = cv2.imencode(".png", gray16)
    out = load_rgb(png.tobytes())
    assert out[0, 0, 0] == 0 and out[-1, -1, 0] == 255
    rgb16 = RGB.astype(np.uint16) * 257
    ok, tiff = cv2.imencode(".tiff", cv2.cvtColor(rgb16, cv2.COLOR_RGB2BGR))
    out = load_rgb(tiff.tobytes())
    assert np.abs(out.astype(int) - RGB).max() <= 1
    ok, png48 = cv2.imencode(".png", cv2.cvtColor(rgb16, cv2.COLOR_RGB2BGR))
    assert np.abs(load_rgb(png48.tobytes()).astype(int) - RGB).max() <= 1


def test_cmyk_jpeg():
    out = load_rgb(encode(Image.fromarray(RGB).convert("CMYK"), "JPEG", quality=95))
    assert out.shape == (24, 36, 3)
    assert np.abs(out.astype(int) - RGB).mean() < 12


def test_webp_and_first_frame_of_gif():
    assert load_rgb(encode(Image.fromarray(RGB), "WEBP", lossless=True)).shape == (24, 36, 3)
    frames = [Image.fromarray(np.full((10, 12, 3), v, np.uint8)) for v in (40, 200)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    out = load_rgb(buffer.getvalue())
    assert out.shape == (10, 12, 3) and abs(int(out.mean()) - 40) < 5


def test_tiny_and_thin_images():
    assert load_rgb(encode(Image.new("RGB", (1, 1), (9, 8, 7)), "PNG")).shape == (1, 1, 3)
    assert load_rgb(encode(Image.new("L", (300, 1)), "PNG")).shape == (1, 300, 3)


def test_pixel_limit_refuses_before_decoding():
    data = encode(Image.new("L", (400, 300)), "PNG")
    with pytest.raises(ImageLoadError, match="megapixels"):
        load_rgb(data, max_pixels=100_000)


@pytest.mark.parametrize("payload, message", [
    (b"", "empty"),
    (b"this is a text file, not a photo", "not an image"),
    (encode(Image.fromarray(natural_photo(64, 64)), "JPEG")[:300], "corrupt|truncated|not an image"),
    (encode(Image.fromarray(natural_photo(64, 64)), "PNG")[:200], "corrupt|truncated|not an image"),
])
def test_bad_files_give_clear_errors(payload, message):
    with pytest.raises(ImageLoadError, match=message):
        load_rgb(payload)


def test_missing_path_and_folder(tmp_path):
    with pytest.raises(ImageLoadError, match="no such file"):
        load_rgb(tmp_path / "missing.jpg")
    with pytest.raises(ImageLoadError, match="folder"):
        load_rgb(tmp_path)


def test_wrong_extension_still_loads(tmp_path):
    path = tmp_path / "photo.png"
    path.write_bytes(encode(Image.fromarray(RGB), "JPEG", quality=95))
    assert load_rgb(path).shape == (24, 36, 3)


def test_arrays_are_accepted():
    assert load_rgb(RGB[:, :, 0]).shape == (24, 36, 3)
    assert load_rgb(RGB.astype(np.float32) / 255).shape == (24, 36, 3)


def test_list_images_recursive_and_save_png(tmp_path):
    save_png(RGB, tmp_path / "a" / "b" / "x.png")
    (tmp_path / "notes.txt").write_text("hi")
    files = list_images(tmp_path)
    assert [p.name for p in files] == ["x.png"]
    assert not list(tmp_path.rglob("*.tmp-*"))
