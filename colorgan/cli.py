"""``python -m colorgan``: list, colorize, sketch, evaluate, train, data (the contract in DESIGN.md).

The commands are thin: they parse arguments and call the same modules the page uses.
Errors users can fix (a bad photo, a missing checkpoint, a wrong recipe) print one clear
line and exit with status 2; a batch carries on past a bad file and exits 1 at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm


def main(argv: list[str] | None = None) -> int:
    import warnings

    warnings.formatwarning = lambda message, category, *rest: f"warning: {message}\n"
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    from colorgan.checkpoints import CheckpointError
    from colorgan.config import RecipeError
    from colorgan.images import ImageLoadError

    try:
        return args.run(args)
    except (CheckpointError, RecipeError, ImageLoadError, FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m colorgan",
                                     description="Colorize black-and-white photos with conditional GANs.")
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("list", help="available checkpoints (arch, epoch, source)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    _add_roots(p)
    p.set_defaults(run=cmd_list)

    p = sub.add_parser("colorize", help="colorize photos (files or folders) at full resolution")
    p.add_argument("inputs", nargs="+", metavar="IN", help="image files or folders (searched recursively)")
    _add_model_choice(p)
    p.add_argument("--out", default="outputs", help="output folder for <stem>_color.png (default: outputs)")
    p.add_argument("--strength", type=float, default=1.0, help="colour strength, 1 = as predicted")
    p.add_argument("--hints", default=None, metavar="FILE|DIR",
                   help="colour hints: a JSON list [{\"x\": 120, \"y\": 45, \"color\": \"#c08060\"}] for one photo, "
                        "or a folder of <stem>.json, one per photo (pixels of the photo as displayed, origin top-left)")
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    _add_roots(p)
    p.set_defaults(run=cmd_colorize)

    p = sub.add_parser("video", help="colorize videos (files or folders) into <stem>_color.mp4, steady colour")
    p.add_argument("inputs", nargs="+", metavar="IN", help="video files (MP4, MOV, AVI, MKV, WebM) or folders")
    _add_model_choice(p)
    p.add_argument("--out", default="outputs", help="output folder for <stem>_color.mp4 (default: outputs)")
    p.add_argument("--no-stabilise", action="store_true",
                   help="colorize frame by frame (no colour carried along the motion; flickers more)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    _add_roots(p)
    p.set_defaults(run=cmd_video)

    p = sub.add_parser("sketch", help="colour pictures from line drawings (files or folders), full size")
    p.add_argument("inputs", nargs="+", metavar="IN", help="drawings: image files or folders (searched recursively)")
    p.add_argument("--arch", default="sketch", help="sketch model (default: sketch)")
    p.add_argument("--epoch", default="latest", help="epoch number or latest (default)")
    p.add_argument("--size", type=int, default=None, help="render size (default: the checkpoint's own)")
    p.add_argument("--out", default="outputs", help="output folder for <name>.png (default: outputs)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    _add_roots(p)
    p.set_defaults(run=cmd_sketch)

    p = sub.add_parser("evaluate", help="PSNR, SSIM, CIEDE2000, colourfulness on a folder of colour photos")
    p.add_argument("--data", required=True, help="folder of colour photos (ground truth)")
    p.add_argument("--arch", default=None, help="architecture, or 'all' (default: the recommended one)")
    p.add_argument("--epoch", default="latest", help="N, latest or all (default: latest)")
    p.add_argument("--size", type=int, default=None, help="render size (default: each checkpoint's own)")
    p.add_argument("--max-side", type=int, default=512,
                   help="shrink photos to this long side first (default 512; 0: full size)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="write DIR/results.md, DIR/results.json and DIR/compare.png (default docs, none with "
                        "--as-prints; '' for none)")
    p.add_argument("--as-prints", action="store_true",
                   help="give each gray input the tones of an old print (tone curve, faded blacks, blur, grain) "
                        "and score the colours alone")
    p.add_argument("--figure-photos", type=int, default=4, metavar="N",
                   help="validation photos in compare.png (default 4; 0: no figure)")
    p.add_argument("--json", default=None, metavar="FILE", help="also write the rows as JSON to FILE")
    p.add_argument("--temperature", type=float, default=None,
                   help="vividness of distribution models (default: each checkpoint's own)")
    p.add_argument("--device", default="auto")
    _add_roots(p)
    p.set_defaults(run=cmd_evaluate)

    p = sub.add_parser("train", help="train an architecture from a YAML recipe")
    p.add_argument("--config", required=True, help="recipe, e.g. train/configs/unet.yaml")
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="e.g. train.epochs=5 data.size=64")
    p.add_argument("--no-progress", action="store_true", help="no progress bars (for logs)")
    p.set_defaults(run=cmd_train)

    p = sub.add_parser("push", help="upload a checkpoint root to a Hugging Face Hub model repo")
    p.add_argument("root", help="checkpoint root (<arch>/epoch-NNN/... layout), e.g. checkpoints")
    p.add_argument("--repo", required=True, help="USER/NAME on the Hub")
    p.add_argument("--private", action="store_true", help="create the repo as private")
    p.add_argument("--results", default=None, help="evaluation JSON (from evaluate --json) for the model card")
    p.set_defaults(run=cmd_push)

    p = sub.add_parser("manifest", help="write manifest.json (sha256, sizes, metrics) for a checkpoint root")
    p.add_argument("root")
    p.add_argument("--results", default=None, help="evaluation JSON whose metrics go into the manifest")
    p.set_defaults(run=cmd_manifest)

    p = sub.add_parser("data", help="dataset tools")
    data_sub = p.add_subparsers(dest="data_command", required=True)
    q = data_sub.add_parser("pairs", help="write the seed 000 paired format (gray | colour) from photos")
    q.add_argument("src", help="folder of photos")
    q.add_argument("dst", help="output folder")
    q.add_argument("--size", type=int, default=256, help="side of each half (default 256: 256x512 pairs)")
    q.set_defaults(run=cmd_data_pairs)
    return parser


def _add_model_choice(p: argparse.ArgumentParser) -> None:
    p.add_argument("--arch", default=None, help="architecture (default: the recommended one)")
    p.add_argument("--epoch", default=None,
                   help="epoch number or latest (default: the recommended checkpoint, or the architecture's latest)")
    p.add_argument("--size", type=int, default=None, help="render size (default: the checkpoint's own)")
    p.add_argument("--temperature", type=float, default=None,
                   help="vividness of models that predict a colour distribution: lower is more vivid "
                        "(default: the checkpoint's own, chosen on validation)")


def _add_roots(p: argparse.ArgumentParser) -> None:
    p.add_argument("--root", action="append", default=[], metavar="DIR",
                   help="extra checkpoint root (repeatable; also COLORGAN_CHECKPOINTS)")
    p.add_argument("--hub", default=None, metavar="USER/NAME[@REV]",
                   help="Hub model repo to list and load from (default: COLORGAN_HUB_REPO)")


def _entries(args, task: str | None = "photo"):
    """Checkpoints from every source; ``task`` photo or sketch keeps only those models (None: all)."""
    from colorgan import hub

    entries = hub.list_checkpoints(args.root, hub_repo=args.hub)
    if task == "photo":
        if getattr(args, "arch", None) == hub.SKETCH_ARCH:
            raise ValueError(f"{hub.SKETCH_ARCH} colours line drawings, not photos: use "
                             "`python -m colorgan sketch IN... --out DIR`")
        return hub.photo_entries(entries)
    return hub.sketch_entries(entries) if task == "sketch" else entries


# ---------------------------------------------------------------- commands

def cmd_list(args) -> int:
    entries = _entries(args, task=None)
    if args.json:
        print(json.dumps([e.as_dict() for e in entries], indent=2))
        return 0
    if not entries:
        print("no checkpoints found (train one, or pass --root DIR)")
        return 0
    print(f"{'arch':<12} {'epoch':>5}  {'val CIEDE2000':>13}  source")
    for e in entries:
        measured = f"{e.metrics['deltae2000']:.2f}" if e.metrics and e.metrics.get("deltae2000") else ""
        print(f"{e.arch:<12} {e.epoch:>5}  {measured:>13}  {e.source}" + ("  <- recommended (default)" if e.recommended else ""))
    return 0


def cmd_colorize(args) -> int:
    from colorgan import distributed, hub

    jobs = _collect_inputs(args.inputs, Path(args.out))
    rank = distributed.info()
    mine = jobs[rank.rank::rank.world_size]  # under torchrun each rank takes every world_size-th file
    hint_files = _hint_files(args.hints, [source for source, _ in jobs]) if args.hints else {}
    hints = _read_all_hints(hint_files)   # every hint is checked before anything is written
    entry = hub.resolve(_entries(args), args.arch, args.epoch)
    device = distributed.pick_device(args.device, rank.local_rank)
    colorizer = hub.load_colorizer(entry, device=device)
    if hints and not colorizer.takes_hints and rank.is_main:
        print(f"warning: {entry.arch} epoch {entry.epoch} does not take colour hints; they are ignored "
              "(the recommended model takes them: leave out --arch)", file=sys.stderr)
    if args.temperature is not None and not colorizer.predicts_distribution and rank.is_main:
        print(f"warning: {entry.arch} predicts one colour per pixel, not a distribution; --temperature is ignored",
              file=sys.stderr)
    return _convert_files(mine, len(jobs), entry, device, rank, ("colorizing", "photo"),
                          lambda photo, source: colorizer.colorize(photo, size=args.size, strength=args.strength,
                                                                   hints=hints.get(source),
                                                                   temperature=args.temperature))


def _hint_files(option: str, sources: list[Path]) -> dict[Path, Path]:
    """{photo: its hint file}: ``--hints FILE`` for a single photo, or ``--hints DIR`` with ``<stem>.json`` files."""
    from colorgan.hints import HintError

    path = Path(option)
    if path.is_dir():
        return {source: path / f"{source.stem}.json" for source in sources if (path / f"{source.stem}.json").is_file()}
    if not path.is_file():
        raise HintError(f"--hints {path}: no such file or folder")
    if len(sources) != 1:
        raise HintError(f"--hints {path} is one file but {len(sources)} photos were given; a hint file is for one "
                        "photo, so pass a folder of <stem>.json files for several")
    return {sources[0]: path}


def _read_all_hints(files: dict[Path, Path]) -> dict:
    """Every photo's hints, read and checked against its size (after EXIF rotation) before any output is written."""
    from colorgan.hints import read_hint_file
    from colorgan.images import load_rgb

    hints = {}
    for source, hint_file in files.items():
        height, width = load_rgb(source).shape[:2]
        hints[source] = read_hint_file(hint_file, width, height)
    return hints


