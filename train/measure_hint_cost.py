"""Does training with hints cost the automatic colorization?  The shipped recipe, once without hints.

    python train/measure_hint_cost.py               # train the no-hints twin (resumes), then evaluate
    python train/measure_hint_cost.py --evaluate    # only evaluate what is trained

One checkpoint serves both uses only if, given no hints, it colours as well as a model that
never saw any (issue 15: within 2% CIEDE2000 on val).  This trains train/configs/effcolor.yaml
with hints switched off (model and training), on the same schedule, to each shipped effcolor
epoch up to the recommended one (train.stop_after_epoch; runs/no_hints/, resumable), stores
those epochs exactly as train/ship.py stores the shipped ones (int8 with the same float16
exceptions, the shipped decoding), and evaluates both sets, without hints, on the validation
photos -> docs/hint_cost.json, which docs/results.md includes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a clone without installing
sys.path.insert(0, str(ROOT / "train"))

RECIPE = ROOT / "train" / "configs" / "effcolor.yaml"
OUT = ROOT / "runs" / "no_hints"
NO_HINTS = ["model.generator.hints=false", "train.hints=false"]


def shipped_epochs() -> tuple[list, object]:
    """The shipped effcolor entries up to the recommended one, and the recommended entry."""
    from colorgan import hub

    entries = [e for e in hub.list_checkpoints() if e.source == "checkpoints" and e.arch == "effcolor"]
    if not entries:
        raise SystemExit("no effcolor in checkpoints/; ship it first (train/ship.py)")
    recommended = hub.resolve(entries)
    return sorted((e for e in entries if e.epoch <= recommended.epoch), key=lambda e: e.epoch), recommended


def train_twin(last_epoch: int) -> None:
    log = OUT / "train.log"
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(log, "a") as handle:
        code = subprocess.call([sys.executable, "-m", "colorgan", "train", "--config", str(RECIPE), "--no-progress",
                                *NO_HINTS, f"train.out={OUT}", f"train.stop_after_epoch={last_epoch}"],
                               stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT)
    print(f"no-hints twin to epoch {last_epoch}: {'done' if code == 0 else f'FAILED (exit {code}), see {log}'} "
          f"in {(time.perf_counter() - started) / 60:.1f} min", flush=True)
    if code:
        raise SystemExit(code)


def evaluate(shipped: list, data: Path, out: Path) -> None:
    from ship import store

    from colorgan.checkpoints import epoch_dir_name, read_config, scan_root
    from colorgan.evaluation import evaluate as evaluate_rows
    from colorgan.evaluation import load_references, shown_path, write_json
    from colorgan.hub import Entry

    trained = {epoch: path for arch, epoch, path in scan_root(OUT) if arch == "effcolor"}
    pairs = []
    for entry in shipped:
        if entry.epoch not in trained:
            print(f"epoch {entry.epoch}: the twin has not reached it, left out")
            continue
        kwargs = read_config(entry.path)["kwargs"]
        decoding = {k: kwargs[k] for k in ("temperature", "prior_correction") if k in kwargs}
        stored = OUT / "as_shipped" / "effcolor" / epoch_dir_name(entry.epoch)
        store(trained[entry.epoch], stored, "int8", decoding)
        pairs.append((entry, Entry("effcolor", entry.epoch, shown_path(stored.parents[1], ROOT), path=stored)))
    if not pairs:
        return
    photos = load_references(data, max_side=512)
    measured = evaluate_rows([e for pair in pairs for e in pair], photos, progress=False)
    rows = [measured[0]]
    for i, (entry, _) in enumerate(pairs):
        with_hints, without = measured[1 + 2 * i], measured[2 + 2 * i]
        with_hints["variant"] = "trained with hints (shipped), given none"
        without["variant"] = "trained without hints"
        rows += [with_hints, without]
        print(f"epoch {entry.epoch}: CIEDE2000 {with_hints['deltae2000']:.2f} trained with hints vs "
              f"{without['deltae2000']:.2f} without ({100 * (with_hints['deltae2000'] / without['deltae2000'] - 1):+.1f}%); "
              f"people {with_hints['people_deltae2000']:.2f} vs {without['people_deltae2000']:.2f}", flush=True)
    write_json(rows, out, shown_path(data, ROOT), about=(
        "`python train/measure_hint_cost.py`: train/configs/effcolor.yaml trained once more with hints switched "
        "off (same photos, crops per epoch and schedule), stored like the shipped checkpoints (int8, the shipped "
        "decoding), both evaluated without hints on the validation photos as above."))
    print(f"wrote {out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--evaluate", action="store_true", help="only evaluate what is trained")
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "photos" / "val")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "hint_cost.json")
    args = parser.parse_args(argv)
    shipped, recommended = shipped_epochs()
    if not args.evaluate:
        train_twin(recommended.epoch)
    evaluate(shipped, args.data, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
