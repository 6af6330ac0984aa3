import pytest
import torch

from stylist.johnson import TransformerNet, stylize_image
from stylist.utils import StylistError


@pytest.mark.parametrize("size", [(37, 50), (16, 16), (5, 9), (64, 30)])
def test_any_size_is_padded_and_cropped_back(size):
    net = TransformerNet(width=4, blocks=1).eval()
    out = stylize_image(net, torch.rand(1, 3, *size))
    assert out.shape == (1, 3, *size)
    assert 0 <= out.min() and out.max() <= 1 and not out.requires_grad


def test_network_rejects_sizes_not_divisible_by_4_with_a_hint():
    with pytest.raises(ValueError, match="stylize_image"):
        TransformerNet(width=4, blocks=1)(torch.rand(1, 3, 30, 32))


def test_width_and_blocks_are_configurable():
    small, large = TransformerNet(width=8, blocks=2), TransformerNet(width=16, blocks=3)
    count = lambda net: sum(p.numel() for p in net.parameters())  # noqa: E731
    assert count(small) < count(large)
    assert sum(1 for m in large.modules() if type(m).__name__ == "ResidualBlock") == 3
    assert large(torch.rand(2, 3, 16, 24)).shape == (2, 3, 16, 24)


def test_stylize_image_wants_one_rgb_image():
    with pytest.raises(StylistError):
        stylize_image(TransformerNet(width=4, blocks=1), torch.rand(2, 3, 16, 16))
