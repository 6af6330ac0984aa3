"""Johnson inference refuses corrupt, foreign and untrained models with one line naming the problem."""

from __future__ import annotations

import pytest
import torch

from stylist.johnson import load_transformer
from stylist.methods import Johnson
from stylist.utils import StylistError


@pytest.mark.parametrize("name", ["model.pt", "last.ckpt"])
def test_corrupt_model_file_is_named(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"\x80\x02truncated")
    with pytest.raises(StylistError, match=f"cannot read model file {path}"):
        load_transformer(str(path))


def test_other_weights_are_named(tmp_path):
    path = tmp_path / "decoders.pt"
    torch.save({"relu4_1.0.weight": torch.zeros(1)}, path)
    with pytest.raises(StylistError, match=f"{path}: not TransformerNet weights"):
        load_transformer(str(path))


def test_untrained_training_module_is_refused():
    class FreshModule(torch.nn.Module):  # what model=johnson instantiates: a LightningModule to train
        def training_step(self, batch, index):
            raise AssertionError("not for inference")

    with pytest.raises(StylistError, match="untrained FreshModule"):
        Johnson(model=FreshModule())(torch.rand(1, 3, 16, 16))
