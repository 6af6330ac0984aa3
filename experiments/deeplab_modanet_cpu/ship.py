"""Ship a deeplab_modanet_cpu run as ``stylist/weights/deeplab_modanet_ccp.{pt,yaml}`` with :func:`stylist.models.ship`.

    python experiments/deeplab_modanet_cpu/ship.py RUN_DIR --train-seconds 3072 [--scores eval/scores.json]
        [--scores-single eval_single/scores.json] [--flip] [--scales 1.0 1.25] [--bf16 auto --channels-last auto]

RUN_DIR is the training run folder (``outputs/train/deeplab_modanet_cpu``): its ``checkpoints/last.ckpt``
and resolved config (``tensorboard/hparams.yaml``) go into the metadata with the step count; ``--scores`` adds the
``python -m stylist.evaluate`` results of the shipped model with its default test-time settings
(``--flip``/``--scales``, part of the architecture and used by ``segment()``), ``--scores-single``
those of one plain pass.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
import yaml

from stylist.models import ship
from stylist.segmentation.predict import shipping

NAME = "deeplab_modanet_ccp"


def _scores(path: Path | None) -> dict | None:
    if path is None:
        return None
    result = json.loads(path.read_text())
    return {k: result[k] for k in ("miou", "miou_no_background", "pixel_accuracy", "iou", "images", "flip", "scales")}


def _steps_per_epoch(config: dict) -> int:
    images = len(json.loads(Path(config["data"]["annotations"]).read_text())["images"])
    return images // int(config["data"]["batch_size"])


def _description(config: dict) -> str:
    frozen = {"pool3": "blocks 1-3", "pool4": "blocks 1-4"}.get(config["model"]["net"].get("freeze_until"), "no blocks")
    pseudo = config["data"].get("pseudo_labels")
    photos = "800 photos" + (" + 1094 tagged photos pseudo-labelled by its teacher" if pseudo else "")
    return (f"DeepLabV3+ (smp) on VGG16 (hed weights, {frozen} frozen, output stride 16), 14 ModaNet classes, "
            f"long side {config['data']['long_side']}, trained on modanet_ccp train ({photos}), scored on modanet_ccp val (100 photos)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--train-seconds", type=float, required=True, help="training wall time (from the run's log)")
    parser.add_argument("--scores", type=Path)
    parser.add_argument("--scores-single", type=Path, help="scores of one pass (flip=false scales=[1.0])")
    parser.add_argument("--flip", action="store_true", help="segment() also averages the mirrored photo by default")
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0], help="segment()'s default test-time scales")
    onoff = {"true": True, "false": False, "auto": "auto"}
    parser.add_argument("--bf16", choices=onoff, default="false",
                        help="segment() runs the network under bf16 autocast (auto: where the CPU has native bf16)")
    parser.add_argument("--channels-last", choices=onoff, default="false", help="segment() runs the network channels-last")
    parser.add_argument("--machine", default="2-core CPU")
    parser.add_argument("--threads", type=int, default=1, help="torch threads the training ran with")
    args = parser.parse_args()
    checkpoint = args.run_dir / "checkpoints" / "last.ckpt"
    steps = int(torch.load(checkpoint, map_location="cpu", weights_only=False)["global_step"])
    config = yaml.safe_load((args.run_dir / "tensorboard" / "hparams.yaml").read_text())  # resolved config
    overrides = yaml.safe_load((args.run_dir / ".hydra" / "overrides.yaml").read_text())
    state, architecture = shipping(checkpoint, flip=args.flip, scales=args.scales, bf16=onoff[args.bf16],
                                  channels_last=onoff[args.channels_last])
    paths = ship(
        NAME, "deeplab", state, architecture,
        description=_description(config),
        config={k: config[k] for k in ("model", "data", "trainer", "seed")},
        steps=steps,
        train_seconds=args.train_seconds,
        metrics={"val": _scores(args.scores), "val_single_pass": _scores(args.scores_single)},
        command=f"OMP_NUM_THREADS={args.threads} python -m stylist.train " + " ".join(overrides),
        machine=f"{args.machine}, {args.threads} thread{'s' if args.threads > 1 else ''}",
        extra={
            "data": "../shared/data/modanet_ccp: annotations/modanet_ccp_train.json (train), modanet_ccp_val.json (val)",
            "epochs": round(steps / _steps_per_epoch(config), 2),
        },
    )  # fmt: skip
    for path in paths:
        print(path, f"{path.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
