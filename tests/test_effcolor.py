"""effcolor, the recommended model: a distribution over ab bins from the full Lite0 encoder, hints, decoding knobs."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import torch

from colorgan import ab_bins
from colorgan.checkpoints import load_generator, save_checkpoint
from colorgan.config import load_recipe
from colorgan.models import build_generator, count_parameters
from colorgan.pipeline import Colorizer
from colorgan.trainer import train
from tests.conftest import REPO, natural_photo

TINY = {"decoder_widths": [8, 8, 8, 8]}


def test_the_head_predicts_bins_at_a_quarter_and_forward_keeps_the_generator_contract():
    model = build_generator("effcolor", **TINY).eval()
    x = torch.rand(2, 1, 70, 45) * 2 - 1
    with torch.no_grad():
        logits = model.logits(x)
        chroma = model(x)
    assert logits.shape == (2, ab_bins.bin_count(), 96 // 4, 64 // 4)   # padded to a multiple of 32
    assert chroma.shape == (2, 2, 70, 45) and chroma.abs().max() <= 1
    assert model.predicts_distribution and model.takes_hints


def test_the_recipe_network_uses_the_whole_encoder_and_trains_only_the_decoder():
    model = build_generator("effcolor")
    encoder = count_parameters(model.encoder)
    assert 2.9e6 < encoder < 3.0e6                      # Lite0 to /32 (block 15, 320 channels)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert trainable == count_parameters(model) - encoder
    model.train()
    assert not model.encoder.training                   # frozen: ImageNet batch-norm statistics kept
    x = torch.rand(2, 1, 64, 64) * 2 - 1
    model.logits(x).sum().backward()
    assert all(p.grad is None for p in model.encoder.parameters())


def test_temperature_trades_vividness_and_hints_move_the_colour():
    torch.manual_seed(0)
    model = build_generator("effcolor", **TINY).eval()
    with torch.no_grad():
        model.head.weight.mul_(40)                      # a confident (peaked) random network
        x = torch.rand(1, 1, 64, 64) * 2 - 1
        vivid, cautious = model(x, temperature=0.1), model(x, temperature=3.0)
        assert vivid.abs().mean() > cautious.abs().mean()
        hints = torch.zeros(1, 3, 64, 64)
        hints[0, :2, 20:30, 20:30] = torch.tensor([0.5, -0.5])[:, None, None]
        hints[0, 2, 20:30, 20:30] = 1
        assert not torch.equal(model(x, hints=hints), model(x))
    automatic = build_generator("effcolor", **TINY, hints=False)
    with pytest.raises(ValueError, match="not trained with hints"):
        automatic.logits(x, hints)


def test_prior_correction_takes_the_rebalancing_back():
    torch.manual_seed(0)
    weights = np.linspace(0.2, 5, ab_bins.bin_count())
    plain = build_generator("effcolor", **TINY, class_weights=weights.tolist()).eval()
    corrected = build_generator("effcolor", **TINY, class_weights=weights.tolist(), prior_correction=1.0).eval()
    corrected.load_state_dict(plain.state_dict())
    logits = torch.randn(1, ab_bins.bin_count(), 2, 2)
    assert torch.allclose(corrected.corrected(logits), logits - torch.log(torch.tensor(weights)).view(1, -1, 1, 1).float())
    assert torch.equal(plain.corrected(logits), logits)
    with pytest.raises(ValueError, match="positive"):
        build_generator("effcolor", **TINY, class_weights=[1.0] * 3)


def test_int8_storage_keeps_the_colours(tmp_path):
    torch.manual_seed(0)
    model = build_generator("effcolor", **TINY, class_weights=[1.0] * ab_bins.bin_count()).eval()
    config = {"arch": "effcolor", "kwargs": {**TINY, **model.learned_kwargs()}, "epoch": 1, "render_size": 64}
    save_checkpoint(tmp_path / "f32", model, config)
    save_checkpoint(tmp_path / "i8", model, config, dtype="int8")
    full, small = tmp_path / "f32" / "model.safetensors", tmp_path / "i8" / "model.safetensors"
    assert small.stat().st_size < 0.35 * full.stat().st_size
    a, _ = load_generator(tmp_path / "f32")
    b, config_b = load_generator(tmp_path / "i8")
    assert config_b["dtype"] == "int8" and b.log_class_weights.numel() == ab_bins.bin_count()
    photo = natural_photo(80, 120)
    difference = np.abs(Colorizer(a, config, "cpu").colorize(photo).astype(int)
                        - Colorizer(b, config, "cpu").colorize(photo).astype(int)).mean()
    assert difference < 1.0


def test_classification_training_with_hints_records_what_decoding_needs(photo_folder, tmp_path):
    recipe = load_recipe(REPO / "train/configs/effcolor.yaml", [
        f"data.train={photo_folder / 'train'}", f"data.val={photo_folder / 'val'}", "data.manifest=null",
        "data.size=32", "data.crops_per_image=8", "train.batch_size=8", "train.epochs=3", "train.decay_epochs=1",
        "train.save_every=1", "train.sample_count=1",
        "model.generator.decoder_widths=[8, 8, 8, 8]", "train.lr_g=2e-3", f"train.out={tmp_path}"])
    out = train(recipe, progress=False)
    rows = list(csv.DictReader((out / "train_log.csv").open()))
    assert all(np.isfinite(float(r["g_class"])) and float(r["g_class"]) > 0 for r in rows)
    config = json.loads((out / "epoch-003" / "config.json").read_text())
    assert config["takes_hints"] is True and config["predicts_distribution"] is True
    assert len(config["kwargs"]["class_weights"]) == ab_bins.bin_count()
    prior = list(csv.DictReader((out / "ab_prior.csv").open()))
    assert len(prior) == ab_bins.bin_count() and abs(sum(float(r["prior"]) for r in prior) - 1) < 1e-3
    colorizer = Colorizer.from_checkpoint(out / "epoch-003", device="cpu")
    assert colorizer.takes_hints and colorizer.predicts_distribution
    assert colorizer.colorize(natural_photo(50, 70)).shape == (50, 70, 3)


def test_the_rebalanced_classification_loss_learns_a_fixed_batch():
    """40 Adam steps of Zhang's loss on four real photos (scikit-image's) lower it by a fifth."""
    import cv2
    import skimage.data

    from colorgan.color import AB_SCALE, get_space
    from colorgan.trainer import _classification_loss

    torch.manual_seed(0)
    photos = [cv2.resize(getattr(skimage.data, n)(), (64, 64), interpolation=cv2.INTER_AREA)
              for n in ("astronaut", "chelsea", "coffee", "rocket")]
    rgb = torch.from_numpy(np.stack(photos)).permute(0, 3, 1, 2).float() / 255
    luma, chroma = get_space("lab").encode(rgb)
    counts = ab_bins.count_bins(chroma * AB_SCALE)
    weights = torch.as_tensor(ab_bins.rebalancing_weights(ab_bins.prior_from_counts(counts)))
    model = build_generator("effcolor", decoder_widths=[16, 16, 16, 16], pretrained=True).train()
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=2e-3)
    losses = []
    for _ in range(40):
        loss = _classification_loss(model.logits(luma), chroma, weights)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0], losses[::8]


def test_fine_tuning_the_encoder_tail_trains_only_those_blocks(photo_folder, tmp_path):
    """train.tune_encoder_blocks: from tune_from_epoch the last blocks learn (ImageNet batch norm kept),
    the rest of the encoder stays exactly ImageNet's, and the run resumes with its optimizer groups."""
    overrides = [f"data.train={photo_folder / 'train'}", f"data.val={photo_folder / 'val'}", "data.manifest=null",
                 "data.size=32", "data.crops_per_image=2", "train.batch_size=4", "train.epochs=2",
                 "train.decay_epochs=0", "train.sample_count=1", "model.generator.decoder_widths=[8, 8, 8, 8]",
                 "train.tune_encoder_blocks=2", "train.tune_from_epoch=2", "train.lr_encoder=1e-3",
                 f"train.out={tmp_path}"]
    recipe = load_recipe(REPO / "train/configs/effcolor.yaml", [*overrides, "train.epochs=1"])
    first = train(recipe, progress=False)
    one, _ = load_generator(first / "epoch-001")
    recipe = load_recipe(REPO / "train/configs/effcolor.yaml", overrides)
    train(recipe, progress=False)   # resumes at epoch 2, where the tail starts to learn
    two, _ = load_generator(first / "epoch-002")
    blocks = len(one.encoder._blocks)
    for index in range(blocks):
        same = all(torch.equal(a, b) for a, b in zip(one.encoder._blocks[index].parameters(),
                                                     two.encoder._blocks[index].parameters()))
        assert same == (index < blocks - 2), index
    for a, b in zip(one.encoder.modules(), two.encoder.modules()):
        if isinstance(a, torch.nn.BatchNorm2d):
            assert torch.equal(a.running_mean, b.running_mean)
    assert torch.equal(one.encoder._conv_stem.weight, two.encoder._conv_stem.weight)


