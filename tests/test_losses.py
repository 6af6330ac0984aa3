"""Every loss on hand-made tensors: values, gradients, masks; modules against their functional twins."""

import pytest
import torch

from stylist.backbones import VGGEncoder
from stylist.losses import (
    ContentLoss,
    GramLoss,
    GuidedGramLoss,
    PerceptualLoss,
    TotalVariationLoss,
    content_loss,
    gram_loss,
    gram_matrix,
    guided_gram_loss,
    ssim_loss,
    total_variation_loss,
)
from stylist.utils import StylistError


def test_gram_matrix_by_hand():
    # C=2, H=1, W=2: F = [[1, 2], [3, 4]]
    features = torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]])
    expected = torch.tensor([[1 + 4, 3 + 8], [3 + 8, 9 + 16]]) / (2 * 1 * 2)
    assert torch.allclose(gram_matrix(features)[0], expected)


def test_guided_gram_with_full_mask_equals_plain_and_ignores_outside():
    features = torch.randn(1, 4, 6, 6)
    assert torch.allclose(gram_matrix(features, torch.ones(1, 1, 6, 6)), gram_matrix(features), atol=1e-6)
    mask = torch.zeros(1, 1, 6, 6)
    mask[..., :, :3] = 1
    changed = features.clone()
    changed[..., :, 3:] = 100.0  # outside the mask
    assert torch.allclose(gram_matrix(features, mask), gram_matrix(changed, mask))
    # inside-only Gram equals the Gram of the cropped region
    assert torch.allclose(gram_matrix(features, mask), gram_matrix(features[..., :, :3]), atol=1e-6)


@pytest.mark.parametrize("guided", [False, True])
def test_gram_backward_matches_finite_differences(guided):
    features = torch.rand(2, 3, 4, 5, dtype=torch.float64, requires_grad=True)
    guide = torch.rand(2, 1, 4, 5, dtype=torch.float64) if guided else None
    assert torch.autograd.gradcheck(lambda f: gram_matrix(f, guide), (features,))


def test_one_feature_map_with_several_guides():
    features = torch.rand(1, 3, 4, 4, dtype=torch.float64, requires_grad=True)
    guides = torch.rand(2, 1, 4, 4, dtype=torch.float64)
    grams = gram_matrix(features, guides)
    assert grams.shape == (2, 3, 3)
    assert torch.allclose(grams[1], gram_matrix(features, guides[1:])[0])
    assert torch.autograd.gradcheck(lambda f: gram_matrix(f, guides), (features,))


def test_guided_gram_empty_mask_is_an_error():
    with pytest.raises(StylistError, match="empty"):
        gram_matrix(torch.randn(1, 2, 4, 4), torch.zeros(1, 1, 4, 4))


def test_guided_gram_loss_gives_no_gradient_outside_the_mask():
    features = torch.randn(1, 3, 8, 8, requires_grad=True)
    mask = torch.zeros(1, 1, 8, 8)
    mask[..., 2:5, 2:5] = 1
    loss = guided_gram_loss(features, [mask], [torch.zeros(1, 3, 3)])
    loss.backward()
    assert features.grad[..., mask[0, 0] == 0].abs().max() == 0
    assert features.grad[..., mask[0, 0] == 1].abs().max() > 0


def test_content_loss_value_and_gradient():
    x = torch.zeros(1, 2, 2, 2, requires_grad=True)
    target = torch.ones(1, 2, 2, 2)
    loss = content_loss(x, target)
    assert loss.item() == pytest.approx(1.0)
    loss.backward()
    assert torch.allclose(x.grad, torch.full_like(x, -2.0 / 8))


def test_gram_loss_zero_for_same_statistics_and_positive_otherwise():
    features = torch.randn(1, 3, 5, 5)
    shuffled = features.flatten(2)[..., torch.randperm(25)].view(1, 3, 5, 5)
    assert gram_loss(shuffled, gram_matrix(features)).item() < 1e-10  # Gram ignores positions
    assert gram_loss(features * 2, gram_matrix(features)).item() > 0


