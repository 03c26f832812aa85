"""Colour spaces: RGB <-> CIE Lab (D65, sRGB) and RGB <-> YUV (BT.601), numpy and torch.

Models never see RGB.  They take the luma channel (Lab L, or YUV Y) normalised to [-1, 1]
and predict the two chroma channels normalised to [-1, 1] (pix2pix: L/50-1, ab/110).  The
numpy functions use OpenCV (fast on full-resolution photos); the torch functions run on any
device for batches inside training.  Both agree with scikit-image (tested).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch

AB_SCALE = 110.0  # pix2pix / Zhang et al.: ab in [-110, 110] maps to [-1, 1]
# Analog BT.601 YUV (seed 002 report): U in [-0.436, 0.436], V in [-0.615, 0.615].
U_MAX, V_MAX = 0.436, 0.615
_RGB_TO_YUV = np.array([[0.299, 0.587, 0.114],
                        [-0.14713, -0.28886, 0.436],
                        [0.615, -0.51499, -0.10001]], dtype=np.float32)
_YUV_TO_RGB = np.linalg.inv(_RGB_TO_YUV).astype(np.float32)

# sRGB (D65) to XYZ, and the D65 white point, as in scikit-image and OpenCV.
_RGB_TO_XYZ = np.array([[0.412453, 0.357580, 0.180423],
                        [0.212671, 0.715160, 0.072169],
                        [0.019334, 0.119193, 0.950227]], dtype=np.float32)
_XYZ_TO_RGB = np.linalg.inv(_RGB_TO_XYZ).astype(np.float32)
_WHITE_D65 = np.array([0.950456, 1.0, 1.088754], dtype=np.float32)


# ---------------------------------------------------------------- numpy (HxWx3 images)

def _as_unit_float(rgb: np.ndarray) -> np.ndarray:
    if rgb.dtype == np.uint8:
        return rgb.astype(np.float32) / 255.0
    return np.clip(rgb.astype(np.float32), 0.0, 1.0)


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """RGB (uint8, or float in [0, 1]) to float32 Lab: L in [0, 100], a and b about [-128, 127]."""
    return cv2.cvtColor(_as_unit_float(rgb), cv2.COLOR_RGB2Lab)


def rgb_to_l(rgb: np.ndarray) -> np.ndarray:
    """Only the L channel (float32, [0, 100]): what a grayscale photo carries."""
    return rgb_to_lab(rgb)[:, :, 0]


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """Float Lab to uint8 RGB; colours outside sRGB are clipped per channel."""
    rgb = cv2.cvtColor(np.ascontiguousarray(lab, dtype=np.float32), cv2.COLOR_Lab2RGB)
    return to_uint8(rgb, scratch=True)


def rgb_to_yuv(rgb: np.ndarray) -> np.ndarray:
    """RGB to float32 YUV (Y in [0, 1])."""
    return _as_unit_float(rgb) @ _RGB_TO_YUV.T


def yuv_to_rgb(yuv: np.ndarray) -> np.ndarray:
    return to_uint8(yuv.astype(np.float32) @ _YUV_TO_RGB.T)


def to_uint8(rgb_unit: np.ndarray, scratch: bool = False) -> np.ndarray:
    """[0, 1] floats to uint8, rounding.  ``scratch``: ``rgb_unit`` is a float32 temporary that may be
    overwritten, which saves a 144 MB copy on a 12 MP photo."""
    if scratch and rgb_unit.dtype == np.float32:
        scaled = np.multiply(rgb_unit, 255.0, out=rgb_unit)
    else:
        scaled = np.multiply(rgb_unit, 255.0, dtype=np.float32)
    np.add(scaled, 0.5, out=scaled)
    np.clip(scaled, 0.0, 255.0, out=scaled)
    return scaled.astype(np.uint8)


def gray_rgb(rgb: np.ndarray) -> np.ndarray:
    """The photo with its colour removed (Lab a = b = 0): exactly what the model is given."""
    l_channel = rgb_to_l(rgb)
    lab = np.stack([l_channel, np.zeros_like(l_channel), np.zeros_like(l_channel)], axis=2)
    return lab_to_rgb(lab)


# ---------------------------------------------------------------- torch (Nx3xHxW batches)

def _srgb_to_linear(rgb: torch.Tensor) -> torch.Tensor:
    return torch.where(rgb > 0.04045, ((rgb + 0.055) / 1.055).clamp_min(1e-8) ** 2.4, rgb / 12.92)


def _linear_to_srgb(rgb: torch.Tensor) -> torch.Tensor:
    return torch.where(rgb > 0.0031308, 1.055 * rgb.clamp_min(1e-8) ** (1 / 2.4) - 0.055, rgb * 12.92)


def _matmul_channels(matrix: np.ndarray, x: torch.Tensor) -> torch.Tensor:
    m = torch.as_tensor(matrix, dtype=x.dtype, device=x.device)
    return torch.einsum("ij,njhw->nihw", m, x)


def rgb_to_lab_t(rgb: torch.Tensor) -> torch.Tensor:
    """Nx3xHxW RGB in [0, 1] to Lab (L in [0, 100]) on the tensor's device."""
    xyz = _matmul_channels(_RGB_TO_XYZ, _srgb_to_linear(rgb.float()))
    xyz = xyz / torch.as_tensor(_WHITE_D65, device=rgb.device).view(1, 3, 1, 1)
    eps = (6 / 29) ** 3
    f = torch.where(xyz > eps, xyz.clamp_min(1e-8) ** (1 / 3), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    fx, fy, fz = f[:, 0], f[:, 1], f[:, 2]
    return torch.stack([116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)], dim=1)


