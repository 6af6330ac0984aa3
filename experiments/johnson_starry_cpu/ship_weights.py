"""Turn a finished ``python -m stylist.train`` Johnson run into a shipped model:
``stylist/weights/<name>.pt`` (the TransformerNet state dict in fp16) and ``<name>.yaml``
(kind, style, the run's resolved config, steps, final losses, date, command, machine).

    python experiments/johnson_starry_cpu/ship_weights.py outputs/train/johnson_starry_cpu --name starry_night \
        --command "OMP_NUM_THREADS=1 python -m stylist.train +experiment=johnson_starry_cpu"
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import statistics
from pathlib import Path

import torch
import yaml

from stylist.image import style_size
from stylist.johnson.inference import transformer_from_state_dict
from stylist.utils import atomic_write
from stylist.weights import WEIGHTS_DIR

from make_figures import read_curves  # noqa: E402  (same folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--name", required=True)
    parser.add_argument("--command", required=True)
    parser.add_argument("--wall-minutes", type=float, required=True, help="training wall time (from the run's log)")
    parser.add_argument("--cpu-minutes", type=float, help="user + system CPU time of all chunks")
    parser.add_argument("--extract", help="a multi-style run: ship only this style's slot as a single-style model")
    parser.add_argument("--machine", default="2-core Xeon (AMX) CPU shared with other jobs, 1 torch thread")
    args = parser.parse_args()

    checkpoint = torch.load(args.run_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    state = {k[len("net."):]: v for k, v in checkpoint["state_dict"].items() if k.startswith("net.")}
    styles = checkpoint.get("transformer", {}).get("styles")
    if args.extract:  # the slot's scale/shift pairs with the shared convolutions (TransformerNet.blend)
        state, styles = transformer_from_state_dict(state, styles).blend(args.extract).state_dict(), None
    state = {k: v.half() for k, v in state.items()}
    config = yaml.safe_load((args.run_dir / ".hydra" / "config.yaml").read_text())
    curves = read_curves(args.run_dir)
    last = {k: statistics.mean(v[-20:]) for k, v in curves.items() if v}
    meta = {
        "kind": "johnson",
        "style": args.extract or config["model"]["style"],
        **({"styles": styles} if styles else {}),
        **({"extracted_from": f"the {args.extract} slot of a multi-style run"} if args.extract else {}),
        "style_scale": config["model"]["style_scale"],
        "serve_size": config["model"]["serve_size"],
        "style_size": style_size(config["model"]["serve_size"], config["model"]["style_scale"]),
        "init_from": config["model"].get("init_from"),
        "model": {"width": config["model"]["net"]["width"], "blocks": config["model"]["net"]["blocks"]},
        "steps": int(checkpoint["global_step"]),
        "epochs": int(checkpoint["epoch"]),
        "final_losses_mean_of_last_20_logs": {k: round(v, 2) for k, v in last.items()},
        "data": {k: config["data"][k] for k in ("root", "patterns", "samples", "exclude", "size", "batch_size")},
        "config": {k: config[k] for k in ("model", "data", "loss", "trainer")},
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "wall_minutes": args.wall_minutes,
        **({"cpu_minutes": args.cpu_minutes} if args.cpu_minutes is not None else {}),
        "command": args.command,
        "machine": f"{args.machine}; {platform.machine()}, torch {torch.__version__}",
        "weights_dtype": "float16 (loaded as float32)",
    }
    with atomic_write(WEIGHTS_DIR / f"{args.name}.pt") as tmp:
        torch.save(state, tmp)
    with atomic_write(WEIGHTS_DIR / f"{args.name}.yaml") as tmp:
        tmp.write_text(yaml.safe_dump(json.loads(json.dumps(meta)), sort_keys=False))  # no YAML anchors
    print(WEIGHTS_DIR / f"{args.name}.pt", f"{(WEIGHTS_DIR / f'{args.name}.pt').stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
