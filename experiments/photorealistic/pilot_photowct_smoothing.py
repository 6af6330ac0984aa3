"""Pilot: how much of PhotoWCT's colour transfer the smoothing step keeps (experiments/photorealistic/README.md).

For benchmark pairs at 512 px: the semantic colour ratio and structure of the PhotoWCT output before
smoothing, after `stylist.photowct.smooth` (the closed-form solve) with a few weights / filter settings,
and after the local affine filter alone (FastPhotoStyle's guided-filter approximation of the smoothing).

    OMP_NUM_THREADS=1 python experiments/photorealistic/pilot_photowct_smoothing.py     # 4 pairs, levels 2 1, upsampling decoders
    OMP_NUM_THREADS=1 python experiments/photorealistic/pilot_photowct_smoothing.py --all-pairs \
        --decoders wct_vgg16_decoders_unpool --levels 4 3 2 1 --smoothing 30,1e-3,2 --filters 2,1e-3 4,1e-3 8,1e-3 15,1e-2
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from photo_eval import PAIRS, _photo  # noqa: E402  (the benchmark's pairs and label maps)

from stylist.image import image_grid, load_image, save_image  # noqa: E402
from stylist.matting import local_affine_filter  # noqa: E402
from stylist.metrics import semantic_color_ratio, structure_similarity  # noqa: E402
from stylist.photowct import smooth  # noqa: E402
from stylist.regions import label_map_pairs  # noqa: E402
from stylist.wct import stylize as wct  # noqa: E402

FOUR_PAIRS = [("golden_gate", "hoovertowernight"), ("tubingen", "hoovertowernight"), ("803", "804"), ("807", "808")]


def _parse(specs: list[str], *types: type) -> list[tuple]:
    """``"30,1e-3,2"`` -> ``(30.0, 0.001, 2)`` for each spec, one type per comma-separated field."""
    return [tuple(kind(field) for kind, field in zip(types, spec.split(","), strict=True)) for spec in specs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decoders", default="wct_vgg16_decoders")
    parser.add_argument("--levels", type=int, nargs="+", default=[2, 1])
    parser.add_argument("--all-pairs", action="store_true", help="the benchmark's 8 pairs (default: 4 of them)")
    parser.add_argument("--smoothing", nargs="*", default=["30,1e-3,2", "10,1e-3,2", "30,1e-4,2", "30,1e-3,1"],
                        help="WEIGHT,FILTER_EPS,FILTER_RADIUS of the closed-form smoothing at --smooth-size px")  # fmt: skip
    parser.add_argument("--smooth-size", type=int, default=256, help="longest side of the smoothing solve (0: full size)")
    parser.add_argument("--filters", nargs="*", default=["2,1e-3"], help="RADIUS,EPS of the local affine filter alone")
    parser.add_argument("--figure", type=Path, help="also save rows: content | style | raw | each filter | each smoothing")
    args = parser.parse_args()
    solve_size = args.smooth_size or None  # 0: the solve at full size
    torch.set_num_threads(1)
    rows: list[list[torch.Tensor]] = []
    for content_name, style_name in PAIRS if args.all_pairs else FOUR_PAIRS:
        (content_spec, content_map), (style_spec, style_map) = _photo(content_name), _photo(style_name)
        content, style = load_image(content_spec, size=512), load_image(style_spec, size=512)
        regions = label_map_pairs(content_map, style_map, tuple(content.shape[-2:]), tuple(style.shape[-2:]))
        raw = wct(content, [style] * len(regions.content_masks), alpha=1.0, masks=regions.content_masks,
                  style_masks=regions.style_masks, decoders=args.decoders, levels=tuple(args.levels))  # fmt: skip

        def score(image: torch.Tensor) -> tuple[float, float]:
            ratio = semantic_color_ratio(image, content, style, regions.content_masks, regions.style_masks)
            return round(ratio, 3), round(structure_similarity(image, content), 3)

        outputs = {"raw": raw}
        for radius, eps in _parse(args.filters, int, float):
            outputs[f"filter only (eps {eps:g}, r {radius})"] = local_affine_filter(raw, content, radius=radius, eps=eps).clamp(0, 1)
        for weight, eps, radius in _parse(args.smoothing, float, float, int):
            outputs[f"smooth w{weight:g} eps{eps:g} r{radius}"] = smooth(raw, content, weight=weight, size=solve_size, radius=radius, eps=eps)
        print(content_name, style_name, {name: score(image) for name, image in outputs.items()}, flush=True)
        rows.append([content, style, *outputs.values()])
    if args.figure:
        columns = ["content", "style", *outputs]
        save_image(image_grid(rows, col_labels=[name.replace("filter only", "filter") for name in columns], cell=320), args.figure)
        print("figure:", args.figure, "columns:", ", ".join(columns))


if __name__ == "__main__":
    main()
