"""colorgan: automatic colorization of black-and-white photographs with conditional GANs.

The path of one photo (see DESIGN.md): images -> color -> models -> color -> images.
"""

__version__ = "0.1.0"
