"""Ship trained runs as the checkpoint set in checkpoints/, and keep the README's results current.

    python train/ship.py                 # runs/<arch>/ -> checkpoints/<arch>/ (chosen epochs, int8) + manifest
    python -m colorgan evaluate --data data/photos/val --arch all --epoch all   # docs/results.*
    python train/ship.py --no-copy       # manifest metrics, the recommended mark, README results from docs/results.json
    python train/ship.py --requantize effunet --keep 3   # re-store shipped checkpoints (int8, fewer epochs) in place

Each architecture ships its final epoch and evenly spaced earlier ones (``--keep``; fewer for
the recommended network effcolor, ``--keep-effcolor``, and the sketch model, ``--keep-sketch``),
so the page's epoch picker shows learning within the 40 MB budget for checkpoints/;
generator weights and configs only, with the training log, loss curve and the final sample
grid.  Weights are stored as int8 with per-channel scales (``--dtype``; colorgan/checkpoints.py
dequantizes on load): the recommended network alone is 4.4M parameters.  An architecture's
folder is replaced in one rename, so an interrupted ship leaves the old set whole.
The recommended mark goes to the checkpoint evaluate measured best (all photos and people).
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
                                  save_checkpoint, scan_root)
from colorgan.plots import read_log  # noqa: E402
from colorgan.publish import results_summary  # noqa: E402

RECOMMENDED_NETWORK = "effcolor"
_WRITTEN_FIELDS = ("format", "version", "dtype", "saved_at")   # save_checkpoint writes these itself

START, END = "<!-- results:start -->", "<!-- results:end -->"
SIZE_LIMIT = 40_000_000


def spaced_epochs(available: list[int], keep: int) -> list[int]:
    """The last epoch and ``keep - 1`` earlier ones spread evenly: keep 3 of 1..10 -> 3, 7, 10."""
    available = sorted(available)
    if keep >= len(available):
        return available
    picks = {available[max(0, round(len(available) * (i + 1) / keep) - 1)] for i in range(keep)}
    return sorted(picks)


def store(source: Path, target: Path, dtype: str, decoding: dict | None = None) -> None:
    """One checkpoint into ``target``: loaded (so a broken one is refused) and saved in ``dtype``.

    ``decoding`` (temperature, prior_correction: chosen on val by train/choose_decoding.py) goes
    into the config's constructor arguments, so the checkpoint decodes that way by default."""
    model, config = load_generator(source)
    config = {k: v for k, v in config.items() if k not in _WRITTEN_FIELDS}
    if decoding:
        config["kwargs"] = {**config["kwargs"], **decoding}
        model, _ = load_generator(source, config={**config, "arch": config["arch"]})   # rebuilt: it must accept them
    save_checkpoint(target, model, config, dtype=dtype)


def ship_arch(run: Path, dest_root: Path, keep: int, dtype: str = "int8", decoding: dict | None = None) -> list[int]:
    """Store the chosen epochs of one run into ``dest_root/<arch>`` (swapped in whole)."""
    epochs = {epoch: path for _arch, epoch, path in scan_root(run.parent) if _arch == run.name}
    if not epochs:
        return []
    chosen = spaced_epochs(list(epochs), keep)
    staging = dest_root / f".{run.name}.staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for epoch in chosen:
        store(epochs[epoch], staging / epoch_dir_name(epoch), dtype, decoding)
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


def requantize(root: Path, archs: list[str], keep: int, dtype: str) -> None:
    """Re-store shipped checkpoints in place: ``dtype`` weights, only ``keep`` spaced epochs of each arch."""
    for arch in archs:
        epochs = {epoch: path for a, epoch, path in scan_root(root) if a == arch}
        if not epochs:
            print(f"{arch}: not in {root}, skipped")
            continue
        chosen = spaced_epochs(list(epochs), keep)
        for epoch, path in sorted(epochs.items()):
            if epoch in chosen:
                store(path, path, dtype)
            else:
                shutil.rmtree(path)
        print(f"{arch}: epochs {', '.join(map(str, chosen))} as {dtype}")


