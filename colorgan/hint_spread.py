"""Spreading colour hints over the photo after the network: an edge-aware correction of its colours.

Why: trained on this CPU budget (58,240 crops), the hint-conditioned network follows hints only
weakly (docs/results.md, "Colour hints": without this step 10 random ground-truth hints move
the result 2% and the colour at a hint stays about 9.5 CIEDE2000 away from it), while Zhang
et al. 2017 trained for days on ImageNet.  A user who says "this dress was blue" must see the
dress turn blue, so the pipeline adds the correction each hint asks for (the hint's ab minus the
network's ab over the hint's patch) to the network's colours around it, weighted by distance
by how close the lightness is to the hinted spot's, so that the correction stays on the
same surface (Levin et al. 2004 propagate hints by the same principle: neighbours of similar
intensity get similar colours), and by how close the network's own colour there is to its colour
at the hint (what the network painted alike is most likely one object: the whole dress it made
brown turns blue, the brown table beside it less so).  Where no hint is near, the network's colours are untouched;
inside a hint's patch the colour is the hint's (then clipped to what that lightness can show).
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

from colorgan.color import AB_SCALE

# Spatial and lightness chosen on 15 training photos with 10 random ground-truth hints (CIEDE2000 6.92 ->
# 5.95; spatial 0.06-1.0 and lightness 5-20 tried: 5.95-6.43); the network-colour term added later on 40
# other training photos (train/tune_hint_spread.py: 10 hints 5.43 -> 5.34, 1 hint unchanged).  Never on val.
SPATIAL_SIGMA = 0.2     # of the render size's longer side: how far one hint reaches
LIGHTNESS_SIGMA = 10.0  # Lab L units: how different a neighbour's lightness may be and still follow
NETWORK_AB_SIGMA = 20.0  # Lab ab units: how different the network's colour may be and still follow


def spread_hints(chroma: torch.Tensor, lightness: torch.Tensor, hints: torch.Tensor,
                 spatial_sigma: float = SPATIAL_SIGMA, lightness_sigma: float = LIGHTNESS_SIGMA,
                 network_ab_sigma: float | None = NETWORK_AB_SIGMA) -> torch.Tensor:
    """Nx2xHxW network chroma ([-1, 1]), Nx1xHxW Lab L (0-100), Nx3xHxW hint channels -> corrected chroma.

    Each connected hint patch is one hint: its correction is the mean (hint ab - network ab)
    over the patch, spread with weight exp(-d^2 / 2 s^2) * exp(-dL^2 / 2 sL^2) * exp(-dab^2 / 2 sab^2)
    (dab: the network's ab there minus its mean ab over the patch, in Lab units; ``network_ab_sigma``
    None drops that factor) and normalised where several hints overlap, so that each patch ends
    at its own hint's colour.
    """
    out = chroma.clone()
    n, _, height, width = chroma.shape
    sigma = spatial_sigma * max(height, width)
    ys = torch.arange(height, dtype=torch.float32)[:, None]
    xs = torch.arange(width, dtype=torch.float32)[None, :]
    for i in range(n):
        mask = (hints[i, 2] > 0).cpu().numpy().astype(np.uint8)
        count, labels = cv2.connectedComponents(mask, connectivity=4)
        if count <= 1:
            continue
        labels_t = torch.from_numpy(labels)
        weighted = torch.zeros(2, height, width)
        total = torch.zeros(height, width)
        for label in range(1, count):
            inside = labels_t == label
            rows, cols = torch.nonzero(inside, as_tuple=True)
            cy, cx = rows.float().mean(), cols.float().mean()
            network_ab = chroma[i].cpu()[:, inside].mean(dim=1)
            delta = hints[i, :2].cpu()[:, inside].mean(dim=1) - network_ab
            hint_l = lightness[i, 0].cpu()[inside].mean()
            weight = (torch.exp(-((ys - cy) ** 2 + (xs - cx) ** 2) / (2 * sigma ** 2))
                      * torch.exp(-(lightness[i, 0].cpu() - hint_l) ** 2 / (2 * lightness_sigma ** 2)))
            if network_ab_sigma is not None:
                ab_distance2 = ((chroma[i].cpu() - network_ab[:, None, None]) * AB_SCALE).pow(2).sum(dim=0)
                weight = weight * torch.exp(-ab_distance2 / (2 * network_ab_sigma ** 2))
            weight = torch.where(inside, torch.ones_like(weight), weight)
            weighted += weight * delta[:, None, None]
            total += weight
        # Normalised where hints overlap (sum of weights above 1), plain weighted sum where one reaches alone.
        correction = weighted / total.clamp(min=1.0)
        out[i] = (chroma[i].cpu() + correction).clamp(-1, 1).to(chroma.device)
        inside_any = torch.from_numpy(mask.astype(bool))
        out[i][:, inside_any] = hints[i, :2].cpu()[:, inside_any].to(chroma.device)
    return out