def test_total_variation_by_hand():
    image = torch.tensor([[[[0.0, 1.0], [0.0, 1.0]]]])
    # vertical diffs all 0; horizontal diffs are 1 -> mean 1
    assert total_variation_loss(image).item() == pytest.approx(1.0)
    assert total_variation_loss(torch.ones(1, 3, 4, 4)).item() == 0


def test_ssim_loss_matches_skimage_and_sees_noise_in_flat_regions():
    from skimage.metrics import structural_similarity

    torch.manual_seed(0)
    clean = torch.full((1, 3, 48, 48), 0.3)
    clean[..., 24:] = 0.7  # two flat halves, one edge
    noisy = clean + 0.02 * torch.randn_like(clean)
    blurred = torch.nn.functional.avg_pool2d(clean, 3, 1, 1, count_include_pad=False)
    to_np = lambda x: x[0].permute(1, 2, 0).double().numpy()  # noqa: E731
    reference = structural_similarity(
        to_np(noisy), to_np(clean), channel_axis=2, data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
    )
    assert 1 - ssim_loss(noisy, clean).item() == pytest.approx(reference, abs=1e-4)
    assert ssim_loss(clean, clean).item() == pytest.approx(0.0, abs=1e-6)
    # MSE ranks faint noise in flat regions as the smaller error than a blurred edge; SSIM the other way
    assert torch.nn.functional.mse_loss(noisy, clean) < torch.nn.functional.mse_loss(blurred, clean)
    assert ssim_loss(noisy, clean) > ssim_loss(blurred, clean)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert ssim_loss(noisy, clean).dtype == torch.float32


def test_modules_match_functional_twins():
    features, target = torch.randn(2, 3, 4, 4), torch.randn(2, 3, 4, 4)
    module = ContentLoss()
    module.set_target(target)
    assert torch.equal(module(features), content_loss(features, target))
    gram = GramLoss()
    gram.set_target([target[:1]])
    assert torch.allclose(gram(features), gram_loss(features, gram_matrix(target[:1])))
    mask = torch.ones(1, 1, 4, 4)
    guided = GuidedGramLoss()
    guided.set_target([target[:1]], [mask])
    assert torch.allclose(guided(features[:1]), guided_gram_loss(features[:1], [mask], [gram_matrix(target[:1])]))
    assert torch.equal(TotalVariationLoss()(features), total_variation_loss(features))
    assert "target" not in module.state_dict()  # targets are non-persistent buffers


def test_style_blend_is_the_weighted_gram():
    a, b = torch.randn(1, 3, 4, 4), torch.randn(1, 3, 4, 4)
    gram = GramLoss()
    gram.set_target([a, b], blend=[3, 1])
    assert torch.allclose(gram.target, 0.75 * gram_matrix(a) + 0.25 * gram_matrix(b))


def test_modules_need_targets():
    with pytest.raises(RuntimeError, match="set_target"):
        ContentLoss()(torch.randn(1, 1, 2, 2))
    with pytest.raises(RuntimeError, match="set_target"):
        GuidedGramLoss()(torch.randn(1, 1, 2, 2))


def test_guided_gram_guides_and_targets_are_buffers_that_move_with_the_module():
    torch.manual_seed(0)
    styles, features = [torch.randn(1, 3, 6, 5), torch.randn(1, 3, 4, 4)], torch.randn(1, 3, 8, 8)
    guides = [torch.rand(1, 1, 8, 8), torch.rand(1, 1, 8, 8)]
    loss = GuidedGramLoss()
    loss.set_target(styles, guides, [None, torch.rand(1, 1, 4, 4)])
    value = loss(features)
    assert {name for name, _ in loss.named_buffers()} == {"guides", "targets"} and not loss.state_dict()
    assert loss.guides.shape == (2, 1, 1, 8, 8) and loss.targets.shape == (2, 1, 3, 3)
    loss.to(torch.float64)
    assert loss.guides.dtype == loss.targets.dtype == torch.float64
    assert torch.allclose(loss(features.double()), value.double(), rtol=1e-5)
    with pytest.raises(StylistError, match="region masks differ in size"):
        loss.set_target(styles, [guides[0], torch.rand(1, 1, 4, 4)])


