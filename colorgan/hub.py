"""Where checkpoints come from: the repo's checkpoints/, extra local roots, and a Hub model repo.

Every source has the same layout (``<arch>/epoch-<NNN>/{model.safetensors, config.json}``
plus an optional ``manifest.json`` with sha256 digests).  Sources, in order:

1. ``checkpoints/`` in this repository (the embedded default, works offline);
2. local roots from ``COLORGAN_CHECKPOINTS`` (``os.pathsep``-separated) and ``--root``;
3. the Hugging Face Hub repo named by ``COLORGAN_HUB_REPO`` (``user/name`` or ``user/name@rev``),
   listed with ``list_repo_files`` and fetched lazily with ``hf_hub_download`` into the usual
   HF cache; ``HF_HUB_OFFLINE=1`` lists and loads what the cache already holds.

Listing merges the sources into (arch, epoch, source) entries, the first source winning;
an unreachable Hub is a warning, never an error.  The CLI and the page find checkpoints
only through this module.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from colorgan.checkpoints import (CONFIG_NAME, LOG_NAME, SKETCH_ARCH, WEIGHTS_NAME, CheckpointError,  # noqa: F401
                                  atomic_write_text, check_arch_name, epoch_dir_name, parse_epoch_dir, read_config,
                                  scan_root)

REPO_CHECKPOINTS = Path(__file__).resolve().parent.parent / "checkpoints"
MANIFEST_NAME = "manifest.json"
HUB_REPO_ENV = "COLORGAN_HUB_REPO"
# Only for checkpoints that no manifest has measured: the order they are listed in.  Measured
# ones are ordered by their validation results, and the default is the manifest's recommended one.
FALLBACK_ORDER = ["effcolor", "effunet", "unetpp", "unet3p", "shavenet", "r2unet", "baseline", "unet", "linknet",
                  "resrunet", "yuvgan"]
_REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*/[A-Za-z0-9][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True)
class Entry:
    arch: str
    epoch: int
    source: str                    # for people: "checkpoints", a root path, or "hub:user/name@rev"
    path: Path | None = None       # local folder; None for a Hub checkpoint not fetched yet
    repo: str | None = None        # Hub repo id
    revision: str | None = None
    digests: tuple[tuple[str, str], ...] = ()   # (file name, sha256) from a manifest
    recommended: bool = False                   # the manifest marks it: the measured best photo checkpoint
    metrics: dict | None = field(default=None, compare=False, hash=False)   # validation metrics, if measured
    score: float | None = field(default=None, compare=False, hash=False)    # selection score (lower is better)
    vs_gray: float | None = field(default=None, compare=False, hash=False)  # val CIEDE2000 as a share of gray's
    parameters: int | None = field(default=None, compare=False, hash=False)

    def as_dict(self) -> dict:
        return {"arch": self.arch, "epoch": self.epoch, "source": self.source,
                "path": str(self.path) if self.path else None, "recommended": self.recommended,
                "metrics": self.metrics}

    @property
    def folder_in_repo(self) -> str:
        return f"{self.arch}/{epoch_dir_name(self.epoch)}"


# ---------------------------------------------------------------- manifests

def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build_manifest(root: str | os.PathLike, metrics: dict[tuple[str, int], dict] | None = None,
                   recommended: tuple[str, int] | None = None, baseline: dict | None = None) -> dict:
    """Every checkpoint under ``root`` with each file's sha256 and size, epoch, and metrics if known.

    ``recommended`` (arch, epoch) gets ``"recommended": true``; with None the old manifest's
    mark is kept while that checkpoint exists.  ``baseline``: the gray row's metrics, so that
    readers can state results against gray.  Both default to what the old manifest held.
    """
    root = Path(root)
    old = read_manifest(root)
    old_metrics = {(c["arch"], c["epoch"]): c.get("metrics") for c in old.get("checkpoints", [])}
    if recommended is None:
        recommended = next(((c["arch"], c["epoch"]) for c in old.get("checkpoints", []) if c.get("recommended")), None)
    baseline = baseline if baseline is not None else old.get("baseline")
    checkpoints = []
    for arch, epoch, folder in scan_root(root):
        config = read_config(folder)
        files = {name: {"sha256": _sha256(folder / name), "size": (folder / name).stat().st_size}
                 for name in (WEIGHTS_NAME, CONFIG_NAME)}
        record = {"arch": arch, "epoch": epoch, "path": f"{arch}/{epoch_dir_name(epoch)}", "files": files,
                  "parameters": config.get("parameters"), "render_size": config.get("render_size"),
                  "color_space": config.get("color_space", "lab"), "losses": config.get("losses")}
        known = (metrics or {}).get((arch, epoch)) or old_metrics.get((arch, epoch))
        if known:
            record["metrics"] = known
        for key in ("takes_hints", "predicts_distribution"):
            if config.get(key):
                record[key] = True
        record["recommended"] = (arch, epoch) == recommended and arch != SKETCH_ARCH
        checkpoints.append(record)
    manifest = {"format": "colorgan-manifest", "version": 1, "checkpoints": checkpoints}
    if baseline:
        manifest["baseline"] = baseline
    return manifest


def write_manifest(root: str | os.PathLike, metrics: dict[tuple[str, int], dict] | None = None,
                   recommended: tuple[str, int] | None = None, baseline: dict | None = None) -> Path:
    path = Path(root) / MANIFEST_NAME
    atomic_write_text(path, json.dumps(build_manifest(root, metrics, recommended, baseline), indent=2) + "\n")
    return path


def read_manifest(root: str | os.PathLike) -> dict:
    path = Path(root) / MANIFEST_NAME
    if not path.is_file():
        return {}
    return _parse_manifest(path.read_text(), str(path))


def _parse_manifest(text: str, where: str) -> dict:
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as err:
        warnings.warn(f"{where} is not valid JSON ({err}); its digests are ignored")
        return {}
    if not isinstance(manifest, dict) or not isinstance(manifest.get("checkpoints", []), list):
        warnings.warn(f"{where} is not a colorgan manifest; ignored")
        return {}
    return manifest


def _digests(manifest: dict) -> dict[tuple[str, int], tuple[tuple[str, str], ...]]:
    found = {}
    for record in manifest.get("checkpoints", []):
        try:
            files = tuple(sorted((name, info["sha256"]) for name, info in record["files"].items()))
            found[(record["arch"], int(record["epoch"]))] = files
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
    return found


def _measured(manifest: dict) -> dict[tuple[str, int], dict]:
    """{(arch, epoch): Entry fields (recommended, metrics, score, vs_gray, parameters)} from a manifest;
    anything malformed is skipped."""
    baseline = manifest.get("baseline") if isinstance(manifest.get("baseline"), dict) else None
    found = {}
    for record in manifest.get("checkpoints", []):
        try:
            key = (record["arch"], int(record["epoch"]))
        except (KeyError, TypeError, ValueError):
            continue
        metrics = record.get("metrics") if isinstance(record.get("metrics"), dict) else None
        parameters = record.get("parameters")
        found[key] = {"recommended": record.get("recommended") is True, "metrics": metrics,
                      "score": selection_score(metrics, baseline), "vs_gray": _share(metrics, baseline, "deltae2000"),
                      "parameters": parameters if isinstance(parameters, int) and not isinstance(parameters, bool)
                      else None}
    return found


def _share(metrics: dict | None, baseline: dict | None, column: str) -> float | None:
    try:
        value, base = float(metrics[column]), float(baseline[column])
    except (KeyError, TypeError, ValueError):
        return None
    return value / base if base > 0 and math.isfinite(value) else None


def selection_score(metrics: dict | None, baseline: dict | None) -> float | None:
    """Mean of the all-photo and people CIEDE2000 as shares of gray's (colorgan/evaluation.py); None if unmeasured."""
    if not metrics or not baseline:
        return None
    overall, people = _share(metrics, baseline, "deltae2000"), _share(metrics, baseline, "people_deltae2000")
    if overall is None:
        return None
    return overall if people is None else 0.5 * (overall + people)


