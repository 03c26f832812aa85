"""Checkpoints from a Hub model repo (a real HTTP server on 127.0.0.1), the local folder, and push.

The CLI runs in a subprocess with HF_ENDPOINT pointing at the fake Hub and HF_HOME in a
temporary folder, exactly as a user would run it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

from colorgan.checkpoints import save_checkpoint
from colorgan.hub import build_manifest, write_manifest
from colorgan.models import build_generator
from colorgan.publish import CARD_MARKER, push
from tests.conftest import REPO, natural_photo
from tests.fake_hub import FakeHub

TINY = {"ngf": 8, "depth": 4}


def make_root(root: Path, epochs=(901, 902), arch="unet") -> Path:
    kwargs = TINY if arch == "unet" else {"ngf": 8, "levels": 3}
    for epoch in epochs:
        torch.manual_seed(epoch)
        save_checkpoint(root / arch / f"epoch-{epoch:03d}", build_generator(arch, **kwargs),
                        {"arch": arch, "kwargs": kwargs, "epoch": epoch, "render_size": 32, "color_space": "lab"})
    (root / arch / "train_log.csv").write_text("epoch,g_l1\n901,0.3\n902,0.2\n")
    write_manifest(root)
    return root


def cli(*args, env_extra=None, cwd=None):
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "COLORGAN_CHECKPOINTS": "",
           "HF_HUB_DISABLE_TELEMETRY": "1", "HF_HUB_DISABLE_XET": "1", "HF_HUB_ETAG_TIMEOUT": "5",
           "HF_HUB_DOWNLOAD_TIMEOUT": "5"}
    env.pop("COLORGAN_HUB_REPO", None)
    env.pop("HF_HUB_OFFLINE", None)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "colorgan", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=300)


@pytest.fixture
def hub_env(tmp_path):
    root = make_root(tmp_path / "published")
    with FakeHub() as hub:
        hub.add_folder("someone/colorgan-test", root)
        env = {"HF_ENDPOINT": hub.url, "HF_HOME": str(tmp_path / "hf_home"),
               "COLORGAN_HUB_REPO": "someone/colorgan-test"}
        yield hub, env, tmp_path


def photo(tmp_path: Path) -> Path:
    path = tmp_path / "old.png"
    Image.fromarray(natural_photo(45, 61)).convert("L").save(path)
    return path


def test_list_download_cache_hit_and_offline(hub_env):
    hub, env, tmp_path = hub_env
    listed = cli("list", "--json", env_extra=env)
    assert listed.returncode == 0, listed.stderr
    remote = [(e["arch"], e["epoch"]) for e in json.loads(listed.stdout) if e["source"].startswith("hub:")]
    assert remote == [("unet", 901), ("unet", 902)]

    weights = "/someone/colorgan-test/resolve/main/unet/epoch-902/model.safetensors"
    done = cli("colorize", str(photo(tmp_path)), "--arch", "unet", "--out", str(tmp_path / "o1"), env_extra=env)
    assert done.returncode == 0, done.stderr
    assert Image.open(tmp_path / "o1" / "old_color.png").size == (61, 45)
    assert hub.requests[("GET", weights)] == 1
    cached = list((tmp_path / "hf_home").rglob("epoch-902/model.safetensors"))
    assert cached, "downloaded into the HF cache"

    done = cli("colorize", str(photo(tmp_path)), "--arch", "unet", "--out", str(tmp_path / "o2"), env_extra=env)
    assert done.returncode == 0, done.stderr
    assert hub.requests[("GET", weights)] == 1, "second run is a cache hit: no new download"

    offline = {**env, "HF_HUB_OFFLINE": "1", "HF_ENDPOINT": "http://127.0.0.1:9"}
    listed = cli("list", "--json", env_extra=offline)
    assert listed.returncode == 0, listed.stderr
    cached_entries = [(e["arch"], e["epoch"]) for e in json.loads(listed.stdout) if e["source"].startswith("hub:")]
    assert cached_entries == [("unet", 902)], "offline lists what the cache holds"
    done = cli("colorize", str(photo(tmp_path)), "--arch", "unet", "--epoch", "902", "--out", str(tmp_path / "o3"),
               env_extra=offline)
    assert done.returncode == 0, done.stderr


def test_corrupted_download_is_refused(hub_env):
    hub, env, tmp_path = hub_env
    files = hub.repos["someone/colorgan-test"]
    data = bytearray(files["unet/epoch-901/model.safetensors"])
    data[-10] ^= 0xFF  # one flipped byte in the weights: same size, different digest
    files["unet/epoch-901/model.safetensors"] = bytes(data)
    done = cli("colorize", str(photo(tmp_path)), "--arch", "unet", "--epoch", "901", "--out", str(tmp_path / "o"),
               env_extra=env)
    assert done.returncode == 2
    assert "corrupted" in done.stderr and "sha256" in done.stderr
    assert not (tmp_path / "o" / "old_color.png").exists()


def test_mismatched_config_is_refused(hub_env):
    hub, env, tmp_path = hub_env
    files = hub.repos["someone/colorgan-test"]
    config = json.loads(files["unet/epoch-902/config.json"])
    config["kwargs"]["ngf"] = 16
    files["unet/epoch-902/config.json"] = json.dumps(config).encode()
    # the manifest no longer vouches for this config: drop the digests so the weights check itself is tested
    manifest = json.loads(files["manifest.json"])
    for record in manifest["checkpoints"]:
        record["files"] = {}
    files["manifest.json"] = json.dumps(manifest).encode()
    done = cli("colorize", str(photo(tmp_path)), "--arch", "unet", "--epoch", "902", "--out", str(tmp_path / "o"),
               env_extra=env)
    assert done.returncode == 2
    assert "do not match" in done.stderr


def test_unreachable_hub_is_a_warning_and_local_still_works(tmp_path):
    root = make_root(tmp_path / "local", epochs=(903,))
    env = {"HF_ENDPOINT": "http://127.0.0.1:9", "HF_HOME": str(tmp_path / "hf"), "COLORGAN_HUB_REPO": "a/b"}
    listed = cli("list", "--json", "--root", str(root), env_extra=env)
    assert listed.returncode == 0, listed.stderr
    assert "unreachable" in listed.stderr
    assert (("unet", 903) in [(e["arch"], e["epoch"]) for e in json.loads(listed.stdout)])


def test_local_folder_alone_offline_without_server(tmp_path):
    root = make_root(tmp_path / "local", epochs=(904,))
    env = {"HF_HUB_OFFLINE": "1", "HF_ENDPOINT": "http://127.0.0.1:9", "HF_HOME": str(tmp_path / "hf"),
           "COLORGAN_HUB_REPO": "never/cached"}
    done = cli("colorize", str(photo(tmp_path)), "--root", str(root), "--arch", "unet", "--epoch", "904",
               "--out", str(tmp_path / "o"), env_extra=env)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "o" / "old_color.png").is_file()


def test_local_manifest_digest_is_checked(tmp_path):
    root = make_root(tmp_path / "local", epochs=(905,))
    weights = root / "unet" / "epoch-905" / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-5] ^= 0x01
    weights.write_bytes(bytes(data))
    done = cli("colorize", str(photo(tmp_path)), "--root", str(root), "--arch", "unet", "--epoch", "905",
               "--out", str(tmp_path / "o"), env_extra={"HF_HUB_OFFLINE": "1"})
    assert done.returncode == 2 and "corrupted" in done.stderr


def test_bad_hub_repo_names_are_refused(tmp_path):
    done = cli("list", env_extra={"COLORGAN_HUB_REPO": "../../etc", "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 2 and "not a Hub repo id" in done.stderr


def test_manifest_lists_sha256_size_and_metrics(tmp_path):
    root = make_root(tmp_path / "r", epochs=(1, 2))
    manifest = build_manifest(root, {("unet", 2): {"psnr": 20.0}})
    assert [(c["arch"], c["epoch"]) for c in manifest["checkpoints"]] == [("unet", 1), ("unet", 2)]
    files = manifest["checkpoints"][0]["files"]
    assert len(files["model.safetensors"]["sha256"]) == 64 and files["model.safetensors"]["size"] > 0
    assert manifest["checkpoints"][1]["metrics"] == {"psnr": 20.0}


class RecordingApi:
    """Stands in for HfApi: records the exact calls push makes."""

    def __init__(self):
        self.calls = []

    def create_repo(self, repo_id, **kwargs):
        self.calls.append(("create_repo", repo_id, kwargs))
        return f"https://huggingface.co/{repo_id}"

    def upload_folder(self, **kwargs):
        self.calls.append(("upload_folder", kwargs))


def test_push_creates_repo_uploads_layout_and_writes_model_card(tmp_path):
    root = make_root(tmp_path / "root", epochs=(1, 2))
    (root / "unet" / "state").mkdir()
    (root / "unet" / "state" / "last.pt").write_bytes(b"resume state, never uploaded")
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"rows": [{"arch": "gray", "epoch": None, "psnr": 1},
                                            {"arch": "unet", "epoch": 2, "psnr": 21.5, "ssim": 0.9, "deltae2000": 9.0,
                                             "colorfulness": 20.0, "colorfulness_gt": 30.0}]}))
    api = RecordingApi()
    url = push(root, "someone/colorgan", private=True, results=str(results), api=api)
    assert url == "https://huggingface.co/someone/colorgan"
    assert api.calls[0] == ("create_repo", "someone/colorgan", {"repo_type": "model", "private": True, "exist_ok": True})
    upload = api.calls[1][1]
    assert upload["repo_id"] == "someone/colorgan" and upload["folder_path"] == str(root)
    assert upload["repo_type"] == "model"
    patterns = upload["allow_patterns"]
    import fnmatch
    uploaded = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()
                and any(fnmatch.fnmatch(p.relative_to(root).as_posix(), pat) for pat in patterns)]
    assert "unet/epoch-002/model.safetensors" in uploaded and "manifest.json" in uploaded
    assert "README.md" in uploaded and "unet/state/last.pt" not in uploaded
    card = (root / "README.md").read_text()
    assert card.startswith("---\n") and "pipeline_tag: image-to-image" in card and "library_name: colorgan" in card
    assert CARD_MARKER in card and "| unet | 1, 2 |" in card and "21.50" in card
    assert "COLORGAN_HUB_REPO=someone/colorgan" in card
    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest["checkpoints"][1]["metrics"]["psnr"] == 21.5


def test_push_never_overwrites_a_foreign_readme(tmp_path):
    root = make_root(tmp_path / "root", epochs=(1,))
    (root / "README.md").write_text("my own notes")
    with pytest.raises(Exception, match="not generated by colorgan"):
        push(root, "someone/colorgan", api=RecordingApi())
    assert (root / "README.md").read_text() == "my own notes"


def test_the_measured_best_is_recommended_first_and_the_default(tmp_path):
    """manifest.json marks exactly one photo checkpoint recommended; list, resolve and the order follow it."""
    from colorgan import hub

    root = make_root(tmp_path / "r", epochs=(1, 2, 3))
    make_root(root, epochs=(5, 9), arch="linknet")   # linknet: levels, not depth
    gray = {"deltae2000": 10.0, "people_deltae2000": 12.0}
    metrics = {("unet", 1): {"deltae2000": 9.0, "people_deltae2000": 11.0},
               ("unet", 2): {"deltae2000": 8.0, "people_deltae2000": 9.0},     # the best: recommended
               ("unet", 3): {"deltae2000": 8.5, "people_deltae2000": 10.0},
               ("linknet", 9): {"deltae2000": 9.5, "people_deltae2000": 12.5}}
    manifest = json.loads(write_manifest(root, metrics, recommended=("unet", 2), baseline=gray).read_text())
    assert [(c["arch"], c["epoch"]) for c in manifest["checkpoints"] if c["recommended"]] == [("unet", 2)]
    assert manifest["baseline"] == gray
    entries = hub.list_checkpoints([root])
    assert [e.arch for e in entries][:3] == ["unet"] * 3                      # best measured arch first
    assert hub.resolve(entries) == next(e for e in entries if (e.arch, e.epoch) == ("unet", 2))
    assert hub.resolve(entries, "unet", "latest").epoch == 3
    assert hub.resolve(entries, "linknet").epoch == 9                         # no mark there: its latest
    # rewriting the manifest without new results keeps the mark and the baseline
    again = json.loads(write_manifest(root).read_text())
    assert [c["epoch"] for c in again["checkpoints"] if c["recommended"]] == [2] and again["baseline"] == gray
    done = cli("list", "--json", "--root", str(root), env_extra={"HF_HUB_OFFLINE": "1"})
    listed = json.loads(done.stdout)
    assert [(e["arch"], e["epoch"]) for e in listed if e["recommended"]] == [("unet", 2)]
    text = cli("list", "--root", str(root), env_extra={"HF_HUB_OFFLINE": "1"}).stdout
    assert "recommended" in next(line for line in text.splitlines() if line.split()[:2] == ["unet", "2"])


def test_measured_order_without_a_mark_and_the_fallback(tmp_path):
    from colorgan import hub

    root = make_root(tmp_path / "r", epochs=(1,))
    make_root(root, epochs=(4,), arch="linknet")
    write_manifest(root, {("linknet", 4): {"deltae2000": 7.0}, ("unet", 1): {"deltae2000": 9.0}},
                   baseline={"deltae2000": 10.0})
    entries = hub.list_checkpoints([root])
    assert [e.arch for e in entries] == ["linknet", "unet"]
    assert hub.recommended_entry(entries) is None and hub.default_arch(entries) == "linknet"