@pytest.fixture
def perceptual():
    torch.manual_seed(0)
    return PerceptualLoss(
        VGGEncoder(None), ["relu2_2"], ["relu1_1", "block2_conv1"], content_weight=2.0, style_weight=3.0, tv_weight=5.0
    )


def test_perceptual_loss_combines_weighted_terms(perceptual):
    content, style, image = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32)
    perceptual.set_content(content)
    perceptual.set_style(style)
    terms = perceptual(image)
    enc = perceptual.encoder
    f_img, f_c, f_s = (enc(x, ["relu1_1", "relu2_1", "relu2_2"]) for x in (image, content, style))
    expected_content = 2.0 * content_loss(f_img["relu2_2"], f_c["relu2_2"])
    expected_style = 3.0 * 0.5 * sum(gram_loss(f_img[k], gram_matrix(f_s[k])) for k in ("relu1_1", "relu2_1"))
    assert torch.allclose(terms.content, expected_content, rtol=1e-5)
    assert torch.allclose(terms.style, expected_style, rtol=1e-5)
    assert torch.allclose(terms.tv, 5.0 * total_variation_loss(image))
    assert torch.allclose(terms.total, terms.content + terms.style + terms.tv)


def test_perceptual_loss_layer_weights_and_errors():
    loss = PerceptualLoss(VGGEncoder(None), ["relu2_2"], ["relu1_1", "relu2_1"], style_layer_weights={"relu1_1": 1.0})
    assert loss.style_layer_weights == [1.0, 0.0]
    with pytest.raises(StylistError, match="not in use"):
        PerceptualLoss(VGGEncoder(None), ["relu2_2"], ["relu1_1"], style_layer_weights={"relu3_1": 1.0})


def test_perceptual_guided_mode_uses_masks(perceptual):
    content, style = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32)
    mask = torch.zeros(1, 1, 32, 32)
    mask[..., :16] = 1
    perceptual.set_content(content)
    perceptual.set_style([style], masks=[mask])
    image = torch.rand(1, 3, 32, 32, requires_grad=True)
    perceptual.content_weight = perceptual.tv_weight = 0.0
    perceptual(image).total.backward()
    grad = image.grad.abs().sum(dim=(0, 1))
    # the receptive field of relu2_1 spreads ~6 px past the mask edge; far outside there is no gradient
    assert grad[:, 24:].sum() == 0 and grad[:, :16].sum() > 0
    with pytest.raises(StylistError, match="region masks"):
        perceptual.set_style([style, style], masks=[mask])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: gram_matrix(torch.rand(3, 4)), r"gram_matrix takes B x C x H x W features, got shape \(3, 4\)"),
        (lambda: content_loss(torch.rand(1, 4, 8, 8), torch.rand(1, 4, 6, 6)), "content target .* does not match"),
        (lambda: ssim_loss(torch.rand(1, 3, 16, 16), torch.rand(1, 3, 8, 8)), "two B x C x H x W images of one shape"),
        (lambda: ssim_loss(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8)), "each side at least 11 px"),
    ],
)
def test_shape_mistakes_in_a_notebook_are_named(call, message):
    with pytest.raises(StylistError, match=message):  # were torch's unpack/expand/conv2d errors
        call()


@pytest.mark.parametrize("weight", ["content_weight", "style_weight", "tv_weight"])
@pytest.mark.parametrize("value", ["abc", -1.0, float("nan"), float("inf")])
def test_loss_weights_that_are_not_numbers_above_zero_are_refused(random_encoder, weight, value):
    # from a config (loss.style_weight=abc) this was a TypeError deep in the first loss evaluation
    with pytest.raises(StylistError, match=f"loss.{weight} must be a number >= 0"):
        PerceptualLoss(random_encoder, ["relu2_2"], ["relu1_2"], **{weight: value})