def test_max_pooled_hints_reach_the_coarse_scales_at_full_strength():
    from colorgan.models.effcolor import pool_hints

    hints = torch.zeros(1, 3, 64, 64)
    hints[0, :, 10:13, 10:13] = torch.tensor([0.5, -0.3, 1.0])[:, None, None]
    assert torch.allclose(pool_hints(hints, (2, 2), "max")[0, :, 0, 0], torch.tensor([0.5, -0.3, 1.0]))
    assert pool_hints(hints, (2, 2), "max")[0, :, 1, 1].abs().sum() == 0
    assert pool_hints(hints, (2, 2), "mean")[0, 2, 0, 0] < 0.01       # the first recipe's: 9 of 1024 pixels
    with pytest.raises(ValueError, match="hint_pooling"):
        build_generator("effcolor", **TINY, hint_pooling="median")


def test_a_second_stage_starts_from_the_first_ones_weights(photo_folder, tmp_path):
    common = [f"data.train={photo_folder / 'train'}", f"data.val={photo_folder / 'val'}", "data.manifest=null",
              "data.size=32", "data.crops_per_image=1", "train.batch_size=4", "train.epochs=1",
              "train.sample_count=1", "train.decay_epochs=0"]
    widths = "model.generator={pretrained: true, decoder_widths: [8, 8, 8, 8], hint_pooling: %s}"
    first = train(load_recipe(REPO / "train/configs/effcolor.yaml", [*common, widths % "mean",
                                                                        f"train.out={tmp_path / 'one'}"]), progress=False)
    second = train(load_recipe(REPO / "train/configs/effcolor.yaml", [
        *common, widths % "max", "train.lr_g=1e-9", f"train.init_from={first / 'epoch-001'}",
        f"train.out={tmp_path / 'two'}"]), progress=False)
    a, _ = load_generator(first / "epoch-001")
    b, config = load_generator(second / "epoch-001")
    assert config["kwargs"]["hint_pooling"] == "max"
    assert torch.allclose(a.head.weight, b.head.weight, atol=1e-3)   # lr ~0: the first stage's weights
    with pytest.raises(RuntimeError, match="another network"):
        train(load_recipe(REPO / "train/configs/effcolor.yaml", [
            *common, "model.generator={decoder_widths: [16, 8, 8, 8]}", f"train.init_from={first / 'epoch-001'}",
            f"train.out={tmp_path / 'three'}"]), progress=False)
