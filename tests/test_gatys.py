import pytest
import torch

from stylist.color import rgb_to_yiq, yiq_to_rgb
from stylist.gatys import stylize
from stylist.image import load_image
from stylist.losses import PerceptualLoss
from stylist.utils import StylistError

from conftest import needs_shared

FAST = dict(content_layers=["relu2_2"], style_layers=["relu1_1", "relu2_1"], progress=False)


@pytest.fixture
def pair():
    generator = torch.Generator().manual_seed(0)
    return torch.rand(1, 3, 32, 40, generator=generator), torch.rand(1, 3, 36, 36, generator=generator)


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_loss_decreases_and_history_is_complete(random_encoder, pair, optimizer):
    result = stylize(*pair, encoder=random_encoder, iterations=15, optimizer=optimizer, tv_weight=1.0, **FAST)
    assert set(result.history) == {"total", "content", "style", "tv", "scale"}
    assert all(len(v) == 15 for v in result.history.values())
    assert result.history["total"][-1] < result.history["total"][0]
    assert result.image.shape == (1, 3, 32, 40) and 0 <= result.image.min() and result.image.max() <= 1
    assert result.seconds_per_iteration > 0 and result.backbone_weights == "random"


def test_seeded_runs_are_identical(random_encoder, pair):
    runs = [stylize(*pair, encoder=random_encoder, iterations=5, init="noise", seed=7, **FAST) for _ in range(2)]
    assert torch.equal(runs[0].image, runs[1].image)
    assert runs[0].history == runs[1].history


def test_init_options(random_encoder, pair):
    content, style = pair
    for init in ("content", "noise", "style"):
        stylize(content, style, encoder=random_encoder, iterations=1, init=init, **FAST)
    with pytest.raises(StylistError, match="init"):
        stylize(content, style, encoder=random_encoder, iterations=1, init="zeros", **FAST)
    with pytest.raises(StylistError, match="optimizer"):
        stylize(content, style, encoder=random_encoder, iterations=1, optimizer="sgd", **FAST)


def test_multi_scale_runs_coarse_to_fine(random_encoder):
    content = torch.rand(1, 3, 64, 64)
    result = stylize(content, torch.rand(1, 3, 64, 64), encoder=random_encoder, iterations=3, scales=(0.5, 1.0), **FAST)
    assert result.history["scale"] == [32] * 3 + [64] * 3
    assert result.image.shape[-2:] == (64, 64)


def test_preserve_color_keeps_the_content_chrominance(random_encoder, pair):
    content, style = pair
    result = stylize(content, style, encoder=random_encoder, iterations=5, preserve_color=True, **FAST)
    expected_iq = rgb_to_yiq(content)[:, 1:]
    # clamping to [0, 1] moves out-of-gamut pixels; compare where no channel was clamped
    inside = ((result.image > 0.001) & (result.image < 0.999)).all(dim=1, keepdim=True).expand(-1, 2, -1, -1)
    assert inside.float().mean() > 0.5
    assert torch.allclose(rgb_to_yiq(result.image)[:, 1:][inside], expected_iq[inside], atol=1e-4)
    x = torch.rand(1, 3, 4, 4)
    assert torch.allclose(yiq_to_rgb(rgb_to_yiq(x)), x, atol=1e-5)


def test_style_blend_and_masks(random_encoder, pair):
    content, style = pair
    stylize(content, [style, style.flip(-1)], style_blend=[0.7, 0.3], encoder=random_encoder, iterations=2, **FAST)
    mask = torch.zeros(1, 1, 32, 40)
    mask[..., :20] = 1
    result = stylize(content, [style], masks=[mask], encoder=random_encoder, iterations=2, **FAST)
    assert result.image.shape == content.shape
    with pytest.raises(StylistError, match="mask is"):
        stylize(content, [style], masks=[torch.ones(1, 1, 10, 10)], encoder=random_encoder, iterations=1, **FAST)


def test_non_finite_loss_is_a_clear_error(random_encoder, pair):
    loss = PerceptualLoss(random_encoder, ["relu2_2"], ["relu1_1", "relu2_1"])
    loss.style_weight = float("nan")  # set after construction: a NaN weight given to the loss is refused there
    with pytest.raises(StylistError, match="loss became nan"):
        stylize(*pair, encoder=random_encoder, iterations=3, loss=loss, **FAST)


def _style_loss(encoder, image, style):
    loss = PerceptualLoss(encoder, [], ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"])
    loss.set_style(style)
    return loss(image).style.item()


@pytest.mark.slow
@needs_shared("data", "images", "starry_night.jpg")
def test_starry_night_on_tubingen_end_to_end(hed_encoder):
    """The style loss falls at least 10x while the result stays closer to the photo than the painting is."""
    content, style = load_image("tubingen", size=128), load_image("starry_night", size=128)
    result = stylize(content, style, encoder=hed_encoder, iterations=60, progress=False)
    history = result.history
    assert history["style"][-1] < history["style"][0] / 10
    content_loss_of_painting = PerceptualLoss(hed_encoder, ["relu2_2"], [])
    content_loss_of_painting.set_content(content)
    painting = torch.nn.functional.interpolate(style, size=content.shape[-2:], mode="bilinear")
    assert history["content"][-1] < content_loss_of_painting(painting).content.item()


@pytest.mark.slow
@needs_shared("data", "images", "starry_night.jpg")
def test_pretrained_weights_transfer_style_random_weights_do_not(hed_encoder, random_encoder):
    """Judged by the pretrained network: random-weight Gatys leaves the style far from the painting."""
    content, style = load_image("tubingen", size=96), load_image("starry_night", size=96)
    pretrained = stylize(content, style, encoder=hed_encoder, iterations=40, progress=False).image
    random = stylize(content, style, encoder=random_encoder, iterations=40, progress=False).image
    assert _style_loss(hed_encoder, pretrained, style) * 5 < _style_loss(hed_encoder, random, style)
