"""Masked WCT on garments: ModaNet-CCP val photo 0000801 (ground-truth label map from the cached
ModaNet masks, see stylist.fashion), top and pants restyled with the_scream and starry_night.

    OMP_NUM_THREADS=1 python experiments/wct_decoders_cpu/make_fashion_figure.py MASK.png  # -> fashion_wct.jpg
MASK: the label map of 0000801 (values 0-13), e.g. ~/.cache/stylist/modanet_masks/<hash>/801.png.
"""

import sys
from pathlib import Path

import torch

from stylist.cli import REPO_ROOT, build_method
from stylist.fashion import class_map_from_mask, method_stylize, restyle
from stylist.image import image_grid, load_image, load_mask

torch.set_num_threads(1)
photo = load_image(REPO_ROOT.parent / "shared/data/modanet_ccp/images/0000801.jpg")
class_map = class_map_from_mask(load_mask(sys.argv[1], size=tuple(photo.shape[-2:])), ["top", "pants"])
cells, labels = [photo], ["photo"]
for style in ("the_scream", "starry_night"):
    for alpha in (0.6, 1.0):
        cells.append(restyle(photo, class_map, {"top": style, "pants": style}, method_stylize(build_method("wct", [f"method.alpha={alpha}"]))).image)
        labels.append(f"{style} alpha={alpha}")
image_grid([cells], col_labels=labels, cell=260).save(Path(__file__).with_name("fashion_wct.jpg"), quality=88)
