"""Bad input to colorize: fuzzed bytes, damaged real files, extreme sizes and bombs.

Every input either gives a correct full-size colour photo or raises ImageLoadError: never
another exception, never a hang past the hypothesis deadline, never unbounded memory (the
bombs run in a fresh subprocess that reports its peak RSS).  tests/test_images.py has the
ordinary odd formats; this file adds what an attacker or a broken disk brings.
COLORGAN_FULL_RELIABILITY=1 runs many more hypothesis examples.
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import time
import zlib

import cv2
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from colorgan.checkpoints import save_checkpoint
from colorgan.color import rgb_to_l
from colorgan.images import ImageLoadError, load_rgb
from colorgan.models import build_generator
from colorgan.pipeline import Colorizer
from tests.conftest import FULL_RELIABILITY, REPO, natural_photo

EXAMPLES = 400 if FULL_RELIABILITY else 25
FUZZ = settings(max_examples=EXAMPLES, deadline=3000, derandomize=not FULL_RELIABILITY,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
BOMB_MEMORY_MB = 64     # peak RSS a refused bomb may add to a process, all decoders included
BOMB_SECONDS = 5.0


def encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


PHOTO = Image.fromarray(natural_photo(40, 52, seed=7))
REAL_FILES = {
    "jpeg": encode(PHOTO, "JPEG", quality=90),
    "progressive-jpeg": encode(PHOTO, "JPEG", quality=90, progressive=True),
    "png": encode(PHOTO, "PNG"),
    "palette-png": encode(PHOTO.convert("P"), "PNG", transparency=3),
    "gif": encode(PHOTO.convert("P"), "GIF"),
    "webp": encode(PHOTO, "WEBP", quality=80),
    "tiff-lzw": encode(PHOTO, "TIFF", compression="tiff_lzw"),
    "bmp": encode(PHOTO, "BMP"),
}
MAGIC = [b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF89a", b"II*\x00", b"MM\x00*", b"BM", b"RIFF\x00\x00\x00\x00WEBP"]


def check_outcome(payload: bytes) -> np.ndarray | None:
    """load_rgb's contract: an HxWx3 uint8 array, or ImageLoadError with a message; nothing else."""
    try:
        rgb = load_rgb(payload)
    except ImageLoadError as err:
        assert str(err).strip(), "an error says what is wrong"
        return None
    assert rgb.ndim == 3 and rgb.shape[2] == 3 and rgb.dtype == np.uint8 and rgb.size > 0
    return rgb


# ---------------------------------------------------------------- property-based fuzzing

@FUZZ
@given(magic=st.sampled_from(MAGIC), body=st.binary(max_size=2048))
def test_random_bytes_never_crash(magic, body):
    check_outcome(magic + body)


@FUZZ
@given(kind=st.sampled_from(sorted(REAL_FILES)), cut=st.floats(0.0, 1.0, exclude_max=True))
def test_truncated_real_files_never_crash(kind, cut):
    data = REAL_FILES[kind]
    rgb = check_outcome(data[:int(len(data) * cut)])
    if rgb is not None:
        assert rgb.shape == (40, 52, 3), "a truncated photo keeps its declared size"


