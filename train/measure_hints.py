"""How much colour hints help, measured as Zhang et al. 2017 did: random ground-truth hints on val.

    python train/measure_hints.py                          # the shipped recommended checkpoint -> docs/hints.json, docs/hints.png
    python train/measure_hints.py --checkpoint DIR --counts 0 1 10

For every validation photo and every hint count N (0, 1, 2, 5, 10, 20, 50), N points are drawn
at random over the photo (seeded, the same points for every checkpoint); each becomes a hint
in the users' form: a square patch of PATCH render pixels (in the photo's own pixels) whose
colour is the mean sRGB colour of the original there.  The photo is colorized with the hints
and compared with the original: mean CIEDE2000 and PSNR over the photos.  "At the hints" is the
CIEDE2000 between each hint's colour and the result's mean colour over its patch: does the
colour land where the user put it?  Both as users get it (the network, then the edge-aware
spreading of colorgan/hint_spread.py) and for the network alone.  docs/results.md includes the
table; docs/hints.png plots it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a clone without installing

COUNTS = (0, 1, 2, 5, 10, 20, 50)
PATCH = 5          # hint patch side, in render pixels (Zhang 2017 train with 1-9)


def random_hints(rgb: np.ndarray, count: int, render_size: int, rng: np.random.Generator) -> list[dict]:
    """``count`` hints at uniformly random points, each the mean original colour of its patch."""
    height, width = rgb.shape[:2]
    side = max(1, round(PATCH * np.sqrt(height * width) / render_size))
    hints = []
    for _ in range(count):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        top, left = max(0, y - side // 2), max(0, x - side // 2)
        mean = rgb[top:top + side, left:left + side].reshape(-1, 3).mean(axis=0)
        hints.append({"x": x, "y": y, "color": "#%02x%02x%02x" % tuple(int(round(c)) for c in mean), "size": side})
    return hints


def colour_at_hints(result: np.ndarray, hints: list[dict]) -> list[float]:
    """CIEDE2000 between each hint's colour and the result's mean colour over the hint's patch."""
    from skimage.color import deltaE_ciede2000, rgb2lab

    from colorgan.hints import parse_color

    errors = []
    for hint in hints:
        side, x, y = hint["size"], hint["x"], hint["y"]
        top, left = max(0, y - side // 2), max(0, x - side // 2)
        patch = rgb2lab(result[top:top + side, left:left + side]).reshape(-1, 3).mean(axis=0)
        wanted = rgb2lab(np.array([[parse_color(hint["color"])]], dtype=np.uint8))[0, 0]
        errors.append(float(deltaE_ciede2000(patch[None, None], wanted[None, None])[0, 0]))
    return errors


def measure(checkpoint: Path, data: Path, counts, seed: int = 0, spread: bool = True) -> list[dict]:
    from tqdm import tqdm

    from colorgan.evaluation import load_references
    from colorgan.hints import parse_hints
    from colorgan.metrics import deltae2000, psnr
    from colorgan.pipeline import Colorizer

    colorizer = Colorizer.from_checkpoint(checkpoint, device="cpu")
    colorizer.hint_spreading = spread   # False: what the network does with the hint channels alone
    if not colorizer.takes_hints:
        raise SystemExit(f"{checkpoint} does not take hints")
    photos = load_references(data, max_side=512)
    rows = []
    for count in counts:
        rng = np.random.default_rng(seed + count)
        scores, at_hints = [], []
        for photo in tqdm(photos, desc=f"{count} hints", leave=False):
            hints = random_hints(photo.rgb, count, colorizer.render_size, rng)
            parsed = parse_hints(hints, photo.rgb.shape[1], photo.rgb.shape[0])
            result = colorizer.colorize(photo.rgb, hints=parsed)
            scores.append((deltae2000(photo.rgb, result), psnr(photo.rgb, result)))
            at_hints += colour_at_hints(result, hints)
        row = {"hints": count, "photos": len(photos), "deltae2000": float(np.mean([s[0] for s in scores])),
               "psnr": float(np.mean([s[1] for s in scores])),
               "at_hints_deltae2000": float(np.mean(at_hints)) if at_hints else None}
        rows.append(row)
        print(f"{count:3d} hints: CIEDE2000 {row['deltae2000']:.2f}, PSNR {row['psnr']:.2f} dB"
              + (f", at the hints {row['at_hints_deltae2000']:.2f}" if at_hints else ""), flush=True)
    return rows


def plot(rows: list[dict], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts = [r["hints"] for r in rows]
    xs = [max(c, 0.5) for c in counts]   # 0 hints drawn at 0.5 on the log axis
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    left.plot(xs, [r["deltae2000"] for r in rows], marker="o", label="whole photo")
    if all(r.get("network_deltae2000") is not None for r in rows):
        left.plot(xs, [r["network_deltae2000"] for r in rows], marker="o", linestyle="--",
                  label="whole photo, network alone")
    marked = [(x, r["at_hints_deltae2000"]) for x, r in zip(xs, rows) if r["at_hints_deltae2000"] is not None]
    if marked:
        left.plot(*zip(*marked), marker="s", label="at the hinted points")
    left.set_ylabel("CIEDE2000 (lower is better)")
    right.plot(xs, [r["psnr"] for r in rows], marker="o", color="tab:green", label="with spreading")
    if all(r.get("network_psnr") is not None for r in rows):
        right.plot(xs, [r["network_psnr"] for r in rows], marker="o", linestyle="--", color="tab:green",
                   label="network alone")
        right.legend(fontsize=8)
    right.set_ylabel("PSNR dB (higher is better)")
    for axis in (left, right):
        axis.set_xscale("log")
        axis.set_xticks(xs)
        axis.set_xticklabels([str(c) for c in counts])
        axis.set_xlabel("random ground-truth hints per photo")
        axis.grid(alpha=0.3)
    left.legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, default=None,
                        help="checkpoint folder (default: the shipped recommended one)")
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "photos" / "val")
    parser.add_argument("--counts", type=int, nargs="+", default=COUNTS)
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args(argv)
    checkpoint = args.checkpoint
    label = str(checkpoint)
    if checkpoint is None:
        from colorgan import hub

        entry = hub.resolve([e for e in hub.list_checkpoints() if e.source == "checkpoints"])
        checkpoint, label = hub.fetch(entry), f"{entry.arch} epoch {entry.epoch}"
    print("the network alone (no spreading after it):")
    alone = measure(checkpoint, args.data, args.counts, spread=False)
    print("as users get it (colorgan/hint_spread.py after the network):")
    rows = measure(checkpoint, args.data, args.counts)
    for row, network in zip(rows, alone):
        row["network_deltae2000"] = network["deltae2000"]
        row["network_psnr"] = network["psnr"]
        row["network_at_hints_deltae2000"] = network["at_hints_deltae2000"]
    args.out.mkdir(parents=True, exist_ok=True)
    from colorgan.evaluation import shown_path

    (args.out / "hints.json").write_text(json.dumps({"checkpoint": label, "data": shown_path(args.data, ROOT), "patch": PATCH,
                                                     "rows": rows}, indent=1))
    plot(rows, args.out / "hints.png", f"{label}: random ground-truth hints on {rows[0]['photos']} val photos")
    print(f"wrote {args.out / 'hints.json'} and {args.out / 'hints.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
