"""fashion + WCT (method=wct): the masked transform restyles the chosen part, restyle keeps the rest exactly."""

import pytest
import torch

import stylist.wct
from functools import partial

from stylist.fashion import method_stylise, part_index, restyle
from stylist.methods import run_wct
from stylist.wct import WCTDecoders


@pytest.fixture(params=[False, True], ids=["upsample", "unpool"])
def random_wct(request, monkeypatch, random_encoder):
    torch.manual_seed(0)
    decoders = WCTDecoders(unpool=request.param).eval()
    monkeypatch.setattr(stylist.wct, "load_shipped", lambda name: (decoders, random_encoder))


def test_wct_restyles_only_the_part(random_wct):
    class_map = torch.zeros(48, 40, dtype=torch.long)
    class_map[8:32, 8:32] = part_index("top")
    photo = torch.rand(1, 3, 48, 40, generator=torch.Generator().manual_seed(1))
    result = restyle(photo, class_map, {"top": "swirls"}, method_stylise(partial(run_wct, alpha=1.0), style_size=48), feather=2)
    outside = result.mask[0, 0] == 0
    assert torch.equal(result.image[..., outside], photo[..., outside])
    inside = class_map == part_index("top")
    assert (result.image[..., inside] - photo[..., inside]).abs().mean() > 0.01
