"""Figures for a Johnson training run: loss curves from its TensorBoard log and a before/after
panel on held-out photos, plus a JSON of the numbers shown.

    python experiments/johnson_starry_cpu/make_figures.py outputs/train/johnson_starry_cpu \
        --model stylist/weights/starry_night.pt --out experiments/johnson_starry_cpu
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from stylist.backbones import get_backbone
from stylist.image import image_grid, load_image, to_pil
from stylist.johnson import load_transformer, stylize_image
from stylist.losses import PerceptualLoss
from stylist.plots import plot_loss_history

KEYS = ("total", "content", "style", "tv")


def read_curves(run_dir: Path) -> dict[str, list[float]]:
    """``train/<key>`` scalars of every event file under ``run_dir``, ordered by step (a resumed run
    appends)."""
    points: dict[str, dict[int, float]] = {key: {} for key in KEYS}
    for events in sorted(run_dir.rglob("events.out.tfevents.*")):
        acc = EventAccumulator(str(events), size_guidance={"scalars": 0})
        acc.Reload()
        for key in KEYS:
            if f"train/{key}" in acc.Tags()["scalars"]:
                points[key].update({e.step: e.value for e in acc.Scalars(f"train/{key}")})
    return {key: [v for _, v in sorted(p.items())] for key, p in points.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--model", required=True, help="shipped name, .pt or .ckpt")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--images", nargs="+", default=["tubingen", "golden_gate"])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--style", default="starry_night")
    parser.add_argument("--style-size", type=int, default=384)
    parser.add_argument("--log-every", type=int, default=5, help="trainer.log_every_n_steps of the run")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    curves = read_curves(args.run_dir)
    if curves["total"]:
        plot_loss_history(
            {k: curves[k] for k in ("total", "style")},
            args.out / "loss_curves.png",
            title=f"{args.run_dir.name}: training loss (logged every {args.log_every} steps)",
            keys=("total", "style"),
            xlabel=f"log point (x{args.log_every} steps)",
        )

    net = load_transformer(args.model)
    loss = PerceptualLoss(get_backbone("vgg16", weights="hed"), ["relu2_2"],
                          ["relu1_2", "relu2_2", "relu3_3", "relu4_3"], content_weight=1.0, style_weight=1.0)
    loss.set_style(load_image(args.style, size=args.style_size))
    rows, numbers = [], {}
    for name in args.images:
        content = load_image(name, size=args.size)
        result = stylize_image(net, content)
        loss.set_content(content)
        with torch.no_grad():
            before, after = loss(content).style.item(), loss(result).style.item()
        numbers[name] = {"style_loss_content_photo": before, "style_loss_stylized": after,
                         "content_loss_stylized": loss(result).content.item()}
        rows.append([to_pil(content), to_pil(result)])
    panel = image_grid(rows, row_labels=args.images, col_labels=["content (held out)", "stylised"], cell=args.size)
    panel.save(args.out / "before_after.png")
    final = {k: v[-1] for k, v in curves.items() if v}
    record = {"final_logged_losses": final, "style_loss_equal_layer_weights": numbers}
    (args.out / "figures.json").write_text(json.dumps(record, indent=1))
    print(json.dumps(numbers, indent=1))


if __name__ == "__main__":
    main()
