"""The logic behind the web page (``app.py``): plain functions over the hub and the pipeline.

``app.py`` only lays out the page and wires events to the methods of :class:`WebApp`; all
the work (validating choices, loading and caching models, colorizing, measuring, writing
files, reading zips safely) happens in colorgan/web/, one module per tab, without Gradio, so
that it can be tested alone:

    web/common.py    limits, UserError, small helpers, the model cache, the temporary folder
    web/choices.py   model and epoch pickers, photo and setting validation (every tab)
    web/colorize.py  the Colorize tab: views, metrics, colour hints, suggested colours, uncertainty
    web/compare.py   the Compare tab          web/progress.py  the Training progress tab
    web/sketch.py    the Sketch tab           web/batch.py     the Batch tab (and safe zip reading)
    web/video.py     the Video tab (visitor caps on size and length)

Errors a visitor can fix raise :class:`UserError` (or the core's ``ImageLoadError`` /
``CheckpointError``); their messages say what to do, and the page shows them as they are.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from colorgan import hub
from colorgan.images import DEFAULT_MAX_PIXELS
from colorgan.web.batch import (  # noqa: F401
    BATCH_MAX_FILES,
    ZIP_MAX_MEMBER_BYTES,
    ZIP_MAX_MEMBERS,
    ZIP_MAX_TOTAL_BYTES,
    BatchItem,
    BatchTab,
    _is_image_name,
    collect_batch,
    zip_members,
)
from colorgan.web.choices import Choices
from colorgan.web.colorize import ColorizeTab, hint_choices, hints_list, hints_text, uncertainty_view  # noqa: F401
from colorgan.web.common import *  # noqa: F401,F403 - limits and helpers, as the page and the tests use them
from colorgan.web.common import ModelCache, WorkDir
from colorgan.web.compare import CompareTab
from colorgan.web.progress import ProgressTab
from colorgan.web.sketch import SketchTab
from colorgan.web.video import VIDEO_MAX_MB, VIDEO_MAX_SECONDS, VideoTab  # noqa: F401


@dataclass
class WebApp(Choices, ColorizeTab, CompareTab, ProgressTab, BatchTab, SketchTab, VideoTab):
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


def iter_example_photos(folder: str | os.PathLike) -> Iterator[Path]:
    """The example photos, the gray ones (what a restorer brings: people, examples/SOURCES.md) first."""
    folder = Path(folder)
    if not folder.is_dir():
        return iter(())
    photos = [p for p in folder.iterdir() if _is_image_name(p.name) and p.is_file()]
    return iter(sorted(photos, key=lambda p: (not p.name.startswith("gray_"), p.name)))
