"""Turn a finished ``python -m stylist.train`` Johnson run into a shipped model with
:func:`stylist.models.ship`: ``stylist/weights/<name>.pt`` (the TransformerNet state dict in fp16)
and ``<name>.yaml`` (architecture, style, the run's resolved config, steps, training seconds, final
losses, date, command, machine).

    python experiments/johnson_starry_cpu/ship_weights.py outputs/train/johnson_starry_cpu --name starry_night \
        --train-seconds 1980 --command "OMP_NUM_THREADS=1 python -m stylist.train +experiment=johnson_starry_cpu"
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import torch

from stylist.cli import run_config
from stylist.cli.records import machine_line
from stylist.image import style_size
from stylist.johnson.inference import transformer_from_state_dict
from stylist.models import ship

from make_figures import read_curves  # noqa: E402  (same folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--name", required=True)
    parser.add_argument("--command", required=True)
    parser.add_argument("--train-seconds", type=float, required=True, help="training wall time (from the run's log)")
    parser.add_argument("--cpu-minutes", type=float, help="user + system CPU time of all chunks")
    parser.add_argument("--extract", help="a multi-style run: ship only this style's slot as a single-style model")
    parser.add_argument("--machine", help="where it trained, if not on this machine (e.g. '2-core Xeon (AMX), 1 torch thread')")
    args = parser.parse_args()

    checkpoint = torch.load(args.run_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    state = {k[len("net."):]: v for k, v in checkpoint["state_dict"].items() if k.startswith("net.")}
    styles = checkpoint.get("transformer", {}).get("styles")
    if args.extract:  # the slot's scale/shift pairs with the shared convolutions (TransformerNet.blend)
        state, styles = transformer_from_state_dict(state, styles).blend(args.extract).state_dict(), None
    config = run_config(args.run_dir, ("model", "data", "loss", "trainer", "seed"))
    curves = read_curves(args.run_dir)
    last = {k: round(statistics.mean(v[-20:]), 2) for k, v in curves.items() if v}
    model = config["model"]
    size = style_size(model["serve_size"], model["style_scale"])
    style = args.extract or model["style"]
    architecture = {"width": model["net"]["width"], "blocks": model["net"]["blocks"], **({"styles": styles} if styles else {})}
    paths = ship(
        args.name, "johnson", state, architecture,
        description=f"Johnson et al. (2016) TransformerNet (width {model['net']['width']}, {model['net']['blocks']} "
        f"residual blocks) for {style} (style image at {size} px)",
        config=config,
        steps=int(checkpoint["global_step"]),
        train_seconds=args.train_seconds,
        metrics={"final_losses_mean_of_last_20_logs": last},
        command=args.command,
        machine=f"{args.machine}; shipped on {machine_line()}" if args.machine else machine_line(),
        extra={"style": style, **({"styles": styles} if styles else {}), "style_size": size, "epochs": int(checkpoint["epoch"]),
               **({"cpu_seconds": round(args.cpu_minutes * 60, 1)} if args.cpu_minutes is not None else {}),
               "data": {k: config["data"][k] for k in ("root", "patterns", "samples", "exclude", "size", "batch_size")}},
    )  # fmt: skip
    for path in paths:
        print(path, f"{path.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
