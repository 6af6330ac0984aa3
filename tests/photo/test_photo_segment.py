"""Deep Photo Style Transfer with regions from the shipped segmenter (``method=photo segment=true``)."""

import torch

from conftest import MODANET_CCP, needs_shared
from stylist.image import load_image
from stylist.methods import Photo
from stylist.regions import segment_pairs

pytestmark = needs_shared("data", "modanet_ccp", "images")


def _photo(image_id: int, size: int) -> torch.Tensor:
    return load_image(str(MODANET_CCP / "images" / f"{image_id:07d}.jpg"), size=size)


def test_segment_pairs_are_disjoint_regions_found_in_both_photos():
    content, style = _photo(801, 192), _photo(802, 160)
    pairs = segment_pairs(content, style, min_share=0.01)
    content_masks, style_masks = pairs.content_masks, pairs.style_masks
    assert len(content_masks) == len(style_masks) >= 2  # background and at least one garment
    for mask, image in ((torch.cat(content_masks), content), (torch.cat(style_masks), style)):
        assert mask.shape[-2:] == image.shape[-2:]
        assert mask.sum(0).max() <= 1  # one class per pixel
        assert (mask.flatten(1).mean(1) >= 0.01).all()


def test_photo_method_with_segmenter_regions_runs_end_to_end(random_encoder):
    content, style = _photo(801, 96), _photo(802, 96)
    result = Photo(random_encoder, segment=True, size=None, stage1_iterations=2, stage2_iterations=1)(
        content, [style], progress=False
    )
    assert result.image.shape == content.shape and torch.isfinite(result.image).all()
    assert result.history["stage"] == [1, 1, 2] and not torch.equal(result.image, content)
