"""Save and load one generator checkpoint: ``model.safetensors`` + ``config.json``.

Layout (DESIGN.md): ``<root>/<arch>/epoch-<NNN>/{model.safetensors, config.json}``.  The
config names the architecture and its constructor kwargs, so the checkpoint rebuilds its
own model through the registry.  Only safetensors is read (no pickle from outside), and
weights load with ``strict=True``: a partial or mismatched load is an error, never silent.
Writes go to a temporary folder that is renamed into place, so a killed process never
leaves a half-written checkpoint.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

WEIGHTS_NAME = "model.safetensors"
CONFIG_NAME = "config.json"
LOG_NAME = "train_log.csv"
FORMAT = "colorgan-checkpoint"
_ARCH_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")
_EPOCH_DIR = re.compile(r"^epoch-(\d{3,6})$")
MAX_RENDER_SIZE = 4096
# Sketch models (line drawing -> colour picture, colorgan/sketch.py) live under this arch name;
# the photo commands and the photo tabs of the page never list them (hub.py, sketch.py).
SKETCH_ARCH = "sketch"


class CheckpointError(RuntimeError):
    """A checkpoint is missing, corrupt or inconsistent; the message names it and what to do."""


def check_arch_name(arch: str) -> str:
    """Architecture names become folder names: allow only short lowercase identifiers."""
    if not isinstance(arch, str) or not _ARCH_PATTERN.match(arch):
        raise CheckpointError(f"invalid architecture name {arch!r}: use lowercase letters, digits, '_' or '-'")
    return arch


def epoch_dir_name(epoch: int) -> str:
    if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0:
        raise CheckpointError(f"invalid epoch {epoch!r}: a non-negative integer is needed")
    return f"epoch-{epoch:03d}"


def parse_epoch_dir(name: str) -> int | None:
    match = _EPOCH_DIR.match(name)
    return int(match.group(1)) if match else None


def checkpoint_dir(root: str | os.PathLike, arch: str, epoch: int) -> Path:
    return Path(root) / check_arch_name(arch) / epoch_dir_name(epoch)


SAVE_DTYPES = ("float32", "float16", "int8")
SCALE_SUFFIX = ".int8_scale"   # int8 checkpoints: beside each quantized weight, its per-channel scales


def quantize_int8(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric per-output-channel int8: (int8 weight, float32 scales shaped to broadcast over it)."""
    flat = weight.detach().float().reshape(weight.shape[0], -1)
    scale = (flat.abs().amax(dim=1) / 127.0).clamp_min(1e-12)
    shape = (weight.shape[0],) + (1,) * (weight.dim() - 1)
    q = torch.round(weight.float() / scale.view(shape)).clamp(-127, 127).to(torch.int8)
    return q, scale.view(shape).contiguous()


def dequantize(state: dict[str, torch.Tensor], where: Path) -> dict[str, torch.Tensor]:
    """The float32 state of an int8 checkpoint: each quantized weight times its scales."""
    out = {}
    for name, tensor in state.items():
        if name.endswith(SCALE_SUFFIX):
            base = name[:-len(SCALE_SUFFIX)]
            if base not in state or state[base].dtype != torch.int8 or tensor.shape[0] != state[base].shape[0]:
                raise CheckpointError(f"checkpoint {where}: {name} scales no int8 weight of its size; "
                                      "re-download or re-train it.")
            continue
        if tensor.dtype == torch.int8:
            scale = state.get(name + SCALE_SUFFIX)
            expected = (tensor.shape[0],) + (1,) * (tensor.dim() - 1) if tensor.dim() else None
            if scale is None or expected is None or tuple(scale.shape) != expected or not scale.is_floating_point():
                raise CheckpointError(f"checkpoint {where}: int8 weight {name} has no matching scales; "
                                      "re-download or re-train it.")
            tensor = tensor.float() * scale.float()
        out[name] = tensor.float() if tensor.is_floating_point() else tensor
    return out


