"""Write the benchmark's label maps (``benchmarks/photo_pairs/*.png``): sky (blue) / the rest (green)
for the shared landscape photos, by a colour threshold per photo, and ModaNet ground-truth garment
maps for the street photos. Run once; the PNGs are committed (each a few KB).

    python benchmarks/photo_pairs.py

Sky rule: pixels above a per-photo horizon that pass a colour test, cleaned by a morphological
opening, kept where connected to the top edge (across thin lines such as cables), holes filled. Deliberately simple: a user would
draw these in a paint program; the rule only saves doing it by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
OUT = Path(__file__).resolve().parent / "photo_pairs"
SKY, GROUND = (0, 0, 255), (0, 255, 0)
#: ModaNet class id -> label-map colour (0: background); the DPST examples' palette first.
PALETTE = [(0, 255, 0), (0, 0, 255), (255, 0, 0), (255, 255, 0), (255, 0, 255), (0, 255, 255), (128, 128, 128),
           (255, 128, 0), (128, 0, 255), (0, 128, 0), (128, 0, 0), (0, 0, 128), (128, 128, 0), (0, 128, 128)]
STREET_IDS = [801, 802, 803, 804, 805, 806, 807, 808]


def _sky_rule(name: str, rgb: np.ndarray) -> np.ndarray:
    r, g, b = (rgb[..., k].astype(float) for k in range(3))
    rows = np.arange(rgb.shape[0])[:, None] / rgb.shape[0]
    if name == "golden_gate":  # bright, not the red bridge, above the far shore
        return (rows < 0.44) & (r + g + b > 330) & ~((r > g + 40) & (r > b + 40))
    if name == "tubingen":  # clear blue sky above the roofs
        return (rows < 0.6) & (b > r + 25) & (b > 120)
    if name == "hoovertowernight":  # deep blue night sky; the lit tower and roofs are not blue
        return (b > r + 25) & (b > 45)
    raise KeyError(name)


def sky_map(name: str) -> np.ndarray:
    rgb = np.asarray(Image.open(SHARED / "images" / f"{name}.jpg").convert("RGB"))
    pad = 8  # edge padding: the morphology would otherwise erode the border rows
    sky = ndimage.binary_opening(np.pad(_sky_rule(name, rgb), pad, mode="edge"), iterations=2)
    labels, _ = ndimage.label(ndimage.binary_closing(sky, iterations=3))  # closing bridges thin cables
    top = np.setdiff1d(np.unique(labels[pad]), [0])
    sky = ndimage.binary_fill_holes(np.isin(labels, top) & sky)[pad:-pad, pad:-pad]
    out = np.empty(rgb.shape, np.uint8)
    out[:] = GROUND
    out[sky] = SKY
    return out


def street_map(image_id: int) -> np.ndarray:
    import sys

    sys.path.insert(0, str(ROOT))
    from stylist.segmentation.modanet import ModaNetAnnotations

    annotations = ModaNetAnnotations(SHARED / "modanet_ccp" / "annotations" / "modanet_ccp_val.json")
    classes = annotations.mask(image_id)
    return np.asarray(PALETTE, np.uint8)[classes]


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name in ("golden_gate", "tubingen", "hoovertowernight"):
        Image.fromarray(sky_map(name)).save(OUT / f"{name}_labels.png", optimize=True)
    for image_id in STREET_IDS:
        Image.fromarray(street_map(image_id)).save(OUT / f"{image_id:07d}_labels.png", optimize=True)
    print(json.dumps(sorted(p.name for p in OUT.glob("*.png"))))


if __name__ == "__main__":
    main()
