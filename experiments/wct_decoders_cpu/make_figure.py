"""WCT outputs of the shipped decoders on unseen photos (tubingen, golden_gate) with three styles.

    OMP_NUM_THREADS=1 python experiments/wct_decoders_cpu/make_figure.py   # writes stylized.jpg here
Columns: content, style, alpha 0 (the decoders' chained reconstruction), alpha 0.6, alpha 1.0.
"""

from pathlib import Path

import torch

from stylist.image import image_grid, load_image
from stylist.wct import load_shipped, stylize

torch.set_num_threads(1)
decoders, encoder = load_shipped()
rows, labels = [], []
for content_name in ("tubingen", "golden_gate"):
    content = load_image(content_name, size=192)
    for style_name in ("starry_night", "the_scream", "shipwreck"):
        style = load_image(style_name, size=192)
        outputs = [stylize(content, style, alpha=a, decoders=decoders, encoder=encoder) for a in (0.0, 0.6, 1.0)]
        rows.append([content, style, *outputs])
        labels.append(f"{content_name}\nx {style_name}")
sheet = image_grid(rows, row_labels=labels, col_labels=["content", "style", "alpha 0", "alpha 0.6", "alpha 1"], cell=160)
sheet.save(Path(__file__).with_name("stylized.jpg"), quality=88)
