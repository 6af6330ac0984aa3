"""One figure per painting from the images ``benchmarks/johnson_zoo.py`` rendered: rows are the held-out
photos, columns the photo, Gatys's default and every shipped Johnson model of that painting (cells at
``--cell`` px, so the strokes are seen near their 512 px size).

    python experiments/johnson_zoo_cpu/make_grid.py --images outputs/johnson_zoo \\
        --results benchmarks/results/johnson_zoo.json --out experiments/johnson_zoo_cpu
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from PIL import Image

from stylist.image import image_grid, load_image
from stylist.utils import atomic_write

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from johnson_zoo import PHOTOS  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=Path, default=Path("outputs/johnson_zoo"))
    parser.add_argument("--results", type=Path, default=Path("benchmarks/results/johnson_zoo.json"))
    parser.add_argument("--out", type=Path, default=Path("experiments/johnson_zoo_cpu"))
    parser.add_argument("--cell", type=int, default=384)
    args = parser.parse_args()
    rows = json.loads(args.results.read_text())["rows"]
    for style in sorted({r["style"] for r in rows}):
        methods = ["gatys_default"] + sorted({r["method"] for r in rows if r["style"] == style} - {"gatys_default"})
        scores = {(r["photo"], r["method"]): r for r in rows if r["style"] == style}
        grid, labels = [], []
        for photo in PHOTOS:
            stem = Path(photo).stem
            cells = [load_image(photo, size=args.cell)]
            for method in methods:
                path = args.images / f"{stem}__{style}__{method}.png"
                cells.append(load_image(path) if path.is_file() else Image.new("RGB", (8, 8), "white"))  # not rendered
            grid.append(cells)
            ratios = [f"{scores[(stem, m)]['style_ratio']:.3f}" if (stem, m) in scores else "-" for m in methods]
            labels.append(f"{stem}\nstyle ratio\n" + "\n".join(f"{m}: {r}" for m, r in zip(methods, ratios)))
        sheet = image_grid(grid, row_labels=labels, col_labels=["photo (held out)", *methods], cell=args.cell)
        with atomic_write(args.out / f"zoo_{style}.png") as tmp:
            sheet.save(tmp, format="PNG")
        print(args.out / f"zoo_{style}.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