def folder_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def readme_section(results: dict, root: Path) -> str:
    """The README's results block: each shipped architecture's final epoch (the recommended model's
    recommended epoch) against gray, on all validation photos, on people and inside faces."""
    from colorgan.evaluation import recommended_pick, vs_gray

    rows = results["rows"]
    gray = next(r for r in rows if r["arch"] == "gray")
    finals: dict[str, dict] = {}
    for r in rows:
        if r["arch"] != "gray" and (r["arch"] not in finals or r["epoch"] > finals[r["arch"]]["epoch"]):
            finals[r["arch"]] = r
    pick = recommended_pick(rows)
    if pick:
        finals[pick[0]] = next(r for r in rows if (r["arch"], r["epoch"]) == pick)

    def share(r: dict, column: str) -> str:
        ratio = vs_gray(r, gray, column)
        return "" if ratio != ratio else f"{100 * (ratio - 1):+.1f}%"

    lines = ["| arch | epochs shipped | parameters | training time | CIEDE2000 | vs gray | people vs gray "
             "| faces, of gray's | colourfulness ratio | people's | PSNR dB |", "|" + "---|" * 11,
             f"| gray (no colour) | | | | {gray['deltae2000']:.2f} | | | | 0.00 | 0.00 | {gray['psnr']:.2f} |"]
    for r in sorted(finals.values(), key=lambda r: r["deltae2000"]):
        arch_dir = root / r["arch"]
        epochs = sorted(e for a, e, _ in scan_root(root) if a == r["arch"])
        config = read_config(arch_dir / epoch_dir_name(r["epoch"]))
        seconds = sum(float(row["seconds"]) for row in read_log(arch_dir / "train_log.csv")
                      if int(row["epoch"]) <= r["epoch"])
        name = f"**{r['arch']}** (recommended, epoch {r['epoch']})" if pick == (r["arch"], r["epoch"]) else r["arch"]
        faces = vs_gray(r, gray, "face_deltae2000")
        people_ratio = r.get("people_colorfulness_ratio")
        lines.append(f"| {name} | {', '.join(map(str, epochs))} | {config['parameters'] / 1e6:.2f}M | "
                     f"{seconds / 60:.0f} min | {r['deltae2000']:.2f} | {share(r, 'deltae2000')} | "
                     f"{share(r, 'people_deltae2000')} | {'' if faces != faces else f'{100 * faces:.0f}%'} | "
                     f"{r['colorfulness_ratio']:.2f} | {'' if people_ratio is None else f'{people_ratio:.2f}'} | "
                     f"{r['psnr']:.2f} |")
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
    parser.add_argument("--keep-effcolor", type=int, default=3,
                        help=f"epochs of the recommended network {RECOMMENDED_NETWORK} (default 3; 4.5 MB each)")
    parser.add_argument("--keep-sketch", type=int, default=2, help="epochs of the sketch model (default 2)")
    parser.add_argument("--dtype", default="int8", choices=("int8", "float16", "float32"),
                        help="weight storage (default int8: per-channel scales, dequantized on load)")
    parser.add_argument("--temperature", type=float, default=None,
                        help=f"{RECOMMENDED_NETWORK}: the decoding temperature chosen on val (train/choose_decoding.py)")
    parser.add_argument("--prior-correction", type=float, default=None,
                        help=f"{RECOMMENDED_NETWORK}: the prior correction chosen on val (train/choose_decoding.py)")
    parser.add_argument("--requantize", action="store_true",
                        help="re-store the named archs already in --to (dtype, --keep epochs) instead of shipping runs")
    parser.add_argument("--results", default=str(REPO / "docs" / "results.json"),
                        help="evaluate's JSON, for the manifest metrics and the README (default docs/results.json)")
    parser.add_argument("--readme", default=str(REPO / "README.md"))
    parser.add_argument("--no-copy", action="store_true", help="only rewrite the manifest and the README block")
    args = parser.parse_args(argv)
    root = Path(args.to)
    if args.requantize:
        requantize(root, args.archs, args.keep, args.dtype)
    elif not args.no_copy:
        runs = Path(args.runs)
        archs = args.archs or sorted(p.name for p in runs.iterdir() if p.is_dir() and p.name != "logs")
        for arch in archs:
            keep = {RECOMMENDED_NETWORK: args.keep_effcolor, hub.SKETCH_ARCH: args.keep_sketch}.get(arch, args.keep)
            decoding = {k: v for k, v in (("temperature", args.temperature),
                                          ("prior_correction", args.prior_correction)) if v is not None}
            chosen = ship_arch(runs / arch, root, keep, args.dtype, decoding if arch == RECOMMENDED_NETWORK else None)
            print(f"{arch}: {'epochs ' + ', '.join(map(str, chosen)) if chosen else 'no checkpoints, skipped'}")
    results = Path(args.results)
    metrics, baseline, recommended = results_summary(results) if args.no_copy and results.is_file() else ({}, None, None)
    manifest = hub.write_manifest(root, metrics, recommended, baseline)
    if recommended:
        print(f"recommended: {recommended[0]} epoch {recommended[1]} (best on validation, people counted)")
    size = folder_size(root)
    print(f"wrote {manifest}; {root} holds {size / 1e6:.1f} MB (limit {SIZE_LIMIT / 1e6:.0f} MB)")
    if args.no_copy and results.is_file():
        changed = update_readme(Path(args.readme), readme_section(json.loads(results.read_text()), root))
        print(f"README results section {'updated' if changed else 'already current'}")
    return 1 if size > SIZE_LIMIT else 0


if __name__ == "__main__":
    raise SystemExit(main())
