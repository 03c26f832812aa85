"""The logic behind the web page (``app.py``): plain functions over the hub and the pipeline.

``app.py`` only lays out the page and wires events to the methods of :class:`WebApp`; all
the work (validating choices, loading and caching models, colorizing, measuring, writing
files, reading zips safely) happens here, without Gradio, so that it can be tested alone.

Errors a visitor can fix raise :class:`UserError` (or the core's ``ImageLoadError`` /
``CheckpointError``); their messages say what to do, and the page shows them as they are.
"""

from __future__ import annotations

import atexit
import io
import json
import logging
import math
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
import zipfile
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable, Iterator

import cv2
import numpy as np

from colorgan import hub
from colorgan.checkpoints import CheckpointError
from colorgan.color import gray_rgb, rgb_to_lab
from colorgan.hints import Hint, HintError, parse_hints
from colorgan.images import DEFAULT_MAX_PIXELS, IMAGE_EXTENSIONS, ImageLoadError, load_rgb, save_png

log = logging.getLogger(__name__)


def env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


MAX_UPLOAD_MB = env_int("COLORGAN_MAX_UPLOAD_MB", 25)       # per uploaded file (Gradio refuses larger)
MODEL_CACHE_SIZE = env_int("COLORGAN_MODEL_CACHE", 4)       # loaded (arch, epoch) models kept in memory
BATCH_MAX_FILES = env_int("COLORGAN_BATCH_MAX_FILES", 50)   # photos per batch, zip members included
ZIP_MAX_MEMBERS = 2000                                       # entries of any kind listed in one zip
ZIP_MAX_MEMBER_BYTES = 64 << 20                              # one uncompressed zip member
ZIP_MAX_TOTAL_BYTES = 512 << 20                              # all image members of one batch, uncompressed
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


# ---------------------------------------------------------------- batch inputs

@dataclass
class BatchItem:
    """One photo of a batch: a plain upload or a zip member, read only when its turn comes."""

    name: str
    path: Path | None = None
    zip_path: Path | None = None
    member: zipfile.ZipInfo | None = None

    def read(self) -> bytes:
        if self.member is None:
            return Path(self.path).read_bytes()
        with zipfile.ZipFile(self.zip_path) as archive, archive.open(self.member) as handle:
            data = handle.read(ZIP_MAX_MEMBER_BYTES + 1)  # never trust the declared size
        if len(data) > ZIP_MAX_MEMBER_BYTES:
            raise UserError(f"{self.name} unpacks to more than {ZIP_MAX_MEMBER_BYTES >> 20} MB; skipped.")
        return data


def _is_image_name(name: str) -> bool:
    base = PurePosixPath(name).name
    return base.lower().endswith(IMAGE_EXTENSIONS) and not base.startswith(".")


def zip_members(path: Path, display: str) -> tuple[list[BatchItem], list[tuple[str, str]]]:
    """The image members of a zip (never extracted: read into memory one at a time later).

    Guards: at most ZIP_MAX_MEMBERS entries, each image member at most ZIP_MAX_MEMBER_BYTES
    and all of them at most ZIP_MAX_TOTAL_BYTES uncompressed (as declared; reading is capped
    again), no encrypted members; folders, hidden files and other files are skipped.
    Member names serve only as labels, so '../' in a name cannot reach the file system.
    """
    skipped: list[tuple[str, str]] = []
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        return [], [(display, f"not a readable zip file ({err}); re-create the zip and try again")]
    if len(infos) > ZIP_MAX_MEMBERS:
        return [], [(display, f"holds {len(infos)} entries, above the limit of {ZIP_MAX_MEMBERS}; split it")]
    items: list[BatchItem] = []
    total = 0
    for info in infos:
        name = info.filename
        label = f"{display}/{name}"
        if info.is_dir() or "__MACOSX" in name.split("/"):
            continue
        if not _is_image_name(name):
            skipped.append((label, "not an image file (JPEG, PNG, WebP, TIFF, BMP or GIF)"))
            continue
        if info.flag_bits & 0x1:
            skipped.append((label, "encrypted; zip it again without a password"))
            continue
        if info.file_size > ZIP_MAX_MEMBER_BYTES:
            skipped.append((label, f"unpacks to {info.file_size >> 20} MB, above {ZIP_MAX_MEMBER_BYTES >> 20} MB"))
            continue
        total += info.file_size
        if total > ZIP_MAX_TOTAL_BYTES:
            raise UserError(f"{display} unpacks to more than {ZIP_MAX_TOTAL_BYTES >> 20} MB of images. "
                            "Send fewer or smaller photos per batch.")
        items.append(BatchItem(name=label, zip_path=path, member=info))
    return items, skipped


