"""Conditional instance norm (Dumoulin et al. 2017): one style's pair reproduces a single-style
network; a mix is the affine blend of the pairs."""

import pytest
import torch

from stylist.johnson import TransformerNet
from stylist.johnson.model import ConditionalInstanceNorm2d
from stylist.utils import StylistError

STYLES = ["a", "b", "c"]


def _random(net: TransformerNet, seed: int) -> TransformerNet:
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in net.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.3 + (parameter == 1).float())
    return net.eval()


def _multi(seed: int = 0) -> TransformerNet:
    return _random(TransformerNet(width=4, blocks=2, styles=STYLES), seed)


def test_one_style_slot_reproduces_the_single_style_network():
    single = _random(TransformerNet(width=4, blocks=2), seed=1)
    multi = _multi(seed=2)
    state = multi.state_dict()
    for key, value in single.state_dict().items():  # the single net's IN affine into slot 1
        if state[key].dim() == 2:
            state[key][1] = value
        else:
            state[key] = value
    multi.load_state_dict(state)
    image = torch.rand(2, 3, 24, 32)
    multi.set_style("b")
    torch.testing.assert_close(multi(image), single(image), atol=1e-5, rtol=0)
    multi.set_style("a")
    assert (multi(image) - single(image)).abs().max() > 1e-3  # another slot paints differently


def test_a_mix_is_the_affine_blend_of_the_pairs():
    multi = _multi()
    norm = next(m for m in multi.modules() if isinstance(m, ConditionalInstanceNorm2d))
    multi.set_style({"a": 0.7, "c": 0.3})
    x = torch.randn(1, norm.weight.shape[1], 8, 8)
    normalised = (x - x.mean((2, 3), keepdim=True)) / torch.sqrt(x.var((2, 3), keepdim=True, unbiased=False) + 1e-5)
    gamma = 0.7 * norm.weight[0] + 0.3 * norm.weight[2]
    beta = 0.7 * norm.bias[0] + 0.3 * norm.bias[2]
    torch.testing.assert_close(norm(x), normalised * gamma[:, None, None] + beta[:, None, None], atol=1e-5, rtol=0)


def test_blend_bakes_a_mix_into_a_single_style_network():
    multi = _multi()
    mix = {"a": 0.2, "b": 0.5, "c": 0.3}
    image = torch.rand(1, 3, 20, 28)
    multi.set_style(mix)
    baked = multi.blend(mix).eval()
    assert baked.styles is None
    torch.testing.assert_close(baked(image), multi(image), atol=1e-5, rtol=0)
    assert (multi.blend("a")(image) - baked(image)).abs().max() > 1e-3


def test_conditional_from_copies_the_pair_into_every_slot():
    single = _random(TransformerNet(width=4, blocks=1), seed=3)
    multi = TransformerNet.conditional_from(single, STYLES).eval()
    image = torch.rand(1, 3, 16, 16)
    for name in STYLES:
        multi.set_style(name)
        torch.testing.assert_close(multi(image), single(image), atol=1e-5, rtol=0)


@pytest.mark.parametrize("mix", ["d", {"a": -1.0, "b": 0.5}, {"a": 0.0}])
def test_bad_mixes_are_user_errors(mix):
    with pytest.raises(StylistError):
        _multi().set_style(mix)


def test_single_style_network_has_no_mix():
    with pytest.raises(StylistError, match="multi-style"):
        TransformerNet(width=4, blocks=1).blend("a")
