"""The Colorize tab: one photo at full resolution, its views and metrics, colour hints, suggested colours and
the uncertainty view."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import cv2
import numpy as np

from colorgan.color import gray_rgb
from colorgan.images import has_transparency, load_rgb, save_png
from colorgan.web.common import (
    METRIC_MAX_SIDE,
    UserError,
    friendly_name,
    is_black_and_white,
    measure,
    safe_stem,
    write_jpeg,
)


class ColorizeTab:
    """Mixed into colorgan.webapp.WebApp (which holds ``entries``, ``cache``, ``workdir``, ``max_pixels``)."""

    # ------------------------------------------------ colorize one photo

    def colorize_photo(self, path: str | os.PathLike | None, arch: str | None = None,
                       epoch: int | str | None = None, size: float | None = 0,
                       strength: float | None = 1.0, hints=None, temperature: float | None = None,
                       with_metrics: bool = True) -> dict:
        """One photo at full resolution, with the three views, metrics and a PNG to download.

        ``with_metrics=False`` leaves the comparison with a colour upload for :meth:`metrics_summary`
        (the page shows the result first and the metrics a moment later).

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
        metrics = measure(rgb, color) if has_colour and with_metrics else None
        baseline = measure(rgb, gray) if has_colour and with_metrics else None

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
            "transparent": has_transparency(path),
        }
        result["summary"] = self.summary(result, pending=has_colour and not with_metrics)
        return result

    def metrics_summary(self, path: str | os.PathLike, result_png: str | os.PathLike, facts: dict) -> str:
        """The summary of a colorization made with ``with_metrics=False``, now with its metrics.

        ``facts``: the result's plain fields (arch, epoch, size, seconds, width, height, hints,
        ignored_hints, transparent); the photos are read back from the upload and the PNG."""
        rgb = self.load_photo(path)
        color = load_rgb(result_png, max_pixels=max(self.max_pixels, rgb.shape[0] * rgb.shape[1]))
        result = {**facts, "has_colour": not is_black_and_white(rgb)}
        if result["has_colour"]:
            result["metrics"], result["baseline"] = measure(rgb, color), measure(rgb, gray_rgb(rgb))
        return self.summary(result)

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
    def summary(result: dict, pending: bool = False) -> str:
        head = (f"**{friendly_name(result['arch'])}**, epoch {result['epoch']}, render size {result['size']} px: "
                f"{result['width']}×{result['height']} photo colorized in {result['seconds']:.2f} s.")
        if result.get("hints"):
            head += f" Following {len(result['hints'])} colour hint(s)."
        if result.get("ignored_hints"):
            head += (f" **{friendly_name(result['arch'])} does not take colour hints**: your "
                     f"{result['ignored_hints']} hint(s) were ignored (the recommended model follows them).")
        if result.get("transparent"):
            head += (" Your photo has **transparent areas: they were filled with white** (colorgan colours opaque "
                     "photos), and the download is opaque.")
        if pending:
            return head + "\n\nYour upload has colour: measuring how close the colours come (PSNR, SSIM, CIEDE2000)..."
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