def collect_batch(paths: Iterable[str | os.PathLike]) -> tuple[list[BatchItem], list[tuple[str, str]]]:
    """Uploaded files and zips -> the photos to do, and (name, reason) for what is skipped."""
    items: list[BatchItem] = []
    skipped: list[tuple[str, str]] = []
    for raw in paths:
        path = Path(raw)
        if path.suffix.lower() == ".zip" or (zipfile.is_zipfile(path) and not _is_image_name(path.name)):
            found, bad = zip_members(path, path.name)
            items += found
            skipped += bad
        else:
            items.append(BatchItem(name=path.name, path=path))
        if len(items) > BATCH_MAX_FILES:
            raise UserError(f"this batch holds more than {BATCH_MAX_FILES} photos; the limit is {BATCH_MAX_FILES} "
                            "per batch (COLORGAN_BATCH_MAX_FILES). Split it into smaller batches.")
    return items, skipped


def _unique(name: str, taken: set[str]) -> str:
    stem, suffix = name.rsplit(".", 1)
    candidate, n = name, 2
    while candidate.lower() in taken:
        candidate, n = f"{stem}-{n}.{suffix}", n + 1
    taken.add(candidate.lower())
    return candidate


# ---------------------------------------------------------------- the page's logic

@dataclass
class WebApp:
    """Everything the page does, over one list of checkpoint entries and one model cache."""

    entries: list[hub.Entry] = field(default_factory=list)
    cache: ModelCache = field(default_factory=ModelCache)
    workdir: WorkDir = field(default_factory=WorkDir)
    max_pixels: int = DEFAULT_MAX_PIXELS
    # Sketch models (line drawing -> colour, colorgan/sketch.py): their own list and cache, never
    # among the photo models; any passed in ``entries`` are moved here.
    sketch_entries: list[hub.Entry] = field(default_factory=list)
    sketch_cache: ModelCache = field(default_factory=lambda: ModelCache(capacity=2, loader=hub.load_sketch_colorizer))

    def __post_init__(self) -> None:
        self.sketch_entries = list(self.sketch_entries) + hub.sketch_entries(self.entries)
        self.entries = hub.photo_entries(self.entries)

    @classmethod
    def from_hub(cls, **kwargs) -> "WebApp":
        """Checkpoints from hub.list_checkpoints(): checkpoints/, COLORGAN_CHECKPOINTS, COLORGAN_HUB_REPO."""
        return cls(entries=hub.list_checkpoints(), **kwargs)

    # ------------------------------------------------ choices

    def archs(self) -> list[str]:
        return hub.archs(self.entries)

    def default_arch(self) -> str | None:
        """The architecture of the checkpoint the manifest marks recommended (the measured best)."""
        return hub.default_arch(self.entries) if self.entries else None

    def model_choices(self) -> list[tuple[str, str]]:
        """(label, arch) for the model picker, best measured first (hub.list_checkpoints orders them)."""
        recommended = hub.recommended_entry(self.entries)
        return [(friendly_name(arch) + (" (recommended)" if recommended and arch == recommended.arch else ""), arch)
                for arch in self.archs()]

    def epochs(self, arch: str) -> list[int]:
        return hub.epochs_of(self.entries, arch)

    def epoch_choices(self, arch: str | None) -> list[tuple[str, int]]:
        """(label, epoch) for one architecture, the latest first; the recommended one is marked."""
        epochs = self.epochs(arch) if arch else []
        recommended = hub.recommended_entry(self.entries)
        marked = recommended.epoch if recommended and recommended.arch == arch else None
        return [(f"epoch {e}" + (" (recommended)" if e == marked else " (latest)" if i == 0 else ""), e)
                for i, e in enumerate(reversed(epochs))]

    def latest_epoch(self, arch: str | None) -> int | None:
        epochs = self.epochs(arch) if arch else []
        return epochs[-1] if epochs else None

    def default_epoch(self, arch: str | None) -> int | None:
        """The recommended epoch when ``arch`` holds the recommended checkpoint, else its latest."""
        if not arch or arch not in self.archs():
            return None
        return hub.resolve(self.entries, arch, None).epoch

    def entry(self, arch: str | None, epoch: int | str | None = "latest") -> hub.Entry:
        """The listed checkpoint for (arch, epoch); anything not listed is refused."""
        if not self.entries:
            raise UserError("no checkpoints are installed on this server: put trained checkpoints in "
                            "checkpoints/ (or set COLORGAN_CHECKPOINTS / COLORGAN_HUB_REPO) and restart.")
        if arch not in self.archs():
            raise UserError(f"unknown model {arch!r}; choose one of: "
                            + ", ".join(f"{friendly_name(a)} ({a})" for a in self.archs()))
        if epoch in (None, ""):   # the recommended checkpoint when it is of this arch, else the latest
            return hub.resolve(self.entries, arch, None)
        if epoch == "latest":
            return hub.resolve(self.entries, arch, "latest")
        try:
            wanted = int(float(epoch)) if not isinstance(epoch, bool) else None
        except (TypeError, ValueError, OverflowError):   # OverflowError: "1e400", "inf"
            wanted = None
        if wanted is None or wanted not in self.epochs(arch):
            raise UserError(f"{friendly_name(arch)} has no epoch {epoch!r}; choose one of "
                            f"{', '.join(map(str, self.epochs(arch)))} (or 'latest').")
        return hub.resolve(self.entries, arch, wanted)

    def colorizer(self, entry: hub.Entry):
        return self.cache.get(entry)

    # ------------------------------------------------ inputs

    def load_photo(self, path: str | os.PathLike | None) -> np.ndarray:
        """Decode an uploaded file with colorgan's own loader (EXIF, 16-bit, CMYK, size limits)."""
        if path is None or str(path).strip() == "":
            raise UserError("no photo yet: drop a photo on the upload box, paste one from the clipboard, "
                            "or click one of the examples.")
        try:
            return load_rgb(path, max_pixels=self.max_pixels)
        except ImageLoadError as err:
            raise ImageLoadError(_user_message(err, path)) from None

    @staticmethod
    def _size(size: float | int | None) -> int | None:
        """Render size: 0/None = the checkpoint's own; else 16..MAX_RENDER_SIZE px."""
        if size is None or size == "":
            return None
        try:
            value = float(size)
        except (TypeError, ValueError):
            raise UserError(f"render size must be a number of pixels, got {size!r}") from None
        if not math.isfinite(value) or value < 0 or 0 < value < 16 or value > MAX_RENDER_SIZE:
            raise UserError(f"render size {size} is out of range: use 0 (the model's own) or 16 to "
                            f"{MAX_RENDER_SIZE} pixels.")
        return int(round(value)) or None

    @staticmethod
    def _strength(strength: float | int | None) -> float:
        if strength is None or strength == "":
            return 1.0
        try:
            value = float(strength)
        except (TypeError, ValueError):
            raise UserError(f"colour strength must be a number, got {strength!r}") from None
        if not math.isfinite(value) or not 0.0 <= value <= 2.0:
            raise UserError(f"colour strength {strength} is out of range: use 0 (gray) to 2 (twice as vivid).")
        return value

    @staticmethod
    def model_view(colorizer, rgb: np.ndarray) -> np.ndarray:
        """The photo as the model sees it: its own luma with no chroma, at full resolution."""
        space = getattr(colorizer, "space", None)
        if space is None or space.name == "lab":
            return gray_rgb(rgb)
        luma = space.luma_np(rgb)
        return space.join_np(luma, np.zeros((*luma.shape, 2), np.float32))

    @staticmethod
    def _temperature(value: float | int | str | None) -> float | None:
        """Vividness of distribution models: None/0/'' = the checkpoint's own temperature."""
        if value is None or value == "" or value == 0:
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise UserError(f"vividness (temperature) must be a number, got {value!r}") from None
        if not math.isfinite(number) or not MIN_TEMPERATURE <= number <= MAX_TEMPERATURE:
            raise UserError(f"vividness (temperature) {value} is out of range: use {MIN_TEMPERATURE} (vivid) "
                            f"to {MAX_TEMPERATURE} (cautious), or 0 for the model's own.")
        return number

    @staticmethod
    def parse_hints(hints, width: int, height: int) -> list[Hint]:
        """The hints argument (a JSON list as text, or the list itself) for a ``width`` x ``height`` photo."""
        if hints is None or (isinstance(hints, str) and hints.strip() in ("", "[]")):
            return []
        data = hints
        if isinstance(hints, str):
            try:
                data = json.loads(hints)
            except json.JSONDecodeError as err:
                raise UserError(f"hints: not valid JSON ({err.msg} at column {err.colno}); write a list like "
                                '[{"x": 120, "y": 45, "color": "#c08060"}]') from None
        try:
            return parse_hints(data, width, height, where="hints")
        except HintError as err:
            raise UserError(str(err)) from None

    # ------------------------------------------------ colorize one photo

    def colorize_photo(self, path: str | os.PathLike | None, arch: str | None = None,
                       epoch: int | str | None = None, size: float | None = 0,
                       strength: float | None = 1.0, hints=None, temperature: float | None = None) -> dict:
        """One photo at full resolution, with the three views, metrics and a PNG to download.

        ``hints``: colour hints in the CLI's JSON form (a list of {"x", "y", "color"[, "size"]} in
        the photo's pixels), followed by models that take them; ``temperature``: the vividness
        of distribution models (None: the checkpoint's own).

        Returns a dict: ``gray``, ``colorized``, ``original`` (JPEG views, full resolution),
        ``download`` (``<stem>_color.png``), ``uncertainty`` (a view of where the model is
        unsure; None for models without a distribution), the arrays ``gray_rgb``,
        ``color_rgb``, ``original_rgb``, ``has_colour``, ``metrics`` / ``baseline`` (against
        the original; None for a black-and-white photo), ``arch``, ``epoch``, ``size``,
        ``seconds``, ``width``, ``height``, ``hints`` (as followed), ``takes_hints`` and
        ``summary`` (Markdown for people).
        """
        entry = self.entry(arch or self.default_arch(), epoch)
        render = self._size(size)
        amount = self._strength(strength)
        vivid = self._temperature(temperature)
        rgb = self.load_photo(path)
        hint_list = self.parse_hints(hints, rgb.shape[1], rgb.shape[0])
        colorizer = self.colorizer(entry)
        start = time.perf_counter()
        color = colorizer.colorize(rgb, size=render, strength=amount, hints=hint_list, temperature=vivid)
        seconds = time.perf_counter() - start
        gray = self.model_view(colorizer, rgb)
        has_colour = not is_black_and_white(rgb)
        metrics = measure(rgb, color) if has_colour else None
        baseline = measure(rgb, gray) if has_colour else None

        job = self.workdir.new()
        stem = safe_stem(Path(path).name)
        download = save_png(color, job / f"{stem}_color.png")
        unsure = None
        if colorizer.predicts_distribution:
            analysis = colorizer.analyse(rgb, size=render, hints=hint_list)   # the network's output is cached
            unsure = write_jpeg(uncertainty_view(gray, analysis.uncertainty()), job / f"{stem}_unsure.jpg")
        result = {
            "gray": write_jpeg(gray, job / f"{stem}_gray.jpg"),
            "colorized": write_jpeg(color, job / f"{stem}_colorized.jpg"),
            "original": write_jpeg(rgb, job / f"{stem}_original.jpg"),
            "download": download, "uncertainty": unsure,
            "gray_rgb": gray, "color_rgb": color, "original_rgb": rgb,
            "has_colour": has_colour, "metrics": metrics, "baseline": baseline,
            "arch": entry.arch, "epoch": entry.epoch, "size": render or colorizer.render_size,
            "seconds": seconds, "width": rgb.shape[1], "height": rgb.shape[0],
            "hints": [h.as_dict() for h in hint_list] if colorizer.takes_hints else [],
            "ignored_hints": len(hint_list) if not colorizer.takes_hints else 0,
            "takes_hints": colorizer.takes_hints,
            "temperature": (vivid or colorizer.temperature) if colorizer.predicts_distribution else None,
        }
        result["summary"] = self.summary(result)
        return result

    def suggest_colours(self, path: str | os.PathLike | None, x: float, y: float, arch: str | None = None,
                        epoch: int | str | None = None, size: float | None = 0, hints=None) -> dict:
        """The likely colours at photo pixel (x, y): the top modes of the model's distribution there,
        snapped into gamut at that pixel's lightness, for a hint.  Returns ``x``, ``y``,
        ``colours`` [(hex, probability)] (empty for models without a distribution) and ``note``."""
        entry = self.entry(arch or self.default_arch(), epoch)
        rgb = self.load_photo(path)
        height, width = rgb.shape[:2]
        try:
            x, y = float(x), float(y)
        except (TypeError, ValueError):
            raise UserError(f"the point must be pixel numbers, got x={x!r}, y={y!r}") from None
        if not (0 <= x < width and 0 <= y < height):
            raise UserError(f"the point ({x:.0f}, {y:.0f}) is off the photo ({width}x{height} px)")
        colorizer = self.colorizer(entry)
        if not colorizer.predicts_distribution:
            return {"x": x, "y": y, "colours": [], "note": f"{friendly_name(entry.arch)} predicts one colour per "
                    "pixel, so it has no suggestions; pick a colour yourself."}
        hint_list = self.parse_hints(hints, width, height)
        colours = colorizer.analyse(rgb, size=self._size(size), hints=hint_list).colours_at(x, y)
        return {"x": x, "y": y, "colours": colours,
                "note": "The colours the model finds likely here, most likely first."}

    @staticmethod
    def summary(result: dict) -> str:
        head = (f"**{friendly_name(result['arch'])}**, epoch {result['epoch']}, render size {result['size']} px: "
                f"{result['width']}×{result['height']} photo colorized in {result['seconds']:.2f} s.")
        if result.get("hints"):
            head += f" Following {len(result['hints'])} colour hint(s)."
        if result.get("ignored_hints"):
            head += (f" **{friendly_name(result['arch'])} does not take colour hints**: your "
                     f"{result['ignored_hints']} hint(s) were ignored (the recommended model follows them).")
        if not result["has_colour"]:
            return (head + "\n\nThis photo is black and white, so there is **no colour reference** to measure "
                    "against: judge the colours by eye. (Upload a colour photo to see PSNR, SSIM and "
                    "CIEDE2000 against it.)")
        m, b = result["metrics"], result["baseline"]
        return (head + "\n\nYour upload has colour, so it serves as the ground truth "
                f"(measured at up to {METRIC_MAX_SIDE} px):\n\n"
                "| | PSNR ↑ | SSIM ↑ | CIEDE2000 ↓ |\n|---|---|---|---|\n"
                f"| colorized | {m['psnr']:.2f} dB | {m['ssim']:.3f} | {m['deltae2000']:.2f} |\n"
                f"| grayscale input (no colour) | {b['psnr']:.2f} dB | {b['ssim']:.3f} | {b['deltae2000']:.2f} |")

    # ------------------------------------------------ sketch: a line drawing -> a colour picture

    def sketch_epoch_choices(self) -> list[tuple[str, int]]:
        """(label, epoch) of the sketch model, the latest first."""
        epochs = hub.epochs_of(self.sketch_entries, hub.SKETCH_ARCH)
        return [(f"epoch {e}" + (" (latest)" if i == 0 else ""), e) for i, e in enumerate(reversed(epochs))]

    def sketch_entry(self, epoch: int | str | None = "latest") -> hub.Entry:
        if not self.sketch_entries:
            raise UserError("no sketch model is installed on this server yet: train one with `python -m colorgan "
                            "train --config train/configs/sketch.yaml`, put its checkpoints in checkpoints/sketch/ "
                            "(or set COLORGAN_CHECKPOINTS / COLORGAN_HUB_REPO) and restart.")
        epochs = hub.epochs_of(self.sketch_entries, hub.SKETCH_ARCH)
        if epoch in (None, "", "latest"):
            return hub.resolve(self.sketch_entries, hub.SKETCH_ARCH, "latest")
        try:
            wanted = int(float(epoch)) if not isinstance(epoch, bool) else None
        except (TypeError, ValueError, OverflowError):
            wanted = None
        if wanted is None or wanted not in epochs:
            raise UserError(f"the sketch model has no epoch {epoch!r}; choose one of "
                            f"{', '.join(map(str, epochs))} (or 'latest').")
        return hub.resolve(self.sketch_entries, hub.SKETCH_ARCH, wanted)

    def load_drawing(self, path: str | os.PathLike | None, drawing=None) -> tuple[np.ndarray, str]:
        """The uploaded drawing (a file, decoded like a photo) or else the one drawn on the page.

        ``drawing`` is what a Gradio Sketchpad / ImageEditor gives (a dict with ``composite``,
        ``background`` and ``layers``) or a file path.  Returns (RGB, name for the download).
        A blank canvas or page is refused: there is nothing to colour.
        """
        if path is not None and str(path).strip():
            rgb, name = self.load_photo(path), Path(path).name
        else:
            if isinstance(drawing, dict):
                drawing = drawing.get("composite") or drawing.get("background")
            if drawing is None or (isinstance(drawing, str) and not drawing.strip()):
                raise UserError("no drawing yet: upload a drawing (PNG, JPEG, WebP...; black lines on white "
                                "work best) or draw one on the sketchpad.")
            try:
                rgb = load_rgb(drawing, max_pixels=self.max_pixels)
            except ImageLoadError as err:
                raise ImageLoadError(_user_message(err, drawing if isinstance(drawing, (str, os.PathLike)) else None)) \
                    from None
            name = "drawing.png"
        from colorgan.sketch import drawing_is_blank

        if drawing_is_blank(rgb):
            raise UserError(f"{name} is blank: there are no lines to colour. Draw something (dark lines on a "
                            "light background) or upload another drawing.")
        return rgb, name

    def colorize_sketch(self, path: str | os.PathLike | None, drawing=None, epoch: int | str | None = "latest",
                        size: float | None = 0) -> dict:
        """A line drawing -> a colour picture of the same size, with a PNG to download.

        Returns ``drawing`` (what the model sees, JPEG), ``colorized`` (JPEG), ``download``
        (``<stem>_color.png``, full resolution), the arrays ``drawing_rgb`` / ``color_rgb``,
        ``epoch``, ``size``, ``seconds``, ``width``, ``height`` and ``summary``.
        """
        entry = self.sketch_entry(epoch)
        render = self._size(size)
        rgb, name = self.load_drawing(path, drawing)
        colorizer = self.sketch_cache.get(entry)
        start = time.perf_counter()
        color = colorizer.colorize(rgb, size=render)
        seconds = time.perf_counter() - start
        view = colorizer.model_view(rgb)
        job = self.workdir.new()
        stem = safe_stem(name, default="drawing")
        result = {
            "drawing": write_jpeg(view, job / f"{stem}_drawing.jpg"),
            "colorized": write_jpeg(color, job / f"{stem}_colorized.jpg"),
            "download": save_png(color, job / f"{stem}_color.png"),
            "drawing_rgb": view, "color_rgb": color, "epoch": entry.epoch,
            "size": render or colorizer.render_size, "seconds": seconds,
            "width": rgb.shape[1], "height": rgb.shape[0],
        }
        result["summary"] = (f"**Sketch model**, epoch {entry.epoch}, render size {result['size']} px: "
                             f"{result['width']}×{result['height']} drawing coloured in {seconds:.2f} s. "
                             "A drawing has no colours of its own, so there is nothing to measure against.")
        return result

    # ------------------------------------------------ compare architectures

    def compare_all(self, path: str | os.PathLike | None, size: float | None = 0,
                    strength: float | None = 1.0) -> dict:
        """The photo through every architecture at its latest epoch (long side at most VIEW_MAX_SIDE).

        Returns ``items`` (arch, epoch, label, seconds, metrics, image, caption) in recommended
        order, ``failed`` (arch, reason) and ``summary`` (Markdown table).
        """
        if not self.entries:
            self.entry(None)
        render, amount = self._size(size), self._strength(strength)
        rgb = shrink(self.load_photo(path), VIEW_MAX_SIDE)
        has_colour = not is_black_and_white(rgb)
        job = self.workdir.new()
        items, failed = [], []
        for arch in self.archs():
            entry = self.entry(arch, None)
            try:
                colorizer = self.colorizer(entry)
            except CheckpointError as err:
                failed.append((arch, str(err)))
                continue
            start = time.perf_counter()
            color = colorizer.colorize(rgb, size=render, strength=amount)
            seconds = time.perf_counter() - start
            metrics = measure(rgb, color) if has_colour else None
            caption = f"{friendly_name(arch)} · epoch {entry.epoch} · {seconds:.2f} s"
            if metrics:
                caption += f" · PSNR {metrics['psnr']:.1f} dB · CIEDE2000 {metrics['deltae2000']:.1f}"
            items.append({"arch": arch, "epoch": entry.epoch, "label": friendly_name(arch), "seconds": seconds,
                          "metrics": metrics, "caption": caption,
                          "image": write_jpeg(color, job / f"{len(items):02d}_{arch}.jpg")})
        lines = ["| model | epoch | seconds | PSNR ↑ | SSIM ↑ | CIEDE2000 ↓ |", "|---|---|---|---|---|---|"]
        for item in items:
            m = item["metrics"]
            scores = (f"{m['psnr']:.2f} dB | {m['ssim']:.3f} | {m['deltae2000']:.2f}" if m else "– | – | –")
            lines.append(f"| {item['label']} | {item['epoch']} | {item['seconds']:.2f} | {scores} |")
        note = ("Metrics against your photo (it has colour)." if has_colour else
                "Your photo is black and white: there is no colour reference, so no metrics.")
        summary = note + "\n\n" + "\n".join(lines)
        if failed:
            summary += "\n\n" + "\n".join(f"- {friendly_name(a)} could not be loaded: {why}" for a, why in failed)
        return {"items": items, "failed": failed, "has_colour": has_colour, "summary": summary}

    # ------------------------------------------------ training progress

    def progress_epochs(self, arch: str) -> list[int]:
        """At most MAX_PROGRESS_EPOCHS epochs of ``arch``, evenly spread, first and latest included."""
        epochs = self.epochs(arch)
        if len(epochs) <= MAX_PROGRESS_EPOCHS:
            return epochs
        picks = np.linspace(0, len(epochs) - 1, MAX_PROGRESS_EPOCHS).round().astype(int)
        return [epochs[i] for i in sorted(set(picks.tolist()))]

    def progress_for(self, path: str | os.PathLike | None, arch: str | None = None, size: float | None = 0,
                     strength: float | None = 1.0) -> dict:
        """One architecture's output at every epoch (``items``: epoch, caption, image) and its loss curves."""
        arch = arch or self.default_arch()
        self.entry(arch, "latest")  # validates arch
        render, amount = self._size(size), self._strength(strength)
        rgb = shrink(self.load_photo(path), VIEW_MAX_SIDE)
        has_colour = not is_black_and_white(rgb)
        job = self.workdir.new()
        items = []
        for epoch in self.progress_epochs(arch):
            colorizer = self.colorizer(self.entry(arch, epoch))
            color = colorizer.colorize(rgb, size=render, strength=amount)
            metrics = measure(rgb, color) if has_colour else None
            caption = f"epoch {epoch}" + (f" · CIEDE2000 {metrics['deltae2000']:.1f}" if metrics else "")
            items.append({"epoch": epoch, "caption": caption, "metrics": metrics,
                          "image": write_jpeg(color, job / f"{arch}_epoch-{epoch:03d}.jpg")})
        shown = len(items)
        total = len(self.epochs(arch))
        summary = (f"{friendly_name(arch)}: {shown} epoch{'s' if shown != 1 else ''}"
                   + (f" of {total} (evenly spread)" if shown < total else "") + ".")
        return {"items": items, "curves": self.loss_curves(arch), "summary": summary, "has_colour": has_colour}

    def loss_curves(self, arch: str | None) -> Path | None:
        """A PNG of the architecture's loss curves from its train_log.csv, or None when it has none."""
        from colorgan.plots import plot_losses

        arch = arch or self.default_arch()
        self.entry(arch, "latest")
        log_path = hub.train_log(self.entries, arch)
        if log_path is None:
            return None
        return plot_losses(log_path, self.workdir.new() / f"{arch}_losses.png", title=f"{friendly_name(arch)}: losses")

    # ------------------------------------------------ batch

    def batch(self, paths: Iterable[str | os.PathLike] | None, arch: str | None = None,
              epoch: int | str | None = None, size: float | None = 0, strength: float | None = 1.0,
              progress: Callable[[int, int, str], None] | None = None) -> dict:
        """Several files and/or zips -> one zip of ``<stem>_color.png`` at full resolution.

        A photo that cannot be read is skipped with its reason and the batch carries on.
        Returns ``zip`` (path), ``done`` (member names), ``skipped`` ((name, reason)) and ``summary``.
        """
        entry = self.entry(arch or self.default_arch(), epoch)
        render, amount = self._size(size), self._strength(strength)
        paths = [p for p in (paths or []) if p]
        if not paths:
            raise UserError("no files yet: add photos (JPEG, PNG, WebP, TIFF, BMP, GIF) or a zip of photos.")
        items, skipped = collect_batch(paths)
        if not items:
            reasons = "; ".join(f"{n}: {r}" for n, r in skipped) or "no photos found"
            raise UserError(f"nothing to colorize ({reasons}). Upload photos or a zip that contains photos.")
        colorizer = self.colorizer(entry)
        job = self.workdir.new()
        out = job / f"colorized_{entry.arch}_epoch-{entry.epoch:03d}.zip"
        done: list[str] = []
        taken: set[str] = set()
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
            for index, item in enumerate(items):
                if progress:
                    progress(index, len(items), item.name)
                try:
                    rgb = load_rgb(item.read(), max_pixels=self.max_pixels)
                except (ImageLoadError, UserError) as err:
                    skipped.append((item.name, _user_message(err).replace("<bytes>", item.name)))
                    continue
                color = colorizer.colorize(rgb, size=render, strength=amount)
                buffer = io.BytesIO()
                from PIL import Image

                Image.fromarray(color).save(buffer, format="PNG")
                name = _unique(f"{safe_stem(item.name)}_color.png", taken)
                archive.writestr(name, buffer.getvalue())
                done.append(name)
        if progress:
            progress(len(items), len(items), "done")
        if not done:
            out.unlink(missing_ok=True)
            reasons = "; ".join(f"{n}: {r}" for n, r in skipped)
            raise UserError(f"none of the photos could be read ({reasons}). Check the files and try again.")
        summary = (f"{len(done)} photo{'s' if len(done) != 1 else ''} colorized with {friendly_name(entry.arch)}, "
                   f"epoch {entry.epoch}, at full resolution.")
        if skipped:
            summary += "\n\nSkipped:\n" + "\n".join(f"- {n}: {r}" for n, r in skipped)
        return {"zip": out, "done": done, "skipped": skipped, "summary": summary}


