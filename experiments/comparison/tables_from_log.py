"""Rebuild runs.csv and summary.md from the per-run lines of a ``python -m stylist.compare`` log
(used when the full run was stopped before writing its tables; see README.md).

    python experiments/comparison/tables_from_log.py experiments/comparison/compare.log
"""

import ast
import csv
import sys
from collections import defaultdict
from pathlib import Path

from stylist.cli.compare import training_seconds

HERE = Path(__file__).parent
KEYS = ("seconds", "style_distance", "content_distance", "ssim")
TRAINED = {"johnson": "starry_night", "wct": "wct_vgg16_decoders"}

rows = [ast.literal_eval(line.split("[INFO] ", 1)[1]) for line in open(sys.argv[1]) if "[stylist.compare][INFO] {" in line]
fields = ["method", "size", "content", "style", *KEYS]
with open(HERE / "runs.csv", "w", newline="") as handle:
    writer = csv.DictWriter(handle, fieldnames=fields)
    writer.writeheader()
    writer.writerows(rows)
groups: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
for row in rows:
    for key in KEYS:
        if row[key] != "n/a":
            groups[(row["method"], row["size"])][key].append(float(row[key]))
lines = ["| method | size | training_s | runs | seconds | style_distance | content_distance | ssim |", "|" + "---|" * 8]
for (method, size), values in groups.items():
    train = training_seconds(TRAINED[method]) if method in TRAINED else 0.0
    means = [f"{sum(values[k]) / len(values[k]):.4g}" for k in KEYS]
    lines.append(f"| {method} | {size} | {train:.0f} | {len(values['ssim'])} | " + " | ".join(means) + " |")
(HERE / "summary.md").write_text("\n".join(lines) + "\n")
print("\n".join(lines))
