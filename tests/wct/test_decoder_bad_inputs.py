"""WCT decoder files: corrupt or foreign ones are named in one line."""

from __future__ import annotations

import pytest
import torch

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