# ---------------------------------------------------------------- sources

def local_roots(extra: Iterable[str | os.PathLike] = ()) -> list[Path]:
    """The repo's checkpoints/, then COLORGAN_CHECKPOINTS, then ``extra``, without repeats.

    COLORGAN_BUILTIN_CHECKPOINTS=0 leaves out the repo's own folder (only your roots count).
    """
    builtin = os.environ.get("COLORGAN_BUILTIN_CHECKPOINTS", "1").strip().lower() not in ("0", "false", "no", "off")
    roots = [REPO_CHECKPOINTS] if builtin else []
    roots += [Path(p) for p in os.environ.get("COLORGAN_CHECKPOINTS", "").split(os.pathsep) if p]
    roots += [Path(p) for p in extra]
    unique: list[Path] = []
    for root in roots:
        if root.resolve() not in [u.resolve() for u in unique]:
            unique.append(root)
    return unique


def parse_repo(spec: str) -> tuple[str, str | None]:
    """'user/name@rev' -> ('user/name', 'rev'); validates the id so it cannot name a path."""
    repo, _, revision = spec.strip().partition("@")
    if not _REPO_ID.match(repo) or ".." in repo:
        raise CheckpointError(f"{HUB_REPO_ENV}={spec!r} is not a Hub repo id; use user/name or user/name@revision")
    return repo, (revision or None)


