"""Robust decoding of any photo a user may bring into an 8-bit RGB array.

Families bring scans and phone pictures in every format: EXIF-rotated JPEGs, 16-bit TIFF
scans, CMYK JPEGs from print shops, palette PNGs with transparency, animated GIFs.  Every
one of them becomes an ``HxWx3 uint8`` array here, or raises :class:`ImageLoadError` with a
message that says what to do.  Nothing else in colorgan decodes files.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import BinaryIO, Union

import cv2
import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

# 50 MP covers every phone and most scanners; beyond that a 2-CPU server runs out of memory.
DEFAULT_MAX_PIXELS = int(os.environ.get("COLORGAN_MAX_PIXELS", 50_000_000))
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif")

ImageSource = Union[str, os.PathLike, bytes, BinaryIO, Image.Image, np.ndarray]


class ImageLoadError(ValueError):
    """A file could not be turned into a photo; the message tells the user what to do."""


def _describe(source: ImageSource) -> str:
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    return f"<{type(source).__name__}>"


def _read_bytes(source: ImageSource) -> bytes:
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise ImageLoadError(f"{path}: no such file. Check the path.")
        if path.is_dir():
            raise ImageLoadError(f"{path} is a folder, not an image file.")
        return path.read_bytes()
    if isinstance(source, bytes):
        return source
    return source.read()


def load_rgb(source: ImageSource, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Decode ``source`` to an ``HxWx3 uint8`` RGB array, upright as the camera meant it.

    Accepts a path, raw bytes, a binary file object, a PIL image or a numpy array.  EXIF
    orientation is applied; alpha is composited on white; 16-bit and float data are scaled
    to 8 bits; CMYK goes through its ICC profile when it has one; animations give their
    first frame.  Images above ``max_pixels`` are refused before they are decoded.
    """
    if isinstance(source, np.ndarray):
        return _array_to_rgb(source, "<array>", max_pixels)
    if isinstance(source, Image.Image):
        return _pil_to_rgb(source, "<PIL image>", max_pixels)
    name = _describe(source)
    data = _read_bytes(source)
    if len(data) == 0:
        raise ImageLoadError(f"{name} is empty (0 bytes). Choose a JPEG, PNG, WebP or TIFF photo.")
    size_checked = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            _check_size(image.size, name, max_pixels)
            size_checked = True
            return _pil_to_rgb(image, name, max_pixels)
    except ImageLoadError:
        raise
    except (UnidentifiedImageError, NotImplementedError, ValueError, OSError, SyntaxError,
            Image.DecompressionBombError, Image.DecompressionBombWarning, EOFError) as err:
        pil_error = err
    # Pillow cannot represent some layouts (float or signed TIFF, for one); OpenCV can.  OpenCV
    # decodes before anyone can check the size, so it only sees files whose declared size
    # passed the limit: read by Pillow, or from the TIFF header.  Other formats Pillow does not
    # know (HDR, PFM, ...) are refused, never decoded unchecked.
    if not size_checked and not isinstance(pil_error, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
        size = _tiff_size(data)
        if size is not None:
            _check_size(size, name, max_pixels)
            size_checked = True
    if size_checked:
        rgb = _decode_with_opencv(data, name, max_pixels)
        if rgb is not None:
            return rgb
    raise _explain(pil_error, name)


def _tiff_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a TIFF's first directory without decoding it, or None."""
    if data[:4] not in (b"II*\x00", b"MM\x00*"):
        return None
    from PIL import TiffImagePlugin

    try:
        ifd = TiffImagePlugin.ImageFileDirectory_v2(data[:8])
        handle = io.BytesIO(data)
        handle.seek(ifd.next)
        ifd.load(handle)
        return int(ifd[256]), int(ifd[257])
    except Exception:  # noqa: BLE001 - an unreadable header is simply not a TIFF we can size
        return None


class ImageTooLarge(ImageLoadError):
    """A photo above the pixel limit; ``width``, ``height`` and ``max_pixels`` say by how much."""

    def __init__(self, message: str, width: int, height: int, max_pixels: int):
        super().__init__(message)
        self.width, self.height, self.max_pixels = width, height, max_pixels

    def fitting_size(self) -> tuple[int, int]:
        """The largest size of the same shape within the limit."""
        scale = (self.max_pixels / (self.width * self.height)) ** 0.5
        return max(1, int(self.width * scale)), max(1, int(self.height * scale))


def _explain(err: BaseException, name: str) -> ImageLoadError:
    if isinstance(err, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
        return ImageLoadError(f"{name} declares an enormous size ({err}). Resize it below "
                              f"{DEFAULT_MAX_PIXELS / 1e6:.0f} megapixels first.")
    if isinstance(err, UnidentifiedImageError):
        return ImageLoadError(f"{name} is not an image colorgan can read. "
                              "Use a JPEG, PNG, WebP, TIFF, BMP or GIF file.")
    return ImageLoadError(f"{name} is corrupt or truncated ({err}). "
                          "Re-export or re-download the photo and try again.")


def _check_size(size: tuple[int, int], name: str, max_pixels: int) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise ImageLoadError(f"{name} has no pixels ({width}x{height}).")
    if width * height > max_pixels:
        raise ImageTooLarge(
            f"{name} is {width}x{height} = {width * height / 1e6:.1f} megapixels, above the "
            f"limit of {max_pixels / 1e6:.1f} MP. Resize it first (or raise COLORGAN_MAX_PIXELS).",
            width, height, max_pixels)


def _pil_to_rgb(image: Image.Image, name: str, max_pixels: int) -> np.ndarray:
    _check_size(image.size, name, max_pixels)
    if getattr(image, "n_frames", 1) > 1:
        image.seek(0)  # animated GIF / multi-page TIFF: the first frame is the photo
    image.load()
    image = ImageOps.exif_transpose(image)
    mode = image.mode
    if mode == "CMYK":
        return np.asarray(_cmyk_to_rgb(image))
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        return _array_to_rgb(np.asarray(image), name, max_pixels)
    if mode == "P":
        image = image.convert("RGBA") if "transparency" in image.info else image.convert("RGB")
        mode = image.mode
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"))
    return np.asarray(image.convert("RGB"))


def _cmyk_to_rgb(image: Image.Image) -> Image.Image:
    """Print-shop CMYK through its embedded ICC profile when present, else Pillow's formula."""
    icc = image.info.get("icc_profile")
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"),
                                             outputMode="RGB")
        except (ImageCms.PyCMSError, OSError):
            pass
    return image.convert("RGB")


def _array_to_rgb(array: np.ndarray, name: str, max_pixels: int) -> np.ndarray:
    """Scale any numeric array (gray or colour, 8/16-bit or float) to 8-bit RGB."""
    if array.ndim not in (2, 3) or array.size == 0:
        raise ImageLoadError(f"{name}: expected an HxW or HxWxC image array, got shape {array.shape}.")
    _check_size((array.shape[1], array.shape[0]), name, max_pixels)
    if array.ndim == 3 and array.shape[2] not in (1, 3, 4):
        raise ImageLoadError(f"{name}: {array.shape[2]} channels; expected 1, 3 or 4.")
    if array.dtype == np.uint8:
        out = array
    elif np.issubdtype(array.dtype, np.floating):
        values = np.nan_to_num(array.astype(np.float32))
        scale = 1.0 if values.max(initial=0.0) <= 1.0 else 255.0
        out = np.clip(values / scale * 255.0 + 0.5, 0, 255).astype(np.uint8)
    elif np.issubdtype(array.dtype, np.integer):
        values = array.astype(np.int64)
        # uint16 is 16-bit data; a 32-bit 'I' image may hold 8- or 16-bit values: judge by range.
        top = 65535 if array.dtype == np.uint16 or values.max(initial=0) > 255 else 255
        out = np.clip(values * 255 // top, 0, 255).astype(np.uint8)
    elif array.dtype == bool:
        out = array.astype(np.uint8) * 255
    else:
        raise ImageLoadError(f"{name}: unsupported pixel type {array.dtype}.")
    if out.ndim == 2:
        out = np.repeat(out[:, :, None], 3, axis=2)
    elif out.shape[2] == 1:
        out = np.repeat(out, 3, axis=2)
    elif out.shape[2] == 4:
        alpha = out[:, :, 3:4].astype(np.float32) / 255.0
        out = (out[:, :, :3] * alpha + 255.0 * (1 - alpha) + 0.5).astype(np.uint8)
    return np.ascontiguousarray(out)


def _decode_with_opencv(data: bytes, name: str, max_pixels: int) -> np.ndarray | None:
    buffer = np.frombuffer(data, dtype=np.uint8)
    try:
        decoded = cv2.imdecode(buffer, cv2.IMREAD_UNCHANGED | cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR)
    except cv2.error:
        return None
    if decoded is None:
        return None
    if decoded.ndim == 3 and decoded.shape[2] in (3, 4):
        # BGR(A) -> RGB(A) by indexing: cv2.cvtColor refuses signed and 64-bit pixels.
        decoded = decoded[:, :, [2, 1, 0, 3][:decoded.shape[2]]]
    return _array_to_rgb(decoded, name, max_pixels)


def has_transparency(source: ImageSource) -> bool:
    """Whether a photo file has pixels that are not fully opaque (load_rgb fills them with white)."""
    try:
        with Image.open(io.BytesIO(_read_bytes(source)) if isinstance(source, (bytes, bytearray)) else source) as image:
            if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
                alpha = image.convert("RGBA").getchannel("A")
                return alpha.getextrema()[0] < 255
    except Exception:  # noqa: BLE001 - an unreadable file has been reported by load_rgb already
        return False
    return False


def save_png(rgb: np.ndarray, path: str | os.PathLike) -> Path:
    """Write an RGB array as PNG atomically (a temp file then rename), never half-written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    # zlib level 1 with run-length matching: about 4x faster than PIL's default level 6 on a
    # 12 MP photo, for a file about the same size (bench/infer.py measures it).
    pixels = np.ascontiguousarray(rgb)
    if pixels.ndim == 3:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR if pixels.shape[2] == 3 else cv2.COLOR_RGBA2BGRA)
    ok, encoded = cv2.imencode(".png", pixels,
                               [cv2.IMWRITE_PNG_COMPRESSION, 1, cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE])
    if not ok:
        raise ValueError(f"could not encode a {rgb.shape} image as PNG")
    tmp.write_bytes(encoded.tobytes())
    os.replace(tmp, path)
    return path


def is_image_file(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in IMAGE_EXTENSIONS and not path.name.startswith(".")


def list_images(*roots: str | os.PathLike) -> list[Path]:
    """Image files under each root (files are taken as given, folders searched recursively), sorted."""
    found: list[Path] = []
    for root in roots:
        root = Path(root)
        if root.is_file():
            found.append(root)
        elif root.is_dir():
            found.extend(sorted(p for p in root.rglob("*") if is_image_file(p)))
        else:
            raise FileNotFoundError(f"{root}: no such file or folder.")
    return found