def _convert_files(mine, total: int, entry, device, rank, words: tuple[str, str], convert) -> int:
    """Load each file, convert it, write the PNG; a bad file is one line on stderr and the rest carry on."""
    from colorgan.images import ImageLoadError, load_rgb, save_png

    verb, noun = words
    if rank.is_main:
        print(f"{verb} {total} {noun}(s) with {entry.arch} epoch {entry.epoch} ({entry.source}) on {device}"
              + (f", {rank.world_size} processes" if rank.enabled else ""))
    failures = 0
    for source, target in tqdm(mine, desc=verb, unit=noun, disable=len(mine) < 2 or not sys.stderr.isatty()):
        try:
            image = load_rgb(source)
        except ImageLoadError as err:
            print(f"skipped: {err}", file=sys.stderr)
            failures += 1
            continue
        save_png(convert(image, source), target)
        print(f"{source} -> {target}")
    return 1 if failures else 0


def _collect_inputs(inputs: list[str], out: Path, suffix: str = "_color") -> list[tuple[Path, Path]]:
    """(source, target) pairs, target ``<stem><suffix>.png``; a folder's sub-folders are mirrored under ``out``."""
    from colorgan.images import list_images

    jobs = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            for file in list_images(path):
                relative = file.relative_to(path)
                jobs.append((file, out / relative.parent / f"{relative.stem}{suffix}.png"))
        elif path.exists():
            jobs.append((path, out / f"{path.stem}{suffix}.png"))
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    if not jobs:
        raise FileNotFoundError(f"no images found in {', '.join(inputs)}")
    targets = [t for _, t in jobs]
    if len(set(targets)) != len(targets):
        raise ValueError("two inputs would write the same output file (same name); colorize them separately "
                         "or put them in one folder")
    sources = {s.resolve() for s, _ in jobs}
    clobbered = [t for t in targets if t.resolve() in sources]
    if clobbered:
        raise ValueError(f"{clobbered[0]} would be overwritten by its own result; choose another --out")
    return jobs


