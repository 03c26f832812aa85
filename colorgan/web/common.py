"""What every tab of the page shares: the limits, the visitor-facing error, small helpers, the model
cache and the folder of temporary files.  No Gradio here: colorgan/webapp.py and app.py build on it."""

from __future__ import annotations

import atexit
import logging
import math
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections import Counter, OrderedDict
from pathlib import Path, PurePosixPath
from typing import Callable

import cv2
import numpy as np

from colorgan import hub
from colorgan.color import rgb_to_lab

log = logging.getLogger("colorgan.webapp")


def env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


MAX_UPLOAD_MB = env_int("COLORGAN_MAX_UPLOAD_MB", 25)       # per uploaded file (Gradio refuses larger)
MODEL_CACHE_SIZE = env_int("COLORGAN_MODEL_CACHE", 4)       # loaded (arch, epoch) models kept in memory
METRIC_MAX_SIDE = 768            # metrics are measured at this long side at most (the views work at 768 too)
VIEW_MAX_SIDE = 768             # compare / progress galleries work at this long side at most
MAX_PROGRESS_EPOCHS = 30        # a progress gallery shows at most this many epochs (evenly spread)
GRAY_CHROMA_P95 = 3.0           # 95th percentile of Lab chroma below this: a black-and-white photo
MAX_RENDER_SIZE = 1024
MIN_TEMPERATURE, MAX_TEMPERATURE = 0.05, 3.0   # the vividness slider of distribution models
JPEG_QUALITY = 92               # the on-page views; the download is a lossless PNG

FRIENDLY_NAMES = {
    "effcolor": "Colour-distribution U-Net (EfficientNet, hints)",
    "effunet": "EfficientNet U-Net",
    "unet": "pix2pix U-Net",
    "unetpp": "U-Net++",
    "unet3p": "U-Net 3+",
    "linknet": "LinkNet",
    "resrunet": "Residual recurrent U-Net",
    "r2unet": "R2U-Net",
    "shavenet": "Residual encoder-decoder (DCGAN)",
    "yuvgan": "Noise-fed YUV GAN",
    "baseline": "Regression baseline (no GAN)",
}


class UserError(ValueError):
    """Something the visitor can fix; the message says what to do."""


# ---------------------------------------------------------------- small helpers

def friendly_name(arch: str) -> str:
    return FRIENDLY_NAMES.get(arch, arch)


def chroma_p95(rgb: np.ndarray, max_pixels: int = 250_000) -> float:
    """95th percentile of the Lab chroma magnitude sqrt(a^2 + b^2) on a strided sample."""
    step = max(1, int(math.ceil(math.sqrt(rgb.shape[0] * rgb.shape[1] / max_pixels))))
    lab = rgb_to_lab(np.ascontiguousarray(rgb[::step, ::step]))
    return float(np.percentile(np.hypot(lab[:, :, 1], lab[:, :, 2]), 95))


def is_black_and_white(rgb: np.ndarray) -> bool:
    """A genuine black-and-white photo (or a gray copy of one): it has no colour to compare against."""
    return chroma_p95(rgb) < GRAY_CHROMA_P95


def shrink(rgb: np.ndarray, max_side: int) -> np.ndarray:
    """The photo with its long side at most ``max_side`` (area interpolation), else unchanged."""
    height, width = rgb.shape[:2]
    scale = max_side / max(height, width)
    if scale >= 1:
        return rgb
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def measure(reference: np.ndarray, result: np.ndarray) -> dict[str, float]:
    """PSNR, SSIM, CIEDE2000 of ``result`` against ``reference``, at most METRIC_MAX_SIDE on the long side."""
    from colorgan.metrics import compare

    return compare(shrink(reference, METRIC_MAX_SIDE), shrink(result, METRIC_MAX_SIDE))


def safe_stem(name: str, default: str = "photo") -> str:
    """A file-name stem that is safe anywhere: no folders, no odd characters, not too long."""
    stem = PurePosixPath(str(name).replace("\\", "/")).name
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    stem = re.sub(r"[^\w\-]+", "_", stem, flags=re.UNICODE).strip("._")[:80]
    return stem or default


def write_jpeg(rgb: np.ndarray, path: Path) -> Path:
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise RuntimeError(f"could not encode {path.name}")
    path.write_bytes(data.tobytes())
    return path


def _format_metrics(m: dict[str, float]) -> str:
    return f"PSNR {m['psnr']:.1f} dB · SSIM {m['ssim']:.3f} · CIEDE2000 {m['deltae2000']:.1f}"


def _user_message(err: BaseException, path: str | os.PathLike | None = None) -> str:
    """An error's message with the server's temporary path replaced by the file's own name."""
    message = str(err)
    if path is not None:
        message = message.replace(str(path), Path(path).name)
    return message


# ---------------------------------------------------------------- models

class ModelCache:
    """A thread-safe LRU of loaded Colorizers, keyed by (arch, epoch).

    Each model is loaded once while it stays among the ``capacity`` most recently used, even
    when several requests ask for it at the same moment (one loads, the others wait).
    ``loads`` counts the loads per key, so tests can check that nothing is loaded twice.
    """

    def __init__(self, capacity: int = MODEL_CACHE_SIZE, loader: Callable | None = None, device: str = "auto"):
        self.capacity = max(1, int(capacity))
        self.device = device
        self._loader = loader or hub.load_colorizer
        self._models: OrderedDict[tuple[str, int], object] = OrderedDict()
        self._key_locks: dict[tuple[str, int], threading.Lock] = {}
        self._lock = threading.Lock()
        self.loads: Counter = Counter()

    def get(self, entry: hub.Entry):
        key = (entry.arch, entry.epoch)
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._models:
                    self._models.move_to_end(key)
                    return self._models[key]
            model = self._loader(entry, device=self.device)
            with self._lock:
                self.loads[key] += 1
                self._models[key] = model
                while len(self._models) > self.capacity:
                    self._models.popitem(last=False)
        return model

    def cached(self) -> list[tuple[str, int]]:
        with self._lock:
            return list(self._models)


# ---------------------------------------------------------------- temporary files

class WorkDir:
    """A private temporary folder with one sub-folder per request, pruned by age and count.

    Gradio copies every returned file into its own cache (cleaned by ``delete_cache``), so a
    job folder is only needed for a moment; old ones are removed as new ones are made, and
    the whole folder when the process exits.
    """

    def __init__(self, root: str | os.PathLike | None = None, max_jobs: int = 32, max_age_s: float = 900):
        self.root = Path(root) if root else Path(tempfile.mkdtemp(prefix="colorgan-web-"))
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_jobs, self.max_age_s = max_jobs, max_age_s
        self._lock = threading.Lock()
        if root is None:
            atexit.register(shutil.rmtree, self.root, True)

    def new(self) -> Path:
        with self._lock:
            self.prune()
            job = self.root / f"{time.time_ns()}-{uuid.uuid4().hex[:8]}"
            job.mkdir()
            return job

    def jobs(self) -> list[Path]:
        return sorted((p for p in self.root.iterdir() if p.is_dir()), key=lambda p: p.name)

    def prune(self) -> None:
        jobs = self.jobs()
        now = time.time()
        for index, job in enumerate(jobs):
            too_many = len(jobs) - index >= self.max_jobs
            try:
                too_old = now - job.stat().st_mtime > self.max_age_s
            except FileNotFoundError:
                continue
            if too_many or too_old:
                shutil.rmtree(job, ignore_errors=True)

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
