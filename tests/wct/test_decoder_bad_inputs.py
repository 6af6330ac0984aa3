"""Bad inputs to WCT: corrupt or foreign decoder files, an alpha out of range, each named in one line."""

from __future__ import annotations

import pytest
import torch

from stylist.wct import stylize
from stylist.wct.decoder import load_decoders
from stylist.utils import StylistError


def test_corrupt_decoder_file_is_named(tmp_path):
    path = tmp_path / "decoders.pt"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(StylistError, match=f"cannot read model file {path}"):
        load_decoders(path)


def test_other_weights_are_named(tmp_path):
    path = tmp_path / "johnson.pt"
    torch.save({"net.0.1.weight": torch.zeros(1)}, path)
    with pytest.raises(StylistError, match="holds no WCT decoder weights"):
        load_decoders(path)


@pytest.mark.parametrize("alpha", [-0.1, 1.5, 3.0])
def test_alpha_out_of_range_is_refused_before_any_work(alpha):
    image = torch.rand(1, 3, 16, 16)
    with pytest.raises(StylistError, match=f"alpha must be between 0 .* got {alpha}"):
        stylize(image, image, alpha=alpha, decoders="no_such_decoders")  # refused before loading them


def test_no_levels_is_refused_before_any_work():
    image = torch.rand(1, 3, 16, 16)
    with pytest.raises(StylistError, match="levels: give at least one WCT level"):
        stylize(image, image, levels=[], decoders="no_such_decoders")  # before, it returned the photo unchanged
