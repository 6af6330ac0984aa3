"""Which layer's Gram matrix keeps WCT's style ratio far from Gatys's? Issue 14's style ratio of
tubingen x starry_night at 512 px (alpha 1, the shipped decoders), split by layer
(:func:`stylist.metrics.style_ratio_terms`), for the content photo itself and three level orders.

    OMP_NUM_THREADS=2 python experiments/wct_unpool_cpu/style_ratio_layers.py [--content tubingen --style starry_night]
"""

from __future__ import annotations

import argparse

from stylist.backbones import get_backbone
from stylist.image import load_image
from stylist.metrics import RATIO_STYLE_LAYERS, style_ratio_terms
from stylist.wct import stylize

ORDERS = {"[4, 3, 2, 1] (default)": (4, 3, 2, 1), "[4] only": (4,), "[1, 2, 3, 4] (fine to coarse)": (1, 2, 3, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--content", default="tubingen")
    parser.add_argument("--style", default="starry_night")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--alpha", type=float, default=1.0)
    args = parser.parse_args()
    content, style = load_image(args.content, size=args.size), load_image(args.style, size=args.size)
    encoder = get_backbone("vgg16")
    rows = {"content photo itself": content}
    rows.update({name: stylize(content, style, alpha=args.alpha, levels=levels) for name, levels in ORDERS.items()})
    print("| levels | " + " | ".join(RATIO_STYLE_LAYERS) + " | style ratio |")
    print("|---|" + "---|" * (len(RATIO_STYLE_LAYERS) + 1))
    for name, image in rows.items():
        terms = style_ratio_terms(encoder, image, content, style)
        ratio = sum(t["out"] for t in terms.values()) / sum(t["content"] for t in terms.values())
        print(f"| {name} | " + " | ".join(f"{terms[layer]['out']:.0f}" for layer in RATIO_STYLE_LAYERS) + f" | {ratio:.3f} |")


if __name__ == "__main__":
    main()
