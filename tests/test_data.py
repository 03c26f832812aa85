"""Datasets over folders, crops, the seeded split and the seed 000 paired format."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from colorgan.color import rgb_to_lab
from colorgan.data import (PhotoDataset, center_square, cut_mix, make_pair, photo_files, random_resized_crop, split_files,
                           split_pair, write_pairs)
from colorgan.images import load_rgb
from tests.conftest import natural_photo


def test_photo_files_recursive_and_clear_errors(photo_folder, tmp_path):
    files = photo_files(photo_folder / "train")
    assert len(files) == 6 and any(p.parent.name == "sub" for p in files)
    with pytest.raises(FileNotFoundError, match="fetch_photos"):
        photo_files(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no images"):
        photo_files(tmp_path / "empty")


def test_split_is_seeded_by_file_and_stable():
    files = [f"/x/photo{i}.jpg" for i in range(200)]
    from pathlib import Path
    files = [Path(f) for f in files]
    train, val = split_files(files, 0.1, seed=0)
    assert set(train).isdisjoint(val) and len(train) + len(val) == 200
    assert 8 <= len(val) <= 35
    assert split_files(files, 0.1, seed=0) == (train, val)
    assert split_files(files, 0.1, seed=1)[1] != val
    # adding photos never moves an existing one across the split
    more = files + [Path(f"/x/new{i}.jpg") for i in range(50)]
    assert set(val) <= set(split_files(more, 0.1, seed=0)[1])
    assert len(split_files(files[:2], 0.01, seed=0)[1]) == 1


def test_random_crops_are_multiscale_and_sized():
    rgb = natural_photo(120, 200)
    generator = torch.Generator().manual_seed(0)
    crops = [random_resized_crop(rgb, 32, 0.25, generator) for _ in range(20)]
    assert all(c.shape == (32, 32, 3) and c.dtype == np.uint8 for c in crops)
    assert len({c.tobytes() for c in crops}) > 15


def test_centre_square_is_deterministic():
    rgb = natural_photo(50, 80)
    assert center_square(rgb, 32).shape == (32, 32, 3)
    assert np.array_equal(center_square(rgb, 32), center_square(rgb, 32))
    assert center_square(natural_photo(5, 9), 16).shape == (16, 16, 3)


def test_dataset_train_and_val(photo_folder):
    files = photo_files(photo_folder / "train")
    train = PhotoDataset(files, 24, train=True, crops_per_image=3)
    assert len(train) == 18
    item = train[0]
    assert item.shape == (3, 24, 24) and item.dtype == torch.uint8
    val = PhotoDataset(files, 24, train=False)
    assert len(val) == 6 and torch.equal(val[1], val[1])
    # photos are kept only as large as the smallest crop needs (memory)
    assert min(train.photos[0].shape[:2]) <= 48


def test_pairs_round_trip(photo_folder, tmp_path):
    rgb = natural_photo(70, 90)
    pair = make_pair(rgb, 32)
    assert pair.shape == (32, 64, 3)
    gray, colour = split_pair(pair)
    assert np.abs(rgb_to_lab(gray)[:, :, 1:]).max() < 1.5
    assert np.abs(rgb_to_lab(gray)[:, :, 0] - rgb_to_lab(colour)[:, :, 0]).max() < 1.0
    written = write_pairs(photo_folder / "train", tmp_path / "pairs", size=32, progress=False)
    assert len(written) == 6 and all(load_rgb(p).shape == (32, 64, 3) for p in written)
    dataset = PhotoDataset(written, 16, train=False, paired=True)
    assert dataset[0].shape == (3, 16, 16)
    with pytest.raises(ValueError, match="twice as wide"):
        split_pair(rgb)


def test_cut_mix_pastes_one_rectangle_of_another_crop():
    batch = torch.stack([torch.full((3, 40, 48), value, dtype=torch.uint8) for value in (10, 20, 30, 40)])
    mixed = cut_mix(batch, 1.0, torch.Generator().manual_seed(3))
    assert torch.equal(batch[:, 0, 0, 0], torch.tensor([10, 20, 30, 40], dtype=torch.uint8))   # input untouched
    for index, own in enumerate((10, 20, 30, 40)):
        donor = (10, 20, 30, 40)[index - 1]
        changed = mixed[index, 0] != own
        assert set(mixed[index].unique().tolist()) == {own, donor}
        assert 0.05 <= changed.float().mean().item() <= 0.55
        rows, cols = changed.nonzero(as_tuple=True)   # one filled rectangle
        box = changed[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
        assert bool(box.all())
    assert torch.equal(cut_mix(batch, 0.0), batch)
    assert torch.equal(cut_mix(batch[:1], 1.0), batch[:1])   # nothing to mix with


def test_cut_mix_share_is_checked():
    from colorgan.config import RecipeError, recipe_from_dict
    with pytest.raises(RecipeError, match="data.cutmix"):
        recipe_from_dict({"model": {"arch": "unet"}, "data": {"cutmix": 1.5}})


def test_age_luma_changes_the_chosen_crops_only_and_stays_in_range():
    from colorgan.data import age_luma
    ramp = torch.linspace(-1, 1, 32).view(1, 1, 1, 32).expand(4, 1, 24, 32).contiguous()
    aged = age_luma(ramp, 1.0, torch.Generator().manual_seed(0))
    assert torch.equal(ramp[:, :, 0, 0], torch.full((4, 1), -1.0))          # input untouched
    assert aged.shape == ramp.shape and aged.min() >= -1 and aged.max() <= 1
    for crop in aged:                                                      # every crop re-toned
        assert (crop - ramp[0]).abs().mean() > 0.01
        columns = crop[0].mean(dim=0)
        assert columns[-3:].mean() - columns[:3].mean() > 1.0               # still dark to light
        assert (columns[1:] - columns[:-1]).mean() > 0                      # and in the same order
    assert torch.equal(age_luma(ramp, 0.0), ramp)
    many = torch.linspace(-1, 1, 16).view(1, 1, 1, 16).expand(200, 1, 4, 16).contiguous()
    changed = (age_luma(many, 0.5, torch.Generator().manual_seed(1)) != many).flatten(1).any(dim=1)
    assert 70 < int(changed.sum()) < 130                                   # about half the crops


def test_age_share_is_checked():
    from colorgan.config import RecipeError, recipe_from_dict
    with pytest.raises(RecipeError, match="data.age"):
        recipe_from_dict({"model": {"arch": "unet"}, "data": {"age": -0.1}})


def _photo_with_red_face(height=300, width=400, box=(0.55, 0.2, 0.7, 0.4)):
    rgb = np.full((height, width, 3), 90, np.uint8)
    rgb[int(box[1] * height):int(box[3] * height), int(box[0] * width):int(box[2] * width)] = (230, 20, 20)
    return rgb, box


def test_face_crop_holds_the_face_at_a_fifth_to_a_half_of_its_side():
    from colorgan.data import face_crop
    rgb, box = _photo_with_red_face()
    shares = []                                         # the face is 60 x 60 px: crops of 120-300 px around it
    for seed in range(40):
        crop = face_crop(rgb, box, 64, torch.Generator().manual_seed(seed))
        assert crop.shape == (64, 64, 3)
        red = (crop[..., 0] > 150) & (crop[..., 1] < 80)
        assert red.any(), f"seed {seed}: the face is outside the crop"
        shares.append(red.any(axis=1).sum() / 64)       # the face's share of the crop side (a cut face shows less)
    assert 0.09 <= min(shares) and max(shares) <= 0.53
    assert min(shares) < 0.3 < max(shares), "crop sizes vary"
    # a face bigger than half the photo: the crop is the whole short side, still holding the face
    crop = face_crop(rgb, (0.1, 0.0, 0.9, 1.0), 32, torch.Generator().manual_seed(0))
    assert crop.shape == (32, 32, 3)


def test_face_share_picks_face_crops_for_photos_with_faces_only(tmp_path):
    from colorgan.images import save_png
    rgb, box = _photo_with_red_face()
    save_png(rgb, tmp_path / "face.png")
    save_png(np.full((300, 400, 3), 90, np.uint8), tmp_path / "plain.png")
    files = [tmp_path / "face.png", tmp_path / "plain.png"]
    torch.manual_seed(0)
    always = PhotoDataset(files, 48, train=True, min_scale=0.05, faces=[[box], []], face_share=1.0)
    assert all(bool((always[0][0] > 150).any()) for _ in range(20)), "every crop of the face photo shows it"
    assert not any(bool((always[1][0] > 150).any()) for _ in range(5))
    never = PhotoDataset(files, 48, train=True, min_scale=0.05, faces=[[box], []], face_share=0.0)
    random_hits = sum(bool((never[0][0] > 150).any()) for _ in range(40))
    assert random_hits < 40, "small random crops miss the face sometimes"
    with pytest.raises(ValueError, match="face lists"):
        PhotoDataset(files, 48, train=True, faces=[[box]])


def test_face_crops_are_checked():
    from colorgan.config import RecipeError, recipe_from_dict
    with pytest.raises(RecipeError, match="data.face_crops must be a share"):
        recipe_from_dict({"model": {"arch": "unet"}, "data": {"face_crops": 2}})
    with pytest.raises(RecipeError, match="faces.json beside it"):
        recipe_from_dict({"model": {"arch": "unet"}, "data": {"face_crops": 0.5}})
