"""``model.init_from``: a segmentation run can start from a trained segmenter's weights (student from teacher)."""

from __future__ import annotations

from functools import partial

import torch

from stylist.segmentation import load_segmenter
from stylist.segmentation.model import build_deeplab
from stylist.segmentation.module import SegmentationModule


def test_network_starts_from_the_named_weights() -> None:
    source = load_segmenter("deeplab_modanet_ccp").net.state_dict()
    fresh = build_deeplab(encoder_weights=None, freeze_until="pool3", atrous_rates=(6, 12, 18))
    assert not torch.equal(fresh.state_dict()["segmentation_head.0.weight"], source["segmentation_head.0.weight"].float())
    module = SegmentationModule(fresh, partial(torch.optim.AdamW, lr=1e-3), init_from="deeplab_modanet_ccp")
    for name, value in module.net.state_dict().items():
        torch.testing.assert_close(value, source[name].to(value.dtype), msg=name)
    frozen = [name for name, p in module.net.named_parameters() if not p.requires_grad]
    assert frozen and all(name.startswith("encoder.") for name in frozen)  # the run's own freezing is kept
