"""Old home movies: video colorization with steady colour (DESIGN.md, "Video").

    frames (streamed; audio passed through) -> the photo path per frame, up to the chroma
       -> chroma carried along optical flow from the previous frame, blended where the flow is
          reliable, reset at cuts (ChromaStabiliser) -> joined with each frame's own luma
       -> frames -> mp4 (H.264; same size, frame count and timing)

Frame by frame, a colorizer guesses each frame's colours afresh, so a shirt may turn from red to
brown and back (flicker).  The stabiliser keeps the previous frame's chroma, moves it along the
dense optical flow (OpenCV's DIS) to where each pixel is now, and blends it with the new guess
where the flow explains the picture (the moved luma matches the new luma); where it does not
(something new came into view) and after a scene cut, the new guess stands.  All of it runs at
the model's render size, where it is cheap; detail comes from each frame's full-resolution luma.

Reading and writing go through PyAV, which brings its own FFmpeg: no system ffmpeg is needed.
A stream that breaks halfway keeps the frames before the damage in a valid, shorter file and
says where it stopped.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

# The limits a video must respect (the page's visitor caps are in colorgan/web/video.py).
MAX_FRAME_PIXELS = 4096 * 2304     # 4K UHD and a little more; beyond that refused
WARN_FRAME_PIXELS = 2560 * 1440    # above this (4K): a warning that it will be slow
WARN_SECONDS = 2 * 3600            # many hours: a warning with the expected time


class VideoError(ValueError):
    """A video that cannot be colorized; the message names the file and says what to do."""


@dataclass
class VideoInfo:
    """What a video holds, read from its header (frames: the container's count, estimated if absent)."""

    path: Path
    width: int
    height: int
    fps: Fraction
    frames: int
    seconds: float
    has_audio: bool
    variable_rate: bool

    def describe(self) -> str:
        rate = f"{float(self.fps):.3g} frames/s" + (" (variable)" if self.variable_rate else "")
        return (f"{self.width}x{self.height}, {rate}, {self.frames} frames, {self.seconds:.1f} s"
                + (", with audio" if self.has_audio else ", no audio"))


def _open(path: Path):
    import av

    try:
        return av.open(str(path))
    except (av.error.FFmpegError, OSError, UnicodeDecodeError, ValueError) as err:
        raise VideoError(f"{path.name} is not a video colorgan can read ({type(err).__name__}: "
                         f"{str(err).splitlines()[0][:160] if str(err) else 'unreadable'}). Use an MP4, MOV, "
                         "AVI, MKV or WebM file.") from None


def probe(path: str | os.PathLike) -> VideoInfo:
    """The size, rate, length and streams of a video, checked against the limits."""
    path = Path(path)
    if not path.is_file():
        raise VideoError(f"{path}: no such file")
    container = _open(path)
    try:
        if not container.streams.video:
            raise VideoError(f"{path.name} has no video stream (is it an audio file?); use a video file.")
        stream = container.streams.video[0]
        width, height = stream.codec_context.width, stream.codec_context.height
        if not width or not height:
            raise VideoError(f"{path.name}: its video stream has no frame size; the file is damaged.")
        if width * height > MAX_FRAME_PIXELS:
            raise VideoError(f"{path.name} is {width}x{height}, above the {MAX_FRAME_PIXELS / 1e6:.1f}-megapixel frames "
                             "colorgan takes; scale it to 4K (3840x2160) or less first.")
        fps = stream.average_rate or stream.guessed_rate or Fraction(25)
        seconds = float(stream.duration * stream.time_base) if stream.duration else (
            container.duration / 1e6 if container.duration else 0.0)
        frames = stream.frames or int(round(seconds * float(fps)))
        base = stream.base_rate or fps
        variable = bool(stream.average_rate and base and abs(float(base) - float(stream.average_rate)) > 0.01)
        info = VideoInfo(path, width, height, Fraction(fps), frames, seconds, bool(container.streams.audio), variable)
    finally:
        container.close()
    return info


def warnings_for(info: VideoInfo, frames_per_second: float = 10.0) -> list[str]:
    """What a user should know before a long job: very large frames, many hours."""
    notes = []
    if info.width * info.height > WARN_FRAME_PIXELS:
        notes.append(f"{info.path.name} is {info.width}x{info.height}: frames this large take several times longer "
                     "than HD ones")
    if info.seconds > WARN_SECONDS:
        hours = info.frames / max(frames_per_second, 0.1) / 3600
        notes.append(f"{info.path.name} runs {info.seconds / 3600:.1f} hours ({info.frames} frames): expect about "
                     f"{hours:.0f} hours of work at {frames_per_second:g} frames/s")
    return notes


# ---------------------------------------------------------------- steady colour

class ChromaStabiliser:
    """Carry the previous frame's chroma along dense optical flow and blend it with the new prediction.

    ``carry``: how much of the moved previous chroma a perfectly explained pixel keeps (0 = frame
    by frame); ``tolerance``: the luma mismatch (8-bit levels) at which a pixel counts as half
    explained; ``cut``: the mean luma change (8-bit) above which a frame is a new scene.
    On bench/video.py's 640x480 pan with the recommended model, the flicker left of frame by
    frame's was 71% at carry 0.8, 65% at 0.9 and 59% at 0.95 (chroma kept in every case): the
    network's own colours are already steady, so only a long memory steadies them further, and
    pixels the flow does not explain (moving or newly uncovered things) still take the new colour.
    """

    def __init__(self, carry: float = 0.95, tolerance: float = 6.0, cut: float = 30.0):
        self.carry, self.tolerance, self.cut = carry, tolerance, cut
        self.flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST)
        self.previous: tuple[np.ndarray, np.ndarray] | None = None   # (luma 8-bit, chroma)
        self.cuts = 0

    def reset(self) -> None:
        self.previous = None

    def __call__(self, luma8: np.ndarray, chroma: np.ndarray) -> np.ndarray:
        """``luma8``: HxW uint8 render-size luma of this frame; ``chroma``: HxWx2 prediction -> steadied chroma."""
        if self.previous is not None and self.previous[0].shape != luma8.shape:
            self.previous = None
        if self.previous is not None and float(np.abs(luma8.astype(np.float32) - self.previous[0]).mean()) > self.cut:
            self.previous = None   # a cut: nothing to carry over
            self.cuts += 1
        if self.previous is None:
            self.previous = (luma8, chroma)
            return chroma
        old_luma, old_chroma = self.previous
        flow = self.flow.calc(luma8, old_luma, None)          # where each pixel of this frame was before
        height, width = luma8.shape
        grid_x, grid_y = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
        map_x, map_y = grid_x + flow[..., 0], grid_y + flow[..., 1]
        moved_chroma = cv2.remap(old_chroma.astype(np.float32), map_x, map_y, cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_REPLICATE)
        moved_luma = cv2.remap(old_luma, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        inside = (map_x >= 0) & (map_x <= width - 1) & (map_y >= 0) & (map_y <= height - 1)
        mismatch = np.abs(moved_luma.astype(np.float32) - luma8.astype(np.float32))
        reliable = inside / (1.0 + (mismatch / self.tolerance) ** 2)
        weight = (self.carry * reliable)[..., None].astype(np.float32)
        steady = weight * moved_chroma + (1 - weight) * chroma.astype(np.float32)
        self.previous = (luma8, steady)
        return steady


def luma_to_8bit(luma: np.ndarray, space_name: str) -> np.ndarray:
    scale = 2.55 if space_name == "lab" else 255.0
    return np.clip(luma * scale, 0, 255).astype(np.uint8)


# ---------------------------------------------------------------- the job

@dataclass
class VideoResult:
    """What a colorization wrote: ``frames`` of ``expected``; ``stopped`` says where and why a broken
    stream ended it early (None when it ran to the end)."""

    output: Path
    frames: int
    expected: int
    seconds: float
    stopped: str | None = None

    @property
    def frames_per_second(self) -> float:
        return self.frames / self.seconds if self.seconds else 0.0


def colorize_video(source: str | os.PathLike, target: str | os.PathLike, colorizer, size: int | None = None,
                   stabilise: bool = True, progress: Callable[[int, int], None] | None = None,
                   max_seconds: float | None = None, crf: int = 18) -> VideoResult:
    """Colorize ``source`` into the mp4 ``target`` (H.264, the input's size, frames and timing, its audio as AAC).

    Frames stream through: memory does not grow with the length.  The file is written beside
    ``target`` and renamed into place when done, so an existing file is only replaced by a
    finished one; a stream that breaks halfway gives the frames before the damage and
    ``VideoResult.stopped``.  ``max_seconds``: refuse longer videos (the page's cap).
    """
    import av

    source, target = Path(source), Path(target)
    info = probe(source)
    if info.frames == 0 and info.seconds == 0:
        raise VideoError(f"{source.name} has no frames; there is nothing to colorize.")
    if max_seconds is not None and info.seconds > max_seconds:
        raise VideoError(f"{source.name} runs {info.seconds:.0f} s; this page takes videos up to {max_seconds:.0f} s. "
                         "Cut it shorter, or use the command line (python -m colorgan video), which has no cap.")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.stem}.partial-{os.getpid()}.mp4")
    steady = ChromaStabiliser() if stabilise else None
    started = time.perf_counter()
    written, stopped = 0, None
    container = _open(source)
    output = av.open(str(partial), "w", format="mp4")
    try:
        video_in = container.streams.video[0]
        video_in.thread_type = "AUTO"
        video_out = output.add_stream("libx264", rate=info.fps)
        video_out.width, video_out.height = info.width, info.height
        even = info.width % 2 == 0 and info.height % 2 == 0
        video_out.pix_fmt = "yuv420p" if even else "yuv444p"    # 4:2:0 needs even sizes; odd ones keep 4:4:4
        # the input's own time base, in the stream and the encoder: variable frame rates keep their timing
        video_out.time_base = video_out.codec_context.time_base = video_in.time_base
        video_out.options = {"crf": str(crf), "preset": "veryfast"}
        audio_in = container.streams.audio[0] if container.streams.audio else None
        audio_out = None
        if audio_in is not None:
            audio_out = output.add_stream("aac", rate=audio_in.codec_context.sample_rate or 44100)
        streams = [video_in] + ([audio_in] if audio_in is not None else [])
        last_pts = None
        try:
            for packet in container.demux(*streams):
                for frame in packet.decode():
                    if packet.stream is audio_in:
                        frame.pts = None
                        for out_packet in audio_out.encode(frame):
                            output.mux(out_packet)
                        continue
                    rgb = frame.to_ndarray(format="rgb24")
                    luma, small, chroma = colorizer.frame_chroma(rgb, size=size)
                    if steady is not None:
                        chroma = steady(luma_to_8bit(small, colorizer.space.name), chroma)
                    result = av.VideoFrame.from_ndarray(colorizer.join_chroma(luma, chroma), format="rgb24")
                    pts = frame.pts if frame.pts is not None else (last_pts + 1 if last_pts is not None else 0)
                    if last_pts is not None and pts <= last_pts:   # broken timestamps: keep the order
                        pts = last_pts + 1
                    result.pts, result.time_base, last_pts = pts, video_in.time_base, pts
                    for out_packet in video_out.encode(result):
                        output.mux(out_packet)
                    written += 1
                    if progress:
                        progress(written, max(info.frames, written))
        except (av.error.FFmpegError, ValueError) as err:
            where = f"{float(last_pts * video_in.time_base):.2f} s" if last_pts is not None else "the start"
            stopped = (f"{source.name} is damaged after frame {written} (at {where}): "
                       f"{str(err).splitlines()[0][:120] if str(err) else type(err).__name__}; "
                       f"the {written} frames before it were written")
        if stopped is None and info.frames and written < info.frames - max(2, info.frames // 50):
            stopped = (f"{source.name} ended after frame {written} of the {info.frames} its header announces "
                       f"(a truncated file?); the {written} frames there were written")
        for out_packet in video_out.encode():
            output.mux(out_packet)
        if audio_out is not None:
            for out_packet in audio_out.encode():
                output.mux(out_packet)
    except BaseException:
        output.close()
        container.close()
        partial.unlink(missing_ok=True)
        raise
    output.close()
    container.close()
    if written == 0:
        partial.unlink(missing_ok=True)
        raise VideoError(stopped or f"{source.name} holds no frame that could be decoded; nothing was written.")
    os.replace(partial, target)
    return VideoResult(target, written, max(info.frames, written), time.perf_counter() - started, stopped)


def flicker(frames_ab: list[np.ndarray], masks: list[np.ndarray] | None = None) -> float:
    """Temporal standard deviation of a and b, averaged over pixels (scene coordinates: the frames are
    already aligned), the flicker measure of bench/video.py."""
    stack = np.stack([f.astype(np.float32) for f in frames_ab])      # T x H x W x 2
    spread = stack.std(axis=0).mean(axis=-1)
    if masks is not None:
        valid = np.all(np.stack(masks), axis=0)
        return float(spread[valid].mean()) if valid.any() else float("nan")
    return float(spread.mean())


def seconds_label(seconds: float) -> str:
    minutes, rest = divmod(int(math.ceil(seconds)), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"
