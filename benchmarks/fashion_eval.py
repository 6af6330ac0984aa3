"""Fashion style change on unseen street photos: exactness, style strength and per-stage time.

For each photo (ModaNet-format val photos by default) and each method:

* ``changed_outside``: pixels beyond the feather band that differ from the input (target: 0);
* ``gram_drop``: Gram style distance to the style image inside the restyled parts, photo / result
  (:func:`stylist.metrics.style_distance`, one fixed VGG16; target: >= 5);
* seconds per stage (segment, stylize, composite); target for segment + Johnson + composite at
  512 px on 2 CPU cores: < 3 s. Model loading is reported once, apart.

    python benchmarks/fashion_eval.py [--size 512] [--photos 801 810] [--gatys-size 256]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from stylist.backbones import get_backbone
from stylist.cli import build_method
from stylist.cli.records import machine_info, machine_line, utc_now
from stylist.fashion import feather_mask, method_stylize, part_masks, restyle
from stylist.image import load_image
from stylist.metrics import style_distance
from stylist.segmentation import load_segmenter, segment
from stylist.utils import atomic_write

#: Gram distances are reported on two layer sets: Gatys et al.'s and Johnson et al.'s style layers.
LAYER_SETS = {
    "relu1_1-5_1": ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"),
    "relu1_2-4_3": ("relu1_2", "relu2_2", "relu3_3", "relu4_3"),
}
VAL_IMAGES = Path(__file__).resolve().parents[2] / "shared" / "data" / "modanet_ccp" / "images"


def evaluate(photo, segmenter, method, stylize, style_name, style_image, parts, feather, encoder) -> dict:
    start = time.perf_counter()
    class_map, _ = segment(photo, segmenter)
    seconds = {"segment": time.perf_counter() - start}
    present = [part for part, mask in part_masks(class_map, parts).items() if mask.any()]
    if not present:
        return {"method": method, "parts": [], "skipped": f"none of {parts} found"}
    result = restyle(photo, class_map, {part: style_name for part in present}, stylize, feather=feather)
    seconds.update(result.seconds)
    region = torch.stack(list(part_masks(class_map, present).values())).amax(dim=0)
    outside = feather_mask(region, feather)[0, 0] == 0
    drops = {}
    for name, layers in LAYER_SETS.items():
        before = style_distance(encoder, photo, style_image, region, layers)
        after = style_distance(encoder, result.image, style_image, region, layers)
        drops[name] = {"before": before, "after": after, "drop": before / after}
    return {
        "method": method,
        "size": list(photo.shape[-2:]),
        "parts": present,
        "restyled_share": float(region.mean()),
        "changed_outside": int((result.image[0][:, outside] != photo[0][:, outside]).any(dim=0).sum()),
        "gram": drops,
        "seconds": seconds,
        "seconds_end_to_end": sum(seconds.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, nargs="+", default=[801, 803, 806, 810, 821, 826])
    parser.add_argument("--parts", nargs="+", default=["top", "outer", "pants", "skirt", "dress"])
    parser.add_argument("--style", default="starry_night", help="shipped Johnson model; also the style image")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--feather", type=int, default=3)
    parser.add_argument("--gatys-size", type=int, default=256, help="Gatys runs on the first two photos at this size")
    parser.add_argument("--gatys-iterations", type=int, default=100)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/fashion_eval.json"))
    args = parser.parse_args()

    start = time.perf_counter()
    segmenter, encoder = load_segmenter(), get_backbone("vgg16")
    johnson = method_stylize(build_method("johnson"))
    johnson(torch.rand(1, 3, 64, 64), args.style, [])  # loads the model
    load_seconds = time.perf_counter() - start
    gatys = method_stylize(
        build_method("gatys", [f"method.iterations={args.gatys_iterations}", "loss.style_weight=1e5"], backbone=encoder),
        progress=False,
    )
    rows = []
    for index, photo_id in enumerate(args.photos):
        path = VAL_IMAGES / f"{photo_id:07d}.jpg"
        runs = [("johnson", johnson, args.size)] + ([("gatys", gatys, args.gatys_size)] if index < 2 else [])
        for method, stylize, size in runs:
            photo, style_image = load_image(path, size=size), load_image(args.style, size=size)
            row = evaluate(photo, segmenter, method, stylize, args.style, style_image, args.parts, args.feather, encoder)
            rows.append({"photo": path.name, **row})
            print(json.dumps(rows[-1]))
    johnson_rows = [r for r in rows if r["method"] == "johnson" and r["parts"]]
    summary = {
        "johnson_median_seconds": {
            stage: statistics.median(r["seconds"][stage] for r in johnson_rows)
            for stage in ("segment", "stylize", "composite")
        },
        "johnson_median_end_to_end_s": statistics.median(r["seconds_end_to_end"] for r in johnson_rows),
        "min_gram_drop": {
            f"{method} {layers}": min(r["gram"][layers]["drop"] for r in rows if r["method"] == method and r["parts"])
            for method in ("johnson", "gatys")
            for layers in LAYER_SETS
        },
        "max_changed_outside": max(r["changed_outside"] for r in rows if r["parts"]),
        "model_load_s": load_seconds,
    }
    result = {
        "rows": rows,
        "summary": summary,
        "style": args.style,
        "machine": machine_info(),
        "date": utc_now(),
    }
    with atomic_write(args.out) as tmp:
        tmp.write_text(json.dumps(result, indent=1))
    names = list(LAYER_SETS)
    print(
        "| photo | method | size | parts | changed outside | "
        + " | ".join(f"Gram drop {n}" for n in names)
        + " | segment s | stylize s | composite s | total s |"
    )
    print("|---" * (9 + len(names)) + "|")
    for r in rows:
        if r["parts"]:
            s = r["seconds"]
            print(
                f"| {r['photo']} | {r['method']} | {r['size'][0]}x{r['size'][1]} | {'+'.join(r['parts'])} | {r['changed_outside']} "
                + "".join(f"| {r['gram'][n]['before']:.3g} -> {r['gram'][n]['after']:.3g} ({r['gram'][n]['drop']:.1f}x) " for n in names)
                + f"| {s['segment']:.2f} "
                f"| {s['stylize']:.2f} | {s['composite']:.3f} | {r['seconds_end_to_end']:.2f} |"
            )
    print(json.dumps(summary, indent=1))
    print(machine_line(result["machine"]), result["date"])


if __name__ == "__main__":
    main()
