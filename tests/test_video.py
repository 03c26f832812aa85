"""Video: the CLI and the page colorize a clip with its frames, size, timing and sound; steady colour; bad input."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch

av = pytest.importorskip("av")

from colorgan.checkpoints import save_checkpoint  # noqa: E402
from colorgan.cli import main  # noqa: E402
from colorgan.hub import write_manifest  # noqa: E402
from colorgan.models import build_generator  # noqa: E402
from colorgan.video import ChromaStabiliser, VideoError, flicker, probe, warnings_for  # noqa: E402
from tests.conftest import natural_photo, save_hint_sensitive_effcolor  # noqa: E402


def write_clip(path: Path, frames: int = 12, size=(64, 48), rate: int = 10, audio: bool = True, pts=None) -> Path:
    """A panning shot of a smooth colour scene (and a 440 Hz tone); ``pts``: explicit timestamps (1/1000 s)."""
    width, height = size
    scene = natural_photo(height, width + 4 * frames, seed=4)
    out = av.open(str(path), "w")
    video = out.add_stream("libx264", rate=rate)
    video.width, video.height, video.pix_fmt = width, height, "yuv420p"
    if pts is not None:
        video.time_base = video.codec_context.time_base = Fraction(1, 1000)
    sound = out.add_stream("aac", rate=22050) if audio else None
    for i in range(frames):
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(scene[:, 4 * i:4 * i + width]), format="rgb24")
        frame.pts = pts[i] if pts is not None else i
        if pts is not None:
            frame.time_base = Fraction(1, 1000)
        for packet in video.encode(frame):
            out.mux(packet)
    if sound is not None:
        t = np.arange(int(22050 * frames / rate)) / 22050
        samples = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None]
        for start in range(0, samples.shape[1], 1024):
            chunk = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples[:, start:start + 1024]), format="fltp",
                                               layout="mono")
            chunk.sample_rate = 22050
            for packet in sound.encode(chunk):
                out.mux(packet)
        for packet in sound.encode():
            out.mux(packet)
    for packet in video.encode():
        out.mux(packet)
    out.close()
    return path


def count_frames(path: Path) -> tuple[int, list]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        pts = [frame.pts for frame in container.decode(stream)]
    return len(pts), pts


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """A tiny untrained U-Net (gray-ish output) and a tiny effcolor whose logits are spread (colourful)."""
    root = save_hint_sensitive_effcolor(tmp_path_factory.mktemp("video") / "ckpts")
    torch.manual_seed(0)
    save_checkpoint(root / "unet" / "epoch-001", build_generator("unet", ngf=8, depth=4),
                    {"arch": "unet", "kwargs": {"ngf": 8, "depth": 4}, "epoch": 1, "render_size": 32})
    write_manifest(root)
    return root


def test_the_cli_keeps_frames_size_timing_and_sound(root, tmp_path, capsys):
    clip = write_clip(tmp_path / "holiday.mp4")
    assert main(["video", str(clip), "--root", str(root), "--arch", "effcolor", "--out", str(tmp_path / "out")]) == 0
    result = tmp_path / "out" / "holiday_color.mp4"
    before, after = probe(clip), probe(result)
    assert (after.width, after.height, after.fps, after.has_audio) == (64, 48, Fraction(10), True)
    assert count_frames(result)[0] == count_frames(clip)[0] == 12
    assert abs(after.seconds - before.seconds) < 0.15
    with av.open(str(result)) as container:   # it is colour now
        frame = next(container.decode(video=0)).to_ndarray(format="rgb24").astype(int)
    assert np.ptp(frame, axis=2).mean() > 1
    assert "holiday_color.mp4 (12 frames" in capsys.readouterr().out


def test_variable_timestamps_are_kept(root, tmp_path):
    stamps = [0, 100, 150, 400, 420, 800, 1000, 1100]
    clip = write_clip(tmp_path / "vfr.mp4", frames=len(stamps), audio=False, pts=stamps)
    assert main(["video", str(clip), "--root", str(root), "--out", str(tmp_path / "o")]) == 0
    count, pts = count_frames(tmp_path / "o" / "vfr_color.mp4")
    _, original = count_frames(clip)
    assert count == len(stamps)
    with av.open(str(clip)) as a, av.open(str(tmp_path / "o" / "vfr_color.mp4")) as b:
        base_a, base_b = a.streams.video[0].time_base, b.streams.video[0].time_base
    assert [round(float(p * base_b), 2) for p in pts] == [round(float(p * base_a), 2) for p in original]


@pytest.mark.parametrize("damage", ["cut", "garbled"])
def test_a_stream_broken_halfway_keeps_what_was_done_and_says_where(root, tmp_path, capsys, damage):
    clip = write_clip(tmp_path / "old.mkv", frames=40, size=(96, 64), audio=False)   # streamable: no index at the end
    data = bytearray(clip.read_bytes())
    if damage == "cut":
        data = data[:int(len(data) * 0.55)]
    else:
        middle = len(data) // 2
        data[middle:middle + 400] = bytes(400)
    broken = tmp_path / f"{damage}.mkv"
    broken.write_bytes(bytes(data))
    code = main(["video", str(broken), "--root", str(root), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    count, _ = count_frames(tmp_path / "o" / f"{damage}_color.mp4")   # a valid file with the frames before it
    assert 0 < count < 40 and code == 1
    assert f"{damage}.mkv" in err and re.search(rf"(ended|damaged) after frame {count}\b", err)


@pytest.mark.parametrize("content, words", [(b"just some text", "is not a video"), (b"", "is not a video")])
def test_not_a_video_is_one_clear_line(root, tmp_path, capsys, content, words):
    bad = tmp_path / "letter.mp4"
    bad.write_bytes(content)
    assert main(["video", str(bad), "--root", str(root), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err.strip()
    assert words in err and "letter.mp4" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "o" / "letter_color.mp4").exists()


def test_limits_warn_about_4k_and_hours_and_refuse_beyond(tmp_path, monkeypatch):
    clip = write_clip(tmp_path / "c.mp4", frames=2, audio=False)
    info = probe(clip)
    info.width, info.height, info.seconds, info.frames = 3840, 2160, 5 * 3600, 450_000
    notes = " ".join(warnings_for(info))
    assert "3840x2160" in notes and "5.0 hours" in notes
    import colorgan.video as video

    monkeypatch.setattr(video, "MAX_FRAME_PIXELS", 1000)
    with pytest.raises(VideoError, match="scale it to 4K"):
        probe(clip)


def test_steady_colour_flickers_less_and_keeps_the_colour():
    """A pan over a still scene; each frame's prediction is the true chroma plus a frame-wide wobble.
    Carried along the flow, the wobble averages out: less flicker in scene coordinates, the colour kept."""
    rng = np.random.default_rng(0)
    width, height, step, frames = 96, 64, 3, 20
    scene = natural_photo(height, width + step * frames, seed=9).astype(np.float32)
    luma_scene = scene.mean(axis=2)
    chroma_scene = np.stack([scene[..., 0] - scene[..., 1], scene[..., 2] - scene[..., 1]], axis=2) / 4
    steady, plain_frames, steady_frames = ChromaStabiliser(), [], []
    for i in range(frames):
        view = np.s_[:, step * i:step * i + width]
        prediction = chroma_scene[view] + rng.normal(0, 6, 2).astype(np.float32)
        steadied = steady(luma_scene[view].astype(np.uint8), prediction)
        plain_frames.append(prediction)
        steady_frames.append(steadied)
    # back to scene coordinates: the columns every frame saw
    common = lambda fs: [f[:, step * (frames - 1) - step * i:width - step * i] for i, f in enumerate(fs)]  # noqa: E731
    assert flicker(common(steady_frames)) < 0.6 * flicker(common(plain_frames))
    chroma = lambda fs: float(np.mean([np.abs(f).mean() for f in fs]))  # noqa: E731
    assert chroma(steady_frames) > 0.7 * chroma(plain_frames)


def test_a_scene_cut_resets_the_colour():
    steady = ChromaStabiliser()
    first = np.full((32, 32), 40, np.uint8)
    steady(first, np.full((32, 32, 2), 20.0, np.float32))
    after = steady(np.full((32, 32), 200, np.uint8), np.full((32, 32, 2), -30.0, np.float32))
    assert steady.cuts == 1 and np.allclose(after, -30.0)


def test_the_page_colorizes_a_clip_and_caps_length(root, tmp_path, monkeypatch):
    from colorgan import hub, webapp
    from colorgan.web import video as web_video

    app = webapp.WebApp(entries=[e for e in hub.list_checkpoints([root]) if e.path and root in e.path.parents],
                        workdir=webapp.WorkDir(tmp_path / "work"))
    clip = write_clip(tmp_path / "party.mp4", frames=10)
    seen = []
    r = app.colorize_video(str(clip), "unet", 1, 0, True, progress=lambda done, total: seen.append((done, total)))
    assert count_frames(r["video"])[0] == 10 and probe(r["video"]).has_audio
    assert seen[-1] == (10, 10) and "10 frames" in r["summary"] and "carried along the motion" in r["summary"]
    monkeypatch.setattr(web_video, "VIDEO_MAX_SECONDS", 0.5)
    with pytest.raises(webapp.UserError, match="this page takes videos up to 0 s"):
        app.colorize_video(str(clip), "unet", 1)
    monkeypatch.setattr(web_video, "VIDEO_MAX_MB", 0)
    with pytest.raises(webapp.UserError, match="MB; this page takes videos up to 0 MB"):
        app.colorize_video(str(clip), "unet", 1)
