"""Shipped Johnson models vs Gatys's default on the same pairs, at 512 px, in one run.

For each held-out photo (tubingen, golden_gate and two modanet_ccp val photos) and each painting a
shipped model paints, the stylize CLI's own code (:func:`stylist.cli.stylize.stylize_from_config`
on the composed ``conf/stylize.yaml``) renders the photo with every Johnson model of that style and
with Gatys's default (120 L-BFGS evaluations, ``style_scale`` 1) at ``--size`` px; each output is
scored with :func:`stylist.metrics.transfer_scores` at the measure's own 256 px long side (style
ratio: Gram distance over relu1_2 ... relu4_3 relative to the photo's own; content distance:
relative relu3_3 distance).

    OMP_NUM_THREADS=1 python benchmarks/johnson_zoo.py [--styles starry_night the_scream] \\
        [--photos tubingen golden_gate ...] [--no-gatys | --no-johnson] [--reuse-gatys]
        [--models snap1=run/checkpoints/last.ckpt ...] [--out benchmarks/results/johnson_zoo.json]

``--reuse-gatys`` scores the Gatys images an earlier run of this script left under ``--images`` (same
settings, seed 0; their seconds from the CLI's JSON record) instead of rendering them (Gatys at
512 px took ~20 min per pair on the loaded 2-core machine); pairs without one are listed in
``gatys_not_rendered``.

Writes the JSON (rows, per-model means, each model's ratio to Gatys's mean style ratio, machine,
date, command) and the outputs as PNGs under ``--images`` (for the figures).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import open_dict

from stylist.models import shipped
from stylist.backbones import get_backbone
from stylist.cli import CONFIG_DIR, REPO_ROOT
from stylist.cli.records import machine_info, utc_now
from stylist.cli.stylize import stylize_from_config
from stylist.image import load_image
from stylist.johnson import load_transformer
from stylist.metrics import transfer_scores
from stylist.utils import atomic_write

MODANET = REPO_ROOT.parent / "shared" / "data" / "modanet_ccp" / "images"
PHOTOS = ["tubingen", "golden_gate", str(MODANET / "0000803.jpg"), str(MODANET / "0000857.jpg")]


def render(overrides: list[str], output: Path, reuse: bool = False) -> tuple[torch.Tensor, float] | None:
    """Run the stylize CLI's code with ``overrides``; the output image and its seconds (with
    ``reuse``, an existing output and the seconds of its JSON record, or ``None`` if there is none)."""
    if reuse:
        if not (output.is_file() and output.with_suffix(".json").is_file()):
            return None
        return load_image(output), json.loads(output.with_suffix(".json").read_text())["seconds_total"]
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        cfg = compose(config_name="stylize", overrides=overrides + [f"output={output}"], return_hydra_config=True)
    with open_dict(cfg):
        cfg.hydra.runtime.output_dir = str(output.parent)
        cfg.hydra.job.name = "stylize"
    HydraConfig.instance().set_config(cfg)
    with open_dict(cfg):
        del cfg["hydra"]
    record = stylize_from_config(cfg)
    return load_image(output), record["seconds_total"]


def johnson_models(styles: list[str], chosen: list[str] | None = None) -> dict[str, list[tuple[str, list[str]]]]:
    """``{style: [(label, overrides)]}`` for every shipped Johnson model of each style or, with
    ``chosen`` (``LABEL=MODEL`` or ``MODEL``: shipped names or checkpoints, e.g. a run's snapshots),
    for those models on every style (a multi-style one with ``style_mix=<style>``)."""
    models: dict[str, list[tuple[str, list[str]]]] = {style: [] for style in styles}
    if chosen is not None:
        for spec in chosen:
            label, _, model = spec.rpartition("=")
            multi = getattr(load_transformer(model), "styles", None) is not None
            for style in styles:
                models[style].append((label or model, [f"method.model={model}", *([f"style_mix={style}"] if multi else [])]))
        return models
    for name, meta in shipped().items():
        if meta.get("kind") != "johnson":
            continue
        for style in meta.get("styles") or [meta["style"]]:
            if style in models:
                extra = [f"style_mix={style}"] if meta.get("styles") else []
                models[style].append((name, [f"method.model={name}", *extra]))
    return models


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", nargs="+", default=PHOTOS)
    parser.add_argument("--styles", nargs="+", default=["starry_night", "the_scream", "shipwreck"])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--no-gatys", action="store_true")
    parser.add_argument("--no-johnson", action="store_true")
    parser.add_argument("--reuse-gatys", action="store_true")
    parser.add_argument("--models", nargs="+", help="LABEL=MODEL or MODEL (shipped names or checkpoints) instead of "
                        "every shipped model, e.g. to pick among a run's checkpoints")  # fmt: skip
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/johnson_zoo.json"))
    parser.add_argument("--images", type=Path, default=Path("outputs/johnson_zoo"))
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    encoder = get_backbone("vgg16", weights="hed")
    rows, missing = [], []
    for style, models in johnson_models(args.styles, args.models).items():
        if not models and not args.no_johnson:
            continue
        methods = [] if args.no_johnson else [(label, ["method=johnson", *extra]) for label, extra in models]
        if not args.no_gatys:
            methods.append(("gatys_default", ["method=gatys"]))
        for photo in args.photos:
            content = load_image(photo, size=args.size)
            for method, overrides in methods:
                output = args.images / f"{Path(photo).stem}__{style}__{method}.png"
                common = [f"content={photo}", f"style={style}", f"size={args.size}", "progress=false"]
                rendered = render(common + overrides, output, reuse=args.reuse_gatys and method == "gatys_default")
                if rendered is None:
                    missing.append(output.name)
                    continue
                image, seconds = rendered
                scores = transfer_scores(encoder, image, content, load_image(style))  # the measure's own 256 px
                rows.append({"photo": Path(photo).stem, "style": style, "method": method, **scores, "seconds": seconds})
                print(json.dumps(rows[-1]), flush=True)
    summary: dict[str, dict[str, float]] = {}
    for style in args.styles:
        by_method: dict[str, list[dict]] = {}
        for row in (r for r in rows if r["style"] == style):
            by_method.setdefault(row["method"], []).append(row)
        gatys = by_method.get("gatys_default")
        gatys_mean = sum(r["style_ratio"] for r in gatys) / len(gatys) if gatys else None
        for method, method_rows in by_method.items():
            mean_style = sum(r["style_ratio"] for r in method_rows) / len(method_rows)
            summary[f"{style}/{method}"] = {
                "style_ratio": mean_style,
                "content_ratio": sum(r["content_ratio"] for r in method_rows) / len(method_rows),
                "style_ratio_vs_gatys": mean_style / gatys_mean if gatys_mean else None,
                "photos": len(method_rows),
            }
    result = {
        "command": "python " + " ".join(sys.argv),
        "date": utc_now(),
        "machine": machine_info(),
        "note": args.note,
        "size": args.size,
        "summary": summary,
        "gatys_not_rendered": missing,
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(args.out) as tmp:
        tmp.write_text(json.dumps(result, indent=1))
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
