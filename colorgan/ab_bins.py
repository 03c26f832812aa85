"""Colour as a distribution over quantized ab (Zhang, Isola and Efros 2016, "Colorful Image Colorization").

A gray pixel of a shirt may have been any colour; one of skin, sky or grass hardly varies.  A
model that regresses one ab value (L1, L2) averages the possibilities into a sepia wash.  The
recommended model instead predicts, per pixel, a probability for each ab bin, and this module
holds everything around that distribution:

    bin_centres()          the ab bins: cells of side 10 that hold at least one sRGB colour
    soft_encode(ab)        training target: the 5 nearest bins, Gaussian weights (sigma 5)
    rebalancing_weights()  class rebalancing from the training prior, lambda 0.5
    annealed_mean(logits)  the colour: softmax(logits / T) then the mean (T 0.38 in the paper)
    entropy(logits)        per-pixel uncertainty in [0, 1] (1: every bin equally likely)
    top_colours(logits)    the distinct likely colours at one pixel (suggested hint colours)

Bins: Zhang's file lists 313 bins of side 10 from their own gamut computation.  On the exact
sRGB (D65) gamut, 261 cells of side 10 (centres at multiples of 10 in a and b) hold at least
one sRGB colour, and those are the bins here: the other 52 of the 313 could never be a target
(no photo pixel falls in them), they would only cost output channels.  The set is computed,
not stored, and is the same on every machine (a fixed 6-bit RGB grid through OpenCV's Lab).
"""

from __future__ import annotations

import functools

import numpy as np
import torch
import torch.nn.functional as F

BIN_SIDE = 10.0
SOFT_NEIGHBOURS = 5        # Zhang: the 5 nearest bins ...
SOFT_SIGMA = 5.0           # ... weighted by a Gaussian of sigma 5 (ab units)
PRIOR_SIGMA = 5.0          # the empirical prior is smoothed by a Gaussian of sigma 5 in ab
REBALANCE_LAMBDA = 0.5     # mix of the smoothed prior with the uniform distribution
PAPER_TEMPERATURE = 0.38


@functools.lru_cache(maxsize=1)
def bin_centres() -> np.ndarray:
    """Qx2 float32 ab centres (multiples of 10) of the cells that hold an sRGB colour, sorted by (a, b)."""
    import cv2

    levels = np.linspace(0.0, 1.0, 64, dtype=np.float32)
    rgb = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), axis=-1).reshape(-1, 1, 3)
    ab = cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab).reshape(-1, 3)[:, 1:]
    cells = np.unique(np.floor(ab / BIN_SIDE + 0.5).astype(np.int64), axis=0)
    return (cells * BIN_SIDE).astype(np.float32)


def bin_count() -> int:
    return len(bin_centres())


def centres_t(like: torch.Tensor) -> torch.Tensor:
    """The bin centres as a Qx2 tensor on ``like``'s device, in ab units."""
    return torch.as_tensor(bin_centres(), device=like.device, dtype=torch.float32)


def nearest_bins(ab: torch.Tensor, k: int = SOFT_NEIGHBOURS) -> tuple[torch.Tensor, torch.Tensor]:
    """(distances, indices) of the k nearest bins: ab Nx2xHxW (ab units) -> two NxkxHxW tensors."""
    centres = centres_t(ab)
    points = ab.float().permute(0, 2, 3, 1).reshape(-1, 2)
    distances = torch.cdist(points, centres)                       # (N*H*W) x Q
    near, index = distances.topk(k, dim=1, largest=False)
    n, _, h, w = ab.shape
    shape = lambda t: t.reshape(n, h, w, k).permute(0, 3, 1, 2)    # noqa: E731
    return shape(near), shape(index)