@FUZZ
@given(kind=st.sampled_from(sorted(REAL_FILES)),
       flips=st.lists(st.tuples(st.floats(0.0, 1.0, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=8))
def test_corrupted_real_files_never_crash(kind, flips):
    data = bytearray(REAL_FILES[kind])
    for where, value in flips:
        data[int(len(data) * where)] = value
    check_outcome(bytes(data))


# ---------------------------------------------------------------- odd but valid files

@pytest.fixture(scope="module")
def colorizer():
    torch.manual_seed(0)
    model = build_generator("unet", ngf=8, depth=4)
    return Colorizer(model, {"arch": "unet", "epoch": 1, "render_size": 32, "color_space": "lab"}, device="cpu")


def assert_colorized(colorizer, rgb):
    out = colorizer.colorize(rgb)
    assert out.shape == rgb.shape and out.dtype == np.uint8
    assert np.abs(rgb_to_l(out) - rgb_to_l(rgb)).mean() < 1.5, "the photo's own lightness is kept"
    return out


@pytest.mark.parametrize("width, height", [(1, 1), (1, 257), (257, 1), (65535, 1), (1, 65535), (65535, 2)])
def test_extreme_shapes_colorize_at_full_size(colorizer, width, height):
    gray = (np.arange(width * height, dtype=np.int64) % 251).astype(np.uint8).reshape(height, width)
    rgb = load_rgb(encode(Image.fromarray(gray), "PNG"))
    assert rgb.shape == (height, width, 3)
    assert_colorized(colorizer, rgb)


def test_zero_byte_file_and_wrong_extension(tmp_path, colorizer):
    empty = tmp_path / "photo.jpg"
    empty.write_bytes(b"")
    with pytest.raises(ImageLoadError, match="empty"):
        load_rgb(empty)
    disguised = tmp_path / "scan.gif"        # a TIFF named .gif
    disguised.write_bytes(REAL_FILES["tiff-lzw"])
    assert_colorized(colorizer, load_rgb(disguised))


def test_multi_page_tiff_gives_its_first_page(colorizer):
    pages = [Image.fromarray(np.full((12, 16, 3), value, np.uint8)) for value in (30, 220)]
    buffer = io.BytesIO()
    pages[0].save(buffer, format="TIFF", save_all=True, append_images=pages[1:])
    rgb = load_rgb(buffer.getvalue())
    assert rgb.shape == (12, 16, 3) and int(rgb.mean()) == 30
    assert_colorized(colorizer, rgb)


def test_animated_gif_with_transparency_and_frames_of_other_sizes():
    first = Image.fromarray(np.full((20, 24), 5, np.uint8)).convert("P")
    later = Image.fromarray(np.full((8, 8), 250, np.uint8)).convert("P")
    buffer = io.BytesIO()
    first.save(buffer, format="GIF", save_all=True, append_images=[later], transparency=0, duration=50, disposal=2)
    rgb = load_rgb(buffer.getvalue())
    assert rgb.shape == (20, 24, 3)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("channels", [3, 4])
def test_tiffs_pillow_cannot_read_go_through_opencv(dtype, channels, colorizer):
    """Signed, 32-bit and float multi-channel TIFFs (scanner software writes them)."""
    values = natural_photo(18, 22, seed=5).astype(np.float64) / 255
    values = np.concatenate([values, np.ones((18, 22, 1))], axis=2)[:, :, :channels]
    scale = {np.int8: 127, np.int16: 32767, np.int32: 65535}.get(dtype, 1.0)
    ok, data = cv2.imencode(".tiff", (values[:, :, [2, 1, 0, 3][:channels]] * scale).astype(dtype))
    assert ok
    rgb = check_outcome(data.tobytes())
    assert rgb is not None and rgb.shape == (18, 22, 3)
    assert_colorized(colorizer, rgb)


def test_formats_pillow_does_not_know_are_refused_clearly():
    ok, hdr = cv2.imencode(".hdr", np.ones((10, 10, 3), np.float32))
    assert ok
    with pytest.raises(ImageLoadError, match="not an image colorgan can read"):
        load_rgb(hdr.tobytes())


# ---------------------------------------------------------------- bombs: refused before decoding

def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b"")


def _jpeg_claiming(width: int, height: int) -> bytes:
    data = bytearray(REAL_FILES["jpeg"])
    sof = data.find(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _gif_screen(width: int, height: int) -> bytes:
    data = bytearray(encode(Image.new("P", (4, 4)), "GIF"))
    data[6:10] = struct.pack("<HH", width, height)
    return bytes(data)


def _tiff_claiming(width: int, height: int) -> bytes:
    """A small float64 TIFF (Pillow cannot read it; OpenCV can) whose header declares another size."""
    ok, encoded = cv2.imencode(".tiff", np.full((4, 4, 3), 0.5, np.float64))
    data = bytearray(encoded.tobytes())
    assert data[:4] == b"II*\x00"
    ifd = struct.unpack_from("<I", data, 4)[0]
    for index in range(struct.unpack_from("<H", data, ifd)[0]):
        entry = ifd + 2 + 12 * index
        tag, kind = struct.unpack_from("<HH", data, entry)
        if tag in (256, 257):
            value = width if tag == 256 else height
            struct.pack_into("<I" if kind == 4 else "<H", data, entry + 8, value)
    return bytes(data)


def _bombs() -> dict[str, tuple[bytes, int]]:
    """name -> (payload, max_pixels): small files that declare or unpack to huge images."""
    deflate = io.BytesIO()
    Image.new("1", (9000, 9000)).save(deflate, format="PNG", optimize=True)          # 81 MP in a few kB
    ok, hdr = cv2.imencode(".hdr", np.full((3000, 3000, 3), 0.5, np.float32))           # RLE: 9 MP of float
    return {
        "png-deflate-bomb": (deflate.getvalue(), 50_000_000),
        "png-header-65535x65535": (_png_header_only(65535, 65535), 50_000_000),
        "png-header-2^31": (_png_header_only(2**31 - 1, 2**31 - 1), 50_000_000),
        "jpeg-sof-65500x65500": (_jpeg_claiming(65500, 65500), 50_000_000),
        "gif-screen-65535x65535": (_gif_screen(65535, 65535), 50_000_000),
        "hdr-rle-9mp": (hdr.tobytes(), 1_000_000),
        "float-tiff-header-60000x60000": (_tiff_claiming(60000, 60000), 50_000_000),
    }


BOMB_PROBE = """
import json, resource, sys, time
from colorgan.images import ImageLoadError, load_rgb
payloads = json.load(open(sys.argv[1]))
peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
try:
    load_rgb(b"GIF89a")  # import every decoder once, so the baseline includes them
except ImageLoadError:
    pass
results = {}
for name, path, limit in payloads:
    before, start = peak(), time.perf_counter()
    try:
        load_rgb(open(path, "rb").read(), max_pixels=limit)
        outcome = "decoded"
    except ImageLoadError as err:
        outcome = "ImageLoadError: " + str(err)
    except BaseException as err:
        outcome = f"{type(err).__name__}: {err}"
    results[name] = {"outcome": outcome, "seconds": time.perf_counter() - start, "grew_mb": peak() - before}
print(json.dumps(results))
"""


def test_bombs_are_refused_in_bounded_time_and_memory(tmp_path):
    listing = []
    for name, (payload, limit) in _bombs().items():
        path = tmp_path / f"{name}.bin"
        path.write_bytes(payload)
        assert len(payload) < 2 << 20, f"{name} is a small file"
        listing.append((name, str(path), limit))
    (tmp_path / "list.json").write_text(json.dumps(listing))
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", BOMB_PROBE, str(tmp_path / "list.json")], capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    for name, result in results.items():
        assert result["outcome"].startswith("ImageLoadError"), (name, result)
        expected = "not an image colorgan can read" if name.startswith("hdr") else "megapixels|enormous"
        assert any(word in result["outcome"] for word in expected.split("|")), (name, result)
        assert result["seconds"] < BOMB_SECONDS, (name, result)
        assert result["grew_mb"] < BOMB_MEMORY_MB, (name, result)


# ---------------------------------------------------------------- the command line

def test_cli_colorizes_the_good_and_skips_each_bad_file_in_one_line(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    Image.fromarray(natural_photo(30, 41, seed=1)).convert("L").save(inputs / "good.png")
    (inputs / "empty.jpg").write_bytes(b"")
    (inputs / "noise.png").write_bytes(os.urandom(3000))
    (inputs / "cut.jpg").write_bytes(REAL_FILES["jpeg"][:200])
    (inputs / "bomb.png").write_bytes(_png_header_only(65535, 65535))
    (inputs / "strip.png").write_bytes(encode(Image.new("L", (65535, 1), 90), "PNG"))
    root = tmp_path / "ckpts"
    save_checkpoint(root / "unet" / "epoch-001", build_generator("unet", ngf=8, depth=4),
                    {"arch": "unet", "kwargs": {"ngf": 8, "depth": 4}, "epoch": 1, "render_size": 32})
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "COLORGAN_CHECKPOINTS": str(root)}
    env.pop("COLORGAN_HUB_REPO", None)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "colorgan", "colorize", str(inputs), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 1, done.stderr       # some files were skipped
    assert "Traceback" not in done.stderr
    skipped = [line for line in done.stderr.splitlines() if line.startswith("skipped: ")]
    assert sorted(line.split(":")[1].strip().rsplit("/", 1)[-1].split(" ")[0] for line in skipped) == \
        ["bomb.png", "cut.jpg", "empty.jpg", "noise.png"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["good_color.png", "strip_color.png"]
    assert load_rgb(tmp_path / "out" / "strip_color.png").shape == (1, 65535, 3)
    assert time.perf_counter() - start < 240
