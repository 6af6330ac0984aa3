"""A panel of pseudo-labelled photos: photo | pseudo-labels (grey = ignored) with their tags.

    python experiments/deeplab_modanet_cpu/pseudo_panel.py PSEUDO_DIR OUT.png [--ids 1005 1006 ...] [--rows 4]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from stylist.image import image_grid
from stylist.segmentation import CLASS_NAMES, overlay
from stylist.segmentation.pseudo import PseudoLabelled, read_tags
from stylist.utils import atomic_write

CCP = Path(__file__).resolve().parents[3] / "shared" / "data" / "modanet_ccp"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pseudo_dir", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--ids", type=int, nargs="*")
    parser.add_argument("--rows", type=int, default=4)
    args = parser.parse_args()
    labelled = PseudoLabelled(args.pseudo_dir, CCP / "images")
    tags = read_tags(CCP / "annotations" / "modanet_ccp_unlabeled_tags.json")
    rows, labels = [], []
    for image_id in (args.ids or labelled.ids[: args.rows]):
        pil, mask = labelled.load(labelled.annotations.images[image_id])
        image = torch.from_numpy(np.asarray(pil, dtype=np.float32) / 255.0).permute(2, 0, 1)
        image = torch.nn.functional.interpolate(image[None], scale_factor=0.5, antialias=True, mode="bilinear")[0]
        small = torch.from_numpy(mask[::2, ::2].astype(np.int64))[: image.shape[1], : image.shape[2]]
        rows.append([image.clamp(0, 1), overlay(image.clamp(0, 1), small)])
        labels.append(f"{image_id}\n" + "\n".join(CLASS_NAMES[c] for c in tags[image_id]))
    grid = image_grid(rows, col_labels=["photo", "pseudo-labels (grey: ignored)"], row_labels=labels, cell=300)
    with atomic_write(args.out) as tmp:
        grid.save(tmp, format="PNG")
    print(json.dumps({"rows": labels, "out": str(args.out)}))


if __name__ == "__main__":
    main()
