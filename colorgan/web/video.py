"""The Video tab: a home movie in, the same movie in colour out (colorgan/video.py), within visitor caps."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from colorgan.web.common import UserError, env_int, friendly_name, safe_stem

VIDEO_MAX_MB = env_int("COLORGAN_VIDEO_MAX_MB", 100)            # per uploaded video
VIDEO_MAX_SECONDS = env_int("COLORGAN_VIDEO_MAX_SECONDS", 60)   # the page colorizes at most this long a clip


class VideoTab:
    """Mixed into colorgan.webapp.WebApp (which holds ``entries``, ``cache``, ``workdir``, ``max_pixels``)."""

    def colorize_video(self, path: str | os.PathLike | None, arch: str | None = None, epoch: int | str | None = None,
                       size: float | None = 0, stabilise: bool = True,
                       progress: Callable[[int, int], None] | None = None) -> dict:
        """One uploaded video -> ``<stem>_color.mp4`` (same frames, size, timing and audio).

        Returns ``video`` (the mp4), ``frames``, ``seconds``, ``stopped`` (where a damaged stream
        ended it, or None) and ``summary``.  Videos above VIDEO_MAX_MB or VIDEO_MAX_SECONDS are
        refused with what to do instead (the command line has no cap).
        """
        from colorgan.video import VideoError, colorize_video, probe

        if path is None or str(path).strip() == "":
            raise UserError("no video yet: upload one (MP4, MOV, AVI, MKV or WebM).")
        path = Path(path)
        megabytes = path.stat().st_size / 2**20
        if megabytes > VIDEO_MAX_MB:
            raise UserError(f"{path.name} is {megabytes:.0f} MB; this page takes videos up to {VIDEO_MAX_MB} MB. Cut it "
                            "shorter, or run python -m colorgan video on your own computer (no limit there).")
        entry = self.entry(arch or self.default_arch(), epoch)
        render = self._size(size)
        try:
            info = probe(path)
            colorizer = self.colorizer(entry)
            job = self.workdir.new()
            result = colorize_video(path, job / f"{safe_stem(path.name, default='video')}_color.mp4", colorizer,
                                    size=render, stabilise=bool(stabilise), progress=progress,
                                    max_seconds=VIDEO_MAX_SECONDS)
        except VideoError as err:
            raise UserError(str(err)) from None
        summary = (f"**{friendly_name(entry.arch)}**, epoch {entry.epoch}: {result.frames} frames "
                   f"({info.describe()}) colorized in {result.seconds:.1f} s ({result.frames_per_second:.1f} frames/s)"
                   + (", colour carried along the motion." if stabilise else ", frame by frame."))
        if result.stopped:
            summary += f"\n\n**The video is damaged:** {result.stopped}."
        return {"video": result.output, "frames": result.frames, "seconds": result.seconds,
                "stopped": result.stopped, "summary": summary}
