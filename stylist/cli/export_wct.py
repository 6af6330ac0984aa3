"""``python -m stylist.cli.export_wct <run dir> [--name wct_vgg16_decoders] [--half]``: ship trained
WCT decoders: ``stylist/weights/<name>.pt`` plus ``<name>.yaml`` (kind ``wct``, the training config,
steps, training seconds, final losses, date, command) and the run's loss curves and last
reconstruction grid under ``experiments/<task_name>/``.
"""

from __future__ import annotations

import argparse
import datetime
import glob
import io
import sys
from pathlib import Path

import torch
import yaml

from stylist.cli import REPO_ROOT
from stylist.plots import plot_loss_history
from stylist.utils import StylistError, atomic_write
from stylist.wct.decoder import decoders_from_state, save_decoders

__all__ = ["export", "main"]


def _scalars(run_dir: Path, max_step: int) -> tuple[dict[str, list[tuple[int, float]]], bytes | None]:
    """All scalar series and the last reconstruction grid (PNG bytes) up to ``max_step`` of the run's
    TensorBoard log."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    series: dict[str, list[tuple[int, float]]] = {}
    grid = None
    for path in sorted(glob.glob(str(run_dir / "tensorboard" / "events*"))):
        events = EventAccumulator(path, size_guidance={"images": 0, "scalars": 0})
        events.Reload()
        for tag in events.Tags()["scalars"]:
            series.setdefault(tag, []).extend((e.step, e.value) for e in events.Scalars(tag))
        if "val/reconstructions" in events.Tags()["images"]:
            grids = [e for e in events.Images("val/reconstructions") if e.step <= max_step]
            grid = grids[-1].encoded_image_string if grids else grid
    return series, grid


def export(run_dir: Path, name: str, half: bool, command: str) -> Path:
    """Write the shipped decoders, metadata, curves and grid; returns the ``.pt`` path."""
    checkpoint_path = run_dir / "checkpoints" / "last.ckpt"
    if not checkpoint_path.is_file():
        raise StylistError(f"no checkpoint {checkpoint_path}")
    checkpoint = torch.load(checkpoint_path, map_location="cpu", weights_only=False)
    state = {k[len("decoders."):]: v for k, v in checkpoint["state_dict"].items() if k.startswith("decoders.")}
    decoders = decoders_from_state(state)
    levels = [int(layer[len("relu")]) for layer in decoders.layers]
    config = yaml.safe_load((run_dir / ".hydra" / "config.yaml").read_text())
    timer = checkpoint["callbacks"].get("Timer", {}).get("time_elapsed", {})
    step = int(checkpoint["global_step"])
    series, grid = _scalars(run_dir, step)
    final = {  # the last logged values up to the checkpoint's step (a run may log past its last checkpoint)
        tag: round([v for s, v in values if s < step][-1], 5)
        for tag, values in sorted(series.items())
        if tag.startswith(("train/", "val/")) and any(s < step for s, _ in values)
    }
    weights_dir = REPO_ROOT / "stylist" / "weights"
    pt_path = save_decoders(decoders, weights_dir / f"{name}.pt", half=half)
    meta = {
        "kind": "wct",
        "description": (
            "WCT decoders inverting VGG16 (hed weights) at relu1_1..relu4_1 (Li et al. 2017)"
            + (", max-unpooling through the encoder's switches (PhotoWCT, Li et al. 2018)" if decoders.unpool else "")
        ),
        "unpool": decoders.unpool,
        "backbone_weights": config["backbone"]["weights"] if config["backbone"]["weights"] != "auto" else "hed",
        "levels": levels,
        "dtype": "float16" if half else "float32",
        "steps": step,
        "train_seconds": round(float(timer.get("train", 0.0)) + float(timer.get("validate", 0.0)), 1),
        "final_metrics": final,
        "data": config["data"],
        "config": {"model": config["model"], "trainer": config["trainer"], "seed": config["seed"]},
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": command,
    }
    with atomic_write(weights_dir / f"{name}.yaml") as tmp:
        tmp.write_text(yaml.safe_dump(meta, sort_keys=False))
    experiment_dir = REPO_ROOT / "experiments" / config["task_name"]
    history = {tag.split("/", 1)[1] + f" ({tag.split('/')[0]})": [v for _, v in values]
               for tag, values in series.items() if tag in ("train/loss", "val/loss")}  # fmt: skip
    plot_loss_history(history, experiment_dir / "loss.png", title="WCT decoders", keys=sorted(history),
                      xlabel="logged point (train: every 10 steps; val: every val_check_interval)")  # fmt: skip
    levels_history = {tag.split("/", 1)[1]: [v for _, v in values] for tag, values in series.items()
                      if tag.startswith("val/pixel_")}  # fmt: skip
    plot_loss_history(levels_history, experiment_dir / "val_pixel_loss.png", title="validation pixel MSE per level",
                      keys=sorted(levels_history), xlabel="validation")  # fmt: skip
    if grid is not None:
        from PIL import Image

        with atomic_write(experiment_dir / "reconstructions.jpg") as tmp:
            Image.open(io.BytesIO(grid)).convert("RGB").save(tmp, format="JPEG", quality=90)
    return pt_path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--name", default="wct_vgg16_decoders")
    parser.add_argument("--half", action="store_true", help="store float16 weights (half the size)")
    parser.add_argument("--command", default="OMP_NUM_THREADS=1 python -m stylist.train +experiment=wct_decoders_cpu")
    args = parser.parse_args(argv)
    try:
        print(export(args.run_dir, args.name, args.half, args.command))
    except StylistError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
