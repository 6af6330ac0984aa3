"""Figures of the multi-style ``paintings`` network (and the style-scale comparison):

* ``loss_curves.png``: training style/content loss per painting (step ``k`` trains painting ``k mod 3``);
* ``before_after.png``: held-out photos at 512 px, then each painting's slot (and the old
  single-style ``starry_night`` for comparison);
* ``interpolation.png``: a 5 x 5 grid of style mixes (corners: starry_night, the_scream,
  shipwreck and the equal mix of the three; inner cells: bilinear blends of the corners' weights);
* ``style_scales.png``: tubingen at style scales 0.5, 1 and 2 (``--scale-size`` px) for Gatys (the
  CLI's ``style_scale``, rendered by ``python -m stylist.stylize content=tubingen style=starry_night
  size=256 style_scale=<s>``) and for the feed-forward network (its strokes keep their pixel size:
  trained on a style image of S px, it runs on the photo at ``S / s`` px, resized for display).

    python experiments/johnson_paintings_cpu/make_figures.py outputs/train/johnson_paintings_cpu \\
        --model paintings --out experiments/johnson_paintings_cpu
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from stylist.image import image_grid, load_image, resize_longest, style_size, to_pil
from stylist.johnson import load_transformer, stylize_image
from stylist.models import shipped
from stylist.plots import plot_loss_history
from stylist.utils import atomic_write

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from johnson_zoo import PHOTOS  # noqa: E402

CORNERS = ("starry_night", "the_scream", "shipwreck", "equal mix")


def per_style_curves(run_dir: Path, styles: list[str]) -> dict[str, list[float]]:
    """``train/style`` and ``train/content`` per painting, by step (``step mod len(styles)``)."""
    points: dict[str, dict[int, float]] = {}
    for events in sorted(run_dir.rglob("events.out.tfevents.*")):
        acc = EventAccumulator(str(events), size_guidance={"scalars": 0})
        acc.Reload()
        for key in ("style", "content"):
            if f"train/{key}" in acc.Tags()["scalars"]:
                for e in acc.Scalars(f"train/{key}"):
                    points.setdefault(f"{key} {styles[e.step % len(styles)]}", {})[e.step] = e.value
    return {name: [v for _, v in sorted(p.items())] for name, p in sorted(points.items())}


def save(image: Image.Image, path: Path) -> None:
    with atomic_write(path) as tmp:
        image.save(tmp, format="PNG")
    print(path)


def grid_weights(row: int, col: int, n: int = 5) -> torch.Tensor:
    """Bilinear blend of the corner mixes (one-hot starry/scream/shipwreck, equal thirds)."""
    corners = torch.tensor([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0], [1 / 3, 1 / 3, 1 / 3]])
    y, x = row / (n - 1), col / (n - 1)
    return (1 - y) * (1 - x) * corners[0] + (1 - y) * x * corners[1] + y * (1 - x) * corners[2] + y * x * corners[3]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--model", default="paintings")
    parser.add_argument("--compare", default="starry_night", help="single-style model shown next to it")
    parser.add_argument("--gatys-scales", type=Path, default=Path("outputs/style_scales"),
                        help="Gatys renders tubingen__starry_night__gatys_<scale-size>_scale<s>.png")
    parser.add_argument("--scale-size", type=int, default=256, help="size of the style-scale figure, px")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--cell", type=int, default=256)
    args = parser.parse_args()
    torch.set_num_threads(1)
    multi = load_transformer(args.model)
    styles = list(multi.styles)

    curves = per_style_curves(args.run_dir, styles)
    if curves:
        plot_loss_history(curves, args.out / "loss_curves.png", keys=list(curves),
                          title=f"{args.model}: training loss per painting (logged every 5 steps)",
                          xlabel="log point of that painting")
        print(args.out / "loss_curves.png")

    single = load_transformer(args.compare)
    rows = []
    for photo in PHOTOS:
        content = load_image(photo, size=args.size)
        outputs = [stylize_image(multi.blend(style), content) for style in styles]
        rows.append([to_pil(content), *map(to_pil, outputs), to_pil(stylize_image(single, content))])
    labels = ["photo (held out)", *(f"{args.model}: {s}" for s in styles), f"{args.compare} (single-style)"]
    save(image_grid(rows, row_labels=[Path(p).stem for p in PHOTOS], col_labels=labels, cell=args.cell),
         args.out / "before_after.png")

    content = load_image("tubingen", size=args.size)
    cells = [[to_pil(stylize_image(multi.blend(grid_weights(r, c)), content)) for c in range(5)] for r in range(5)]
    save(image_grid(cells, row_labels=["starry", "", "", "", "shipwreck"],
                    col_labels=["starry_night", "", "", "", "the_scream"], cell=args.cell // 2 + 64),
         args.out / "interpolation.png")

    # strokes keep their pixel size: trained on a style image of S px, the network run on a photo of
    # X px paints at style scale S / X (whatever size the result is shown at)
    meta = shipped().get(args.model)
    trained = (meta.get("style_size") or style_size(meta["serve_size"], meta["style_scale"])) if meta else args.size
    scales, johnson, gatys = (0.5, 1.0, 2.0), [], []
    for scale in scales:
        photo = load_image("tubingen", size=round(trained / scale))
        johnson.append(to_pil(resize_longest(stylize_image(multi.blend("starry_night"), photo), args.scale_size)))
        path = args.gatys_scales / f"tubingen__starry_night__gatys_{args.scale_size}_scale{scale:g}.png"
        gatys.append(Image.open(path).convert("RGB") if path.is_file() else Image.new("RGB", (8, 8), "white"))
    save(image_grid([gatys, johnson], row_labels=["Gatys", f"{args.model}"],
                    col_labels=[f"style_scale {s:g}" for s in scales], cell=args.scale_size),
         args.out / "style_scales.png")

if __name__ == "__main__":
    main()
