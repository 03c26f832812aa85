"""Tune the hint spreading of colorgan/hint_spread.py on training photos (never on val).

    python train/tune_hint_spread.py                     # 40 training photos, 1 and 10 hints
    python train/tune_hint_spread.py --photos 20 --counts 10

Random ground-truth hints as train/measure_hints.py draws them; the network runs once per photo
and hint set (its colours before the spreading are kept), then every setting of the grid
spreads those hints and is scored by mean CIEDE2000 against the original.  The constants in
hint_spread.py come from this grid; measure_hints.py then reports the chosen setting on val.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a clone without installing
sys.path.insert(0, str(ROOT / "train"))

# (spatial sigma, lightness sigma, network-colour sigma or None): the earlier setting first
GRID = [(0.2, 10.0, None), (0.2, 10.0, 10.0), (0.2, 10.0, 20.0), (0.2, 10.0, 40.0), (0.3, 10.0, 20.0),
        (0.2, 14.0, 20.0)]


def network_outputs(colorizer, photos, counts, seed: int = 100) -> list[tuple]:
    """(count, photo, its full-size luma, (chroma, lightness, hint maps) before spreading) for every photo and count."""
    from measure_hints import random_hints

    from colorgan import pipeline
    from colorgan.hints import parse_hints

    kept = {}

    def keep(chroma, lightness, hint_maps, **_):
        kept["args"] = (chroma.clone(), lightness.clone(), hint_maps.clone())
        return chroma

    spread, pipeline.spread_hints = pipeline.spread_hints, keep
    try:
        cases = []
        for count in counts:
            rng = np.random.default_rng(seed + count)
            for photo in photos:
                hints = random_hints(photo.rgb, count, colorizer.render_size, rng)
                colorizer.colorize(photo.rgb, hints=parse_hints(hints, photo.rgb.shape[1], photo.rgb.shape[0]))
                cases.append((count, photo.rgb, colorizer.space.luma_np(photo.rgb), kept.pop("args")))
        return cases
    finally:
        pipeline.spread_hints = spread


def score(colorizer, cases, **settings) -> dict[int, float]:
    """Mean CIEDE2000 per hint count with the hints spread by ``settings``."""
    from colorgan.color import AB_SCALE, clip_ab_to_gamut
    from colorgan.hint_spread import spread_hints
    from colorgan.metrics import deltae2000

    errors: dict[int, list[float]] = {}
    for count, rgb, luma, (chroma, lightness, hint_maps) in cases:
        spread = spread_hints(chroma, lightness, hint_maps, **settings)
        ab = clip_ab_to_gamut(lightness, spread * AB_SCALE).permute(0, 2, 3, 1)[0].numpy()
        errors.setdefault(count, []).append(deltae2000(rgb, colorizer.join_chroma(luma, ab)))
    return {count: float(np.mean(values)) for count, values in errors.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "photos" / "train")
    parser.add_argument("--photos", type=int, default=40, help="training photos drawn at random (seed 7)")
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 10])
    args = parser.parse_args(argv)

    from colorgan import hub
    from colorgan.evaluation import load_references
    from colorgan.pipeline import Colorizer

    entry = hub.resolve([e for e in hub.list_checkpoints() if e.source == "checkpoints"])
    colorizer = Colorizer.from_checkpoint(hub.fetch(entry), device="cpu")
    files = sorted(p for p in args.data.iterdir() if p.is_file())
    chosen = np.random.default_rng(7).choice(len(files), min(args.photos, len(files)), replace=False)
    with tempfile.TemporaryDirectory() as folder:   # the drawn photos, linked into one folder to load
        for index in chosen:
            (Path(folder) / files[index].name).symlink_to(files[index].resolve())
        photos = load_references(folder, max_side=512, detect=False)
    print(f"{entry.arch} epoch {entry.epoch}, {len(photos)} training photos, hints {args.counts}", flush=True)
    cases = network_outputs(colorizer, photos, args.counts)
    print("hint patches only, no spreading:", {c: round(v, 3) for c, v in score(colorizer, cases, spatial_sigma=1e-6).items()})
    for spatial, lightness, network_ab in GRID:
        result = score(colorizer, cases, spatial_sigma=spatial, lightness_sigma=lightness, network_ab_sigma=network_ab)
        print(f"spatial {spatial}, lightness {lightness}, network colour {network_ab}:",
              {c: round(v, 3) for c, v in result.items()}, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