def _local_entries(root: Path) -> list[Entry]:
    label = "checkpoints" if root == REPO_CHECKPOINTS else str(root)
    manifest = read_manifest(root)
    digests, measured = _digests(manifest), _measured(manifest)
    return [Entry(arch, epoch, label, path=folder, digests=digests.get((arch, epoch), ()),
                  **_measure_fields(measured.get((arch, epoch))))
            for arch, epoch, folder in scan_root(root)]


def _measure_fields(measured: dict | None) -> dict:
    return measured or {}


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def _hub_entries(spec: str, local_files_only: bool = False) -> list[Entry]:
    """Checkpoints of the Hub repo; from the HF cache when offline or unreachable."""
    repo, revision = parse_repo(spec)
    label = f"hub:{repo}" + (f"@{revision}" if revision else "")
    if not (local_files_only or _offline()):
        try:
            from huggingface_hub import HfApi, hf_hub_download

            _probe(repo)
            files = HfApi().list_repo_files(repo, revision=revision)
            manifest = {}
            if MANIFEST_NAME in files:
                manifest_path = hf_hub_download(repo, MANIFEST_NAME, revision=revision)
                manifest = _parse_manifest(Path(manifest_path).read_text(), f"{label}/{MANIFEST_NAME}")
            return _entries_from_files(files, label, repo, revision, manifest)
        except Exception as err:  # noqa: BLE001 - any Hub failure falls back to the cache
            warnings.warn(f"Hub repo {repo} is unreachable ({type(err).__name__}: {str(err).splitlines()[0][:160]}); "
                          "using local checkpoints and whatever the HF cache holds")
    return _cached_hub_entries(repo, revision, label)


def _probe(repo: str, timeout: float = 3.0) -> None:
    """Fail fast when the Hub cannot be reached at all.

    huggingface_hub retries a refused connection with back-off for about 25 s; one quick
    request first keeps the CLI and the page responsive on a machine without network.
    Any HTTP answer (even an error status) counts as reachable.
    """
    import urllib.error
    import urllib.request

    from huggingface_hub import constants

    url = f"{constants.ENDPOINT.rstrip('/')}/api/models/{repo}"
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout).close()
    except urllib.error.HTTPError:
        return
    except (urllib.error.URLError, OSError) as err:
        raise ConnectionError(f"{constants.ENDPOINT} does not answer ({getattr(err, 'reason', err)})") from None


def _entries_from_files(files: list[str], label: str, repo: str, revision: str | None,
                        manifest: dict) -> list[Entry]:
    digests, measured = _digests(manifest), _measured(manifest)
    present = set(files)
    entries = []
    for name in files:
        parts = name.split("/")
        if len(parts) != 3 or parts[2] != WEIGHTS_NAME:
            continue
        arch, folder, _ = parts
        epoch = parse_epoch_dir(folder)
        if epoch is None or f"{arch}/{folder}/{CONFIG_NAME}" not in present:
            continue
        try:
            check_arch_name(arch)
        except CheckpointError:
            continue
        entries.append(Entry(arch, epoch, label, repo=repo, revision=revision, digests=digests.get((arch, epoch), ()),
                             **_measure_fields(measured.get((arch, epoch)))))
    return entries


