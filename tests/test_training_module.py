"""TrainingModule's channels-last option: the module and the 4-D tensors of its batches change layout."""

from __future__ import annotations

import torch
from torch import nn

from stylist.training import TrainingModule


class _Net(TrainingModule):
    def __init__(self, channels_last: bool) -> None:
        super().__init__(channels_last=channels_last)
        self.conv = nn.Conv2d(3, 4, 3)


def test_channels_last_converts_module_and_batches() -> None:
    module = _Net(channels_last=True)
    module.on_fit_start()
    assert module.conv.weight.is_contiguous(memory_format=torch.channels_last)
    assert not module.conv.weight.is_contiguous()
    batch = {"image": torch.rand(2, 3, 8, 8), "mask": torch.zeros(2, 8, 8), "pair": [torch.rand(1, 3, 4, 4), 7]}
    out = module.on_after_batch_transfer(batch, 0)
    assert out["image"].is_contiguous(memory_format=torch.channels_last) and not out["image"].is_contiguous()
    assert out["mask"] is batch["mask"]  # not 4-D: untouched
    assert out["pair"][0].is_contiguous(memory_format=torch.channels_last) and out["pair"][1] == 7
    torch.testing.assert_close(out["image"], batch["image"])


def test_default_layout_leaves_batches_alone() -> None:
    module = _Net(channels_last=False)
    module.on_fit_start()
    batch = torch.rand(2, 3, 8, 8)
    assert module.on_after_batch_transfer(batch, 0) is batch
    assert module.conv.weight.is_contiguous()
