"""``TrainingModule``: optimiser and parameter groups from partials, per-step scheduler, image grids."""

from __future__ import annotations

import functools
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from stylist.training import TrainingModule


class _Tiny(TrainingModule):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.body, self.head = nn.Linear(2, 2), nn.Linear(2, 1)
        self.frozen = nn.Linear(2, 2).requires_grad_(False)

    def parameter_groups(self):
        return [{"params": list(self.head.parameters())}, {"params": list(self.body.parameters()), "lr_scale": 0.1}]


class _Logger:
    def __init__(self):
        self.images = []
        self.experiment = SimpleNamespace(add_image=lambda tag, grid, step: self.images.append((tag, grid, step)))


def test_parameter_groups_scale_their_learning_rate():
    module = _Tiny(optimizer=functools.partial(torch.optim.SGD, lr=0.5, momentum=0.9))
    optimizer = module.configure_optimizers()
    head, body = optimizer.param_groups
    assert head["lr"] == 0.5 and body["lr"] == pytest.approx(0.05) and body["momentum"] == 0.9
    assert "lr_scale" not in body
    assert {id(p) for p in body["params"]} == {id(p) for p in module.body.parameters()}


def test_default_groups_are_the_trainable_parameters():
    module = _Tiny()
    groups = TrainingModule.parameter_groups(module)
    assert {id(p) for p in groups[0]["params"]} == {id(p) for m in (module.body, module.head) for p in m.parameters()}
    assert isinstance(module.configure_optimizers(), torch.optim.Adam)


def test_the_scheduler_steps_every_step():
    module = _Tiny(scheduler=functools.partial(torch.optim.lr_scheduler.StepLR, step_size=1, gamma=0.5))
    config = module.configure_optimizers()
    assert config["lr_scheduler"]["interval"] == "step"
    assert config["lr_scheduler"]["scheduler"].optimizer is config["optimizer"]


def test_image_grid_pads_images_of_any_size_and_reaches_image_loggers(monkeypatch):
    module = _Tiny()
    loggers = [_Logger(), SimpleNamespace(experiment=object())]  # the second takes no images
    monkeypatch.setattr(TrainingModule, "loggers", property(lambda self: loggers))
    module.log_image_grid("val/grid", [torch.zeros(3, 8, 12), torch.zeros(3, 10, 6)])
    ((tag, grid, step),) = loggers[0].images
    # one per row, padded to 10 x 12, with 4 px white borders
    assert tag == "val/grid" and step == 0 and grid.shape == (3, 4 + 2 * (10 + 4), 4 + 12 + 4)
    assert grid[:, 4:12, 4:16].eq(0).all() and grid[:, 12:14, 4:16].eq(1).all()
    module.log_image_grid("val/none", [])
    assert len(loggers[0].images) == 1