VIDEO_EXTENSIONS = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".ogv", ".wmv")


def cmd_video(args) -> int:
    """Videos -> <stem>_color.mp4 with the input's frames, size, timing and audio (colorgan/video.py)."""
    from colorgan import distributed, hub
    from colorgan.video import VideoError, colorize_video, probe, warnings_for

    jobs = []
    for item in args.inputs:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix.lower() in VIDEO_EXTENSIONS and p.is_file())
            jobs += [(p, Path(args.out) / p.relative_to(path).parent / f"{p.stem}_color.mp4") for p in found]
        elif path.exists():
            jobs.append((path, Path(args.out) / f"{path.stem}_color.mp4"))
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    if not jobs:
        raise FileNotFoundError(f"no videos ({', '.join(VIDEO_EXTENSIONS)}) found in {', '.join(args.inputs)}")
    if any(source.resolve() == target.resolve() for source, target in jobs):
        raise ValueError("a video would be overwritten by its own result; choose another --out")
    rank = distributed.info()
    mine = jobs[rank.rank::rank.world_size]   # under torchrun each process takes every world_size-th file
    entry = hub.resolve(_entries(args), args.arch, args.epoch)
    device = distributed.pick_device(args.device, rank.local_rank)
    colorizer = hub.load_colorizer(entry, device=device)
    if rank.is_main:
        print(f"colorizing {len(jobs)} video(s) with {entry.arch} epoch {entry.epoch} ({entry.source}) on {device}"
              + ("" if args.no_stabilise else ", colour carried along the motion")
              + (f", {rank.world_size} processes" if rank.enabled else ""))
    failures = 0
    for source, target in mine:
        try:
            info = probe(source)
        except VideoError as err:
            print(f"skipped: {err}", file=sys.stderr)
            failures += 1
            continue
        for note in warnings_for(info):
            print(f"warning: {note}", file=sys.stderr)
        bar = tqdm(total=info.frames or None, desc=source.name, unit="frame", dynamic_ncols=True,
                   disable=not sys.stderr.isatty())

        def advance(done, total, bar=bar):
            bar.total = total
            bar.update(done - bar.n)

        try:
            result = colorize_video(source, target, colorizer, size=args.size, stabilise=not args.no_stabilise,
                                    progress=advance)
        except VideoError as err:
            print(f"skipped: {err}", file=sys.stderr)
            failures += 1
            continue
        finally:
            bar.close()
        print(f"{source} -> {target} ({result.frames} frames, {result.frames_per_second:.1f} frames/s)")
        if result.stopped:
            print(f"warning: {result.stopped}", file=sys.stderr)
            failures += 1
    return 1 if failures else 0


