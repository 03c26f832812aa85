"""Quality metrics that need no network: PSNR, SSIM, CIEDE2000 (scikit-image) and colourfulness.

FID and LPIPS would need Inception / AlexNet weights that cannot be fetched here.
Colourfulness (Hasler and Suesstrunk 2003) catches the "sepia" failure the other three
reward: a washed-out prediction scores well on PSNR but has a fraction of the true colour.
"""

from __future__ import annotations

import numpy as np
from skimage.color import deltaE_ciede2000, rgb2lab
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

METRIC_NAMES = ("psnr", "ssim", "deltae2000", "colorfulness")


def psnr(reference: np.ndarray, result: np.ndarray) -> float:
    """dB on 8-bit RGB; identical images give inf."""
    with np.errstate(divide="ignore"):
        return float(peak_signal_noise_ratio(reference, result, data_range=255))


def ssim(reference: np.ndarray, result: np.ndarray) -> float:
    """Mean SSIM over the RGB channels (7x7 window, smaller for tiny images)."""
    side = min(reference.shape[:2])
    window = min(7, side if side % 2 else side - 1)
    if window < 3:
        return float("nan")
    return float(structural_similarity(reference, result, channel_axis=2, data_range=255, win_size=window))


def deltae2000_map(reference: np.ndarray, result: np.ndarray) -> np.ndarray:
    """Per-pixel CIEDE2000 colour difference (HxW), for means over regions such as faces."""
    return deltaE_ciede2000(rgb2lab(reference), rgb2lab(result))


def deltae2000(reference: np.ndarray, result: np.ndarray) -> float:
    """Mean CIEDE2000 colour difference; about 2.3 is just noticeable."""
    return float(deltae2000_map(reference, result).mean())


def colorfulness(rgb: np.ndarray) -> float:
    """Hasler and Suesstrunk's M: sigma_rgyb + 0.3 * mu_rgyb. 0 for gray; about 33 is 'moderately colourful'."""
    r, g, b = (rgb[:, :, i].astype(np.float64) for i in range(3))
    rg = r - g
    yb = 0.5 * (r + g) - b
    sigma = np.hypot(rg.std(), yb.std())
    mu = np.hypot(rg.mean(), yb.mean())
    return float(sigma + 0.3 * mu)


def compare(reference: np.ndarray, result: np.ndarray) -> dict[str, float]:
    """All metrics of ``result`` against ``reference`` (same-size uint8 RGB)."""
    if reference.shape != result.shape:
        raise ValueError(f"shapes differ: {reference.shape} vs {result.shape}")
    return {"psnr": psnr(reference, result), "ssim": ssim(reference, result),
            "deltae2000": deltae2000(reference, result), "colorfulness": colorfulness(result),
            "colorfulness_gt": colorfulness(reference)}