# ---------------------------------------------------------------- module-level functions

_default: WebApp | None = None
_default_lock = threading.Lock()


def default_app() -> WebApp:
    """The process-wide WebApp over hub.list_checkpoints(), made on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = WebApp.from_hub()
        return _default


def colorize_photo(path, arch=None, epoch=None, size=0, strength=1.0, hints=None, temperature=None) -> dict:
    return default_app().colorize_photo(path, arch, epoch, size, strength, hints, temperature)


def compare_all(path, size=0, strength=1.0) -> dict:
    return default_app().compare_all(path, size, strength)


def progress_for(path, arch=None, size=0, strength=1.0) -> dict:
    return default_app().progress_for(path, arch, size, strength)


def colorize_sketch(path, drawing=None, epoch="latest", size=0) -> dict:
    return default_app().colorize_sketch(path, drawing, epoch, size)


def batch(paths, arch=None, epoch=None, size=0, strength=1.0, progress=None) -> dict:
    return default_app().batch(paths, arch, epoch, size, strength, progress)


def hints_list(text) -> list[dict]:
    """The page's hints box (a JSON list as text) as a list of dicts; checked against the photo later."""
    if isinstance(text, list):
        return list(text)
    try:
        data = json.loads(text or "[]")
    except json.JSONDecodeError as err:
        raise UserError(f"hints: not valid JSON ({err.msg}); click 'Remove all hints' to start again") from None
    if not isinstance(data, list):
        raise UserError("hints: expected a list of hints; click 'Remove all hints' to start again")
    return data


