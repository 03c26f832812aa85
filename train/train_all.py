"""Train every architecture's recipe under the shared budget, several at once, one log each.

    python train/train_all.py                      # all recipes, 2 at a time, 1 thread each
    python train/train_all.py --jobs 1 unet effunet train.epochs=2

On a small CPU, two single-threaded runs side by side get more done than one run with two
threads (small convolutions do not scale across cores).  Each run writes
``<out>/<arch>/...`` as ``python -m colorgan train`` does, logs to ``<out>/logs/<arch>.log``,
and resumes where it stopped if started again.  ``<out>/logs/times.csv`` records how long
each recipe took, for the README.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a clone without installing
from colorgan.config import load_recipe  # noqa: E402

CONFIGS = Path(__file__).resolve().parent / "configs"
# The recommended model first; then the most expensive, so that the two queues end together.
ORDER = ("effunet", "yuvgan", "baseline", "unet3p", "resrunet", "unetpp", "shavenet", "r2unet", "linknet", "unet")


# Not on the shared budget: the recommended model's own recipe (README, "Training").
OWN_BUDGET = ("effcolor",)


def recipe_names() -> list[str]:
    found = sorted(p.stem for p in CONFIGS.glob("*.yaml") if not p.stem.startswith("_") and p.stem not in OWN_BUDGET)
    return [n for n in ORDER if n in found] + [n for n in found if n not in ORDER]


def run_one(name: str, overrides: list[str], threads: int, logs: Path) -> tuple[str, int, float]:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    command = [sys.executable, "-m", "colorgan", "train", "--config", str(CONFIGS / f"{name}.yaml"),
               "--no-progress", *overrides]
    start = time.perf_counter()
    with open(logs / f"{name}.log", "a") as log:
        code = subprocess.call(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    seconds = time.perf_counter() - start
    print(f"{name}: {'done' if code == 0 else f'FAILED (exit {code})'} in {seconds / 60:.1f} min", flush=True)
    with open(logs / "times.csv", "a", newline="") as handle:
        csv.writer(handle).writerow([name, code, f"{seconds:.0f}", threads, " ".join(overrides)])
    return name, code, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("items", nargs="*", help="recipe names (default: all) and KEY=VALUE overrides")
    parser.add_argument("--jobs", type=int, default=2, help="recipes trained at once (default 2)")
    parser.add_argument("--threads", type=int, default=0, help="threads per run (default: cores / jobs)")
    args = parser.parse_args(argv)
    overrides = [i for i in args.items if "=" in i]
    names = [i for i in args.items if "=" not in i] or recipe_names()
    unknown = [n for n in names if not (CONFIGS / f"{n}.yaml").is_file()]
    if unknown:
        parser.error(f"no recipe {', '.join(unknown)}; choose from {', '.join(recipe_names())}")
    out = Path(load_recipe(CONFIGS / f"{names[0]}.yaml", overrides).train.out)  # also validates the overrides
    logs = out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    threads = args.threads or max(1, (os.cpu_count() or 1) // max(1, args.jobs))
    print(f"training {', '.join(names)}: {args.jobs} at a time, {threads} thread(s) each; logs in {logs}")
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(lambda n: run_one(n, overrides, threads, logs), names))
    failed = [name for name, code, _ in results if code != 0]
    if failed:
        print(f"failed: {', '.join(failed)} (see {logs})")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
