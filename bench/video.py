"""Video colorization: speed, flicker and colour, frame by frame against the steadied path.

    python bench/video.py                 # the shipped recommended model; rewrites the "video" section of RESULTS.md
    python bench/video.py --smoke         # tiny clips, for CI (writes nothing)

* Speed: frames/s of ``colorize_video`` (decode, colorize, steady, encode H.264) on a 640x480 and
  a 1280x720 clip, in a fresh process with 2 threads (a free Space), frame by frame and steadied.
* Flicker, on a clip with known motion: a pan across a still photo (examples/colour_castle_maintenon.jpg,
  4 px a frame).  Each output frame is shifted back by its known offset, so every pixel of the
  common region is one point of the scene; flicker is the temporal standard deviation of its a and
  b (Lab), averaged.  Chroma is the mean ab magnitude: steadying must not wash the colour out.
* Quality on real colour footage: opencv-doc's vtest.avi (a street with pedestrians, 768x576; in
  the Debian cache train/fetch_photos.py fills), every 10th of its first 200 frames, CIEDE2000
  against the original colour frames, and gray's.
Targets (issue 17): steadied flicker at most 60% of frame by frame's with at least 70% of its
chroma; at least 10 frames/s at 640x480 on 2 threads.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from common import REPO, machine, run_worker, write_section

PAN_SOURCE = REPO / "examples" / "colour_castle_maintenon.jpg"
VTEST = REPO / "data" / "cache" / "extracted" / "opencv-doc" / "usr/share/doc/opencv-doc/examples/data/vtest.avi"
STEP = 4
TARGETS = {"flicker": 0.6, "chroma": 0.7, "fps_640x480": 10.0}


def pan_clip(path: Path, width: int, height: int, frames: int) -> list[int]:
    """A pan across the still photo: frame i shows the window starting STEP * i px to the right."""
    import av
    import cv2

    from colorgan.images import load_rgb

    photo = load_rgb(PAN_SOURCE)
    scale = height / photo.shape[0]
    wide = cv2.resize(photo, (max(width + STEP * frames, round(photo.shape[1] * scale)), height),
                      interpolation=cv2.INTER_AREA)
    out = av.open(str(path), "w")
    stream = out.add_stream("libx264", rate=25)
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    stream.options = {"crf": "12", "preset": "veryfast"}
    offsets = []
    for i in range(frames):
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(wide[:, STEP * i:STEP * i + width]), format="rgb24")
        frame.pts = i
        for packet in stream.encode(frame):
            out.mux(packet)
        offsets.append(STEP * i)
    for packet in stream.encode():
        out.mux(packet)
    out.close()
    return offsets


def read_frames(path: Path, every: int = 1, limit: int | None = None) -> list[np.ndarray]:
    import av

    frames = []
    with av.open(str(path)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if limit is not None and index >= limit:
                break
            if index % every == 0:
                frames.append(frame.to_ndarray(format="rgb24"))
    return frames


def flicker_and_chroma(frames: list[np.ndarray], offsets: list[int]) -> tuple[float, float]:
    """Temporal std of Lab a, b in scene coordinates (the common region of the pan), and the mean chroma."""
    from colorgan.color import rgb_to_lab

    width = frames[0].shape[1]
    span = width - offsets[-1]
    # Frame i shows the scene from column offsets[i]: the region every frame shows, the scene's columns
    # offsets[-1] .. width, sits at offsets[-1] - offsets[i] in frame i.
    aligned = [rgb_to_lab(f[:, offsets[-1] - o:offsets[-1] - o + span])[:, :, 1:] for f, o in zip(frames, offsets)]
    stack = np.stack(aligned)
    return float(stack.std(axis=0).mean()), float(np.hypot(stack[..., 0], stack[..., 1]).mean())


def worker(args) -> dict:
    """One colorize_video run in this process; its speed, and (for pans) its flicker and chroma."""
    import torch

    from colorgan import hub
    from colorgan.video import colorize_video

    torch.set_num_threads(args.threads)
    colorizer = hub.load_colorizer(hub.resolve([e for e in hub.list_checkpoints() if e.source == "checkpoints"],
                                               args.arch or None), device="cpu")
    out = Path(args.output)
    result = colorize_video(args.clip, out, colorizer, stabilise=args.stabilise == "yes")
    row = {"frames": result.frames, "seconds": result.seconds, "fps": result.frames_per_second}
    if args.offsets:
        offsets = json.loads(args.offsets)
        row["flicker"], row["chroma"] = flicker_and_chroma(read_frames(out), offsets)
    return row


def vtest_quality(arch: str | None, every: int = 10, limit: int = 200) -> dict | None:
    """CIEDE2000 of colorized vtest.avi frames (steadied, through the whole video path) and of gray."""
    from colorgan import hub
    from colorgan.color import gray_rgb
    from colorgan.metrics import deltae2000
    from colorgan.video import colorize_video

    if not VTEST.is_file():
        return None
    import av

    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "vtest.mp4"   # the first `limit` frames, as lossless as x264 gets
        out = av.open(str(clip), "w")
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 768, 576, "yuv444p"
        stream.options = {"crf": "0", "preset": "veryfast"}
        originals = read_frames(VTEST, limit=limit)
        for i, rgb in enumerate(originals):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
        out.close()
        colorizer = hub.load_colorizer(hub.resolve([e for e in hub.list_checkpoints() if e.source == "checkpoints"],
                                                   arch or None), device="cpu")
        colour = Path(tmp) / "vtest_color.mp4"
        colorize_video(clip, colour, colorizer)
        results = read_frames(colour)
    picks = range(0, len(originals), every)
    model = float(np.mean([deltae2000(originals[i], results[i]) for i in picks]))
    gray = float(np.mean([deltae2000(originals[i], gray_rgb(originals[i])) for i in picks]))
    return {"frames": len(list(picks)), "deltae2000": model, "gray_deltae2000": gray}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", default=None, help="architecture (default: the shipped recommended one)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--frames", type=int, default=60, help="frames of each pan clip (default 60)")
    parser.add_argument("--smoke", action="store_true", help="tiny clips, no vtest, writes nothing")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--clip", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    parser.add_argument("--stabilise", default="yes", help=argparse.SUPPRESS)
    parser.add_argument("--offsets", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args)))
        return 0
    sizes = {"96x64": (96, 64)} if args.smoke else {"640x480": (640, 480), "1280x720": (1280, 720)}
    frames = 8 if args.smoke else args.frames
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, (width, height) in sizes.items():
            clip = Path(tmp) / f"pan-{label}.mp4"
            offsets = pan_clip(clip, width, height, frames)
            row = {"size": label, "frames": frames}
            for mode in ("no", "yes"):
                measured = run_worker(Path(__file__), ["--clip", str(clip), "--output", str(Path(tmp) / f"{label}-{mode}.mp4"),
                                                       "--stabilise", mode, "--offsets", json.dumps(offsets),
                                                       "--threads", str(args.threads)]
                                      + (["--arch", args.arch] if args.arch else []), args.threads)
                row["steady" if mode == "yes" else "plain"] = measured
            rows.append(row)
            plain, steady = row["plain"], row["steady"]
            print(f"{label}: frame by frame {plain['fps']:.1f} frames/s, flicker {plain['flicker']:.2f}, chroma "
                  f"{plain['chroma']:.1f}; steadied {steady['fps']:.1f} frames/s, flicker {steady['flicker']:.2f} "
                  f"({steady['flicker'] / plain['flicker']:.0%}), chroma {steady['chroma']:.1f} "
                  f"({steady['chroma'] / plain['chroma']:.0%})", flush=True)
    quality = None if args.smoke else vtest_quality(args.arch)
    if quality:
        print(f"vtest.avi: CIEDE2000 {quality['deltae2000']:.2f} (gray {quality['gray_deltae2000']:.2f}) over "
              f"{quality['frames']} frames")
    if not args.smoke:
        write_section("video", report(rows, quality, args))
        (REPO / "bench" / "video.json").write_text(json.dumps({"pans": rows, "vtest": quality}, indent=1))
        print(f"wrote {REPO / 'bench' / 'RESULTS.md'}")
    return 0


def report(rows: list[dict], quality: dict | None, args) -> str:
    from colorgan import hub

    arch = args.arch or hub.default_arch([e for e in hub.list_checkpoints() if e.source == "checkpoints"])
    lines = ["## Video: speed, flicker and colour", "",
             f"Machine: {machine()} {args.threads} threads, model {arch} (the shipped recommended one unless named).",
             "", f"Pans across a still photo ({args.frames} frames, {STEP} px a frame): frames/s of the whole path "
             "(decode, colorize, steady, H.264 encode), flicker = temporal standard deviation of Lab a, b at the same "
             "scene point, chroma = mean ab magnitude. bench/video.py has the method.", "",
             "| clip | frame by frame frames/s | steadied frames/s | flicker, frame by frame | flicker, steadied "
             "| ratio | chroma kept |", "|---|---|---|---|---|---|---|"]
    checks = []
    for r in rows:
        plain, steady = r["plain"], r["steady"]
        flicker_ratio, chroma_ratio = steady["flicker"] / plain["flicker"], steady["chroma"] / plain["chroma"]
        lines.append(f"| {r['size']} | {plain['fps']:.1f} | {steady['fps']:.1f} | {plain['flicker']:.2f} | "
                     f"{steady['flicker']:.2f} | {flicker_ratio:.0%} | {chroma_ratio:.0%} |")
        if r["size"] == "640x480":
            checks += [f"- steadied flicker {flicker_ratio:.0%} of frame by frame's (target at most 60%): "
                       f"{'met' if flicker_ratio <= TARGETS['flicker'] else 'MISSED'}.",
                       f"- chroma kept {chroma_ratio:.0%} (target at least 70%): "
                       f"{'met' if chroma_ratio >= TARGETS['chroma'] else 'MISSED'}.",
                       f"- {steady['fps']:.1f} frames/s at 640x480 steadied (target at least 10): "
                       f"{'met' if steady['fps'] >= TARGETS['fps_640x480'] else 'MISSED'}."]
    if quality:
        lines += ["", f"Real colour footage, opencv-doc's vtest.avi (first 200 frames through the video path, every "
                  f"10th measured, {quality['frames']} frames): CIEDE2000 {quality['deltae2000']:.2f} against gray's "
                  f"{quality['gray_deltae2000']:.2f} ({100 * (quality['deltae2000'] / quality['gray_deltae2000'] - 1):+.1f}%)."]
    else:
        lines += ["", "vtest.avi was not found (run python train/fetch_photos.py): no footage row."]
    lines += ["", "Targets (issue 17):", "", *checks]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