def save_checkpoint(directory: str | os.PathLike, generator: torch.nn.Module, config: dict,
                    dtype: str = "float32") -> Path:
    """Write weights and config into ``directory`` atomically (replacing an older one).

    ``dtype``: float32; float16 (half size, for shipping); or int8: every convolution and
    linear weight stored as int8 with float32 per-output-channel scales, the rest (batch
    norm, biases, and the weights a model names in ``float16_in_int8``) float16, about a quarter
    of the float32 size.  Loading dequantizes to float32.
    """
    if dtype not in SAVE_DTYPES:
        raise ValueError(f"dtype must be one of {SAVE_DTYPES}, got {dtype!r}")
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    state = {}
    keep_float16 = tuple(getattr(generator, "float16_in_int8", ()))   # weights too sensitive for int8
    for name, tensor in generator.state_dict().items():
        tensor = tensor.detach().to("cpu")
        if (dtype == "int8" and tensor.is_floating_point() and tensor.dim() >= 2
                and not name.startswith(keep_float16)):
            state[name], state[name + SCALE_SUFFIX] = quantize_int8(tensor)
            continue
        if dtype in ("float16", "int8") and tensor.is_floating_point():
            tensor = tensor.half()
        state[name] = tensor.contiguous()
    config = {"format": FORMAT, "version": 1, "dtype": dtype, "saved_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
              **config}
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.tmp-", dir=directory.parent))
    try:
        save_file(state, str(staging / WEIGHTS_NAME), metadata={"format": "pt", "arch": str(config.get("arch"))})
        (staging / CONFIG_NAME).write_text(json.dumps(config, indent=2, sort_keys=True))
        _swap_into_place(staging, directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return directory


def _swap_into_place(staging: Path, directory: Path) -> None:
    """Rename ``staging`` to ``directory``; an existing one is moved aside first, then deleted."""
    old = None
    if directory.exists():
        old = directory.with_name(f".{directory.name}.old-{os.getpid()}")
        os.replace(directory, old)
    os.replace(staging, directory)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def read_config(directory: str | os.PathLike) -> dict:
    directory = Path(directory)
    path = directory / CONFIG_NAME
    if not path.is_file():
        raise CheckpointError(f"checkpoint {directory}: {CONFIG_NAME} is missing. "
                              "Re-download or re-train this checkpoint.")
    try:
        config = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CheckpointError(f"checkpoint {directory}: {CONFIG_NAME} is not valid JSON ({err}). "
                              "Re-download or re-train this checkpoint.") from None
    if not isinstance(config, dict) or "arch" not in config or not isinstance(config.get("kwargs", {}), dict):
        raise CheckpointError(f"checkpoint {directory}: {CONFIG_NAME} lacks 'arch'/'kwargs'; "
                              "it was not written by colorgan.")
    try:
        check_arch_name(config["arch"])
    except CheckpointError as err:
        raise CheckpointError(f"checkpoint {directory}: {err}") from None
    # The page and the CLI trust these two fields: a render size of a million pixels would
    # allocate without bound, an unknown colour space would fail late with a raw error.
    from colorgan.color import COLOR_SPACES

    size = config.get("render_size", 256)
    if not isinstance(size, int) or isinstance(size, bool) or not 8 <= size <= MAX_RENDER_SIZE:
        raise CheckpointError(f"checkpoint {directory}: render_size {size!r} is not a whole number of pixels "
                              f"from 8 to {MAX_RENDER_SIZE}; it was not written by colorgan.")
    if config.get("color_space", "lab") not in COLOR_SPACES:
        raise CheckpointError(f"checkpoint {directory}: unknown color_space {config.get('color_space')!r} "
                              f"(known: {', '.join(sorted(COLOR_SPACES))}).")
    return config


def load_generator(directory: str | os.PathLike, device: str | torch.device = "cpu",
                   config: dict | None = None) -> tuple[torch.nn.Module, dict]:
    """Rebuild the generator a checkpoint describes and load its weights strictly, in eval mode."""
    from colorgan.models import build_generator, generator_names

    directory = Path(directory)
    config = config if config is not None else read_config(directory)
    # A sketch checkpoint (arch "sketch", colorgan/sketch.py) names the generator it is built from.
    arch = config.get("generator_arch", config["arch"])
    if arch not in generator_names():
        raise CheckpointError(f"checkpoint {directory} is for architecture {arch!r}, which this version "
                              f"of colorgan does not have (known: {', '.join(generator_names())}). "
                              "Update colorgan or pick another checkpoint.")
    kwargs = config.get("kwargs", {})
    # The model is first built on the meta device (no memory): kwargs from an untrusted config
    # (depth=1000, ngf=-1) must fail here, not allocate gigabytes or raise a raw RuntimeError.
    try:
        with torch.device("meta"):
            skeleton = build_generator(arch, **kwargs)
    except (TypeError, ValueError, RuntimeError, OverflowError, RecursionError) as err:
        raise CheckpointError(f"checkpoint {directory}: its config does not build {arch!r}: {err}") from None
    weights = directory / WEIGHTS_NAME
    if not weights.is_file():
        raise CheckpointError(f"checkpoint {directory}: {WEIGHTS_NAME} is missing. Re-download or re-train it.")
    try:
        with safe_open(str(weights), framework="pt", device="cpu") as handle:   # the header only
            shapes = {name: list(handle.get_slice(name).get_shape()) for name in handle.keys()
                      if not name.endswith(SCALE_SUFFIX)}
    except (SafetensorError, OSError, ValueError, RuntimeError) as err:
        raise _corrupt(directory, err) from None
    expected = {name: list(tensor.shape) for name, tensor in skeleton.state_dict().items()}
    if shapes != expected:
        differing = sorted(set(shapes) ^ set(expected)) or sorted(k for k in shapes if shapes[k] != expected[k])
        raise CheckpointError(f"checkpoint {directory}: the weights do not match the {arch!r} model its "
                              f"config describes (first difference: {differing[0]}). The files belong to "
                              "different models; re-download or re-train the checkpoint.")
    model = build_generator(arch, **kwargs)
    try:
        state = load_file(str(weights), device="cpu")
    except (SafetensorError, OSError, ValueError, RuntimeError) as err:
        raise _corrupt(directory, err) from None
    state = dequantize(state, directory)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        summary = str(err).splitlines()[0] if str(err) else "mismatch"
        raise CheckpointError(f"checkpoint {directory}: the weights do not match the {arch!r} model its "
                              f"config describes ({summary}). The files belong to different models; "
                              "re-download or re-train the checkpoint.") from None
    return model.to(device).eval(), config


def _corrupt(directory: Path, err: BaseException) -> CheckpointError:
    return CheckpointError(f"checkpoint {directory}: {WEIGHTS_NAME} is corrupt or truncated ({err}). "
                           "Delete it and re-download or re-train.")


def scan_root(root: str | os.PathLike) -> list[tuple[str, int, Path]]:
    """All (arch, epoch, folder) under a checkpoint root that have both files, sorted."""
    root = Path(root)
    found = []
    if not root.is_dir():
        return found
    for arch_dir in sorted(p for p in root.iterdir() if p.is_dir() and _ARCH_PATTERN.match(p.name)):
        for epoch_path in sorted(arch_dir.iterdir()):
            epoch = parse_epoch_dir(epoch_path.name)
            if epoch is not None and (epoch_path / WEIGHTS_NAME).is_file() and (epoch_path / CONFIG_NAME).is_file():
                found.append((arch_dir.name, epoch, epoch_path))
    return found


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write a small text file so that readers see the old or the new content, never half."""
    atomic_write_bytes(path, text.encode())


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write a file so that readers see the old or the new content, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)
