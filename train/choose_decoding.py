"""Choose how the recommended model turns its colour distribution into a colour: on val, people counted.

    python train/choose_decoding.py runs/effcolor/epoch-150          # grid on data/photos/val -> docs/decoding.json
    python train/ship.py effcolor --temperature T --prior-correction A   # ship with the chosen pair

The model predicts a distribution over ab bins (colorgan/ab_bins.py).  Two knobs decode it:

* the temperature T of the annealed mean (Zhang et al. 2016 use 0.38): low T picks the most
  likely colour (vivid, sometimes wrong and patchy), T = 1 the mean (cautious);
* the prior correction A: training rebalances the classes (lambda 0.5) so that rare, vivid
  colours are not drowned by gray, which also biases the predicted distribution toward them;
  decoding ``logits - A log(weight)`` takes a share A of that bias back (A = 0: Zhang's
  decoding, A = 1: the unbiased posterior).

Every (A, T) of the grid is measured on the validation photos (the network runs once per
photo; the decodings reuse its output).  The choice is the lowest selection score (the mean of
the all-photo and people CIEDE2000 as shares of gray's, as for the recommended checkpoint)
among the pairs that keep at least MIN_COLOURFULNESS of the originals' colourfulness over all
photos; without such a pair, the most colourful one.  (Asking the same of the people photos
alone would, with the checkpoints trained here, leave only decodings that colour people worse
than leaving them gray: their ratio is reported beside it instead.)  The page's vividness
slider then moves T around the chosen value.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a clone without installing

MIN_COLOURFULNESS = 0.6
TEMPERATURES = (0.2, 0.3, 0.38, 0.5, 0.7, 1.0)
CORRECTIONS = (0.0, 0.25, 0.5, 0.75, 1.0)


def sweep(checkpoint: Path, data: Path, temperatures, corrections, max_side: int = 512) -> tuple[dict, list[dict]]:
    """(gray row, one row per (A, T)) on the photos of ``data``."""
    from tqdm import tqdm

    from colorgan.color import gray_rgb
    from colorgan.evaluation import load_references, score_photo, summarise
    from colorgan.pipeline import Colorizer

    photos = load_references(data, max_side)
    colorizer = Colorizer.from_checkpoint(checkpoint, device="cpu")
    if not colorizer.predicts_distribution:
        raise SystemExit(f"{checkpoint} predicts one colour per pixel; there is nothing to decode")
    grid = [(a, t) for a in corrections for t in temperatures]
    scores = {pair: [] for pair in grid}
    for photo in tqdm(photos, desc="photos"):
        for a, t in grid:   # same photo, new decoding: the network's output is reused
            result = colorizer.colorize(photo.rgb, temperature=t, prior_correction=a)
            scores[(a, t)].append(score_photo(photo, result))
    gray = summarise("gray", None, "baseline", [score_photo(p, gray_rgb(p.rgb)) for p in photos])
    rows = []
    for (a, t), per_photo in scores.items():
        row = summarise("effcolor", None, str(checkpoint), per_photo)
        row.update(prior_correction=a, temperature=t)
        row.pop("photos")
        rows.append(row)
    return gray, rows


def choose(gray: dict, rows: list[dict]) -> dict:
    from colorgan.evaluation import selection_score

    def colourful(r: dict) -> float:
        return r["colorfulness_ratio"]

    vivid_enough = [r for r in rows if colourful(r) >= MIN_COLOURFULNESS]
    if vivid_enough:
        return min(vivid_enough, key=lambda r: selection_score(r, gray))
    return max(rows, key=colourful)



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", type=Path, help="a checkpoint folder (<root>/effcolor/epoch-NNN)")
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "photos" / "val")
    parser.add_argument("--temperatures", type=float, nargs="+", default=TEMPERATURES)
    parser.add_argument("--corrections", type=float, nargs="+", default=CORRECTIONS)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "decoding.json")
    args = parser.parse_args(argv)
    gray, rows = sweep(args.checkpoint, args.data, args.temperatures, args.corrections)
    chosen = choose(gray, rows)
    from colorgan.report import decoding_table

    print(decoding_table(gray, rows, chosen))
    print(f"\nchosen: prior correction {chosen['prior_correction']}, temperature {chosen['temperature']}")
    from colorgan.evaluation import shown_path, write_json

    write_json([gray, *rows], args.out, shown_path(args.data, ROOT))
    document = json.loads(args.out.read_text())
    document.update(checkpoint=str(args.checkpoint), chosen={"prior_correction": chosen["prior_correction"],
                                                             "temperature": chosen["temperature"]},
                    min_colourfulness=MIN_COLOURFULNESS)
    args.out.write_text(json.dumps(document, indent=1))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
