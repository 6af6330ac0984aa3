"""The fashion gallery: unseen street photos (modanet_ccp val) and the scikit-image astronaut, each
with two part selections and styles: (A) the shipped Johnson starry_night model, (B) Gatys with
guided Gram matrices and another painting, (C) WCT on the parts of A with the built-in ``tartan``
fabric, a style no shipped feed-forward model was trained on.

    python experiments/fashion/make_gallery.py [--size 320] [--gatys-iterations 40] [--out experiments/fashion]

Writes ``gallery.png`` (photo | parts A | result A | parts B | result B | result C per row) and
``gallery.json`` (parts found, pixel shares, timings per stage, settings).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from stylist.backbones import get_backbone
from stylist.cli import build_method
from stylist.fashion import describe, method_stylize, part_index, restyle
from stylist.image import image_grid, load_image, save_image
from stylist.segmentation import load_segmenter, overlay, segment
from stylist.utils import atomic_write

VAL_IMAGES = Path(__file__).resolve().parents[3] / "shared" / "data" / "modanet_ccp" / "images"

#: photo -> (parts restyled with Johnson starry_night, (parts, painting) restyled with Gatys). The
#: parts are those the shipped segmenter finds (it calls 0000806's top and skirt one "dress", 0000821's
#: romper "outer" and "dress", bare legs "pants", and the astronaut's collar "dress").
SELECTIONS = {
    "0000801.jpg": (["top"], (["pants"], "the_scream")),
    "0000803.jpg": (["outer"], (["top"], "shipwreck")),
    "0000806.jpg": (["dress"], (["bag"], "the_scream")),
    "0000810.jpg": (["pants"], (["top"], "shipwreck")),
    "0000821.jpg": (["outer"], (["outer", "dress"], "the_scream")),
    "0000826.jpg": (["dress"], (["dress"], "shipwreck")),
    "astronaut": (["dress"], (["bag"], "the_scream")),
}


def chosen_overlay(photo: torch.Tensor, class_map: torch.Tensor, parts: list[str]) -> torch.Tensor:
    chosen = torch.zeros_like(class_map)
    for part in parts:
        chosen[class_map == part_index(part)] = part_index(part)
    return overlay(photo, chosen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=320)
    parser.add_argument("--gatys-iterations", type=int, default=40)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args()
    segmenter, encoder = load_segmenter(), get_backbone("vgg16")
    johnson = method_stylize(build_method("johnson"))
    gatys = method_stylize(
        build_method("gatys", [f"method.iterations={args.gatys_iterations}", "loss.style_weight=1e5"], backbone=encoder),
        progress=False,
    )
    wct = method_stylize(build_method("wct"))
    rows, labels, records = [], [], {}
    for name, (parts_a, (parts_b, painting)) in SELECTIONS.items():
        photo = load_image(VAL_IMAGES / name if name.endswith(".jpg") else name, size=args.size)
        start = time.perf_counter()
        class_map, _ = segment(photo, segmenter)
        segment_s = time.perf_counter() - start
        a = restyle(photo, class_map, {p: "starry_night" for p in parts_a}, johnson)
        b = restyle(photo, class_map, {p: painting for p in parts_b}, gatys)
        c = restyle(photo, class_map, {p: "tartan" for p in parts_a}, wct)
        rows.append([photo, chosen_overlay(photo, class_map, parts_a), a.image,
                     chosen_overlay(photo, class_map, parts_b), b.image, c.image])
        labels.append(f"{Path(name).stem}: A {'+'.join(a.restyled) or '-'} | B {'+'.join(b.restyled) or '-'} {painting}")
        records[name] = {"segment_s": segment_s, "A_johnson_starry_night": describe(a), f"B_gatys_{painting}": describe(b),
                         "C_wct_tartan": describe(c)}
        print(labels[-1], json.dumps(records[name]["A_johnson_starry_night"]["seconds"]))
    columns = ["photo", "parts A", "A: Johnson starry_night", "parts B", "B: Gatys (guided Gram)", "C: WCT tartan (parts A)"]
    sheet = image_grid(rows, row_labels=[Path(n).stem.lstrip("0") for n in SELECTIONS], col_labels=columns, cell=256)
    save_image(sheet, args.out / "gallery.png")
    with atomic_write(args.out / "gallery.json") as tmp:
        tmp.write_text(json.dumps({"size": args.size, "rows": labels, "records": records,
                                   "date": time.strftime("%Y-%m-%d")}, indent=1))
    print(args.out / "gallery.png")


if __name__ == "__main__":
    main()
