"""Pseudo-label stage: a teacher labels the 1094 tagged photos of modanet_ccp (ids 1005-2098).

    OMP_NUM_THREADS=1 python experiments/deeplab_modanet_cpu/pseudo_labels.py TEACHER OUT_DIR \
        [--threshold 0.7] [--min-allowed-mass 0.2] [--flip] [--scales 1.0] [--max-images N] [--bf16]

TEACHER is a shipped model name or a Lightning ``.ckpt``; OUT_DIR gets ``<id>.png`` (255 = ignored)
and ``meta.json`` (settings, class pixel counts, ignored fraction). Photos already labelled in
OUT_DIR are skipped, so a stopped run continues where it was. Classes outside a photo's tags
(``modanet_ccp_unlabeled_tags.json``) are forbidden; the val file's photos are refused.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from stylist.segmentation import load_segmenter
from stylist.segmentation.pseudo import write_pseudo_labels
from stylist.utils import StylistError

CCP = Path(__file__).resolve().parents[3] / "shared" / "data" / "modanet_ccp"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("teacher")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--data", type=Path, default=CCP, help="the modanet_ccp folder")
    parser.add_argument("--threshold", type=float, default=0.7)
    parser.add_argument("--min-allowed-mass", type=float, default=0.2)
    parser.add_argument("--flip", action="store_true")
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0])
    parser.add_argument("--bf16", action="store_true", help="teacher under bf16 autocast, channels-last (AMX CPUs)")
    parser.add_argument("--max-images", type=int)
    args = parser.parse_args()
    try:
        teacher = load_segmenter(args.teacher).use(bf16=args.bf16, channels_last=args.bf16)
        meta = write_pseudo_labels(
            teacher, args.data / "annotations" / "modanet_ccp_unlabeled.json",
            args.data / "annotations" / "modanet_ccp_unlabeled_tags.json", args.data / "images", args.out_dir,
            threshold=args.threshold, min_allowed_mass=args.min_allowed_mass, flip=args.flip, scales=args.scales,
            exclude=args.data / "annotations" / "modanet_ccp_val.json", max_images=args.max_images,
        )  # fmt: skip
    except StylistError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    summary = {k: meta[k] for k in ("threshold", "flip", "scales", "ignored_fraction", "class_pixels")}
    print(json.dumps({"images": len(meta["ids"]), "teacher": args.teacher, **summary}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