def cmd_sketch(args) -> int:
    """Line drawings -> colour pictures at the drawing's own size (colorgan/sketch.py)."""
    from colorgan import distributed, hub
    from colorgan.checkpoints import CheckpointError

    jobs = _collect_inputs(args.inputs, Path(args.out), suffix="")
    rank = distributed.info()
    mine = jobs[rank.rank::rank.world_size]
    entries = _entries(args, task="sketch")
    if not entries:
        raise CheckpointError("no sketch model found. Train one (python -m colorgan train --config "
                              "train/configs/sketch.yaml), add its root with --root / COLORGAN_CHECKPOINTS, "
                              f"or name a Hub repo that has one in {hub.HUB_REPO_ENV}.")
    if args.arch != hub.SKETCH_ARCH:
        raise CheckpointError(f"{args.arch!r} is not a sketch model; the sketch models are: "
                              f"{', '.join(hub.archs(entries))}")
    entry = hub.resolve(entries, args.arch, args.epoch)
    device = distributed.pick_device(args.device, rank.local_rank)
    colorizer = hub.load_sketch_colorizer(entry, device=device)
    return _convert_files(mine, len(jobs), entry, device, rank, ("colouring", "drawing"),
                          lambda drawing, _source: colorizer.colorize(drawing, size=args.size))


