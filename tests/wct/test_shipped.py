"""The shipped decoders reconstruct an unseen shared photo (golden_gate, 256 px long side).

Stated floors, below what was measured on 2026-12-03 (experiments/wct_unpool_cpu/README.md): the
relu1_1 decoder alone SSIM >= 0.95 (measured 0.98 for both kinds) and the whole relu4_1 -> relu1_1
chain at alpha 0 >= 0.45 for the upsampling decoders (measured 0.51) and >= 0.68 for the shipped
unpooling ones, the default (measured 0.73). Issue 14's target for the chain (0.85 at 512 px) is not
met on every photo yet.
"""

import pytest
import torch

from conftest import SHARED_IMAGES, needs_shared
from stylist.cli.compare import ssim
from stylist.image import load_image
from stylist.wct import encode, load_shipped, stylize


@needs_shared("data", "images", "golden_gate.jpg")
@pytest.mark.parametrize("name, chain_floor", [("wct_vgg16_decoders", 0.45), ("wct_vgg16_decoders_unpool", 0.68)])
def test_shipped_decoders_reconstruct_an_unseen_photo(name, chain_floor):
    decoders, encoder = load_shipped(name)
    photo = load_image(SHARED_IMAGES / "golden_gate.jpg", size=256)
    photo = photo[..., : photo.shape[-2] // 8 * 8, : photo.shape[-1] // 8 * 8]
    with torch.no_grad():
        first = decoders["relu1_1"](*encode(encoder, photo, 1)).clamp(0, 1)
    assert ssim(first, photo) >= 0.95
    assert ssim(stylize(photo, photo, alpha=0.0, decoders=decoders, encoder=encoder), photo) >= chain_floor


@needs_shared("data", "images", "golden_gate.jpg")
def test_bf16_autocast_stays_close_to_float32():
    """bf16 autocast of the encoder/decoders (``method.bf16``): at 128 px, 2026-12-03, SSIM 0.97
    (golden_gate x starry_night) and 0.92 (tubingen x the_scream) to the float32 output."""
    photo, style = load_image(SHARED_IMAGES / "golden_gate.jpg", size=96), load_image("starry_night", size=96)
    exact = stylize(photo, style, alpha=0.6)
    fast = stylize(photo, style, alpha=0.6, bf16=True)
    assert fast.dtype == torch.float32 and not torch.equal(fast, exact)
    assert ssim(fast, exact) >= 0.85