def _cached_hub_entries(repo: str, revision: str | None, label: str) -> list[Entry]:
    """What a previous online run left in the HF cache (a snapshot folder has the repo's layout)."""
    try:
        from huggingface_hub import snapshot_download

        snapshot = Path(snapshot_download(repo, revision=revision, local_files_only=True))
    except Exception:  # noqa: BLE001 - nothing cached is not an error
        return []
    manifest = read_manifest(snapshot)
    digests, measured = _digests(manifest), _measured(manifest)
    return [Entry(arch, epoch, label, path=folder, repo=repo, revision=revision,
                  digests=digests.get((arch, epoch), ()), **_measure_fields(measured.get((arch, epoch))))
            for arch, epoch, folder in scan_root(snapshot)]


def list_checkpoints(extra_roots: Iterable[str | os.PathLike] = (), hub_repo: str | None = None,
                     local_files_only: bool = False) -> list[Entry]:
    """Every available checkpoint from every source, best measured architecture first, then by epoch.

    Architectures are ranked by the best validation result among their checkpoints (the
    manifest's metrics; the one holding the recommended checkpoint first); unmeasured ones
    follow in FALLBACK_ORDER.  Only one checkpoint may be recommended: the first source's mark wins.
    """
    seen: dict[tuple[str, int], Entry] = {}
    for root in local_roots(extra_roots):
        for entry in _local_entries(root):
            seen.setdefault((entry.arch, entry.epoch), entry)
    spec = hub_repo if hub_repo is not None else os.environ.get(HUB_REPO_ENV, "")
    if spec:
        for entry in _hub_entries(spec, local_files_only):
            seen.setdefault((entry.arch, entry.epoch), entry)
    entries = list(seen.values())
    marked = [e for e in entries if e.recommended and e.arch != SKETCH_ARCH]
    if len(marked) > 1:   # two sources each mark one: keep the first source's (the local one)
        keep = marked[0]
        entries = [e if (not e.recommended or e is keep) else _unmark(e) for e in entries]
    best: dict[str, float] = {}   # each arch ranked by the checkpoint it offers by default (best_entry)
    for arch in dict.fromkeys(e.arch for e in entries):
        chosen = best_entry([e for e in entries if e.arch == arch])
        if chosen.recommended:
            best[arch] = -1.0
        elif chosen.score is not None:
            best[arch] = chosen.score
    return sorted(entries, key=lambda e: (e.arch not in best, best.get(e.arch, 0.0), _arch_rank(e.arch), e.arch,
                                          e.epoch))


def _unmark(entry: Entry) -> Entry:
    from dataclasses import replace

    return replace(entry, recommended=False)


def fetch(entry: Entry, local_files_only: bool = False) -> Path:
    """The local folder of ``entry``, downloading a Hub checkpoint if needed; sha256 checked."""
    if entry.path is not None:
        folder = entry.path
    else:
        from huggingface_hub import hf_hub_download

        try:
            paths = [hf_hub_download(entry.repo, f"{entry.folder_in_repo}/{name}", revision=entry.revision,
                                     local_files_only=local_files_only or _offline())
                     for name in (CONFIG_NAME, WEIGHTS_NAME)]
        except Exception as err:  # noqa: BLE001 - report any download failure the same way
            raise CheckpointError(f"could not download {entry.arch} epoch {entry.epoch} from {entry.repo} "
                                  f"({type(err).__name__}: {str(err).splitlines()[0][:200]}). Check the network "
                                  "or HF_HUB_OFFLINE, or use a local checkpoint.") from None
        folder = Path(paths[0]).parent
    _verify(entry, folder)
    return folder


def _verify(entry: Entry, folder: Path) -> None:
    for name, expected in entry.digests:
        path = folder / name
        if not path.is_file():
            raise CheckpointError(f"checkpoint {entry.arch} epoch {entry.epoch} ({entry.source}): {name} is missing")
        actual = _sha256(path)
        if actual != expected:
            raise CheckpointError(
                f"checkpoint {entry.arch} epoch {entry.epoch} ({entry.source}): {name} is corrupted or was changed "
                f"(sha256 {actual[:12]}... but the manifest says {expected[:12]}...). Delete {path.resolve()} "
                "and download it again; it was not loaded.")


# ---------------------------------------------------------------- choosing

def _arch_rank(arch: str) -> int:
    return FALLBACK_ORDER.index(arch) if arch in FALLBACK_ORDER else len(FALLBACK_ORDER)


