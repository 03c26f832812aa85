"""Registry of architectures by name (the timm pattern): ``build_generator("unet", ngf=32)``.

A checkpoint's config.json stores the name and constructor kwargs, so any checkpoint can
rebuild its own model through this registry and nothing else.
"""

from __future__ import annotations

import inspect
from typing import Callable

import torch.nn as nn

GENERATORS: dict[str, Callable[..., nn.Module]] = {}
DISCRIMINATORS: dict[str, Callable[..., nn.Module]] = {}


def register_generator(name: str):
    def add(builder):
        if name in GENERATORS:
            raise ValueError(f"generator {name!r} registered twice")
        GENERATORS[name] = builder
        return builder
    return add


def register_discriminator(name: str):
    def add(builder):
        if name in DISCRIMINATORS:
            raise ValueError(f"discriminator {name!r} registered twice")
        DISCRIMINATORS[name] = builder
        return builder
    return add


def generator_names() -> list[str]:
    return sorted(GENERATORS)


def discriminator_names() -> list[str]:
    return sorted(DISCRIMINATORS)


def _build(table: dict, kind: str, name: str, kwargs: dict) -> nn.Module:
    if name not in table:
        raise KeyError(f"unknown {kind} {name!r}; registered: {', '.join(sorted(table))}")
    builder = table[name]
    accepted = inspect.signature(builder).parameters
    if not any(p.kind == p.VAR_KEYWORD for p in accepted.values()):
        unknown = sorted(set(kwargs) - set(accepted))
        if unknown:
            raise TypeError(f"{kind} {name!r} does not take {', '.join(unknown)}; "
                            f"it takes: {', '.join(accepted)}")
    return builder(**kwargs)


def build_generator(name: str, **kwargs) -> nn.Module:
    return _build(GENERATORS, "generator", name, kwargs)


def build_discriminator(name: str, **kwargs) -> nn.Module:
    return _build(DISCRIMINATORS, "discriminator", name, kwargs)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
