"""The Batch tab: several photos or zips in, one zip of full-resolution PNGs out (zips read safely)."""

from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable

from colorgan.images import IMAGE_EXTENSIONS, ImageLoadError, load_rgb
from colorgan.web.common import (
    UserError,
    _user_message,
    env_int,
    friendly_name,
    safe_stem,
    shrink,
    write_jpeg,
)

BATCH_MAX_FILES = env_int("COLORGAN_BATCH_MAX_FILES", 50)   # photos per batch, zip members included
ZIP_MAX_MEMBERS = 2000                                       # entries of any kind listed in one zip
ZIP_MAX_MEMBER_BYTES = 64 << 20                              # one uncompressed zip member
ZIP_MAX_TOTAL_BYTES = 512 << 20                              # all image members of one batch, uncompressed
BATCH_THUMBNAILS, THUMBNAIL_SIDE = 12, 256                   # results shown on the page (all are in the zip)


@dataclass
class BatchItem:
    """One photo of a batch: a plain upload or a zip member, read only when its turn comes."""

    name: str
    path: Path | None = None
    zip_path: Path | None = None
    member: zipfile.ZipInfo | None = None

    def read(self) -> bytes:
        if self.member is None:
            return Path(self.path).read_bytes()
        with zipfile.ZipFile(self.zip_path) as archive, archive.open(self.member) as handle:
            data = handle.read(ZIP_MAX_MEMBER_BYTES + 1)  # never trust the declared size
        if len(data) > ZIP_MAX_MEMBER_BYTES:
            raise UserError(f"{self.name} unpacks to more than {ZIP_MAX_MEMBER_BYTES >> 20} MB; skipped.")
        return data


def _is_image_name(name: str) -> bool:
    base = PurePosixPath(name).name
    return base.lower().endswith(IMAGE_EXTENSIONS) and not base.startswith(".")


def zip_members(path: Path, display: str) -> tuple[list[BatchItem], list[tuple[str, str]]]:
    """The image members of a zip (never extracted: read into memory one at a time later).

    Guards: at most ZIP_MAX_MEMBERS entries, each image member at most ZIP_MAX_MEMBER_BYTES
    and all of them at most ZIP_MAX_TOTAL_BYTES uncompressed (as declared; reading is capped
    again), no encrypted members; folders, hidden files and other files are skipped.
    Member names serve only as labels, so '../' in a name cannot reach the file system.
    """
    skipped: list[tuple[str, str]] = []
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        return [], [(display, f"not a readable zip file ({err}); re-create the zip and try again")]
    if len(infos) > ZIP_MAX_MEMBERS:
        return [], [(display, f"holds {len(infos)} entries, above the limit of {ZIP_MAX_MEMBERS}; split it")]
    items: list[BatchItem] = []
    total = 0
    for info in infos:
        name = info.filename
        label = f"{display}/{name}"
        if info.is_dir() or "__MACOSX" in name.split("/"):
            continue
        if not _is_image_name(name):
            skipped.append((label, "not an image file (JPEG, PNG, WebP, TIFF, BMP or GIF)"))
            continue
        if info.flag_bits & 0x1:
            skipped.append((label, "encrypted; zip it again without a password"))
            continue
        if info.file_size > ZIP_MAX_MEMBER_BYTES:
            skipped.append((label, f"unpacks to {info.file_size >> 20} MB, above {ZIP_MAX_MEMBER_BYTES >> 20} MB"))
            continue
        total += info.file_size
        if total > ZIP_MAX_TOTAL_BYTES:
            raise UserError(f"{display} unpacks to more than {ZIP_MAX_TOTAL_BYTES >> 20} MB of images. "
                            "Send fewer or smaller photos per batch.")
        items.append(BatchItem(name=label, zip_path=path, member=info))
    return items, skipped


def collect_batch(paths: Iterable[str | os.PathLike]) -> tuple[list[BatchItem], list[tuple[str, str]]]:
    """Uploaded files and zips -> the photos to do, and (name, reason) for what is skipped."""
    items: list[BatchItem] = []
    skipped: list[tuple[str, str]] = []
    for raw in paths:
        path = Path(raw)
        if path.suffix.lower() == ".zip" or (zipfile.is_zipfile(path) and not _is_image_name(path.name)):
            found, bad = zip_members(path, path.name)
            items += found
            skipped += bad
        else:
            items.append(BatchItem(name=path.name, path=path))
        if len(items) > BATCH_MAX_FILES:
            raise UserError(f"this batch holds more than {BATCH_MAX_FILES} photos; the limit is {BATCH_MAX_FILES} "
                            "per batch (COLORGAN_BATCH_MAX_FILES). Split it into smaller batches.")
    return items, skipped