def cmd_evaluate(args) -> int:
    from colorgan import hub
    from colorgan.evaluation import evaluate, load_references, markdown_table, write_json

    entries = _entries(args)
    if args.arch == "all":
        chosen_archs = hub.archs(entries)
    else:
        chosen_archs = [hub.resolve(entries, args.arch, "latest").arch]
    selected = []
    for arch in chosen_archs:
        if args.epoch == "all":
            selected += [e for e in entries if e.arch == arch]
        else:
            selected.append(hub.resolve(entries, arch, args.epoch))
    photos = load_references(args.data, args.max_side or None)
    rows = evaluate(selected, photos, size=args.size, device=args.device, temperature=args.temperature,
                    as_prints=args.as_prints)
    if args.out is None:   # the report in docs/ is of the plain photos; prints only where asked
        args.out = "" if args.as_prints else "docs"
    faces = sum(len(p.faces) for p in photos)
    print(f"{len(photos)} photos from {args.data}, {sum(p.people for p in photos)} with people, {faces} faces"
          + (", given old-print tones, colours scored on their own lightness" if args.as_prints else "") + "\n")
    print(markdown_table(rows))
    if args.json:
        write_json(rows, args.json, args.data,
                   about="inputs given old-print tones, colours scored on the photos' own lightness"
                   if args.as_prints else None)
        print(f"\nwrote {args.json}")
    if args.out:
        from colorgan.report import compare_figure, write_report

        figure = None
        if args.figure_photos > 0:
            figure = compare_figure(figure_entries(selected, rows, chosen_archs), photos,
                                    Path(args.out) / "compare.png", count=args.figure_photos,
                                    device=args.device).name
        command = (f"python -m colorgan evaluate --data {args.data} --arch {args.arch or hub.default_arch(entries)} "
                   f"--epoch {args.epoch}" + ("" if args.max_side == 512 else f" --max-side {args.max_side}"))
        written = write_report(rows, args.out, args.data, len(photos), args.max_side or None, command, figure)
        print("\nwrote " + ", ".join(str(p) for p in written) + (f", {Path(args.out) / figure}" if figure else ""))
    return 0


def figure_entries(selected: list, rows: list[dict], archs: list[str]) -> list:
    """One checkpoint per architecture for compare.png: the epoch this evaluation measured best (the
    recommended pick's rule), so the figure shows what the page offers first."""
    from colorgan.evaluation import selection_score

    gray = next(r for r in rows if r["arch"] == "gray")
    score = {(r["arch"], r["epoch"]): selection_score(r, gray) for r in rows if r["arch"] != "gray"}
    picks = []
    for arch in archs:
        candidates = [e for e in selected if e.arch == arch]
        picks.append(min(candidates, key=lambda e: (score.get((e.arch, e.epoch), float("inf")), -e.epoch)))
    return picks


def cmd_train(args) -> int:
    from colorgan.config import load_recipe
    from colorgan.trainer import TrainingDiverged, train

    recipe = load_recipe(args.config, args.overrides)
    try:
        train(recipe, progress=not args.no_progress)
    except TrainingDiverged as err:
        print(f"error: {err}", file=sys.stderr)
        return 3
    return 0


def cmd_push(args) -> int:
    from colorgan.publish import push

    url = push(args.root, args.repo, private=args.private, results=args.results)
    print(f"uploaded {args.root} to {url}")
    return 0


def cmd_manifest(args) -> int:
    from colorgan.hub import write_manifest
    from colorgan.publish import results_summary

    path = write_manifest(args.root, *results_summary(args.results))
    print(f"wrote {path}")
    return 0


def cmd_data_pairs(args) -> int:
    from colorgan.data import write_pairs

    written = write_pairs(args.src, args.dst, size=args.size)
    print(f"wrote {len(written)} paired images ({args.size}x{2 * args.size}) to {args.dst}")
    return 0
