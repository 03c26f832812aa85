"""Every registered generator and discriminator, parametrised over the registry (timm style)."""

from __future__ import annotations

import pytest
import torch

from colorgan.checkpoints import load_generator, save_checkpoint
from colorgan.models import build_discriminator, build_generator, discriminator_names, generator_names
from colorgan.models.patchgan import receptive_field

# Tiny widths keep CI fast; every builder must accept these keys or have a tiny entry here.
TINY = {
    "unet": {"ngf": 8, "depth": 5},
    "shavenet": {"ngf": 4, "n_blocks": 2},
    "yuvgan": {"ngf": 8, "noise_dim": 8, "grid": 4},
    "baseline": {"ngf": 4},
    "effunet": {"encoder_depth": 2, "decoder_width": 16, "pretrained": False},
    "effcolor": {"decoder_widths": [16, 16, 8, 8], "freeze_encoder": False},
    "unetpp": {"ngf": 8, "levels": 3},
    "unet3p": {"ngf": 4, "levels": 3},
    "linknet": {"ngf": 8, "levels": 3},
    "r2unet": {"ngf": 4, "levels": 2, "t": 1},
    "resrunet": {"ngf": 4, "levels": 2, "t": 1},
}


def tiny_generator(name: str) -> torch.nn.Module:
    torch.manual_seed(0)
    return build_generator(name, **TINY.get(name, {}))


@pytest.mark.parametrize("name", generator_names())
@pytest.mark.parametrize("size", [(32, 32), (33, 47), (17, 64), (40, 24)])
def test_generator_keeps_any_size(name, size):
    model = tiny_generator(name).eval()
    with torch.no_grad():
        out = model(torch.rand(2, 1, *size) * 2 - 1)
    assert out.shape == (2, 2, *size)
    assert torch.isfinite(out).all()
    assert out.abs().max() <= 1.0 + 1e-5, "chroma must be normalised to [-1, 1]"


@pytest.mark.parametrize("name", generator_names())
def test_generator_save_load_identical(name, tmp_path):
    model = tiny_generator(name).eval()
    x = torch.rand(1, 1, 36, 28) * 2 - 1
    with torch.no_grad():
        before = model(x)
    save_checkpoint(tmp_path / "ckpt", model, {"arch": name, "kwargs": TINY.get(name, {}), "epoch": 1})
    loaded, config = load_generator(tmp_path / "ckpt")
    with torch.no_grad():
        after = loaded(x)
    assert config["arch"] == name
    assert torch.equal(before, after)


@pytest.mark.parametrize("name", generator_names())
def test_generator_learns(name):
    """30 Adam steps on a tiny fixed batch lower the L1 loss (the model can learn at all)."""
    torch.manual_seed(0)
    model = tiny_generator(name).train()
    luma = torch.rand(4, 1, 32, 32) * 2 - 1
    stride = getattr(model, "output_stride", 1)   # effcolor predicts colour at /4: a target it can resolve
    smooth = torch.nn.functional.interpolate(torch.nn.functional.avg_pool2d(luma, stride), scale_factor=stride,
                                             mode="nearest") if stride > 1 else luma
    target = torch.tanh(torch.cat([smooth.roll(3 * stride, dims=3), -smooth], dim=1))
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    losses = []
    for _ in range(30):
        loss = torch.nn.functional.l1_loss(model(luma), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0], f"{name}: L1 {losses[0]:.4f} -> {losses[-1]:.4f}"


@pytest.mark.parametrize("name", discriminator_names())
@pytest.mark.parametrize("size", [(32, 32), (70, 90)])
def test_discriminator_output(name, size):
    model = build_discriminator(name, in_channels=3).eval()
    with torch.no_grad():
        out = model(torch.randn(2, 3, *size))
    assert out.shape[0] == 2 and out.dim() in (2, 4)
    assert torch.isfinite(out).all()


def test_patchgan_is_70x70():
    assert receptive_field(3) == 70
    out = build_discriminator("patchgan")(torch.randn(1, 3, 256, 256))
    assert out.shape == (1, 1, 30, 30)


def test_unet_default_matches_pix2pix_size():
    model = build_generator("unet")
    assert model.multiple == 256
    assert sum(p.numel() for p in model.parameters()) == 54_412_354


def test_unknown_names_and_kwargs_are_clear():
    with pytest.raises(KeyError, match="registered"):
        build_generator("nope")
    with pytest.raises(TypeError, match="does not take"):
        build_generator("unet", wings=3)
