"""The model and epoch pickers and the inputs every tab validates: which checkpoint, which photo, which settings."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

from colorgan import hub
from colorgan.color import gray_rgb
from colorgan.hints import Hint, HintError, parse_hints
from colorgan.images import ImageLoadError, ImageTooLarge, load_rgb
from colorgan.web.common import (
    MAX_RENDER_SIZE,
    MAX_UPLOAD_MB,
    MAX_TEMPERATURE,
    MIN_TEMPERATURE,
    UserError,
    _user_message,
    friendly_name,
)


class Choices:
    """Mixed into colorgan.webapp.WebApp (which holds ``entries``, ``cache``, ``workdir``, ``max_pixels``)."""

    # ------------------------------------------------ choices

    def archs(self) -> list[str]:
        return hub.archs(self.entries)

    def default_arch(self) -> str | None:
        """The architecture of the checkpoint the manifest marks recommended (the measured best)."""
        return hub.default_arch(self.entries) if self.entries else None

    def model_choices(self) -> list[tuple[str, str]]:
        """(label, arch) for the model picker, best measured first (hub.list_checkpoints orders them).

        Each label says what the model measured on validation (its recommended or latest epoch:
        CIEDE2000 against gray's) and its size, e.g. 'U-Net++ · val -10% vs gray · 0.57M'."""
        recommended = hub.recommended_entry(self.entries)
        labels = []
        for arch in self.archs():
            entry = hub.resolve(self.entries, arch, None)
            label = friendly_name(arch) + (" (recommended)" if recommended and arch == recommended.arch else "")
            if entry.vs_gray is not None:
                label += f" · val {100 * (entry.vs_gray - 1):+.0f}% vs gray"
            if entry.parameters:
                label += f" · {entry.parameters / 1e6:.2f}M"
            labels.append((label, arch))
        return labels

    def epochs(self, arch: str) -> list[int]:
        return hub.epochs_of(self.entries, arch)

    def epoch_choices(self, arch: str | None) -> list[tuple[str, int]]:
        """(label, epoch) for one architecture, the latest first; the default one (recommended, or the
        best measured) is marked, and each measured epoch shows its validation CIEDE2000 against gray's."""
        if not arch or arch not in self.archs():
            return []
        available = [e for e in self.entries if e.arch == arch]
        default = hub.best_entry(available)
        word = "recommended" if default.recommended else "best measured" if default.score is not None else "latest"
        choices = []
        for i, entry in enumerate(reversed(available)):
            tags = [word] if entry.epoch == default.epoch else (["latest"] if i == 0 else [])
            if entry.vs_gray is not None:
                tags.append(f"val {100 * (entry.vs_gray - 1):+.0f}% vs gray")
            choices.append((f"epoch {entry.epoch}" + (f" ({', '.join(tags)})" if tags else ""), entry.epoch))
        return choices

    def latest_epoch(self, arch: str | None) -> int | None:
        epochs = self.epochs(arch) if arch else []
        return epochs[-1] if epochs else None

    def default_epoch(self, arch: str | None) -> int | None:
        """The epoch a visitor gets for ``arch``: the recommended one, else the best measured, else the latest."""
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
        megabytes = Path(path).stat().st_size / 2**20 if Path(path).is_file() else 0
        if megabytes > MAX_UPLOAD_MB:
            raise UserError(f"{Path(path).name} is {megabytes:.0f} MB; this page takes photos up to {MAX_UPLOAD_MB} MB. "
                            "Save it as a JPEG, or smaller, and upload it again.")
        try:
            return load_rgb(path, max_pixels=self.max_pixels)
        except ImageTooLarge as err:   # a visitor cannot raise COLORGAN_MAX_PIXELS: say what to do instead
            width, height = err.fitting_size()
            raise UserError(f"{Path(path).name} is {err.width}x{err.height} = {err.width * err.height / 1e6:.0f} "
                            f"megapixels; this page takes photos up to {err.max_pixels / 1e6:.0f} MP. Shrink it to "
                            f"{width}x{height} px or less (any photo editor's 'resize') and upload it again.") from None
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