def recommended_entry(entries: list[Entry]) -> Entry | None:
    """The checkpoint the manifest marks recommended (the measured best), if any."""
    return next((e for e in entries if e.recommended and e.arch != SKETCH_ARCH), None)


def best_entry(available: list[Entry]) -> Entry:
    """Of one architecture's entries: the recommended one, else the best measured, else the newest."""
    marked = recommended_entry(available)
    if marked:
        return marked
    scored = [e for e in available if e.score is not None]
    return min(scored, key=lambda e: (e.score, -e.epoch)) if scored else available[-1]


def default_arch(entries: list[Entry]) -> str:
    if not entries:
        raise CheckpointError("no checkpoints found. Train one (python -m colorgan train --config "
                              "train/configs/unet.yaml), add a folder with --root / COLORGAN_CHECKPOINTS, "
                              f"or name a Hub repo in {HUB_REPO_ENV}.")
    marked = recommended_entry(entries)
    return marked.arch if marked else entries[0].arch


def archs(entries: list[Entry]) -> list[str]:
    return list(dict.fromkeys(e.arch for e in entries))


def epochs_of(entries: list[Entry], arch: str) -> list[int]:
    return [e.epoch for e in entries if e.arch == arch]


def resolve(entries: list[Entry], arch: str | None = None, epoch: int | str | None = None) -> Entry:
    """The entry for (arch, epoch).

    arch None: the recommended architecture.  epoch None: the recommended checkpoint when it is
    of that architecture, else its best measured epoch (validation results in the manifest),
    else its newest; 'latest': the newest epoch.
    """
    arch = arch or default_arch(entries)
    check_arch_name(arch)
    available = [e for e in entries if e.arch == arch]
    if not available:
        raise CheckpointError(f"no checkpoint for architecture {arch!r}; available: "
                              f"{', '.join(archs(entries)) or 'none'} (see python -m colorgan list)")
    if epoch is None:
        return best_entry(available)
    if epoch == "latest":
        return available[-1]
    try:
        wanted = int(epoch)
    except (TypeError, ValueError):
        raise CheckpointError(f"epoch must be a number or 'latest', got {epoch!r}") from None
    for entry in available:
        if entry.epoch == wanted:
            return entry
    raise CheckpointError(f"{arch} has no epoch {wanted}; available epochs: "
                          f"{', '.join(str(e.epoch) for e in available)}")


def train_log(entries: list[Entry], arch: str) -> Path | None:
    """The train_log.csv beside an architecture's checkpoints, for loss curves (local or cached)."""
    for entry in entries:
        if entry.arch == arch and entry.path is not None:
            candidate = entry.path.parent / LOG_NAME
            if candidate.is_file():
                return candidate
    for entry in entries:
        if entry.arch == arch and entry.repo:
            try:
                from huggingface_hub import hf_hub_download

                return Path(hf_hub_download(entry.repo, f"{arch}/{LOG_NAME}", revision=entry.revision,
                                            local_files_only=_offline()))
            except Exception:  # noqa: BLE001 - curves are optional
                return None
    return None


def photo_entries(entries: list[Entry]) -> list[Entry]:
    """The photo colorizers among ``entries`` (everything but the sketch models)."""
    return [e for e in entries if e.arch != SKETCH_ARCH]


def sketch_entries(entries: list[Entry]) -> list[Entry]:
    """The sketch models among ``entries`` (arch ``sketch``)."""
    return [e for e in entries if e.arch == SKETCH_ARCH]


def load_colorizer(entry: Entry, device: str = "auto"):
    """Fetch (if needed), verify and load one checkpoint as a ready Colorizer."""
    from colorgan.pipeline import Colorizer

    if entry.arch == SKETCH_ARCH:
        raise CheckpointError(f"{SKETCH_ARCH} epoch {entry.epoch} is a sketch model (line drawing -> colour), "
                              "not a photo colorizer; use `python -m colorgan sketch` or the page's Sketch tab.")
    return Colorizer.from_checkpoint(fetch(entry), device=device)


def load_sketch_colorizer(entry: Entry, device: str = "auto"):
    """Fetch (if needed), verify and load one sketch checkpoint as a ready SketchColorizer."""
    from colorgan.sketch import SketchColorizer

    return SketchColorizer.from_checkpoint(fetch(entry), device=device)
