"""The trainer: it learns, writes every artefact, resumes exactly, and stops cleanly on NaN."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import torch

from colorgan.color import get_space
from colorgan.config import RecipeError, load_recipe
from colorgan.data import center_square
from colorgan.images import load_rgb
from colorgan.models import build_generator
from colorgan.trainer import TrainingDiverged, run_dir, train
from tests.conftest import REPO, natural_photo

TINY_RUN = ["model.generator.ngf=8", "model.generator.depth=4", "model.discriminator_kwargs.ndf=8",
            "data.size=24", "data.crops_per_image=1", "train.batch_size=3", "train.sample_count=2",
            "train.decay_epochs=1", "train.l1_warmup_epochs=1"]


def recipe_for(photo_folder, out, *extra):
    return load_recipe(REPO / "train/configs/unet.yaml",
                       [f"data.train={photo_folder / 'train'}", f"data.val={photo_folder / 'val'}",
                        f"train.out={out}", *TINY_RUN, *extra])


def test_unet_overfits_four_tiny_photos():
    """L1 on the chroma falls by more than half within a few hundred steps at 32 px."""
    torch.manual_seed(0)
    rgb = torch.stack([torch.from_numpy(center_square(natural_photo(48, 48, seed=s), 32)).permute(2, 0, 1)
                       for s in range(4)]).float() / 255
    luma, chroma = get_space("lab").encode(rgb)
    model = build_generator("unet", ngf=8, depth=4, dropout=0.0)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.5, 0.999))
    losses = []
    for step in range(300):
        loss = torch.nn.functional.l1_loss(model(luma), chroma)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if losses[-1] < 0.4 * losses[0]:
            break
    assert losses[-1] < 0.5 * losses[0], f"L1 {losses[0]:.4f} -> {losses[-1]:.4f} in {len(losses)} steps"


def test_two_epochs_write_checkpoints_samples_log_and_curve(photo_folder, tmp_path):
    out = tmp_path / "runs"
    run = train(recipe_for(photo_folder, out, "train.epochs=2"), progress=False)
    assert run == out / "unet"
    for epoch in (1, 2):
        folder = run / f"epoch-{epoch:03d}"
        config = json.loads((folder / "config.json").read_text())
        assert config["arch"] == "unet" and config["epoch"] == epoch and config["render_size"] == 24
        assert config["kwargs"]["ngf"] == 8 and config["color_space"] == "lab"
        assert (folder / "model.safetensors").stat().st_size > 0
        grid = load_rgb(run / "samples" / f"epoch-{epoch:03d}.png")
        assert grid.shape == (2 * 24 + 2, 3 * 24 + 4, 3)  # 2 photos x (gray | generated | original)
    rows = list(csv.DictReader((run / "train_log.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert float(rows[0]["g_adv"]) == 0.0 and float(rows[1]["g_adv"]) > 0  # L1 warm-up, then GAN
    assert all(np.isfinite(float(r[k])) for r in rows for k in ("g_l1", "d_total", "val_l1"))
    assert (run / "loss_curve.png").stat().st_size > 1000
    assert not list(run.rglob("*.tmp*")), "no temporary files left behind"


def test_resume_continues_at_the_right_epoch(photo_folder, tmp_path, capsys):
    out = tmp_path / "runs"
    train(recipe_for(photo_folder, out, "train.epochs=1"), progress=False)
    first = (out / "unet" / "epoch-001" / "model.safetensors").read_bytes()
    train(recipe_for(photo_folder, out, "train.epochs=3"), progress=False)
    assert "resuming" in capsys.readouterr().out
    rows = list(csv.DictReader((out / "unet" / "train_log.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert (out / "unet" / "epoch-001" / "model.safetensors").read_bytes() == first, "epoch 1 kept as it was"
    assert (out / "unet" / "epoch-003").is_dir()
    train(recipe_for(photo_folder, out, "train.epochs=3"), progress=False)
    assert "already trained to epoch 3" in capsys.readouterr().out


def test_stop_after_epoch_trains_part_of_a_schedule_and_the_rest_resumes(photo_folder, tmp_path, capsys):
    out = tmp_path / "runs"
    schedule = ["train.epochs=4", "train.decay_epochs=3", "train.save_every=3"]
    train(recipe_for(photo_folder, out, *schedule, "train.stop_after_epoch=2"), progress=False)
    assert "stopped after epoch 2 of 4" in capsys.readouterr().out
    assert (out / "unet" / "epoch-002").is_dir(), "the epoch it stops at is checkpointed, due or not"
    rows = list(csv.DictReader((out / "unet" / "train_log.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    base = load_recipe(REPO / "train/configs/unet.yaml").train.lr_g
    assert float(rows[1]["lr_g"]) == pytest.approx(0.75 * base), "the 4-epoch schedule's rate, not a 2-epoch one's"
    train(recipe_for(photo_folder, out, *schedule), progress=False)
    rows = list(csv.DictReader((out / "unet" / "train_log.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3, 4]
    with pytest.raises(RecipeError, match="stop_after_epoch"):
        recipe_for(photo_folder, out, *schedule, "train.stop_after_epoch=5")


def test_resume_refuses_a_different_model(photo_folder, tmp_path):
    out = tmp_path / "runs"
    train(recipe_for(photo_folder, out, "train.epochs=1"), progress=False)
    with pytest.raises(RuntimeError, match="different model recipe"):
        train(recipe_for(photo_folder, out, "train.epochs=2", "model.generator.ngf=12"), progress=False)


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(photo_folder, tmp_path, monkeypatch):
    out = tmp_path / "runs"
    train(recipe_for(photo_folder, out, "train.epochs=1"), progress=False)
    good = (out / "unet" / "epoch-001" / "model.safetensors").read_bytes()
    import colorgan.trainer as trainer_module
    monkeypatch.setattr(trainer_module, "regression_loss", lambda kind, fake, real: fake.sum() * float("nan"))
    with pytest.raises(TrainingDiverged, match="NaN or infinite"):
        train(recipe_for(photo_folder, out, "train.epochs=2"), progress=False)
    assert (out / "unet" / "epoch-001" / "model.safetensors").read_bytes() == good
    assert not (out / "unet" / "epoch-002").exists()
    rows = list(csv.DictReader((out / "unet" / "train_log.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [1]


def test_regression_only_and_other_gan_modes(photo_folder, tmp_path):
    for extra in (["model.discriminator=null", "train.regression_loss=l2"], ["train.gan_mode=hinge"],
                  ["train.gan_mode=lsgan", "train.label_noise=0.1", "train.label_flip=0.1", "train.real_label=0.9"]):
        run = train(recipe_for(photo_folder, tmp_path / extra[0].replace("=", "_"), "train.epochs=2",
                               "train.l1_warmup_epochs=0", "train.max_steps_per_epoch=1", *extra), progress=False)
        assert (run / "epoch-002" / "model.safetensors").is_file()


def test_collage_and_old_print_augmentations_reach_the_model(photo_folder, tmp_path, monkeypatch):
    import colorgan.trainer as trainer_module
    seen = {"aged": 0, "mixed": 0}
    real_age, real_mix = trainer_module.age_luma, trainer_module.cut_mix

    def counting_age(luma, share):
        seen["aged"] += 1
        assert share == 0.5 and luma.min() >= -1 and luma.max() <= 1 and luma.shape[1] == 1
        return real_age(luma, share)

    def counting_mix(batch, share):
        seen["mixed"] += 1
        assert batch.dtype == torch.uint8
        return real_mix(batch, share)

    monkeypatch.setattr(trainer_module, "age_luma", counting_age)
    monkeypatch.setattr(trainer_module, "cut_mix", counting_mix)
    run = train(recipe_for(photo_folder, tmp_path / "runs", "train.epochs=1", "train.max_steps_per_epoch=2",
                           "data.age=0.5", "data.cutmix=0.5"), progress=False)
    assert seen == {"aged": 2, "mixed": 2}, "once per training batch each"
    assert (run / "epoch-001" / "model.safetensors").is_file()


def test_face_crops_use_the_boxes_beside_the_manifest(photo_folder, tmp_path, monkeypatch):
    import json

    import colorgan.data as data_module
    cropped = []
    real_face_crop = data_module.face_crop

    def counting_face_crop(rgb, box, size, generator=None):
        cropped.append(tuple(box))
        return real_face_crop(rgb, box, size, generator)

    monkeypatch.setattr(data_module, "face_crop", counting_face_crop)
    (photo_folder / "manifest.csv").write_text("file,split,people\ntrain/p0.jpg,train,1\n")
    (photo_folder / "faces.json").write_text(json.dumps({"faces": {"train/p0.jpg": [[0.2, 0.2, 0.5, 0.6]]}}))
    run = train(recipe_for(photo_folder, tmp_path / "runs", "train.epochs=1", "train.max_steps_per_epoch=3",
                           f"data.manifest={photo_folder / 'manifest.csv'}", "data.face_crops=1",
                           "data.crops_per_image=4"), progress=False)
    assert cropped and set(cropped) == {(0.2, 0.2, 0.5, 0.6)}, "the boxed photo's crops, and only its box"
    assert (run / "epoch-001" / "model.safetensors").is_file()


@pytest.mark.parametrize("override, message", [
    ("train.epochs=zero", "integer"),
    ("train.nope=1", "unknown key"),
    ("model.arch=dragon", "not registered"),
    ("train.gan_mode=wasserstein", "gan_mode"),
    ("model.discriminator=null", "lambda_l1"),
    ("epochs=3", "section"),
])
def test_wrong_recipes_are_refused_clearly(override, message, tmp_path):
    extra = [override] + (["train.lambda_l1=0"] if "discriminator=null" in override else [])
    with pytest.raises(RecipeError, match=message):
        load_recipe(REPO / "train/configs/unet.yaml", extra)


def test_every_shipped_recipe_loads():
    for path in sorted((REPO / "train" / "configs").glob("[!_]*.yaml")):
        recipe = load_recipe(path)
        # Each recipe writes <out>/<its name>: its arch, or "sketch" for the sketch task.
        assert run_dir(recipe).name == path.stem, f"{path.name} trains {run_dir(recipe).name}"
