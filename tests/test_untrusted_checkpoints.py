"""Checkpoints from strangers: pickles, lying safetensors headers, hostile config.json values.

Each is refused with CheckpointError that names the checkpoint, in bounded time and memory,
without running any code from the file and without writing anything anywhere.
tests/test_checkpoints.py has the ordinary breakages (truncated, missing, mismatched).
"""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path

import pytest
import torch

from colorgan import hub
from colorgan.checkpoints import CheckpointError, load_generator, save_checkpoint, scan_root
from colorgan.models import build_generator
from colorgan.pipeline import Colorizer
from colorgan.trainer import train
from tests.conftest import peak_rss_mb
from tests.test_trainer import recipe_for

TINY = {"ngf": 8, "depth": 4}
LOAD_SECONDS = 10.0
LOAD_MEMORY_MB = 200    # a refused checkpoint may not make the process grow by more than this


class Evil:
    """Unpickling this creates ``marker``: proof that code from the file ran."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture
def checkpoint(tmp_path):
    folder = tmp_path / "root" / "unet" / "epoch-003"
    save_checkpoint(folder, build_generator("unet", **TINY), {"arch": "unet", "kwargs": TINY, "epoch": 3,
                                                              "render_size": 32})
    return folder


def tree(root: Path) -> dict[str, float]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in sorted(root.rglob("*"))}


def refused(folder: Path, match: str) -> CheckpointError:
    """load_generator and Colorizer.from_checkpoint both refuse, quickly, writing nothing."""
    base = folder.parents[2]
    before = tree(base)
    peak_rss_mb(reset=True)
    start_mb, start = peak_rss_mb(), time.perf_counter()
    with pytest.raises(CheckpointError, match=match) as info:
        load_generator(folder)
    with pytest.raises(CheckpointError, match=match):
        Colorizer.from_checkpoint(folder, device="cpu")
    assert time.perf_counter() - start < LOAD_SECONDS
    assert peak_rss_mb() - start_mb < LOAD_MEMORY_MB
    assert folder.name in str(info.value), "the message names the checkpoint"
    assert tree(base) == before, "nothing was written"
    return info.value


# ---------------------------------------------------------------- pickles

def test_a_torch_pickle_named_model_safetensors_is_never_unpickled(checkpoint, tmp_path):
    marker = tmp_path / "pwned"
    torch.save({"weights": Evil(marker)}, checkpoint / "model.safetensors")
    refused(checkpoint, "corrupt or truncated")
    assert not marker.exists()


def test_pickles_dropped_beside_the_weights_are_never_opened(checkpoint, tmp_path):
    marker = tmp_path / "pwned"
    for name in ("pytorch_model.bin", "model.pt", "model.ckpt", "model.pkl"):
        torch.save(Evil(marker), checkpoint / name)
    model, config = load_generator(checkpoint)        # the safetensors weights load as before
    assert config["epoch"] == 3 and not marker.exists()
    only_pickle = checkpoint.parent / "epoch-004"      # a folder with a pickle and no safetensors
    only_pickle.mkdir()
    torch.save(Evil(marker), only_pickle / "pytorch_model.bin")
    (only_pickle / "config.json").write_text((checkpoint / "config.json").read_text())
    assert [e for _, e, _ in scan_root(checkpoint.parents[1])] == [3], "not listed: it has no safetensors"
    assert [e.epoch for e in hub.list_checkpoints([checkpoint.parents[1]])] == [3]
    refused(only_pickle, "model.safetensors is missing")
    assert not marker.exists()


def test_a_pickled_resume_state_is_refused_by_the_trainer(photo_folder, tmp_path):
    marker = tmp_path / "pwned"
    state = tmp_path / "runs" / "unet" / "state" / "last.pt"
    state.parent.mkdir(parents=True)
    torch.save({"epoch": 1, "generator": Evil(marker)}, state)
    with pytest.raises(RuntimeError, match="is unreadable"):
        train(recipe_for(photo_folder, tmp_path / "runs", "train.epochs=1"), progress=False)
    assert not marker.exists()


# ---------------------------------------------------------------- safetensors headers that lie

def split(path: Path) -> tuple[dict, bytes]:
    data = path.read_bytes()
    length = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8:8 + length]), data[8 + length:]


def join(header: dict | bytes, body: bytes, length: int | None = None) -> bytes:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(raw) if length is None else length) + raw + body


def _first_tensor(header: dict) -> str:
    return sorted(k for k in header if k != "__metadata__")[0]


def _lie(kind: str, header: dict, body: bytes) -> bytes:
    name = _first_tensor(header)
    begin, end = header[name]["data_offsets"]
    if kind == "length-past-the-end":
        return join(header, body, length=len(json.dumps(header)) + len(body) + 1000)
    if kind == "length-2^63":
        return join(header, body, length=2**63)
    if kind == "offsets-past-the-end":
        header[name]["data_offsets"] = [begin, len(body) + 4096]
    elif kind == "offsets-reversed":
        header[name]["data_offsets"] = [end, begin]
    elif kind == "offsets-overlap":
        other = sorted(k for k in header if k != "__metadata__")[1]
        header[other]["data_offsets"] = header[name]["data_offsets"]
    elif kind == "shape-huge":
        header[name]["shape"] = [2**40, 2**20]
    elif kind == "shape-negative":
        header[name]["shape"] = [-1, 4]
    elif kind == "dtype-unknown":
        header[name]["dtype"] = "F128"
    elif kind == "header-not-utf8":
        return join(b"\xff\xfe{" + b" " * 20, body)
    elif kind == "header-not-an-object":
        return join(b"[1, 2, 3]", body)
    elif kind == "body-cut":
        return join(header, body[: len(body) // 2])
    return join(header, body)


LIES = ["length-past-the-end", "length-2^63", "offsets-past-the-end", "offsets-reversed", "offsets-overlap",
        "shape-huge", "shape-negative", "dtype-unknown", "header-not-utf8", "header-not-an-object", "body-cut"]


@pytest.mark.parametrize("kind", LIES)
def test_a_safetensors_header_that_lies_is_refused(checkpoint, kind):
    weights = checkpoint / "model.safetensors"
    header, body = split(weights)
    weights.write_bytes(_lie(kind, header, body))
    refused(checkpoint, "corrupt or truncated|do not match")


def test_a_consistent_file_for_another_shape_is_refused_before_loading(checkpoint):
    """Valid safetensors whose tensors do not fit the model: refused from the header alone."""
    other = build_generator("unet", ngf=16, depth=4)
    save_checkpoint(checkpoint.parent / "tmp", other, {"arch": "unet", "kwargs": {"ngf": 16, "depth": 4}})
    (checkpoint / "model.safetensors").write_bytes((checkpoint.parent / "tmp" / "model.safetensors").read_bytes())
    import shutil
    shutil.rmtree(checkpoint.parent / "tmp")
    refused(checkpoint, "do not match")


# ---------------------------------------------------------------- hostile config.json

@pytest.mark.parametrize("change, match", [
    ({"arch": "../x"}, "invalid architecture"),
    ({"arch": "..\\..\\x"}, "invalid architecture"),
    ({"arch": "/etc/passwd"}, "invalid architecture"),
    ({"arch": "Unet"}, "invalid architecture"),
    ({"arch": "torch.nn.Module"}, "invalid architecture"),
    ({"arch": "os_system"}, "does not have"),
    ({"arch": 5}, "invalid architecture"),
    ({"arch": None}, "invalid architecture"),
    ({"arch": ["unet"]}, "invalid architecture"),
    ({"kwargs": ["ngf", 8]}, "lacks"),
    ({"kwargs": {"ngf": "8", "depth": 4}}, "does not build"),
    ({"kwargs": {"ngf": [8], "depth": 4}}, "does not build"),
    ({"kwargs": {"ngf": {"__class__": "os.system"}, "depth": 4}}, "does not build"),
    ({"kwargs": {"ngf": None, "depth": 4}}, "does not build"),
    ({"kwargs": {"ngf": 8.5, "depth": 4}}, "does not build"),
    ({"kwargs": {"ngf": -1, "depth": 4}}, "does not build"),
    ({"kwargs": {"ngf": 10**12, "depth": 4}}, "does not build"),
    ({"kwargs": {"ngf": 8, "depth": 100}}, "does not build|do not match"),     # 1.2 G parameters if built
    ({"kwargs": {"ngf": 4096, "depth": 4}}, "do not match"),                   # 3.5 G parameters if built
    ({"kwargs": {"ngf": True, "depth": 4}}, "do not match"),
    ({"render_size": 10**9}, "render_size"),
    ({"render_size": "256"}, "render_size"),
    ({"render_size": -32}, "render_size"),
    ({"color_space": "../../x"}, "color_space"),
])
def test_hostile_config_values_are_refused(checkpoint, change, match):
    config = json.loads((checkpoint / "config.json").read_text())
    config.update(change)
    (checkpoint / "config.json").write_text(json.dumps(config))
    refused(checkpoint, match)
