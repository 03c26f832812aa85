"""The Sketch tab: a line drawing (uploaded or drawn on the page) -> a colour picture."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from colorgan import hub
from colorgan.images import ImageLoadError, load_rgb, save_png
from colorgan.web.common import UserError, _user_message, safe_stem, write_jpeg


class SketchTab:
    """Mixed into colorgan.webapp.WebApp (which holds ``entries``, ``cache``, ``workdir``, ``max_pixels``)."""

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
