"""What the benchmarks share: the machine description, statistics, workers and RESULTS.md.

Each measured case runs in a fresh Python process (``run_worker``) so that its peak memory is
its own, not the high-water mark of everything measured before it.  Each script owns one
section of bench/RESULTS.md, between ``<!-- name:start -->`` and ``<!-- name:end -->``, and
rewrites only that, so the inference and training numbers can be refreshed separately.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "RESULTS.md"
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # run from a clone without installing


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    """One paragraph: CPU, cores, memory, GPU, library versions, date."""
    import cv2
    import skimage
    import torch

    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30 if hasattr(os, "sysconf") else 0
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    return (f"{cpu_name()}, {os.cpu_count()} cores, {memory:.0f} GiB; GPU: {gpu}. Python {platform.python_version()}, "
            f"torch {torch.__version__}, numpy {np.__version__}, OpenCV {cv2.__version__}, scikit-image "
            f"{skimage.__version__}. Measured {datetime.date.today().isoformat()}.")


def peak_rss_mb() -> float:
    """This process's peak resident memory (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def summary(times: list[float]) -> dict:
    values = np.asarray(times, dtype=np.float64)
    return {"median": float(np.median(values)), "p95": float(np.percentile(values, 95)), "runs": len(values)}


def run_worker(script: Path, args: list[str], threads: int, timeout: float = 1800) -> dict:
    """Run ``script --worker ...`` in a fresh process limited to ``threads``; its last stdout line is JSON."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads),
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, str(script), "--worker", *args], capture_output=True, text=True,
                          env=env, timeout=timeout, cwd=REPO)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark worker {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def write_section(name: str, body: str, path: Path = RESULTS) -> Path:
    """Replace this script's section of RESULTS.md (creating the file or section if needed)."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    text = path.read_text() if path.is_file() else (
        "# Benchmark results\n\nWritten by the scripts in bench/ (see the README's Benchmarks section); "
        "each script rewrites only its own section.\n")
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    return path