def lab_to_rgb_t(lab: torch.Tensor, clip: bool = True) -> torch.Tensor:
    """Nx3xHxW Lab to RGB in [0, 1] (clipped unless ``clip=False``, used for gamut tests)."""
    lab = lab.float()
    fy = (lab[:, 0] + 16) / 116
    fx = fy + lab[:, 1] / 500
    fz = fy - lab[:, 2] / 200
    f = torch.stack([fx, fy, fz], dim=1)
    delta = 6 / 29
    xyz = torch.where(f > delta, f ** 3, 3 * delta ** 2 * (f - 4 / 29))
    xyz = xyz * torch.as_tensor(_WHITE_D65, device=lab.device).view(1, 3, 1, 1)
    linear = _matmul_channels(_XYZ_TO_RGB, xyz)
    if not clip:
        return linear  # linear-light RGB, for the in-gamut test
    return _linear_to_srgb(linear.clamp(0.0, 1.0))


def rgb_to_yuv_t(rgb: torch.Tensor) -> torch.Tensor:
    return _matmul_channels(_RGB_TO_YUV, rgb.float())


def yuv_to_rgb_t(yuv: torch.Tensor) -> torch.Tensor:
    return _matmul_channels(_YUV_TO_RGB, yuv.float()).clamp(0.0, 1.0)


def clip_ab_to_gamut(l_channel: torch.Tensor, ab: torch.Tensor, steps: int = 8) -> torch.Tensor:
    """Shrink each pixel's chroma (keeping its hue and L) until the colour fits in sRGB.

    Plain per-channel clipping of an out-of-gamut prediction shifts its hue (the "purple
    grass" failure); scaling a and b together toward gray does not.  A bisection on the
    scale factor, ``steps`` rounds, run at render resolution where it is cheap.
    ``l_channel`` is Nx1xHxW in [0, 100], ``ab`` Nx2xHxW in Lab units.
    """
    low = torch.zeros_like(l_channel)
    high = torch.ones_like(l_channel)
    inside = _in_gamut(torch.cat([l_channel, ab], dim=1))
    if bool(inside.all()):
        return ab
    low = torch.where(inside, high, low)
    for _ in range(steps):
        mid = (low + high) / 2
        ok = _in_gamut(torch.cat([l_channel, ab * mid], dim=1))
        low = torch.where(ok, mid, low)
        high = torch.where(ok, high, mid)
    return ab * low