def _unique(name: str, taken: set[str]) -> str:
    stem, suffix = name.rsplit(".", 1)
    candidate, n = name, 2
    while candidate.lower() in taken:
        candidate, n = f"{stem}-{n}.{suffix}", n + 1
    taken.add(candidate.lower())
    return candidate


class BatchTab:
    """Mixed into colorgan.webapp.WebApp (which holds ``entries``, ``cache``, ``workdir``, ``max_pixels``)."""

    # ------------------------------------------------ batch

    def batch(self, paths: Iterable[str | os.PathLike] | None, arch: str | None = None,
              epoch: int | str | None = None, size: float | None = 0, strength: float | None = 1.0,
              progress: Callable[[int, int, str], None] | None = None) -> dict:
        """Several files and/or zips -> one zip of ``<stem>_color.png`` at full resolution.

        A photo that cannot be read is skipped with its reason and the batch carries on.
        Returns ``zip`` (path), ``done`` (member names), ``skipped`` ((name, reason)), ``thumbnails``
        ((small JPEG, member name) of the first BATCH_THUMBNAILS) and ``summary``.
        """
        entry = self.entry(arch or self.default_arch(), epoch)
        render, amount = self._size(size), self._strength(strength)
        paths = [p for p in (paths or []) if p]
        if not paths:
            raise UserError("no files yet: add photos (JPEG, PNG, WebP, TIFF, BMP, GIF) or a zip of photos.")
        items, skipped = collect_batch(paths)
        if not items:
            reasons = "; ".join(f"{n}: {r}" for n, r in skipped) or "no photos found"
            raise UserError(f"nothing to colorize ({reasons}). Upload photos or a zip that contains photos.")
        colorizer = self.colorizer(entry)
        job = self.workdir.new()
        out = job / f"colorized_{entry.arch}_epoch-{entry.epoch:03d}.zip"
        done: list[str] = []
        thumbnails: list[tuple[Path, str]] = []
        taken: set[str] = set()
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
            for index, item in enumerate(items):
                if progress:
                    progress(index, len(items), item.name)
                try:
                    rgb = load_rgb(item.read(), max_pixels=self.max_pixels)
                except (ImageLoadError, UserError) as err:   # the reason without the name it is listed under
                    reason = _user_message(err)
                    for prefix in ("<bytes> ", f"{item.name} "):
                        if reason.startswith(prefix):
                            reason = "it " + reason[len(prefix):]
                    skipped.append((item.name, reason))
                    continue
                color = colorizer.colorize(rgb, size=render, strength=amount)
                buffer = io.BytesIO()
                from PIL import Image

                Image.fromarray(color).save(buffer, format="PNG")
                name = _unique(f"{safe_stem(item.name)}_color.png", taken)
                archive.writestr(name, buffer.getvalue())
                done.append(name)
                if len(thumbnails) < BATCH_THUMBNAILS:
                    thumbnails.append((write_jpeg(shrink(color, THUMBNAIL_SIDE), job / f"thumb_{len(done):03d}.jpg"),
                                       name))
        if progress:
            progress(len(items), len(items), "done")
        if not done:
            out.unlink(missing_ok=True)
            reasons = "; ".join(f"{n}: {r}" for n, r in skipped)
            raise UserError(f"none of the photos could be read ({reasons}). Check the files and try again.")
        summary = (f"{len(done)} photo{'s' if len(done) != 1 else ''} colorized with {friendly_name(entry.arch)}, "
                   f"epoch {entry.epoch}, render size {render or colorizer.render_size} px, strength {amount:g}, "
                   "at full resolution.")
        if skipped:
            summary += "\n\nSkipped:\n" + "\n".join(f"- {n}: {r}" for n, r in skipped)
        return {"zip": out, "done": done, "skipped": skipped, "summary": summary, "thumbnails": thumbnails}
