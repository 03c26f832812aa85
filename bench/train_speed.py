"""Training throughput: the trainer as configured against fp32 eager, per architecture and size.

    python bench/train_speed.py                        # every recipe at 128 and 256 px, CPU (+ CUDA if present)
    python bench/train_speed.py --archs effunet unet --sizes 256 --steps 20
    python bench/train_speed.py --smoke                # a tiny version, for CI (writes nothing)

Each case runs the real trainer (colorgan.trainer.train) on 48 of the training photos, in a
fresh process, for two epochs of ``--steps`` steps with the adversarial loss on from the first step; epoch 1 is the warm-up
(allocator, cuDNN autotuning), and images/s come from epoch 2's ``step_seconds`` in the
training log, which times the steps alone (no validation, checkpoint or plot).
"configured" is the recipe as shipped (bf16 autocast and channels_last on CUDA); "fp32 eager"
adds ``train.amp=false train.channels_last=false``.  On CPU the two are the same code path
(both options are CUDA-only), so the CPU ratio is 1 by construction and is not repeated.
The data loader alone is timed over the same dataset, to show that it is not the bottleneck.
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
import time
from pathlib import Path

from common import REPO, machine, peak_rss_mb, run_worker, write_section

RECIPES = REPO / "train" / "configs"
PHOTOS = REPO / "data" / "photos" / "train"


def recipe_names() -> list[str]:
    return sorted(p.stem for p in RECIPES.glob("*.yaml") if not p.stem.startswith("_"))


def synthetic_photos(folder: Path, count: int = 8) -> Path:
    """Small smooth colour pictures, for the smoke run on a clone without data/photos."""
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(count):
        y, x = np.mgrid[0:96, 0:128] / 96.0
        rgb = np.stack([np.sin(3 * x + rng.uniform(0, 6)) * 0.5 + 0.5, np.cos(2 * y + i) * 0.5 + 0.5,
                        x * y], axis=2) * 255
        Image.fromarray(rgb.astype(np.uint8)).save(folder / f"{i}.png")
    return folder


def real_subset(folder: Path, count: int = 48) -> Path:
    """The first ``count`` training photos (links): enough for throughput, and each worker decodes them quickly."""
    from colorgan.data import photo_files

    folder.mkdir(parents=True, exist_ok=True)
    for index, path in enumerate(photo_files(PHOTOS)[:count]):
        (folder / f"{index:03d}{path.suffix}").symlink_to(path.resolve())
    return folder


def worker(args) -> dict:
    import torch

    from colorgan.config import load_recipe
    from colorgan.trainer import train

    torch.set_num_threads(args.threads)
    out = Path(args.out)
    overrides = [f"data.train={args.photos}", "data.val=null", "data.val_fraction=0.2", f"data.size={args.size}",
                 f"train.batch_size={args.batch}", "train.epochs=2", "train.decay_epochs=1",
                 "train.l1_warmup_epochs=0", f"train.max_steps_per_epoch={args.steps}", f"train.out={out}",
                 f"train.device={args.device}", "train.sample_count=1", "train.resume=false", *args.extra]
    recipe = load_recipe(RECIPES / f"{args.arch}.yaml", overrides)
    if args.mode == "loader":
        return loader_speed(recipe, args.steps)
    cuda = args.device.startswith("cuda")
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    run = train(recipe, progress=False)
    with open(run / "train_log.csv", newline="") as handle:
        row = list(csv.DictReader(handle))[-1]
    result = {"images_per_s": float(row["images"]) / float(row["step_seconds"]), "peak_rss_mb": peak_rss_mb()}
    if cuda:
        result["peak_gpu_mb"] = torch.cuda.max_memory_allocated() / 2**20
    return result


def loader_speed(recipe, steps: int) -> dict:
    """Batches straight from the DataLoader the trainer would build (decode, crop, flip, collate)."""
    from torch.utils.data import DataLoader

    from colorgan.data import PhotoDataset, photo_files

    dataset = PhotoDataset(photo_files(recipe.data.train), recipe.data.size, train=True,
                           min_scale=recipe.data.min_scale, flip=recipe.data.flip,
                           crops_per_image=recipe.data.crops_per_image)
    loader = DataLoader(dataset, batch_size=recipe.train.batch_size, shuffle=True, drop_last=True)
    images, start = 0, time.perf_counter()
    while images < steps * recipe.train.batch_size:
        for batch in loader:
            images += len(batch)
            if images >= steps * recipe.train.batch_size:
                break
    return {"images_per_s": images / (time.perf_counter() - start), "peak_rss_mb": peak_rss_mb()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archs", nargs="*", help="recipes (default: all in train/configs)")
    parser.add_argument("--sizes", nargs="*", type=int, default=[128, 256])
    parser.add_argument("--steps", type=int, default=6, help="timed steps per case (default 6)")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--devices", nargs="*", default=None, help="cpu and/or cuda (default: cpu, + cuda if present)")
    parser.add_argument("--smoke", action="store_true", help="one tiny case per mode on synthetic photos; writes nothing")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--arch", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    parser.add_argument("--photos", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--device", default="cpu", help=argparse.SUPPRESS)
    parser.add_argument("--extra", nargs="*", default=[], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args)))
        return 0

    import torch

    devices = args.devices or (["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"])
    archs = args.archs or (["unet"] if args.smoke else [n for n in recipe_names() if n != "sketch"])
    sizes, steps, batch = ([32], 2, 2) if args.smoke else (args.sizes, args.steps, args.batch)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        photos = real_subset(tmp / "photos") if PHOTOS.is_dir() and not args.smoke else synthetic_photos(tmp / "photos")
        for size in sizes:
            loader = run_worker(Path(__file__), ["--arch", archs[0], "--size", str(size), "--mode", "loader",
                                                 "--photos", str(photos), "--out", str(tmp / "x"), "--steps",
                                                 str(max(steps, 10)), "--batch", str(batch), "--threads",
                                                 str(args.threads)], args.threads)
            rows.append({"arch": "(data loader)", "size": size, "device": "cpu", "configured": loader})
            print(f"data loader      {size:4d}px  {loader['images_per_s']:.0f} images/s", flush=True)
            for arch in archs:
                for device in devices:
                    base = ["--arch", arch, "--size", str(size), "--photos", str(photos), "--steps", str(steps),
                            "--batch", str(batch), "--device", device, "--threads", str(args.threads)]
                    configured = run_worker(Path(__file__), [*base, "--mode", "configured", "--out",
                                                             str(tmp / f"{arch}-{size}-{device}-c")], args.threads)
                    row = {"arch": arch, "size": size, "device": device, "configured": configured}
                    if device != "cpu" or args.smoke:
                        eager = run_worker(Path(__file__), [*base, "--mode", "eager", "--out",
                                                            str(tmp / f"{arch}-{size}-{device}-e"), "--extra",
                                                            "train.amp=false", "train.channels_last=false"],
                                           args.threads)
                        row["eager"] = eager
                        row["ratio"] = configured["images_per_s"] / eager["images_per_s"]
                    rows.append(row)
                    print(f"{arch:9s} {device:4s} {size:4d}px  {configured['images_per_s']:.1f} images/s "
                          f"({configured['peak_rss_mb']:.0f} MB)"
                          + (f"  fp32 eager {row['eager']['images_per_s']:.1f}  {row['ratio']:.2f}x"
                             if "eager" in row else ""), flush=True)
    if not (args.smoke or args.no_write):
        path = write_section("train", report(rows, args.threads, steps, batch))
        (REPO / "bench" / "train_speed.json").write_text(json.dumps(rows, indent=1))
        print(f"wrote {path}")
    return 0


def report(rows: list[dict], threads: int, steps: int, batch: int) -> str:
    lines = ["## Training throughput", "",
             f"Machine: {machine()} CPU cases use {threads} threads.", "",
             f"Images per second over {steps} timed steps of batch {batch} (after a warm-up epoch of as many), "
             "generator + discriminator steps with the adversarial loss on; memory is the worker's peak RSS (and "
             "GPU memory on CUDA). On CPU the configured trainer and fp32 eager are the same code path "
             "(bf16 autocast and channels_last are CUDA-only), so no ratio is shown there.", "",
             "| arch | size | device | configured images/s | memory MB | fp32 eager images/s | ratio |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        c = r["configured"]
        memory = f"{c['peak_rss_mb']:.0f}" + (f" (GPU {c['peak_gpu_mb']:.0f})" if "peak_gpu_mb" in c else "")
        eager = f"{r['eager']['images_per_s']:.1f}" if "eager" in r else ""
        ratio = f"{r['ratio']:.2f}x" if "ratio" in r else ""
        lines.append(f"| {r['arch']} | {r['size']} | {r['device']} | {c['images_per_s']:.1f} | {memory} | "
                     f"{eager} | {ratio} |")
    if not any(r["device"] == "cuda" for r in rows):
        lines += ["", "No GPU on this machine: the CUDA target (at least 2x fp32 eager at 256 px on an H100/H200) "
                      "is not measured here."]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
