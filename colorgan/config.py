"""Training recipes: a YAML file per architecture, with ``section.key=value`` overrides.

A recipe has three sections, ``model``, ``data`` and ``train``; every key has a default
below, so a recipe states only what differs.  ``base: _budget.yaml`` (a path relative to
the recipe) merges another recipe underneath: all architectures share one training budget
that way, so comparisons between them are fair.  Unknown keys and wrong types are errors that
name the key and the valid choices, never silently ignored.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass
class ModelConfig:
    arch: str = "unet"                      # a registered generator name
    generator: dict = field(default_factory=dict)   # its constructor kwargs
    discriminator: str | None = "patchgan"  # a registered discriminator, or null: regression only
    discriminator_kwargs: dict = field(default_factory=dict)
    color_space: str = "lab"                # lab or yuv
    task: str = "photo"                     # photo: luma -> chroma; sketch: line drawing -> Lab (seed 001)


@dataclass
class DataConfig:
    train: str = "data/photos/train"       # any folder of photos, searched recursively
    val: str | None = "data/photos/val"     # null: split val_fraction of train by file
    val_fraction: float = 0.1
    split_seed: int = 0
    size: int = 128                         # render size: square crops of this side
    min_scale: float = 0.25                 # smallest crop, as a fraction of the photo's area
    crops_per_image: int = 1                # random crops of each photo per epoch
    flip: bool = True
    paired: bool = False                    # photos are seed 000 pairs (gray | colour)
    manifest: str | None = None             # fetch_photos.py's manifest.csv: which photos show people
    people_weight: int = 1                  # photos with people get this many times the crops
    cutmix: float = 0.0                     # share of crops that get a rectangle of another crop pasted in
    age: float = 0.0                        # share of crops whose gray input gets an old print's tones (data.age_luma)
    face_crops: float = 0.0                 # share of crops of photos with face boxes (faces.json) centred on a face
    num_workers: int = -1                   # -1: 0 on CPU, up to 8 on CUDA


@dataclass
class TrainConfig:
    epochs: int = 20
    decay_epochs: int | None = None         # pix2pix: the last N epochs decay the lr linearly to 0 (null: half)
    batch_size: int = 16
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    optimizer: str = "adam"                 # adam or rmsprop
    gan_mode: str = "vanilla"               # vanilla (BCE), lsgan or hinge
    lambda_l1: float = 100.0
    lambda_class: float = 1.0               # weight of the classification loss (models that predict ab bins)
    hints: bool = True                      # train with random ground-truth hints (models that take hints)
    tune_encoder_blocks: int = 0            # frozen-encoder models: from tune_from_epoch, fine-tune this many
    tune_from_epoch: int = 1                # ... of the encoder's last blocks ...
    lr_encoder: float = 2.0e-5              # ... at this learning rate (same schedule as lr_g)
    init_from: str | None = None            # a checkpoint folder whose generator weights start a new run
    l1_warmup_epochs: int = 0               # epochs of L1 only before the adversarial loss starts
    real_label: float = 1.0                 # < 1: one-sided label smoothing (seed 003)
    label_noise: float = 0.0                # seed 003: uniform noise of this size on D's targets
    label_flip: float = 0.0                 # seed 003: probability of swapping real/fake targets for D
    regression_loss: str = "l1"             # l1 or l2: the reconstruction term (seed 004 baseline)
    save_every: int = 1                     # checkpoint, samples and curve every N epochs
    stop_after_epoch: int | None = None     # end after this epoch (checkpointed; the schedule stays train.epochs')
    sample_count: int = 4                   # fixed validation photos in the sample grid
    max_steps_per_epoch: int | None = None  # cap, for quick runs
    seed: int = 0
    device: str = "auto"                    # auto, cpu, cuda, cuda:1 ...
    amp: bool = True                        # bf16 autocast on CUDA (ignored on CPU)
    channels_last: bool = True              # channels_last tensors on CUDA (ignored on CPU)
    save_dtype: str = "float32"             # float32, float16 or int8 (per-channel) generator weights
    out: str = "runs"                       # checkpoints go to <out>/<arch>/epoch-NNN/
    resume: bool = True                     # continue from <out>/<arch>/state/last.pt if present


@dataclass
class Recipe:
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class RecipeError(ValueError):
    """A recipe or override is wrong; the message names the key and what is allowed."""


_SECTIONS = {"model": ModelConfig, "data": DataConfig, "train": TrainConfig}
_FREE_DICTS = {"generator", "discriminator_kwargs"}  # checked by the model builder instead


def load_recipe(path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()) -> Recipe:
    """Read a YAML recipe (or the defaults when ``path`` is None) and apply ``key=value`` overrides."""
    raw: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise RecipeError(f"recipe {path} does not exist; see train/configs/ for the shipped ones")
        raw = _read_yaml(path)
    for item in overrides:
        _apply_override(raw, item)
    return recipe_from_dict(raw)


def _read_yaml(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    """A recipe file as a dict, with its ``base:`` recipes merged underneath."""
    if path.resolve() in seen:
        raise RecipeError(f"recipe {path} includes itself through base:")
    if not path.is_file():
        raise RecipeError(f"recipe {path} does not exist; see train/configs/ for the shipped ones")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise RecipeError(f"recipe {path} is not valid YAML: {err}") from None
    if not isinstance(raw, dict):
        raise RecipeError(f"recipe {path} must be a mapping with model/data/train sections")
    base = raw.pop("base", None)
    if base is None:
        return raw
    merged = _read_yaml(path.parent / str(base), seen + (path.resolve(),))
    return _deep_merge(merged, raw)


def _deep_merge(under: dict, over: dict) -> dict:
    result = dict(under)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict) and key not in _FREE_DICTS:
            result[key] = _deep_merge(result[key], value)
        else:
            result[key] = value
    return result


def _apply_override(raw: dict, item: str) -> None:
    if "=" not in item:
        raise RecipeError(f"override {item!r} must look like section.key=value, e.g. train.epochs=5")
    dotted, text = item.split("=", 1)
    keys = dotted.strip().split(".")
    if len(keys) < 2:
        raise RecipeError(f"override {item!r}: name the section too, e.g. train.{keys[0]}={text}")
    try:
        value = yaml.safe_load(text) if text != "" else None
    except yaml.YAMLError:
        value = text
    node = raw
    for key in keys[:-1]:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise RecipeError(f"override {item!r}: {key} is not a section")
    node[keys[-1]] = value


def recipe_from_dict(raw: dict) -> Recipe:
    unknown = set(raw) - set(_SECTIONS)
    if unknown:
        raise RecipeError(f"unknown recipe section(s) {sorted(unknown)}; use {sorted(_SECTIONS)}")
    sections = {}
    for name, cls in _SECTIONS.items():
        values = raw.get(name) or {}
        if not isinstance(values, dict):
            raise RecipeError(f"recipe section {name!r} must be a mapping")
        sections[name] = _build_section(name, cls, values)
    recipe = Recipe(**sections)
    _validate(recipe)
    if recipe.train.decay_epochs is None:
        recipe.train.decay_epochs = recipe.train.epochs // 2
    if recipe.model.task == "sketch":  # the drawing in, all three Lab channels out (colorgan/sketch.py)
        recipe.model.generator = {**recipe.model.generator, "in_channels": 1, "out_channels": 3}
    return recipe


def _build_section(section: str, cls, values: dict):
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(values) - set(fields)
    if unknown:
        raise RecipeError(f"unknown key(s) {sorted(unknown)} in section {section!r}; "
                          f"valid keys: {', '.join(fields)}")
    defaults = cls()
    checked = {}
    for key, value in values.items():
        default = getattr(defaults, key)
        checked[key] = _coerce(f"{section}.{key}", value, default, key in _FREE_DICTS)
    return cls(**checked)


def _coerce(name: str, value, default, free_dict: bool):
    if free_dict or isinstance(default, dict):
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise RecipeError(f"{name} must be a mapping of keyword arguments, got {value!r}")
        return value
    if value is None:
        return None
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        raise RecipeError(f"{name} must be true or false, got {value!r}")
    if isinstance(default, int) and not isinstance(default, bool):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise RecipeError(f"{name} must be an integer, got {value!r}")
    if isinstance(default, float):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):  # YAML reads 2e-4 as a string
            try:
                return float(value)
            except ValueError:
                pass
        raise RecipeError(f"{name} must be a number, got {value!r}")
    if isinstance(value, (dict, list)):
        raise RecipeError(f"{name} must be a single value, got {value!r}")
    if default is None and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return str(value)


def _validate(recipe: Recipe) -> None:
    from colorgan.models import discriminator_names, generator_names  # registry import is heavy

    m, d, t = recipe.model, recipe.data, recipe.train
    if m.arch not in generator_names():
        raise RecipeError(f"model.arch {m.arch!r} is not registered; choose one of {generator_names()}")
    if m.discriminator is not None and m.discriminator not in discriminator_names():
        raise RecipeError(f"model.discriminator {m.discriminator!r} is not registered; "
                          f"choose one of {discriminator_names()} or null")
    if m.color_space not in ("lab", "yuv"):
        raise RecipeError("model.color_space must be lab or yuv")
    if m.task not in ("photo", "sketch"):
        raise RecipeError(f"model.task must be photo or sketch, got {m.task!r}")
    if m.task == "sketch":
        channels = {k: m.generator[k] for k in ("in_channels", "out_channels") if k in m.generator}
        if m.color_space != "lab" or any(channels.get(k, v) != v for k, v in (("in_channels", 1), ("out_channels", 3))):
            raise RecipeError("model.task=sketch predicts the full Lab image from a drawing: it needs "
                              f"model.color_space=lab and a generator with in_channels 1, out_channels 3 (got {channels})")
    checks = [
        (d.size >= 8, "data.size must be at least 8"),
        (0 < d.min_scale <= 1, "data.min_scale must be in (0, 1]"),
        (0 <= d.val_fraction < 1, "data.val_fraction must be in [0, 1)"),
        (d.crops_per_image >= 1, "data.crops_per_image must be at least 1"),
        (d.people_weight >= 1, "data.people_weight must be at least 1"),
        (0 <= d.cutmix <= 1, "data.cutmix must be a share of the crops, from 0 to 1"),
        (0 <= d.age <= 1, "data.age must be a share of the crops, from 0 to 1"),
        (0 <= d.face_crops <= 1, "data.face_crops must be a share of the crops, from 0 to 1"),
        (not d.face_crops or d.manifest, ("data.face_crops needs data.manifest: the face boxes are read from "
                                          "faces.json beside it (python train/fetch_photos.py writes both)")),
        (t.lambda_class > 0, "train.lambda_class must be positive"),
        (t.tune_encoder_blocks >= 0, "train.tune_encoder_blocks must be >= 0"),
        (t.tune_from_epoch >= 1, "train.tune_from_epoch must be at least 1"),
        (t.lr_encoder > 0, "train.lr_encoder must be positive"),
        (t.epochs >= 1, "train.epochs must be at least 1"),
        (t.decay_epochs is None or (isinstance(t.decay_epochs, int) and 0 <= t.decay_epochs <= t.epochs),
         f"train.decay_epochs ({t.decay_epochs}) must be between 0 and train.epochs ({t.epochs}), or null for half"),
        (t.batch_size >= 1, "train.batch_size must be at least 1"),
        (t.lr_g > 0 and t.lr_d > 0, "train.lr_g and train.lr_d must be positive"),
        (t.optimizer in ("adam", "rmsprop"), "train.optimizer must be adam or rmsprop"),
        (t.gan_mode in ("vanilla", "lsgan", "hinge"), "train.gan_mode must be vanilla, lsgan or hinge"),
        (t.lambda_l1 >= 0, "train.lambda_l1 must be >= 0"),
        (m.discriminator is not None or t.lambda_l1 > 0,
         "train.lambda_l1 must be > 0 when there is no discriminator (nothing would be learnt)"),
        (t.l1_warmup_epochs >= 0, "train.l1_warmup_epochs must be >= 0"),
        (0 < t.real_label <= 1, "train.real_label must be in (0, 1]"),
        (0 <= t.label_noise < 0.5, "train.label_noise must be in [0, 0.5)"),
        (0 <= t.label_flip < 0.5, "train.label_flip must be in [0, 0.5)"),
        (t.regression_loss in ("l1", "l2"), "train.regression_loss must be l1 or l2"),
        (t.save_every >= 1, "train.save_every must be at least 1"),
        (t.stop_after_epoch is None or (isinstance(t.stop_after_epoch, int) and 1 <= t.stop_after_epoch <= t.epochs),
         f"train.stop_after_epoch must be an epoch from 1 to train.epochs ({t.epochs}), or null"),
        (t.save_dtype in ("float32", "float16", "int8"), "train.save_dtype must be float32, float16 or int8"),
        (t.max_steps_per_epoch is None or (isinstance(t.max_steps_per_epoch, int) and t.max_steps_per_epoch >= 1),
         "train.max_steps_per_epoch must be an integer >= 1, or null"),
    ]
    for ok, message in checks:
        if not ok:
            raise RecipeError(message)
