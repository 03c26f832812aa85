"""Ship trained runs as the checkpoint set in checkpoints/, and keep the README's results current.

    python train/ship.py                 # runs/<arch>/ -> checkpoints/<arch>/ (chosen epochs) + manifest
    python -m colorgan evaluate --data data/photos/val --arch all --epoch all   # docs/results.*
    python train/ship.py --no-copy       # manifest metrics + README results section from docs/results.json

Each architecture ships its final epoch and evenly spaced earlier ones (``--keep``, more for
the recommended model, ``--keep-recommended``; fewer for the sketch model, ``--keep-sketch``),
so the page's epoch picker shows learning within the 40 MB budget for checkpoints/;
generator weights and configs only, with the training log, loss curve and the final sample
grid.  An architecture's folder is replaced in one rename, so an interrupted ship leaves the
old set whole.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a clone without installing

from colorgan import hub  # noqa: E402
from colorgan.checkpoints import (atomic_write_text, epoch_dir_name, load_generator, read_config,  # noqa: E402
                                  scan_root)
from colorgan.plots import read_log  # noqa: E402
from colorgan.publish import metrics_from_results  # noqa: E402

START, END = "<!-- results:start -->", "<!-- results:end -->"
SIZE_LIMIT = 40_000_000


def spaced_epochs(available: list[int], keep: int) -> list[int]:
    """The last epoch and ``keep - 1`` earlier ones spread evenly: keep 3 of 1..10 -> 3, 7, 10."""
    available = sorted(available)
    if keep >= len(available):
        return available
    picks = {available[max(0, round(len(available) * (i + 1) / keep) - 1)] for i in range(keep)}
    return sorted(picks)


def ship_arch(run: Path, dest_root: Path, keep: int) -> list[int]:
    """Copy the chosen epochs of one run into ``dest_root/<arch>`` (swapped in whole)."""
    epochs = {epoch: path for _arch, epoch, path in scan_root(run.parent) if _arch == run.name}
    if not epochs:
        return []
    chosen = spaced_epochs(list(epochs), keep)
    staging = dest_root / f".{run.name}.staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for epoch in chosen:
        load_generator(epochs[epoch])  # refuse to ship a checkpoint that does not load
        target = staging / epoch_dir_name(epoch)
        target.mkdir()
        for name in ("model.safetensors", "config.json"):
            shutil.copy2(epochs[epoch] / name, target / name)
    last = chosen[-1]
    log = run / "train_log.csv"
    if log.is_file():
        lines = log.read_text().splitlines()
        kept = [lines[0]] + [line for line in lines[1:] if int(line.split(",")[0]) <= last]
        (staging / "train_log.csv").write_text("\n".join(kept) + "\n")
    if (run / "loss_curve.png").is_file():
        shutil.copy2(run / "loss_curve.png", staging / "loss_curve.png")
    sample = run / "samples" / f"{epoch_dir_name(last)}.png"
    if sample.is_file():
        (staging / "samples").mkdir()
        shutil.copy2(sample, staging / "samples" / sample.name)
    final = dest_root / run.name
    old = dest_root / f".{run.name}.old"
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    staging.rename(final)
    shutil.rmtree(old, ignore_errors=True)
    return chosen


def folder_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def readme_section(results: dict, root: Path) -> str:
    """The README's results block: each shipped architecture's final epoch against gray."""
    rows = results["rows"]
    gray = next(r for r in rows if r["arch"] == "gray")
    finals: dict[str, dict] = {}
    for r in rows:
        if r["arch"] != "gray" and (r["arch"] not in finals or r["epoch"] > finals[r["arch"]]["epoch"]):
            finals[r["arch"]] = r
    lines = ["| arch | epochs shipped | parameters | training time | CIEDE2000 | vs gray | colourfulness ratio "
             "| PSNR dB | SSIM |", "|---|---|---|---|---|---|---|---|---|",
             f"| gray (no colour) | | | | {gray['deltae2000']:.2f} | | 0.00 | {gray['psnr']:.2f} | "
             f"{gray['ssim']:.3f} |"]
    for r in sorted(finals.values(), key=lambda r: r["deltae2000"]):
        arch_dir = root / r["arch"]
        epochs = sorted(e for a, e, _ in scan_root(root) if a == r["arch"])
        config = read_config(arch_dir / epoch_dir_name(r["epoch"]))
        seconds = sum(float(row["seconds"]) for row in read_log(arch_dir / "train_log.csv")
                      if int(row["epoch"]) <= r["epoch"])
        change = 100 * (r["deltae2000"] / gray["deltae2000"] - 1)
        lines.append(f"| {r['arch']} | {', '.join(map(str, epochs))} | {config['parameters'] / 1e6:.2f}M | "
                     f"{seconds / 60:.0f} min | {r['deltae2000']:.2f} | {change:+.1f}% | "
                     f"{r['colorfulness_ratio']:.2f} | {r['psnr']:.2f} | {r['ssim']:.3f} |")
    return "\n".join(lines)


def update_readme(readme: Path, section: str) -> bool:
    text = readme.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"{readme} has no {START} ... {END} block to fill")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{START}\n{section}\n{END}{tail}"
    if new != text:
        atomic_write_text(readme, new)
    return new != text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("archs", nargs="*", help="architectures to ship (default: every run found)")
    parser.add_argument("--runs", default="runs", help="training output folder (default runs)")
    parser.add_argument("--to", default=str(REPO / "checkpoints"), help="checkpoint root (default checkpoints/)")
    parser.add_argument("--keep", type=int, default=3, help="epochs per architecture (default 3)")
    parser.add_argument("--keep-recommended", type=int, default=5, help="epochs of the recommended model (default 5)")
    parser.add_argument("--keep-sketch", type=int, default=2, help="epochs of the sketch model (default 2)")
    parser.add_argument("--results", default=str(REPO / "docs" / "results.json"),
                        help="evaluate's JSON, for the manifest metrics and the README (default docs/results.json)")
    parser.add_argument("--readme", default=str(REPO / "README.md"))
    parser.add_argument("--no-copy", action="store_true", help="only rewrite the manifest and the README block")
    args = parser.parse_args(argv)
    root = Path(args.to)
    if not args.no_copy:
        runs = Path(args.runs)
        archs = args.archs or sorted(p.name for p in runs.iterdir() if p.is_dir() and p.name != "logs")
        for arch in archs:
            keep = {hub.RECOMMENDED_ORDER[0]: args.keep_recommended, hub.SKETCH_ARCH: args.keep_sketch}.get(arch, args.keep)
            chosen = ship_arch(runs / arch, root, keep)
            print(f"{arch}: {'epochs ' + ', '.join(map(str, chosen)) if chosen else 'no checkpoints, skipped'}")
    results = Path(args.results)
    metrics = metrics_from_results(results) if args.no_copy and results.is_file() else {}
    manifest = hub.write_manifest(root, metrics)
    size = folder_size(root)
    print(f"wrote {manifest}; {root} holds {size / 1e6:.1f} MB (limit {SIZE_LIMIT / 1e6:.0f} MB)")
    if args.no_copy and results.is_file():
        changed = update_readme(Path(args.readme), readme_section(json.loads(results.read_text()), root))
        print(f"README results section {'updated' if changed else 'already current'}")
    return 1 if size > SIZE_LIMIT else 0


if __name__ == "__main__":
    raise SystemExit(main())
