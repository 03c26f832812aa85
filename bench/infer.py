"""End-to-end colorizing: photo file in, full-resolution colour PNG out, against a plain implementation.

    python bench/infer.py                      # every shipped architecture, 1 MP and 12 MP, CPU (+ CUDA if present)
    python bench/infer.py --archs effunet      # one architecture
    python bench/infer.py --smoke              # a tiny version, for CI (writes nothing)

One timed run = decode the JPEG, colorize, write the PNG.  "colorgan" is the shipped path
(colorgan.images.load_rgb -> Colorizer.colorize -> save_png: OpenCV Lab conversion,
inference_mode, the model loaded once and cached, bf16 + channels_last on CUDA).  "plain"
is what a straightforward script does: PIL decode, scikit-image Lab conversion in float64,
the fp32 eager model loaded from its checkpoint for every photo (no caching), scikit-image
resizes and Lab -> RGB, PIL's default PNG writer.  Both use the same render geometry, and
the script checks that they produce the same picture (mean absolute difference in 8-bit
units) before it trusts either timing.  Medians and 95th percentiles over repeated runs;
peak memory is each worker process's own.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from common import REPO, machine, peak_rss_mb, run_worker, summary, write_section

SIZES = {"1MP": (816, 1224), "12MP": (2832, 4240)}  # (height, width): 1.0 and 12.0 megapixels
SOURCE_PHOTO = REPO / "examples" / "colour_castle_maintenon.jpg"
TARGETS = {"1MP": 0.3, "12MP": 3.0}  # seconds, the recommended model on 2 CPU cores (issue 7)
MEMORY_TARGET_MB = 2048
MAX_DIFFERENCE = 12.0  # mean abs difference (8-bit) above which the two paths are taken to disagree


def make_photos(folder: Path, sizes: dict[str, tuple[int, int]]) -> dict[str, Path]:
    """The test photos: a real photo resized to each size, saved as JPEG (what users upload)."""
    import cv2

    from colorgan.images import load_rgb

    source = load_rgb(SOURCE_PHOTO)
    paths = {}
    for label, (height, width) in sizes.items():
        resized = cv2.resize(source, (width, height), interpolation=cv2.INTER_CUBIC)
        path = folder / f"{label}.jpg"
        cv2.imwrite(str(path), cv2.cvtColor(resized, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])
        paths[label] = path
    return paths


# ---------------------------------------------------------------- the two implementations

def colorgan_path(colorizer):
    from colorgan.images import load_rgb, save_png

    def run(photo: Path, out: Path) -> None:
        save_png(colorizer.colorize(load_rgb(photo)), out)
    return run


def plain_path(checkpoint: Path):
    import torch
    from PIL import Image
    from skimage import color, transform

    from colorgan.checkpoints import load_generator
    from colorgan.color import get_space, rgb_to_yuv, yuv_to_rgb
    from colorgan.pipeline import render_shape

    def run(photo: Path, out: Path) -> None:
        rgb = np.asarray(Image.open(photo).convert("RGB"))
        model, config = load_generator(checkpoint, device="cpu")  # no caching: loaded for every photo
        model = model.float().eval()
        space = get_space(config.get("color_space", "lab"))
        if space.name == "lab":
            luma = color.rgb2lab(rgb)[:, :, 0]
        else:
            luma = rgb_to_yuv(rgb)[:, :, 0].astype(np.float64)
        height, width = render_shape(*luma.shape, int(config.get("render_size", 256)))
        small = transform.resize(space.normalise_luma_np(luma), (height, width), anti_aliasing=True)
        with torch.no_grad():
            chroma = model(torch.from_numpy(small).float()[None, None])[0].clamp(-1, 1).numpy()
        chroma = transform.resize(chroma.transpose(1, 2, 0), luma.shape, order=1)
        chroma = space.chroma_units(chroma)
        stacked = np.dstack([luma, chroma])
        result = color.lab2rgb(stacked) if space.name == "lab" else yuv_to_rgb(stacked.astype(np.float32))
        result = np.asarray(result, dtype=np.float64)
        if result.max() > 1.5:  # colorgan's yuv_to_rgb already returns uint8
            result = result / 255.0
        Image.fromarray((np.clip(result, 0, 1) * 255).round().astype(np.uint8)).save(out)
    return run


def worker(args) -> dict:
    """Time one (implementation, checkpoint, photo, device) case in this fresh process."""
    import torch

    torch.set_num_threads(args.threads)
    out = Path(args.output)
    if args.impl == "plain":
        run = plain_path(Path(args.checkpoint))
    else:
        from colorgan.pipeline import Colorizer
        run = colorgan_path(Colorizer.from_checkpoint(args.checkpoint, device=args.device))
    cuda = args.device.startswith("cuda")
    run(Path(args.photo), out)  # warm-up (lazy initialisation, caches, cuDNN autotuning)
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        run(Path(args.photo), out)
        if cuda:
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    result = {**summary(times), "peak_rss_mb": peak_rss_mb()}
    if cuda:
        result["peak_gpu_mb"] = torch.cuda.max_memory_allocated() / 2**20
    return result


# ---------------------------------------------------------------- the driver

def shipped_latest(archs: list[str] | None) -> dict[str, Path]:
    from colorgan import hub

    entries = hub.photo_entries([e for e in hub.list_checkpoints() if e.source == "checkpoints"])  # not the sketch model
    names = archs or hub.archs(entries)
    unknown = [name for name in names if name not in hub.archs(entries)]
    if unknown:
        raise SystemExit(f"no shipped photo colorizer named {', '.join(unknown)}; shipped: {', '.join(hub.archs(entries))}")
    return {name: hub.fetch(hub.resolve(entries, name, None)) for name in names}   # the recommended epoch, else latest


def recommended_arch() -> str:
    from colorgan import hub

    return hub.default_arch(hub.photo_entries([e for e in hub.list_checkpoints() if e.source == "checkpoints"]))


def mean_abs_diff(a: Path, b: Path) -> float:
    from colorgan.images import load_rgb

    return float(np.abs(load_rgb(a).astype(np.int16) - load_rgb(b).astype(np.int16)).mean())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archs", nargs="*", help="architectures (default: every shipped one)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (default 2, a free Space)")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per case after a warm-up (default 7)")
    parser.add_argument("--plain-repeats", type=int, default=3, help="timed runs of the plain path (default 3)")
    parser.add_argument("--devices", nargs="*", default=None, help="cpu and/or cuda (default: cpu, + cuda if present)")
    parser.add_argument("--smoke", action="store_true", help="tiny photos, one arch, 1 run; writes nothing")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    # worker mode (internal)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--impl", choices=("colorgan", "plain"), help=argparse.SUPPRESS)
    parser.add_argument("--checkpoint", help=argparse.SUPPRESS)
    parser.add_argument("--photo", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    parser.add_argument("--device", default="cpu", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args)))
        return 0

    import torch

    devices = args.devices or (["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"])
    sizes = {"tiny": (48, 64)} if args.smoke else SIZES
    repeats, plain_repeats = (1, 1) if args.smoke else (args.repeats, args.plain_repeats)
    checkpoints = shipped_latest(args.archs or (["unet"] if args.smoke else None))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        photos = make_photos(tmp, sizes)
        for arch, checkpoint in checkpoints.items():
            for label, photo in photos.items():
                common = ["--checkpoint", str(checkpoint), "--photo", str(photo), "--threads", str(args.threads)]
                plain_out = tmp / f"{arch}-{label}-plain.png"
                plain = run_worker(Path(__file__), [*common, "--impl", "plain", "--device", "cpu", "--output",
                                                    str(plain_out), "--repeats", str(plain_repeats)], args.threads)
                for device in devices:
                    fast_out = tmp / f"{arch}-{label}-{device}.png"
                    fast = run_worker(Path(__file__), [*common, "--impl", "colorgan", "--device", device, "--output",
                                                       str(fast_out), "--repeats", str(repeats)], args.threads)
                    row = {"arch": arch, "photo": label, "device": device, "colorgan": fast, "plain": plain,
                           "speedup": plain["median"] / fast["median"],
                           "difference": mean_abs_diff(fast_out, plain_out)}
                    rows.append(row)
                    print(f"{arch:9s} {label:5s} {device:4s}  colorgan {fast['median']:.3f}s (p95 {fast['p95']:.3f}, "
                          f"{fast['peak_rss_mb']:.0f} MB)  plain {plain['median']:.3f}s ({plain['peak_rss_mb']:.0f} MB)"
                          f"  {row['speedup']:.1f}x  diff {row['difference']:.2f}", flush=True)
    # colorgan clips out-of-gamut colours along their hue, plain per RGB channel, and OpenCV's Lab
    # is float32: a few 8-bit levels apart on average is agreement; a broken path is tens apart.
    # Models with saturated blotches (unet: 8.7 at 12 MP) lean hardest on the clip, hence 12.
    for row in rows:
        row["agree"] = row["difference"] <= MAX_DIFFERENCE
    bad = [r for r in rows if not r["agree"]]
    if not (args.smoke or args.no_write):   # written even when a check fails, marked, so no run is wasted
        rows = merged_with_earlier(rows, REPO / "bench" / "infer.json")
        path = write_section("infer", report(rows, args.threads))
        (REPO / "bench" / "infer.json").write_text(json.dumps(rows, indent=1))
        print(f"wrote {path}")
    if bad:
        print(f"the two paths disagree (mean abs difference > {MAX_DIFFERENCE:g} of 255): " +
              ", ".join(f"{r['arch']} {r['photo']}" for r in bad))
        return 1
    return 0


def merged_with_earlier(rows: list[dict], path: Path) -> list[dict]:
    """This run's rows, plus the earlier rows of architectures it did not measure (``--archs``), marked
    ``earlier``, so that measuring one model does not drop the others from bench/RESULTS.md."""
    measured = {r["arch"] for r in rows}
    try:
        earlier = json.loads(path.read_text())
    except (OSError, ValueError):
        earlier = []
    kept = [{**r, "earlier": True} for r in earlier if isinstance(r, dict) and r.get("arch") not in measured]
    return rows + kept


def report(rows: list[dict], threads: int) -> str:

    lines = ["## Inference: photo file to full-resolution colour PNG", "",
             f"Machine: {machine()} CPU cases use {threads} threads.", "",
             "Medians (95th percentiles) in seconds; memory is the worker process's peak RSS (and GPU memory "
             "on CUDA), model and libraries included. \"plain\" is the straightforward implementation described "
             "in bench/infer.py (scikit-image Lab in float64, fp32 eager model reloaded per photo, PIL PNG), "
             "always on CPU; the ratio is plain / colorgan; \"diff\" is the mean absolute difference between "
             "the two outputs in 8-bit units (above 12 the script calls the paths disagreeing).", "",
             "| arch | photo | device | colorgan s | memory MB | plain s | plain MB | ratio | diff |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        fast, plain = r["colorgan"], r["plain"]
        memory = f"{fast['peak_rss_mb']:.0f}" + (f" (GPU {fast['peak_gpu_mb']:.0f})" if "peak_gpu_mb" in fast else "")
        lines.append(f"| {r['arch']} | {r['photo']} | {r['device']} | {fast['median']:.3f} ({fast['p95']:.3f}) | "
                     f"{memory} | {plain['median']:.2f} ({plain['p95']:.2f}) | {plain['peak_rss_mb']:.0f} | "
                     f"{r['speedup']:.1f}x | {r['difference']:.2f}{'' if r.get('agree', True) else ' (DISAGREE)'}"
                     f"{' (an earlier run)' if r.get('earlier') else ''} |")
    recommended = recommended_arch()
    checks = []
    for r in rows:
        if r["arch"] != recommended or r["device"] != "cpu":
            continue
        limit = TARGETS[r["photo"]]
        took = r["colorgan"]["median"]
        verdict = "met" if took <= limit else f"MISSED by {took - limit:.2f} s ({took / limit:.1f}x the target)"
        checks.append(f"- {recommended}, {r['photo']}: {took:.3f} s against a target of {limit} s: {verdict}.")
        peak = r["colorgan"]["peak_rss_mb"]
        checks.append(f"- {recommended}, {r['photo']}: peak memory {peak:.0f} MB against {MEMORY_TARGET_MB} MB: "
                      f"{'met' if peak < MEMORY_TARGET_MB else 'MISSED'}.")
        checks.append(f"- {recommended}, {r['photo']}: {r['speedup']:.1f}x the plain implementation against 2x: "
                      f"{'met' if r['speedup'] >= 2 else 'MISSED'}.")
    if checks:
        lines += ["", "Targets (issues 7 and 14), for the recommended model:", "", *checks]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
