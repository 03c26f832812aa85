"""Architectures, one file each, all reachable by name through the registry.

Every module in this package is imported here, so adding a file with a
``@register_generator("name")`` builder is all it takes to add an architecture.
"""

import importlib
import pkgutil

from colorgan.models.registry import (build_discriminator, build_generator, count_parameters,
                                      discriminator_names, generator_names)

for _module in pkgutil.iter_modules(__path__):
    if _module.name not in ("registry", "blocks"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["build_generator", "build_discriminator", "generator_names", "discriminator_names",
           "count_parameters"]
