"""Pilot: how much of PhotoWCT's colour transfer the smoothing step keeps (experiments/photorealistic/README.md).

For four benchmark pairs at 512 px: the semantic colour ratio and structure of the PhotoWCT output
before smoothing (levels 2, 1, shipped upsampling decoders), after `stylist.photowct.smooth` with a few
weights / filter settings, and after the local affine filter alone.

    OMP_NUM_THREADS=1 python experiments/photorealistic/pilot_photowct_smoothing.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from photo_eval import _photo  # noqa: E402  (the benchmark's pairs and label maps)

from stylist.image import load_image  # noqa: E402
from stylist.matting import local_affine_filter  # noqa: E402
from stylist.metrics import semantic_color_ratio, structure_similarity  # noqa: E402
from stylist.photowct import smooth  # noqa: E402
from stylist.regions import label_map_pairs  # noqa: E402
from stylist.wct import stylize as wct  # noqa: E402

PAIRS = [("golden_gate", "hoovertowernight"), ("tubingen", "hoovertowernight"), ("803", "804"), ("807", "808")]
SMOOTHING = [(30, 1e-3, 2), (10, 1e-3, 2), (30, 1e-4, 2), (30, 1e-3, 1)]  # weight, filter eps, filter radius


def main() -> None:
    torch.set_num_threads(1)
    for content_name, style_name in PAIRS:
        (content_spec, content_map), (style_spec, style_map) = _photo(content_name), _photo(style_name)
        content, style = load_image(content_spec, size=512), load_image(style_spec, size=512)
        regions = label_map_pairs(content_map, style_map, tuple(content.shape[-2:]), tuple(style.shape[-2:]))
        raw = wct(content, [style] * len(regions.content_masks), alpha=1.0, masks=regions.content_masks,
                  style_masks=regions.style_masks, decoders="wct_vgg16_decoders", levels=(2, 1))  # fmt: skip

        def score(image: torch.Tensor) -> tuple[float, float]:
            ratio = semantic_color_ratio(image, content, style, regions.content_masks, regions.style_masks)
            return round(ratio, 3), round(structure_similarity(image, content), 3)

        row = {"raw": score(raw), "filter only (eps 1e-3, r 2)": score(local_affine_filter(raw, content, radius=2, eps=1e-3).clamp(0, 1))}
        for weight, eps, radius in SMOOTHING:
            row[f"smooth w{weight} eps{eps} r{radius}"] = score(smooth(raw, content, weight=weight, size=256, radius=radius, eps=eps))
        print(content_name, style_name, row, flush=True)


if __name__ == "__main__":
    main()
