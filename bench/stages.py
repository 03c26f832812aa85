"""Where the time of one colorized photo goes, and whether torch.compile pays on this machine.

    python bench/stages.py                      # the recommended model, 1 MP and 12 MP, 2 threads
    python bench/stages.py --arch unetpp --no-compile
    python bench/stages.py --smoke              # a tiny version, for CI (writes nothing)

The shipped path (colorgan.images.load_rgb -> Colorizer.colorize -> save_png) is split into its
stages, each timed on its own with the same functions the pipeline calls: decode the JPEG,
full-resolution luma, shrink to render size, the generator, gamut clip, enlarge the chroma,
join and convert to RGB, encode the PNG.  The generator is then timed eager and under
``torch.compile`` (inductor), with the compile time, to show whether compiling pays: a model that
runs at render size takes a few tens of ms, and compiling costs seconds per render shape
(every photo's aspect ratio gives another one).  Medians over ``--repeats`` runs, in one
process with ``--threads`` threads.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, run_worker, summary, write_section  # noqa: E402
from infer import SIZES, make_photos, shipped_latest  # noqa: E402

STAGES = ("decode", "luma", "shrink", "generator", "gamut clip", "enlarge chroma", "join to RGB", "encode PNG")


def timed(fn, repeats: int) -> tuple[float, object]:
    """Median seconds of ``fn()`` over ``repeats`` runs after one warm-up, and its last result."""
    result = fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return summary(times)["median"], result


def worker(args) -> dict:
    """Time each stage of one photo in this fresh process."""
    import cv2
    import torch

    from colorgan.color import AB_SCALE, clip_ab_to_gamut
    from colorgan.images import load_rgb, save_png
    from colorgan.pipeline import Colorizer, _resize, render_shape

    torch.set_num_threads(args.threads)
    colorizer = Colorizer.from_checkpoint(args.checkpoint, device="cpu")
    space, size = colorizer.space, colorizer.render_size
    seconds: dict[str, float] = {}
    seconds["decode"], rgb = timed(lambda: load_rgb(args.photo), args.repeats)
    seconds["luma"], luma = timed(lambda: space.luma_np(rgb), args.repeats)
    height, width = render_shape(*luma.shape, size)
    seconds["shrink"], small = timed(lambda: _resize(luma, width, height), args.repeats)
    x = torch.from_numpy(np.ascontiguousarray(space.normalise_luma_np(small[None]), dtype=np.float32))[:, None]
    model = colorizer.model

    def generate(net):
        with torch.inference_mode():
            return net(x).float().clamp(-1, 1)

    seconds["generator"], chroma = timed(lambda: generate(model), args.repeats)
    l_small = torch.from_numpy(np.ascontiguousarray(small, dtype=np.float32))[None, None]
    with torch.inference_mode():
        seconds["gamut clip"], clipped = timed(lambda: clip_ab_to_gamut(l_small, chroma * AB_SCALE), args.repeats)
    chroma_small = clipped.permute(0, 2, 3, 1).numpy()[0]
    full_h, full_w = luma.shape
    seconds["enlarge chroma"], chroma_full = timed(
        lambda: _resize(chroma_small, full_w, full_h, cv2.INTER_LINEAR), args.repeats)
    seconds["join to RGB"], result = timed(
        lambda: space.join_np(luma, chroma_full.reshape(full_h, full_w, 2)), args.repeats)
    with tempfile.TemporaryDirectory() as tmp:
        seconds["encode PNG"], _ = timed(lambda: save_png(result, Path(tmp) / "out.png"), args.repeats)
        seconds["end to end"], _ = timed(lambda: save_png(colorizer.colorize(load_rgb(args.photo)),
                                                          Path(tmp) / "out.png"), args.repeats)
    report = {"seconds": seconds, "render": [height, width]}
    if args.compile:
        start = time.perf_counter()
        compiled = torch.compile(model)
        generate(compiled)              # the first call compiles
        report["compile_seconds"] = time.perf_counter() - start
        report["compiled_generator"], compiled_chroma = timed(lambda: generate(compiled), args.repeats)
        report["compiled_max_diff"] = float((compiled_chroma - chroma).abs().max())
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", default="effunet", help="shipped architecture (default effunet, the recommended)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (default 2, a free Space)")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per stage (default 7)")
    parser.add_argument("--no-compile", dest="compile", action="store_false", help="skip the torch.compile comparison")
    parser.add_argument("--smoke", action="store_true", help="a tiny photo, 1 run, no compile; writes nothing")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--checkpoint", help=argparse.SUPPRESS)
    parser.add_argument("--photo", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args)))
        return 0
    if args.smoke:
        args.repeats, args.compile, args.no_write = 1, False, True
    checkpoint = shipped_latest([args.arch])[args.arch]
    sizes = {"smoke": (60, 90)} if args.smoke else SIZES
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, photo in make_photos(Path(tmp), sizes).items():
            extra = ["--checkpoint", str(checkpoint), "--photo", str(photo), "--threads", str(args.threads),
                     "--repeats", str(args.repeats)] + ([] if args.compile else ["--no-compile"])
            rows[label] = run_worker(Path(__file__), extra, args.threads)
            print(f"{args.arch} {label}: " + ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in rows[label]["seconds"].items())
                  + (f"; compiled generator {rows[label]['compiled_generator'] * 1000:.1f} ms after "
                     f"{rows[label]['compile_seconds']:.1f} s of compiling" if "compile_seconds" in rows[label] else ""),
                  flush=True)
    if not args.no_write:
        print(f"wrote {write_section('stages', report(args.arch, rows, args.threads))}")
    return 0


def report(arch: str, rows: dict, threads: int) -> str:
    labels = list(rows)
    lines = ["## Where the time goes (one photo, CPU)", "",
             f"{machine()} {threads} threads; {arch}, the shipped latest epoch. Medians of each stage timed on its "
             "own (bench/stages.py); \"end to end\" is the whole path, so the stages need not add up to it exactly.", "",
             "| stage | " + " | ".join(f"{label} ms | share" for label in labels) + " |",
             "|---|" + "---|---|" * len(labels)]
    for stage in (*STAGES, "end to end"):
        cells = []
        for label in labels:
            seconds = rows[label]["seconds"]
            cells += [f"{seconds[stage] * 1000:.1f}", f"{seconds[stage] / seconds['end to end']:.0%}"]
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    lines += ["", "Render shapes: " + ", ".join(f"{label} {r['render'][0]}x{r['render'][1]}" for label, r in rows.items())
              + "."]
    if all("compile_seconds" in r for r in rows.values()):
        lines += ["", "torch.compile (inductor) of the generator: " + "; ".join(
            f"{label}: eager {r['seconds']['generator'] * 1000:.1f} ms, compiled {r['compiled_generator'] * 1000:.1f} ms "
            f"({r['seconds']['generator'] / r['compiled_generator']:.2f}x), after {r['compile_seconds']:.1f} s of "
            f"compiling (max output difference {r['compiled_max_diff']:.1e})" for label, r in rows.items()) + "."]
        if len({tuple(r["render"]) for r in rows.values()}) < len(rows):
            lines += ["", "Photos of one aspect ratio share a render shape, so the later cases reuse inductor's "
                      "on-disk cache: their compile time is a warm start; the first is a cold one."]
        saved = {label: r["seconds"]["generator"] - r["compiled_generator"] for label, r in rows.items()}
        worst = max(rows[label]["compile_seconds"] / max(s, 1e-6) if s > 0 else float("inf")
                    for label, s in saved.items())
        pays = np.isfinite(worst) and worst < 100
        lines += ["", "Compiling pays back after about "
                  + (f"{worst:,.0f} photos of one render shape" if np.isfinite(worst) else "never (it is not faster)")
                  + ("; every aspect ratio is another shape" + (", so compiling could pay for long batches of one shape."
                     if pays else ", so the CLI, page and Space stay eager on CPU."))]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
