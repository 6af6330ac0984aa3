"""Segmenter inference speed on a 550 x 832 street photo, with every test-time option.

For each network input size (``--long-sides``; the shipped model's weights are run at each size,
which is what a model trained at that size costs), the median wall time of ``segment()`` over
``--repeats`` runs on ``--threads`` threads, and the process CPU time per call, for:

* one plain pass in float32, bf16 autocast, channels-last, and bf16 + channels-last;
* the test-time augmentations: horizontal flip, and flip x scales 1.0 / 1.25 / 1.5 (the shipped
  default), in float32 and bf16;

plus how far bf16 moves the output: the largest probability difference and the fraction of pixels
whose class changes against float32. Target: one pass <= 0.4 s on 2 cores at long side >= 512.

    python benchmarks/segment_speed.py [--model deeplab_modanet_ccp] [--long-sides 320 512] \
        [--threads 2] [--bf16 auto|on|off] [--out benchmarks/results/segment_speed.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

from stylist.cli.records import machine_info, utc_now
from stylist.segmentation import Segmenter, load_segmenter, segment
from stylist.utils import atomic_write, cpu_has_fast_bf16

ROOT = Path(__file__).resolve().parents[1]
PHOTO = ROOT.parent / "shared" / "data" / "modanet_ccp" / "images" / "0000801.jpg"

PASSES = {"one pass": (False, [1.0]), "flip": (True, [1.0]), "flip x 1/1.25/1.5": (True, [1.0, 1.25, 1.5])}
VARIANTS = {"fp32": (False, False), "bf16": (True, False), "channels-last": (False, True), "bf16 + channels-last": (True, True)}


def timed(fn, repeats: int) -> tuple[float, float, object]:
    """``(median wall s, mean CPU s, last result)`` after one warm-up call."""
    result = fn()
    walls, cpu_start = [], time.process_time()
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        walls.append(time.perf_counter() - start)
    return statistics.median(walls), (time.process_time() - cpu_start) / repeats, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="deeplab_modanet_ccp")
    parser.add_argument("--long-sides", type=int, nargs="+", default=[320, 512])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--photo", type=Path, default=PHOTO)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "segment_speed.json")
    parser.add_argument("--bf16", choices=["auto", "on", "off"], default="auto",
                        help="time the bf16 variants (auto: only on a CPU with native bf16, where they are not minutes long)")
    args = parser.parse_args()
    with_bf16 = args.bf16 == "on" or (args.bf16 == "auto" and cpu_has_fast_bf16())
    variants = {name: v for name, v in VARIANTS.items() if with_bf16 or not v[0]}
    if not args.photo.is_file():
        print(f"error: photo {args.photo} not found (needs ../shared or --photo)", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    from stylist.image import load_image

    image = load_image(args.photo)
    shipped = load_segmenter(args.model)
    rows = []
    for long_side in args.long_sides:
        reference = None
        for variant, (bf16, channels_last) in variants.items():
            passes = PASSES if variant in ("fp32", "bf16") else {"one pass": PASSES["one pass"]}
            for name, (flip, scales) in passes.items():
                seg = Segmenter(shipped.net, long_side, shipped.class_names, bf16=bf16, channels_last=channels_last)
                repeats = args.repeats if name == "one pass" else max(2, args.repeats // 2)
                wall, cpu, (classes, probs) = timed(lambda: segment(image, seg, flip=flip, scales=scales), repeats)
                shipped.net.to(memory_format=torch.contiguous_format)
                row = {"long_side": long_side, "variant": variant, "passes": name, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3)}
                if variant == "fp32" and name == "one pass":
                    reference = (classes, probs)
                elif name == "one pass":
                    row["max_prob_diff"] = round(float((probs - reference[1]).abs().max()), 4)
                    row["class_changed"] = round(float((classes != reference[0]).float().mean()), 5)
                rows.append(row)
                print(json.dumps(row), flush=True)
    result = {
        "model": args.model, "photo": str(args.photo.name), "photo_size": list(image.shape[-2:]),
        "threads": args.threads, "repeats": args.repeats, "torch": torch.__version__,
        "machine": machine_info(), "date": utc_now(), "rows": rows,
    }  # fmt: skip
    with atomic_write(args.out) as tmp:
        tmp.write_text(json.dumps(result, indent=1))
    lines = [f"# segment() speed: {args.model} on {args.photo.name} ({image.shape[-1]} x {image.shape[-2]}), "
             f"{args.threads} threads, {result['date']}", "",
             "| long side | variant | passes | wall s (median) | CPU s per call | max prob diff vs fp32 | pixels changing class |",
             "|---:|---|---|---:|---:|---:|---:|"]  # fmt: skip
    for r in rows:
        lines.append(f"| {r['long_side']} | {r['variant']} | {r['passes']} | {r['wall_s']:.3f} | {r['cpu_s']:.3f} | "
                     f"{r.get('max_prob_diff', '')} | {r.get('class_changed', '')} |")  # fmt: skip
    with atomic_write(args.out.with_suffix(".md")) as tmp:
        tmp.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
