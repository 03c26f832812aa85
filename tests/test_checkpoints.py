"""One checkpoint: atomic save, strict load, and a clear error for every way it can be broken."""

from __future__ import annotations

import json
import pickle

import pytest
import torch

from colorgan.checkpoints import CheckpointError, load_generator, save_checkpoint, scan_root
from colorgan.models import build_generator

TINY = {"ngf": 8, "depth": 4}


@pytest.fixture
def checkpoint(tmp_path):
    folder = tmp_path / "root" / "unet" / "epoch-003"
    save_checkpoint(folder, build_generator("unet", **TINY), {"arch": "unet", "kwargs": TINY, "epoch": 3})
    return folder


def test_scan_and_fp16_round_trip(tmp_path, checkpoint):
    assert [(a, e) for a, e, _ in scan_root(tmp_path / "root")] == [("unet", 3)]
    model = build_generator("unet", **TINY).eval()
    save_checkpoint(tmp_path / "half", model, {"arch": "unet", "kwargs": TINY}, dtype="float16")
    loaded, config = load_generator(tmp_path / "half")
    assert config["dtype"] == "float16"
    x = torch.rand(1, 1, 32, 32)
    with torch.no_grad():
        assert (loaded(x) - model(x)).abs().max() < 2e-2


def test_resave_replaces_atomically(checkpoint):
    save_checkpoint(checkpoint, build_generator("unet", **TINY), {"arch": "unet", "kwargs": TINY, "epoch": 3})
    assert sorted(p.name for p in checkpoint.parent.iterdir()) == ["epoch-003"]


@pytest.mark.parametrize("damage, message", [
    (lambda f: (f / "model.safetensors").write_bytes((f / "model.safetensors").read_bytes()[:100]), "corrupt or truncated"),
    (lambda f: (f / "model.safetensors").write_bytes(b"\x00" * 8 + b"{not json"), "corrupt or truncated"),
    (lambda f: (f / "model.safetensors").write_bytes(pickle.dumps({"weights": 1})), "corrupt or truncated"),
    (lambda f: (f / "model.safetensors").unlink(), "missing"),
    (lambda f: (f / "config.json").unlink(), "missing"),
    (lambda f: (f / "config.json").write_text("{oops"), "not valid JSON"),
    (lambda f: (f / "config.json").write_text(json.dumps({"arch": "dragon", "kwargs": {}})), "does not have"),
    (lambda f: (f / "config.json").write_text(json.dumps({"arch": "unet", "kwargs": {"ngf": 16, "depth": 4}})),
     "do not match"),
    (lambda f: (f / "config.json").write_text(json.dumps({"arch": "unet", "kwargs": {"wings": 2}})), "does not build"),
    (lambda f: (f / "config.json").write_text(json.dumps({"arch": "../../etc", "kwargs": {}})), "invalid architecture"),
    (lambda f: (f / "config.json").write_text(json.dumps({"kwargs": {}})), "lacks"),
])
def test_broken_checkpoints_are_refused_clearly(checkpoint, damage, message):
    damage(checkpoint)
    with pytest.raises(CheckpointError, match=message) as info:
        load_generator(checkpoint)
    assert "epoch-003" in str(info.value), "the message names the checkpoint"


def test_a_pickle_is_never_unpickled(checkpoint, tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    (checkpoint / "model.safetensors").write_bytes(pickle.dumps(Evil()))
    with pytest.raises(CheckpointError):
        load_generator(checkpoint)
    assert not marker.exists()


def test_int8_round_trip_and_broken_scales_are_refused(tmp_path):
    """int8 storage: a quarter of float32, dequantized on load; a missing or misshapen scale is a clear error."""
    from safetensors.torch import load_file, save_file

    from colorgan.checkpoints import SCALE_SUFFIX

    model = build_generator("unet", **TINY).eval()
    save_checkpoint(tmp_path / "f32", model, {"arch": "unet", "kwargs": TINY})
    save_checkpoint(tmp_path / "i8", model, {"arch": "unet", "kwargs": TINY}, dtype="int8")
    sizes = [(tmp_path / d / "model.safetensors").stat().st_size for d in ("f32", "i8")]
    assert sizes[1] < 0.35 * sizes[0]
    loaded, config = load_generator(tmp_path / "i8")
    assert config["dtype"] == "int8"
    x = torch.rand(1, 1, 32, 32) * 2 - 1
    with torch.no_grad():
        assert (loaded(x) - model(x)).abs().max() < 5e-2
    weights = tmp_path / "i8" / "model.safetensors"
    state = load_file(weights)
    name = next(k for k in state if k.endswith(SCALE_SUFFIX))
    for broken in ({k: v for k, v in state.items() if k != name},                       # scale missing
                   {**state, name: state[name][:1]},                                     # wrong shape
                   {**state, name + "x": state[name].clone()}):                          # stray entry
        save_file(broken, str(weights))
        with pytest.raises(CheckpointError, match="i8"):
            load_generator(tmp_path / "i8")
