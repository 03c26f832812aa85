"""The edge-aware spreading of hints after the network (colorgan/hint_spread.py)."""

from __future__ import annotations

import torch

from colorgan.hint_spread import spread_hints


def _scene():
    """A 40x60 photo: a dark left half (L 30) and a light right half (L 80), network chroma all zero."""
    lightness = torch.full((1, 1, 40, 60), 30.0)
    lightness[..., 30:] = 80.0
    chroma = torch.zeros(1, 2, 40, 60)
    hints = torch.zeros(1, 3, 40, 60)
    hints[0, 0, 18:21, 10:13] = 0.4     # a reddish hint (a = 44) on the dark half
    hints[0, 2, 18:21, 10:13] = 1.0
    return chroma, lightness, hints


def test_a_hint_colours_its_patch_and_its_surface_not_the_other_one():
    chroma, lightness, hints = _scene()
    out = spread_hints(chroma, lightness, hints)
    assert torch.allclose(out[0, :, 18:21, 10:13], hints[0, :2, 18:21, 10:13])   # the patch is the hint's colour
    assert out[0, 0, 19, 20] > 0.2                  # near, same lightness: follows
    assert out[0, 0, 19, 35].abs() < 1e-3           # near, other lightness: stays the network's
    assert out[0, 1].abs().max() < 1e-6             # b was not hinted away from the network's


def test_no_hints_leave_the_networks_colours_alone_and_two_hints_each_keep_their_colour():
    chroma, lightness, hints = _scene()
    chroma += 0.1
    assert torch.equal(spread_hints(chroma, lightness, torch.zeros_like(hints)), chroma)
    hints[0, 0, 18:21, 14:17] = -0.3                 # a second hint, another colour, right beside the first
    hints[0, 2, 18:21, 14:17] = 1.0
    out = spread_hints(chroma, lightness, hints)
    assert torch.allclose(out[0, 0, 19, 11], torch.tensor(0.4)) and torch.allclose(out[0, 0, 19, 15], torch.tensor(-0.3))
    assert -0.3 < out[0, 0, 19, 13] < 0.4


def test_a_hint_follows_what_the_network_coloured_alike_more_than_what_it_coloured_otherwise():
    chroma, lightness, hints = _scene()
    chroma[0, 1, :, 20:30] = 0.5                     # the network made this strip (same lightness) yellow
    out = spread_hints(chroma, lightness, hints)
    followed_alike = out[0, 0, 19, 17]              # 5 px right of the patch, coloured like it
    followed_other = out[0, 0, 19, 22]              # 10 px right, coloured otherwise
    assert followed_alike > 0.3 and followed_other.abs() < 0.01
    no_colour_term = spread_hints(chroma, lightness, hints, network_ab_sigma=None)
    assert no_colour_term[0, 0, 19, 22] > 0.2       # without the colour term it would have followed
