"""CPU cost of one training step on cached features, and of building the cache, per variant.

Times (process CPU seconds, so other jobs on the machine do not inflate them) of:

* one AdamW step of DeepLabV3+ from cached features (``low`` = pool2, ``high`` = the frozen
  boundary) with cross-entropy + Dice, batch ``--batch``, for the boundaries ``pool4`` (block 5
  trains) and ``pool3`` (blocks 4 and 5 train), each crop size, in float32, bf16 autocast,
  channels-last and both;
* the frozen prefix's forward pass (what the cache build costs per view) in float32 and bf16.

    OMP_NUM_THREADS=1 python experiments/deeplab_modanet_cpu/step_speed.py [--crops 512x352 384x256]
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from stylist.segmentation.model import build_deeplab
from stylist.segmentation.module import dice_loss, focal_cross_entropy

VARIANTS = {"fp32": (False, False), "bf16": (True, False), "channels-last": (False, True), "bf16 + channels-last": (True, True)}


def cpu_seconds(fn, repeats: int) -> float:
    fn()
    start = time.process_time()
    for _ in range(repeats):
        fn()
    return (time.process_time() - start) / repeats


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--crops", nargs="+", default=["512x352", "384x256"])
    parser.add_argument("--boundaries", nargs="+", default=["pool3", "pool4"])
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    for crop in args.crops:
        height, width = (int(v) for v in crop.split("x"))
        image = torch.rand(1, 3, height, width)
        for boundary in args.boundaries:
            net = build_deeplab(encoder_weights="hed", freeze_until=boundary, atrous_rates=(6, 12, 18))
            with torch.no_grad():
                low, high = net.encoder.frozen_features(torch.rand(args.batch, 3, height, width))
            target = torch.randint(14, (args.batch, height, width))
            for variant, (bf16, channels_last) in VARIANTS.items():
                net.to(memory_format=torch.channels_last if channels_last else torch.contiguous_format)
                optimizer = torch.optim.AdamW([p for p in net.parameters() if p.requires_grad], lr=1e-4)
                fmt = torch.channels_last if channels_last else torch.contiguous_format
                lo, hi = low.contiguous(memory_format=fmt), high.contiguous(memory_format=fmt)

                def step() -> None:
                    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                        logits = net.segmentation_head(net.decoder(net.encoder.features_from(lo, hi))).float()
                    loss = focal_cross_entropy(logits, target) + 0.5 * dice_loss(logits, target)
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()

                seconds = cpu_seconds(step, args.repeats)
                print(json.dumps({"what": "train step", "crop": crop, "boundary": boundary, "batch": args.batch,
                                  "variant": variant, "cpu_s_per_step": round(seconds, 2),
                                  "cpu_s_per_image": round(seconds / args.batch, 3)}), flush=True)  # fmt: skip
            net.to(memory_format=torch.contiguous_format)
            for variant, bf16 in (("fp32", False), ("bf16", True)):
                def prefix() -> None:
                    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                        net.encoder.frozen_features(image)

                print(json.dumps({"what": "cache view (frozen prefix forward)", "crop": crop, "boundary": boundary,
                                  "variant": variant, "cpu_s_per_view": round(cpu_seconds(prefix, 3), 3)}), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
