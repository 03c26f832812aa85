"""The benchmarks' smoke versions: each script runs end to end on tiny inputs (numbers belong to bench/RESULTS.md)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import REPO


def _run(script: str, *args: str) -> str:
    env = dict(os.environ, COLORGAN_BUILTIN_CHECKPOINTS="1")
    env.pop("COLORGAN_CHECKPOINTS", None)
    env.pop("COLORGAN_HUB_REPO", None)
    done = subprocess.run([sys.executable, str(REPO / "bench" / script), *args], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_inference_benchmark_smoke():
    before = (REPO / "bench" / "RESULTS.md").read_bytes() if (REPO / "bench" / "RESULTS.md").exists() else None
    out = _run("infer.py", "--smoke")
    line = next(l for l in out.splitlines() if l.startswith("unet"))
    assert "colorgan" in line and "plain" in line and "diff" in line
    after = (REPO / "bench" / "RESULTS.md").read_bytes() if (REPO / "bench" / "RESULTS.md").exists() else None
    assert before == after, "the smoke run must not overwrite the measured results"


def test_training_benchmark_smoke():
    out = _run("train_speed.py", "--smoke")
    assert "data loader" in out
    line = next(l for l in out.splitlines() if l.startswith("unet"))
    assert "images/s" in line and "fp32 eager" in line


def test_stage_benchmark_smoke():
    before = (REPO / "bench" / "RESULTS.md").read_bytes()
    out = _run("stages.py", "--smoke", "--arch", "unet")
    line = next(l for l in out.splitlines() if l.startswith("unet smoke:"))
    for stage in ("decode", "generator", "join to RGB", "encode PNG", "end to end"):
        assert f"{stage} " in line, line
    assert (REPO / "bench" / "RESULTS.md").read_bytes() == before, "the smoke run must not overwrite the measured results"


def test_video_benchmark_smoke():
    before = (REPO / "bench" / "RESULTS.md").read_bytes()
    out = _run("video.py", "--smoke", "--threads", "1")
    line = next(l for l in out.splitlines() if l.startswith("96x64:"))
    assert "frame by frame" in line and "steadied" in line and "flicker" in line and "chroma" in line
    assert (REPO / "bench" / "RESULTS.md").read_bytes() == before, "the smoke run must not overwrite the measured results"
