"""The Training progress tab: one architecture at every saved epoch, and its loss curves."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from colorgan import hub
from colorgan.web.common import (
    MAX_PROGRESS_EPOCHS,
    VIEW_MAX_SIDE,
    friendly_name,
    is_black_and_white,
    measure,
    shrink,
    write_jpeg,
)


class ProgressTab:
    """Mixed into colorgan.webapp.WebApp (which holds ``entries``, ``cache``, ``workdir``, ``max_pixels``)."""

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
