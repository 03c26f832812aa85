"""Architectures, one file each, all reachable by name through the registry."""

from colorgan.models import patchgan, unet  # noqa: F401  (importing registers them)
from colorgan.models.registry import (build_discriminator, build_generator, count_parameters,
                                      discriminator_names, generator_names)

__all__ = ["build_generator", "build_discriminator", "generator_names", "discriminator_names",
           "count_parameters"]
