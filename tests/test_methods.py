"""Every registered method: built from its conf/method file, called with the one signature, and
checked against its declared needs."""

from pathlib import Path

import pytest
import torch
from hydra.utils import get_class, instantiate

from stylist.cli import CONFIG_DIR
from stylist.johnson import TransformerNet
from stylist.methods import METHODS, Method, MethodResult, get_method
from stylist.utils import StylistError
from stylist.wct import WCTDecoders, save_decoders

METHOD_FILES = sorted(p.stem for p in (Path(CONFIG_DIR) / "method").glob("*.yaml"))


def test_every_method_file_targets_its_registered_class(compose_cfg):
    assert sorted(METHODS) == METHOD_FILES
    for name in METHOD_FILES:
        cls = get_class(compose_cfg("stylize", [f"method={name}"]).method._target_)
        assert cls is get_method(name) and issubclass(cls, Method) and cls.name == name
        assert cls.needs and set(cls.needs) <= {"style", "model"}


def test_unknown_method_lists_the_registered_ones():
    with pytest.raises(StylistError, match="available: .*gatys"):
        get_method("nope")


@pytest.fixture
def tiny_models(tmp_path, monkeypatch, random_encoder):
    """Files of a tiny Johnson network and tiny WCT decoders, and random VGG16 weights everywhere."""
    import stylist.backbones

    torch.manual_seed(0)
    torch.save(TransformerNet(width=4, blocks=1).state_dict(), tmp_path / "johnson.pt")
    save_decoders(WCTDecoders(), tmp_path / "decoders.pt")
    monkeypatch.setattr(stylist.backbones, "get_backbone", lambda name="vgg16", **kw: random_encoder)
    return {"johnson": tmp_path / "johnson.pt", "wct": tmp_path / "decoders.pt", "photowct": tmp_path / "decoders.pt"}


TINY = {"gatys": ["method.iterations=2"], "photo": ["method.size=null", "method.stage2_iterations=2"]}


@pytest.mark.parametrize("name", METHOD_FILES)
def test_every_method_runs_with_the_one_signature(compose_cfg, tiny_models, name):
    overrides = [f"method={name}", "backbone.weights=random", *TINY.get(name, [])]
    if name in tiny_models:
        overrides.append(f"method.model={tiny_models[name]}")
    method = instantiate(compose_cfg("stylize", overrides).method)
    generator = torch.Generator().manual_seed(0)
    content, style = torch.rand(1, 3, 32, 40, generator=generator), torch.rand(1, 3, 32, 32, generator=generator)
    styles = [style] if "style" in method.needs else []
    result = method(content, styles, None, None, seed=0, progress=False)
    assert isinstance(result, MethodResult)
    assert result.image.shape == content.shape and torch.isfinite(result.image).all()
    assert 0 <= result.image.min() and result.image.max() <= 1
    assert not torch.equal(result.image, content)
    with pytest.raises(StylistError, match=r"content must be in \[0, 1\].*divide 0-255 images by 255"):
        method(content * 255, styles, progress=False)  # a PIL/NumPy image not divided by 255
    with pytest.raises(StylistError, match="content must be a float tensor"):
        method((content * 255).to(torch.uint8), styles, progress=False)
    with pytest.raises(StylistError, match="content has NaN or infinite values"):
        method(content * float("nan"), styles, progress=False)
    with pytest.raises(StylistError, match=r"mask 0 must be 1 x 1 x H x W"):
        method(content, styles, [torch.ones(1, 3, 32, 40)] * max(len(styles), 1), progress=False)
    if "style" in method.needs:
        with pytest.raises(StylistError, match=r"style 0 must be in \[0, 1\]"):
            method(content, [(style - 0.45) / 0.225], progress=False)  # ImageNet-normalised
        with pytest.raises(StylistError, match=r"style 0 is \(4, 4\) px; at least 16"):
            method(content, [torch.rand(1, 3, 4, 4)], progress=False)  # was a pooling RuntimeError in WCT
        with pytest.raises(StylistError, match="needs at least one style image"):
            method(content, [], progress=False)
        with pytest.raises(StylistError, match="one mask per style"):
            method(content, styles, [torch.ones(1, 1, 32, 40)] * 2, progress=False)
    if "model" in method.needs:
        assert method.with_model(str(tiny_models[name])).model == str(tiny_models[name])
    else:
        with pytest.raises(StylistError, match="takes no trained model"):
            method.with_model("starry_night")


def test_a_model_method_without_a_model_says_how_to_choose_one(compose_cfg):
    method = instantiate(compose_cfg("stylize", ["method=johnson"]).method)
    with pytest.raises(StylistError, match="method.model=starry_night"):
        method(torch.rand(1, 3, 16, 16))


def test_photo_gets_its_loss_injected_from_its_loss_config(compose_cfg, random_encoder):
    from stylist.methods import Photo

    tiny = ["method=photo", "backbone.weights=random", "method.size=null", "method.stage2_iterations=2"]
    method = instantiate(compose_cfg("stylize", tiny).method, backbone=random_encoder)
    loss = method.loss(random_encoder)
    assert (loss.content_layers, loss.content_weight, loss.style_weight) == (["relu4_2"], 5.0, 500.0)
    generator = torch.Generator().manual_seed(0)
    content, style = torch.rand(1, 3, 32, 40, generator=generator), torch.rand(1, 3, 32, 32, generator=generator)
    image = method(content, [style], progress=False).image
    own = Photo(backbone=random_encoder, size=None, stage2_iterations=2)(content, [style], progress=False).image
    assert torch.equal(image, own)  # conf/loss/photo holds the paper's layers and weights, the method's defaults
    stronger = instantiate(compose_cfg("stylize", [*tiny, "loss.style_weight=5e6"]).method, backbone=random_encoder)
    assert stronger.loss(random_encoder).style_weight == 5e6
    assert not torch.equal(stronger(content, [style], progress=False).image, image)
    with pytest.raises(StylistError, match="belong to the injected loss: set loss.style_weight"):
        Photo(loss=method.loss, style_weight=1.0)
