"""``SegmentationModule`` on the training base: the trainable encoder layers at ``encoder_lr_scale``
times the learning rate, and the polynomial decay over the run's steps."""

from __future__ import annotations

import functools
from types import SimpleNamespace

import pytest
import torch

from stylist.segmentation.model import build_deeplab
from stylist.segmentation.module import SegmentationModule


@pytest.fixture(scope="module")
def net():
    return build_deeplab(encoder_weights=None, freeze_until="pool4", decoder_channels=16)


def test_encoder_layers_learn_slower_and_frozen_ones_not_at_all(net):
    module = SegmentationModule(net, optimizer=functools.partial(torch.optim.AdamW, lr=1e-3), scheduler=None,
                                class_weighting=None, encoder_lr_scale=0.1)  # fmt: skip
    rest, encoder = module.configure_optimizers().param_groups
    assert rest["lr"] == 1e-3 and encoder["lr"] == pytest.approx(1e-4)
    trainable_encoder = [p for p in net.encoder.parameters() if p.requires_grad]
    assert [id(p) for p in encoder["params"]] == [id(p) for p in trainable_encoder] and trainable_encoder
    grouped = {id(p) for group in (rest, encoder) for p in group["params"]}
    assert grouped == {id(p) for p in module.parameters() if p.requires_grad}


def test_the_scheduler_decays_over_every_step(net, monkeypatch):
    monkeypatch.setattr(SegmentationModule, "trainer", property(lambda self: SimpleNamespace(estimated_stepping_batches=7)))
    module = SegmentationModule(net, optimizer=functools.partial(torch.optim.AdamW, lr=1e-3),
                                scheduler=functools.partial(torch.optim.lr_scheduler.PolynomialLR, power=0.9),
                                class_weighting=None)  # fmt: skip
    config = module.configure_optimizers()
    assert config["lr_scheduler"]["scheduler"].total_iters == 7 and config["lr_scheduler"]["interval"] == "step"
