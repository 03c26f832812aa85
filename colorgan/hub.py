"""Where checkpoints come from: the repo's checkpoints/ folder, then extra local roots.

Every source has the same layout (``<arch>/epoch-<NNN>/...``).  Listing merges them into
(arch, epoch, source) entries, the first source winning when two hold the same checkpoint;
the CLI (and later the page) find checkpoints only through this module.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from colorgan.checkpoints import CheckpointError, check_arch_name, scan_root

REPO_CHECKPOINTS = Path(__file__).resolve().parent.parent / "checkpoints"
# Best first: the default model is the first of these that has a checkpoint.
RECOMMENDED_ORDER = ["effunet", "unet", "unetpp", "unet3p", "linknet", "resrunet", "r2unet", "shavenet",
                     "yuvgan", "baseline"]


@dataclass(frozen=True)
class Entry:
    arch: str
    epoch: int
    source: str      # a label for people: "checkpoints", a root path
    path: Path       # the local folder holding model.safetensors and config.json

    def as_dict(self) -> dict:
        return {"arch": self.arch, "epoch": self.epoch, "source": self.source, "path": str(self.path)}


def local_roots(extra: Iterable[str | os.PathLike] = ()) -> list[Path]:
    """The repo's checkpoints/, then COLORGAN_CHECKPOINTS (os.pathsep-separated), then ``extra``."""
    roots = [REPO_CHECKPOINTS]
    roots += [Path(p) for p in os.environ.get("COLORGAN_CHECKPOINTS", "").split(os.pathsep) if p]
    roots += [Path(p) for p in extra]
    unique: list[Path] = []
    for root in roots:
        if root.resolve() not in [u.resolve() for u in unique]:
            unique.append(root)
    return unique


def list_checkpoints(extra_roots: Iterable[str | os.PathLike] = ()) -> list[Entry]:
    """Every available checkpoint, sorted by recommended arch order, then epoch."""
    seen: dict[tuple[str, int], Entry] = {}
    for root in local_roots(extra_roots):
        label = "checkpoints" if root == REPO_CHECKPOINTS else str(root)
        for arch, epoch, path in scan_root(root):
            seen.setdefault((arch, epoch), Entry(arch, epoch, label, path))
    return sorted(seen.values(), key=lambda e: (_arch_rank(e.arch), e.arch, e.epoch))


def _arch_rank(arch: str) -> int:
    return RECOMMENDED_ORDER.index(arch) if arch in RECOMMENDED_ORDER else len(RECOMMENDED_ORDER)


def default_arch(entries: list[Entry]) -> str:
    if not entries:
        raise CheckpointError("no checkpoints found. Train one (python -m colorgan train --config "
                              "train/configs/unet.yaml) or add a folder with --root / COLORGAN_CHECKPOINTS.")
    return entries[0].arch


def archs(entries: list[Entry]) -> list[str]:
    return list(dict.fromkeys(e.arch for e in entries))


def epochs_of(entries: list[Entry], arch: str) -> list[int]:
    return [e.epoch for e in entries if e.arch == arch]


def resolve(entries: list[Entry], arch: str | None = None, epoch: int | str | None = "latest") -> Entry:
    """The entry for (arch, epoch); arch None = recommended, epoch 'latest'/None = the newest."""
    arch = arch or default_arch(entries)
    check_arch_name(arch)
    available = [e for e in entries if e.arch == arch]
    if not available:
        raise CheckpointError(f"no checkpoint for architecture {arch!r}; available: "
                              f"{', '.join(archs(entries)) or 'none'} (see python -m colorgan list)")
    if epoch in (None, "latest"):
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
