"""WCT outputs on unseen photos (tubingen, golden_gate, two ModaNet-CCP val street photos) with the
three paintings at alpha 0 (the chained reconstruction, the same for every style), 0.6 and 1,
stylised at ``--size`` px long side.

    OMP_NUM_THREADS=1 python experiments/wct_unpool_cpu/make_figure.py [--decoders wct_vgg16_decoders] [--out stylized.jpg]
"""

import argparse
from pathlib import Path

import torch

from stylist.cli import REPO_ROOT
from stylist.image import image_grid, load_image
from stylist.utils import atomic_write
from stylist.wct import load_shipped, stylize

CONTENTS = ["tubingen", "golden_gate"] + [
    str(REPO_ROOT.parent / "shared" / "data" / "modanet_ccp" / "images" / f"{i:07d}.jpg") for i in (801, 810)
]
STYLES = ["starry_night", "the_scream", "shipwreck"]
ALPHAS = (0.0, 0.6, 1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--decoders", default="wct_vgg16_decoders")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--cell", type=int, default=256)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("stylized.jpg"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    decoders, encoder = load_shipped(args.decoders)
    rows, labels = [], []
    for content_name in CONTENTS:
        content = load_image(content_name, size=args.size)
        reconstruction = stylize(content, content, alpha=0.0, decoders=decoders, encoder=encoder)  # any style
        for style_name in STYLES:
            style = load_image(style_name, size=args.size)
            outputs = [
                reconstruction if a == 0 else stylize(content, style, alpha=a, decoders=decoders, encoder=encoder)
                for a in ALPHAS
            ]
            rows.append([content, style, *outputs])
            labels.append(f"{Path(content_name).stem}\nx {style_name}")
    columns = ["content", "style", *(f"alpha {a:g}" for a in ALPHAS)]
    sheet = image_grid(rows, row_labels=labels, col_labels=columns, cell=args.cell)
    with atomic_write(args.out) as tmp:
        sheet.save(tmp, format="JPEG", quality=88)
    print(args.out)


if __name__ == "__main__":
    main()
