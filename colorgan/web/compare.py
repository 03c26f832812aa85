"""The Compare tab: one photo through every architecture."""

from __future__ import annotations

import os
import time

from colorgan.checkpoints import CheckpointError
from colorgan.web.common import VIEW_MAX_SIDE, friendly_name, is_black_and_white, measure, shrink, write_jpeg


class CompareTab:
    """Mixed into colorgan.webapp.WebApp (which holds ``entries``, ``cache``, ``workdir``, ``max_pixels``)."""

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
