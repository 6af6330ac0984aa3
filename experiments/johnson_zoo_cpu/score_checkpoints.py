"""Score Johnson checkpoints (or shipped names) on held-out photos at 512 px with the issue's measure,
against Gatys renders that ``benchmarks/johnson_zoo.py`` left under ``--gatys-images``; for pilots and
for picking a chunk's checkpoint before shipping it.

    python experiments/johnson_zoo_cpu/score_checkpoints.py CKPT_OR_NAME [...] --style starry_night \\
        [--photos tubingen golden_gate] [--gatys-images /work/runs/zoo/images] [--save-dir DIR]

Prints one JSON line per (model, photo) and per model the mean style ratio relative to Gatys's mean
over the photos Gatys was rendered for.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from stylist.backbones import get_backbone
from stylist.image import load_image, save_image
from stylist.johnson import load_transformer, stylize_image
from stylist.metrics import transfer_scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+")
    parser.add_argument("--style", default="starry_night")
    parser.add_argument("--style-mix", default=None, help="style slot of a multi-style network")
    parser.add_argument("--photos", nargs="+", default=["tubingen", "golden_gate"])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--gatys-images", type=Path, default=Path("outputs/johnson_zoo"))
    parser.add_argument("--save-dir", type=Path, default=None)
    args = parser.parse_args()
    encoder = get_backbone("vgg16", weights="hed")
    style = load_image(args.style)
    contents = {Path(p).stem: load_image(p, size=args.size) for p in args.photos}
    gatys = {}
    for stem, content in contents.items():
        path = args.gatys_images / f"{stem}__{Path(args.style).stem}__gatys_default.png"
        if path.is_file():
            gatys[stem] = transfer_scores(encoder, load_image(path), content, style)
            print(json.dumps({"model": "gatys_default", "photo": stem, **gatys[stem]}), flush=True)
    for model in args.models:
        net = load_transformer(model, style_mix=args.style_mix)
        ratios = {}
        for stem, content in contents.items():
            with torch.no_grad():
                out = stylize_image(net, content)
            scores = transfer_scores(encoder, out, content, style)
            ratios[stem] = scores
            print(json.dumps({"model": model, "photo": stem, **scores}), flush=True)
            if args.save_dir is not None:
                args.save_dir.mkdir(parents=True, exist_ok=True)
                save_image(out, args.save_dir / f"{Path(model).stem}__{stem}.png")
        common = [s for s in ratios if s in gatys]
        if common:
            mean = lambda d, k: sum(d[s][k] for s in common) / len(common)  # noqa: E731
            print(json.dumps({"model": model, "photos": common,
                              "style_ratio_vs_gatys": mean(ratios, "style_ratio") / mean(gatys, "style_ratio"),
                              "content_ratio": mean(ratios, "content_ratio")}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
