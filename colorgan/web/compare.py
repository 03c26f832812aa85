"""The Compare tab: one photo through every architecture."""

from __future__ import annotations

import os
import time

from colorgan.checkpoints import CheckpointError
from colorgan.color import gray_rgb
from colorgan.web.common import VIEW_MAX_SIDE, friendly_name, is_black_and_white, measure, shrink, write_jpeg


class CompareTab:
    """Mixed into colorgan.webapp.WebApp (which holds ``entries``, ``cache``, ``workdir``, ``max_pixels``)."""

    # ------------------------------------------------ compare architectures

    def compare_all(self, path: str | os.PathLike | None, size: float | None = 0,
                    strength: float | None = 1.0) -> dict:
        """The photo through every architecture at its default epoch (long side at most VIEW_MAX_SIDE).

        Returns ``items`` (arch, epoch, label, parameters, seconds: the model alone, total: load,
        colorize and measure, metrics, image, caption), best measured first after the gray
        (no colour) item, ``failed`` (arch, reason) and ``summary`` (Markdown table).
        """
        if not self.entries:
            self.entry(None)
        render, amount = self._size(size), self._strength(strength)
        rgb = shrink(self.load_photo(path), VIEW_MAX_SIDE)
        has_colour = not is_black_and_white(rgb)
        job = self.workdir.new()
        gray = gray_rgb(rgb)
        items = [{"arch": "gray", "epoch": None, "label": "gray (no colour)", "parameters": None, "seconds": 0.0,
                  "total": 0.0, "metrics": measure(rgb, gray) if has_colour else None,
                  "image": write_jpeg(gray, job / "00_gray.jpg")}]
        failed = []
        for arch in self.archs():
            entry = self.entry(arch, None)
            began = time.perf_counter()
            try:
                colorizer = self.colorizer(entry)
            except CheckpointError as err:
                failed.append((arch, str(err)))
                continue
            start = time.perf_counter()
            color = colorizer.colorize(rgb, size=render, strength=amount)
            seconds = time.perf_counter() - start
            metrics = measure(rgb, color) if has_colour else None
            items.append({"arch": arch, "epoch": entry.epoch, "label": friendly_name(arch),
                          "parameters": colorizer.config.get("parameters"), "seconds": seconds,
                          "total": time.perf_counter() - began, "metrics": metrics,
                          "image": write_jpeg(color, job / f"{len(items):02d}_{arch}.jpg")})
        for item in items:   # short captions: the table below has the rest
            caption = item["label"] if item["epoch"] is None else f"{item['label']} · ep {item['epoch']}"
            if item["metrics"]:
                caption += f" · ΔE {item['metrics']['deltae2000']:.1f}"
            item["caption"] = caption
        lines = ["| model | epoch | parameters | model s | total s | PSNR ↑ | SSIM ↑ | CIEDE2000 ↓ |",
                 "|---|---|---|---|---|---|---|---|"]
        for item in items:
            m = item["metrics"]
            scores = (f"{m['psnr']:.2f} dB | {m['ssim']:.3f} | {m['deltae2000']:.2f}" if m else "– | – | –")
            params = f"{item['parameters'] / 1e6:.2f}M" if item["parameters"] else ""
            epoch = "" if item["epoch"] is None else item["epoch"]
            lines.append(f"| {item['label']} | {epoch} | {params} | {item['seconds']:.2f} | {item['total']:.2f} | "
                         f"{scores} |")
        note = ("Metrics against your photo (it has colour). \"model s\" is the model alone, \"total s\" "
                "includes loading it (the first time) and measuring." if has_colour else
                "Your photo is black and white: there is no colour reference, so no metrics.")
        summary = note + "\n\n" + "\n".join(lines)
        if failed:
            summary += "\n\n" + "\n".join(f"- {friendly_name(a)} could not be loaded: {why}" for a, why in failed)
        return {"items": items, "failed": failed, "has_colour": has_colour, "summary": summary}
