"""Colour hints: training samples as Zhang's code draws them, the users' JSON form and its errors, the hint map."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from colorgan.color import AB_SCALE, rgb_to_lab
from colorgan.hints import HintError, draw_hint_count, hint_map, parse_color, parse_hints, read_hint_file, sample_training_hints


def test_training_hints_are_geometric_in_number_and_hold_the_patch_mean():
    generator = torch.Generator().manual_seed(0)
    chroma = torch.rand(400, 2, 32, 32) * 2 - 1
    hints = sample_training_hints(chroma, generator=generator)
    mask = hints[:, 2]
    assert set(torch.unique(mask).tolist()) <= {0.0, 1.0}
    none = float((mask.flatten(1).sum(1) == 0).float().mean())
    assert 0.07 < none < 0.19                       # none one time in eight
    # where a single patch is set, its ab is the mean ab of the ground truth under it
    i = int((mask.flatten(1).sum(1) > 0).nonzero()[0])
    ys, xs = torch.nonzero(mask[i], as_tuple=True)
    y, x = int(ys[0]), int(xs[0])
    assert hints[i, :2, y, x].abs().max() <= 1
    assert torch.all(hints[:, :2][mask[:, None].expand(-1, 2, -1, -1) == 0] == 0)


def test_training_hint_count_has_mean_seven():
    generator = torch.Generator().manual_seed(1)
    counts = np.array([draw_hint_count(generator) for _ in range(4000)])
    assert 6.3 < counts.mean() < 7.7
    assert 0.10 < (counts == 0).mean() < 0.15


def test_parse_hints_reads_the_users_form():
    hints = parse_hints([{"x": 120, "y": 45, "color": "#c08060"}, {"x": 0, "y": 0, "color": "FFF", "size": 9}],
                        width=200, height=100)
    assert hints[0].color == (192, 128, 96) and hints[0].size is None
    assert hints[1].color == (255, 255, 255) and hints[1].size == 9
    assert hints[0].as_dict() == {"x": 120.0, "y": 45.0, "color": "#c08060"}
    assert parse_color("rgb(10, 20, 30)") == (10, 20, 30)
    assert parse_color([1, 2, 3]) == (1, 2, 3)


@pytest.mark.parametrize("data, words", [
    ({"x": 1}, "expected a list"),
    ([{"x": 1, "y": 2}], "entry 0: 'color' is missing"),
    ([{"x": 5, "y": 5, "color": "#fff"}, {"x": 500, "y": 5, "color": "#fff"}], "entry 1: x=500 is off the photo"),
    ([{"x": 5, "y": -1, "color": "#fff"}], "y=-1 is off the photo"),
    ([{"x": 5, "y": 5, "color": "blueish"}], "entry 0: color 'blueish' is not an sRGB colour"),
    ([{"x": 5, "y": 5, "color": "#fff", "size": 0}], "size must be"),
    ([{"x": True, "y": 5, "color": "#fff"}], "x must be a number"),
    ([{"x": 5, "y": 5, "color": "#fff", "colour": "#000"}], "unknown key"),
    ([{"x": 1, "y": 1, "color": "#fff"}] * 5000, "5000 hints is more than"),
])
def test_bad_hints_name_the_entry(data, words):
    with pytest.raises(HintError, match="hints.json") as err:
        parse_hints(data, width=100, height=80, where="hints.json")
    assert words in str(err.value)


def test_hint_files_that_are_not_json_say_where(tmp_path):
    bad = tmp_path / "photo.json"
    bad.write_text("[{'x': 1}]")
    with pytest.raises(HintError, match=r"photo.json: not valid JSON .* line 1"):
        read_hint_file(bad, 10, 10)
    good = tmp_path / "ok.json"
    good.write_text(json.dumps([{"x": 3, "y": 4, "color": "#336699"}]))
    assert read_hint_file(good, 10, 10)[0].color == (0x33, 0x66, 0x99)


def test_hint_map_puts_the_colour_at_the_scaled_place():
    hints = parse_hints([{"x": 150, "y": 50, "color": "#2050c0", "size": 20}], width=200, height=100)
    channels = hint_map(hints, 200, 100, render_h=50, render_w=100)
    assert channels.shape == (1, 3, 50, 100)
    ys, xs = torch.nonzero(channels[0, 2], as_tuple=True)
    assert abs(float(xs.float().mean()) - 75) <= 1 and abs(float(ys.float().mean()) - 25) <= 1
    assert int(channels[0, 2].sum()) == 10 * 10       # a 20 px patch at half scale
    lab = rgb_to_lab(np.array([[[0x20, 0x50, 0xC0]]], dtype=np.uint8))[0, 0]
    assert torch.allclose(channels[0, :2, 25, 75], torch.tensor(lab[1:] / AB_SCALE), atol=1e-5)