def _in_gamut(lab: torch.Tensor, tolerance: float = 1e-3) -> torch.Tensor:
    linear = lab_to_rgb_t(lab, clip=False)
    return ((linear >= -tolerance) & (linear <= 1 + tolerance)).all(dim=1, keepdim=True)


# ---------------------------------------------------------------- the model's view

@dataclass(frozen=True)
class ColorSpace:
    """How a colour space splits an RGB batch into normalised luma and chroma, and back.

    ``encode``: Nx3xHxW RGB in [0, 1] -> (Nx1 luma in [-1, 1], Nx2 chroma in about [-1, 1]).
    ``decode``: the inverse, to RGB in [0, 1].  ``luma_np`` / ``join_np`` do the same on
    full-resolution numpy images, where the photo's own luma is kept.
    """

    name: str

    def encode(self, rgb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.name == "lab":
            lab = rgb_to_lab_t(rgb)
            return lab[:, :1] / 50.0 - 1.0, lab[:, 1:] / AB_SCALE
        yuv = rgb_to_yuv_t(rgb)
        return yuv[:, :1] * 2.0 - 1.0, yuv[:, 1:] / _uv_scale(yuv)

    def decode(self, luma: torch.Tensor, chroma: torch.Tensor, gamut_clip: bool = False) -> torch.Tensor:
        if self.name == "lab":
            l_channel = (luma + 1.0) * 50.0
            ab = chroma.float() * AB_SCALE
            if gamut_clip:
                ab = clip_ab_to_gamut(l_channel.float(), ab)
            return lab_to_rgb_t(torch.cat([l_channel, ab], dim=1))
        y = (luma + 1.0) / 2.0
        return yuv_to_rgb_t(torch.cat([y, chroma.float() * _uv_scale(chroma)], dim=1))

    def luma_np(self, rgb: np.ndarray) -> np.ndarray:
        """Full-resolution luma of an HxWx3 photo in this space's own units (L or Y)."""
        return rgb_to_l(rgb) if self.name == "lab" else rgb_to_yuv(rgb)[:, :, 0]

    def normalise_luma_np(self, luma: np.ndarray) -> np.ndarray:
        return luma / 50.0 - 1.0 if self.name == "lab" else luma * 2.0 - 1.0

    def join_np(self, luma: np.ndarray, chroma: np.ndarray) -> np.ndarray:
        """Full-res luma (own units) + HxWx2 chroma in own units (ab, or UV) -> uint8 RGB."""
        if self.name == "lab":  # cv2.merge: one pass, no float64 detour (bench/infer.py)
            chroma = chroma.astype(np.float32, copy=False)
            return lab_to_rgb(cv2.merge([luma.astype(np.float32, copy=False), np.ascontiguousarray(chroma[:, :, 0]),
                                         np.ascontiguousarray(chroma[:, :, 1])]))
        return yuv_to_rgb(np.concatenate([luma[:, :, None], chroma], axis=2).astype(np.float32))

    def chroma_units(self, chroma_normalised: np.ndarray) -> np.ndarray:
        """HxWx2 normalised chroma to this space's own units."""
        if self.name == "lab":
            return chroma_normalised * AB_SCALE
        return chroma_normalised * np.array([U_MAX, V_MAX], dtype=np.float32)


def _uv_scale(like: torch.Tensor) -> torch.Tensor:
    return torch.tensor([U_MAX, V_MAX], dtype=like.dtype, device=like.device).view(1, 2, 1, 1)


COLOR_SPACES = {"lab": ColorSpace("lab"), "yuv": ColorSpace("yuv")}


def get_space(name: str) -> ColorSpace:
    try:
        return COLOR_SPACES[name]
    except KeyError:
        raise ValueError(f"unknown colour space {name!r}; choose one of {sorted(COLOR_SPACES)}") from None