def soft_encode(ab: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Zhang's soft target: (weights NxkxHxW summing to 1, bin indices NxkxHxW), ab in ab units.

    Sparse (k of Q bins) so that a batch of targets costs k, not Q, numbers a pixel; the
    loss gathers the predicted log-probabilities at these indices.
    """
    near, index = nearest_bins(ab)
    weights = torch.softmax(-near.square() / (2 * SOFT_SIGMA ** 2), dim=1)
    return weights, index


def prior_from_counts(counts: np.ndarray) -> np.ndarray:
    """The empirical bin distribution, smoothed by a Gaussian of PRIOR_SIGMA in ab space."""
    centres = bin_centres()
    distances = np.linalg.norm(centres[:, None] - centres[None], axis=2)
    kernel = np.exp(-distances ** 2 / (2 * PRIOR_SIGMA ** 2))
    p = counts.astype(np.float64) / max(1.0, float(counts.sum()))
    smoothed = kernel @ p
    return smoothed / smoothed.sum()


def rebalancing_weights(prior: np.ndarray, lam: float = REBALANCE_LAMBDA) -> np.ndarray:
    """w proportional to ((1 - lambda) p + lambda / Q)^-1, scaled so that sum_q p_q w_q = 1 (Zhang eq. 4)."""
    q = len(prior)
    w = 1.0 / ((1 - lam) * prior + lam / q)
    return (w / float((prior * w).sum())).astype(np.float32)


def count_bins(ab: torch.Tensor) -> np.ndarray:
    """How many pixels of ab (Nx2xHxW, ab units) fall nearest to each bin."""
    _, index = nearest_bins(ab, k=1)
    return np.bincount(index.flatten().cpu().numpy(), minlength=bin_count())


def soft_cross_entropy(logits: torch.Tensor, weights: torch.Tensor, index: torch.Tensor,
                       pixel_weights: torch.Tensor | None = None) -> torch.Tensor:
    """Mean over pixels of -sum_k target_k log p_k, each pixel scaled by its rebalancing weight."""
    log_p = torch.log_softmax(logits.float(), dim=1)
    per_pixel = -(torch.gather(log_p, 1, index) * weights).sum(dim=1)
    if pixel_weights is not None:
        per_pixel = per_pixel * pixel_weights
    return per_pixel.mean()


def annealed_mean(logits: torch.Tensor, temperature: float = PAPER_TEMPERATURE) -> torch.Tensor:
    """NxQxHxW logits -> Nx2xHxW ab (ab units): the mean of softmax(logits / T).

    T = 1 is the mean (cautious, sepia-like); T -> 0 the mode (vivid, patchy); Zhang's 0.38
    keeps most of the vividness without the mode's splotches.
    """
    p = torch.softmax(logits.float() / max(float(temperature), 1e-3), dim=1)
    return torch.einsum("nqhw,qc->nchw", p, centres_t(logits))


def entropy(logits: torch.Tensor) -> torch.Tensor:
    """Nx1xHxW normalised entropy of the (T = 1) distribution: 0 certain, 1 uniform."""
    log_p = torch.log_softmax(logits.float(), dim=1)
    return -(log_p.exp() * log_p).sum(dim=1, keepdim=True) / float(np.log(logits.shape[1]))


def top_colours(logits: torch.Tensor, count: int = 4, min_share: float = 0.02,
                separation: float = 25.0) -> list[tuple[np.ndarray, float]]:
    """The ``count`` most likely distinct ab colours at one pixel, best first, with their probabilities.

    ``logits``: Q logits of one pixel.  Each mode is the probability-weighted mean of the bins
    within ``separation`` of a local peak (a mode, not one 10-unit cell), and its probability
    is their total; modes under ``min_share`` are dropped; the most probable mode comes first.
    """
    p = torch.softmax(logits.float().flatten(), dim=0).cpu().numpy()
    centres = bin_centres()
    order = np.argsort(-p)
    taken = np.zeros(len(p), bool)
    modes = []
    for peak in order:
        if taken[peak] or len(modes) >= count:
            continue
        near = (np.linalg.norm(centres - centres[peak], axis=1) <= separation) & ~taken
        share = float(p[near].sum())
        taken |= near
        if share < min_share:
            continue
        modes.append(((p[near, None] * centres[near]).sum(axis=0) / share, share))
    return sorted(modes, key=lambda mode: -mode[1])


def upsample_logits(logits: torch.Tensor, height: int, width: int) -> torch.Tensor:
    return F.interpolate(logits, size=(height, width), mode="bilinear", align_corners=False)
