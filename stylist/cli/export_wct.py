"""``python -m stylist.cli.export_wct <run dir> [--name wct_vgg16_decoders] [--half]``: ship trained
WCT decoders with :func:`stylist.models.ship` (``stylist/weights/<name>.pt`` + ``<name>.yaml``: kind
``wct``, the training config, steps, training seconds, final losses, date, command, machine) and
write the run's loss curves and last reconstruction grid under ``experiments/<task_name>/``.
"""

from __future__ import annotations

import argparse
import glob
import io
from pathlib import Path
from typing import Any

import torch
import yaml

from stylist.cli import REPO_ROOT, run_config, user_errors_exit
from stylist.plots import plot_loss_history
from stylist.models import ship
from stylist.utils import StylistError, atomic_write
from stylist.wct.decoder import decoders_from_state

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


def export(
    run_dir: Path, name: str, half: bool, command: str, machine: str, extra: dict[str, Any] | None = None
) -> Path:
    """Write the shipped decoders, metadata (plus ``extra`` keys, e.g. measured CPU time or
    benchmark numbers), curves and grid; returns the ``.pt`` path."""
    checkpoint_path = run_dir / "checkpoints" / "last.ckpt"
    if not checkpoint_path.is_file():
        raise StylistError(f"no checkpoint {checkpoint_path}")
    checkpoint = torch.load(checkpoint_path, map_location="cpu", weights_only=False)
    state = {k[len("decoders."):]: v for k, v in checkpoint["state_dict"].items() if k.startswith("decoders.")}
    decoders = decoders_from_state(state)
    levels = [int(layer[len("relu")]) for layer in decoders.layers]
    config = run_config(run_dir, ("model", "data", "trainer", "seed", "backbone", "task_name"))
    timer = checkpoint["callbacks"].get("Timer", {}).get("time_elapsed", {})
    # a run without Lightning's Timer state (or one continued from shipped weights) states its own
    stated = (extra or {}).get("train_seconds")
    train_seconds = float(stated) if stated else float(timer.get("train", 0.0)) + float(timer.get("validate", 0.0))
    step = int(checkpoint["global_step"])
    series, grid = _scalars(run_dir, step)
    final = {  # the last logged values up to the checkpoint's step (a run may log past its last checkpoint)
        tag: round([v for s, v in values if s < step][-1], 5)
        for tag, values in sorted(series.items())
        if tag.startswith(("train/", "val/")) and any(s < step for s, _ in values)
    }
    backbone_weights = config["backbone"]["weights"] if config["backbone"]["weights"] != "auto" else "hed"
    unpool = " with max-unpooling through the encoder's switches (PhotoWCT, Li et al. 2018)" if decoders.unpool else ""
    pt_path, _ = ship(
        name, "wct", decoders.state_dict(), {"levels": levels, "unpool": bool(decoders.unpool)},
        description=f"WCT decoders inverting VGG16 ({backbone_weights} weights) at relu1_1..relu4_1 (Li et al. 2017){unpool}",
        config={key: config[key] for key in ("model", "data", "trainer", "seed")},
        steps=step,
        train_seconds=train_seconds,
        metrics={"final": final},
        command=command,
        machine=machine,
        half=half,
        extra={"backbone_weights": backbone_weights, **(extra or {})},
    )  # fmt: skip
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


@user_errors_exit
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--name", default="wct_vgg16_decoders")
    parser.add_argument("--half", action="store_true", help="store float16 weights (half the size)")
    parser.add_argument("--command", default="OMP_NUM_THREADS=1 python -m stylist.train +experiment=wct_decoders_cpu")
    parser.add_argument("--machine", default="2-core x86_64 CPU, 1 torch thread")
    parser.add_argument("--extra", type=Path, help="a YAML file of further metadata (CPU time, benchmark numbers)")
    args = parser.parse_args(argv)
    extra = yaml.safe_load(args.extra.read_text()) if args.extra else None
    print(export(args.run_dir, args.name, args.half, args.command, args.machine, extra))


if __name__ == "__main__":
    main()