def hints_text(hints: list[dict]) -> str:
    return json.dumps(hints)


def hint_choices(hints: list[dict]) -> list[tuple[str, int]]:
    """(label, index) for the remove picker: '1: (120, 45) #c08060'."""
    return [(f"{k + 1}: ({h.get('x')}, {h.get('y')}) {h.get('color')}", k) for k, h in enumerate(hints)]


def uncertainty_view(gray: np.ndarray, uncertainty: np.ndarray) -> np.ndarray:
    """Gray photo under a heat map of the model's uncertainty (bright = unsure: a hint helps most there).

    The entropy is stretched over its own range in this photo, so the least and most certain
    places always differ visibly."""
    low, high = np.percentile(uncertainty, [2, 98])
    scaled = np.clip((uncertainty - low) / max(high - low, 1e-6), 0, 1)
    heat = cv2.applyColorMap((scaled * 255).astype(np.uint8), cv2.COLORMAP_INFERNO)[:, :, ::-1]
    return cv2.addWeighted(heat, 0.6, gray, 0.4, 0)


def iter_example_photos(folder: str | os.PathLike) -> Iterator[Path]:
    """The example photos, black-and-white ones first."""
    folder = Path(folder)
    if not folder.is_dir():
        return iter(())
    photos = [p for p in folder.iterdir() if _is_image_name(p.name) and p.is_file()]
    return iter(sorted(photos, key=lambda p: (not p.name.startswith("bw_"), p.name)))
