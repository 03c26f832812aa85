"""Compare objectives for the recommended network on one budget: L1, L1 + GAN, classification, classification + GAN.

    python train/compare_objectives.py              # train the variants that are not done, then evaluate them
    python train/compare_objectives.py --evaluate   # only evaluate what is trained

Every variant is train/configs/effcolor.yaml's network and data (224 px crops, people three
times as often, frozen ImageNet encoder) for the same COMPARE_BUDGET crops, and differs only in
its head and loss (and hints for the last one, which checks that training with hints costs
the automatic colorization nothing).  Runs go to runs/compare/<variant>/effcolor/ and resume
when started again; the final epochs are evaluated on data/photos/val (all photos, people,
faces) into docs/objectives.json, which docs/results.md includes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a clone without installing

RECIPE = ROOT / "train" / "configs" / "effcolor.yaml"
OUT = ROOT / "runs" / "compare"
COMPARE_BUDGET = ["train.epochs=14", "train.decay_epochs=7", "train.save_every=7",   # 14 x 832 = 11,648 crops
                  "train.tune_encoder_blocks=0"]
GAN = ["model.discriminator=patchgan", "model.discriminator_kwargs={ndf: 16, n_layers: 3}", "train.l1_warmup_epochs=2"]
VARIANTS = {   # name -> (what it is, overrides)
    "l1": ("L1 regression", ["model.generator.head=ab", "model.generator.hints=false", "train.hints=false"]),
    "l1_gan": ("L1 + GAN (pix2pix)", ["model.generator.head=ab", "model.generator.hints=false", "train.hints=false",
                                      *GAN]),
    "class": ("classification", ["model.generator.hints=false", "train.hints=false"]),
    "class_gan": ("classification + GAN", ["model.generator.hints=false", "train.hints=false", *GAN]),
    "class_hints": ("classification, trained with hints (evaluated without)", []),
}


def train(names: list[str]) -> None:
    logs = OUT / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    for name in names:
        overrides = [*VARIANTS[name][1], *COMPARE_BUDGET, f"train.out={OUT / name}"]
        started = time.perf_counter()
        with open(logs / f"{name}.log", "a") as log:
            code = subprocess.call([sys.executable, "-m", "colorgan", "train", "--config", str(RECIPE), "--no-progress",
                                    *overrides], stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        print(f"{name}: {'done' if code == 0 else f'FAILED (exit {code})'} in {(time.perf_counter() - started) / 60:.1f} min",
              flush=True)
        if code:
            raise SystemExit(code)


def final_checkpoint(name: str):
    """The last epoch of a variant's run, as a hub Entry (None if it has not finished)."""
    from colorgan.checkpoints import scan_root
    from colorgan.hub import Entry

    found = [(epoch, path) for arch, epoch, path in scan_root(OUT / name) if arch == "effcolor"]
    epochs_wanted = int(next(o for o in COMPARE_BUDGET if o.startswith("train.epochs=")).split("=")[1])
    done = [(epoch, path) for epoch, path in found if epoch == epochs_wanted]
    return Entry("effcolor", done[0][0], f"runs/compare/{name}", path=done[0][1]) if done else None


def evaluate(names: list[str], data: Path, out: Path) -> None:
    """The final epoch of every finished variant on the validation photos -> ``out`` (JSON rows, variant named)."""
    from colorgan.evaluation import evaluate as evaluate_rows
    from colorgan.evaluation import load_references, write_json

    photos = load_references(data, max_side=512)
    rows = None
    for name in names:
        entry = final_checkpoint(name)
        if entry is None:
            print(f"{name}: not trained to the end yet, left out")
            continue
        measured = evaluate_rows([entry], photos, progress=False)
        rows = rows or [measured[0]]                       # the gray row, once
        row = {**measured[1], "arch": f"effcolor ({name})", "variant": VARIANTS[name][0]}
        rows.append(row)
        print(f"{name}: CIEDE2000 {row['deltae2000']:.2f} (gray {rows[0]['deltae2000']:.2f}), people "
              f"{row['people_deltae2000']:.2f}, faces {row['face_deltae2000']:.2f}, colourfulness ratio "
              f"{row['colorfulness_ratio']:.2f}", flush=True)
    if rows:
        crops = 14 * 832
        write_json(rows, out, str(data), about=(
            f"`python train/compare_objectives.py`: the recommended network (full frozen ImageNet Lite0 encoder, "
            f"decoder to /4) trained {crops:,} crops of 224 px (14 epochs, people three times as often) with "
            "each objective, final epochs on the validation photos as above. Classification decodes at the "
            "paper's T = 0.38. GAN rows: PatchGAN (ndf 16), 2 warm-up epochs, then the adversarial loss "
            "beside L1 (lambda 100) or the classification loss (lambda 3)."))
        print(f"wrote {out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("variants", nargs="*", metavar="VARIANT", help=f"some of {', '.join(VARIANTS)} (default: all)")
    parser.add_argument("--evaluate", action="store_true", help="only evaluate the trained variants")
    args = parser.parse_args(argv)
    names = args.variants or list(VARIANTS)
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s) {', '.join(unknown)}; choose from {', '.join(VARIANTS)}")
    if not args.evaluate:
        train(names)
    evaluate(names, ROOT / "data" / "photos" / "val", ROOT / "docs" / "objectives.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
