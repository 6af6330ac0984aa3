"""``python -m stylist.compare``: every method on the same content/style pairs and sizes; writes a
side-by-side grid per size, a per-run CSV and a per-method Markdown/CSV summary with training time
(from the shipped models' metadata), inference seconds per image, Gram style distance and content
distance (one common VGG16, :mod:`stylist.metrics`), the style ratio and relative content distance of
:func:`stylist.metrics.transfer_scores` and SSIM to the content.
"""

from __future__ import annotations

import csv
import logging
import time
from pathlib import Path
from typing import Any, Callable, Mapping

import hydra
import numpy as np
import torch
from omegaconf import DictConfig

from stylist.cli import CONFIG_DIR, plain, user_errors_exit
from stylist.cli.stylize import machine_info
from stylist.image import image_grid, load_image, save_image
from stylist.metrics import content_distance, style_distance, transfer_scores
from stylist.utils import StylistError, atomic_write, seed_everything

log = logging.getLogger("stylist.compare")

__all__ = ["ssim", "measure", "training_seconds", "compare_from_config", "main"]

NA = "n/a"
#: The columns of :func:`measure`.
MEASURES = ("style_distance", "content_distance", "style_ratio", "content_ratio", "ssim")


def ssim(image: torch.Tensor, content: torch.Tensor) -> float:
    """Structural similarity (skimage, colour, data range 1) of two ``1 x 3 x H x W`` images."""
    from skimage.metrics import structural_similarity

    to_np = lambda x: x[0].permute(1, 2, 0).double().clamp(0, 1).numpy()  # noqa: E731
    return float(structural_similarity(to_np(image), to_np(content), channel_axis=2, data_range=1.0))


def measure(encoder: torch.nn.Module, image: torch.Tensor, content: torch.Tensor, style: torch.Tensor) -> dict[str, float]:
    """``style_distance``, ``content_distance``, ``style_ratio``, ``content_ratio`` and ``ssim`` of a
    stylised ``image``."""
    return {
        "style_distance": style_distance(encoder, image, style),
        "content_distance": content_distance(encoder, image, content),
        **transfer_scores(encoder, image, content, style),
        "ssim": ssim(image, content),
    }


def training_seconds(model_name: str | None) -> float | None:
    """Training wall time recorded in a shipped model's metadata (``train_seconds`` or
    ``wall_minutes``), if any."""
    if not model_name:
        return None
    from stylist.weights import available

    meta = available().get(model_name) or {}
    if isinstance(meta.get("train_seconds"), (int, float)):
        return float(meta["train_seconds"])
    if isinstance(meta.get("wall_minutes"), (int, float)):
        return 60.0 * float(meta["wall_minutes"])
    return None


def _johnson(models: Mapping[str, str]) -> Callable[..., torch.Tensor | None]:
    """Johnson et al. through its shipped per-style networks; ``None`` for a style with no model."""
    from stylist.johnson import load_transformer, stylize_image

    loaded: dict[str, torch.nn.Module] = {}

    def run(content: torch.Tensor, style_name: str, style: torch.Tensor, encoder: torch.nn.Module) -> torch.Tensor | None:
        if style_name not in models:
            return None
        if style_name not in loaded:
            loaded[style_name] = load_transformer(models[style_name])
        return stylize_image(loaded[style_name], content)

    return run


def _registered(name: str, options: Mapping[str, Any]) -> Callable[..., torch.Tensor | None]:
    from stylist.methods import get_method

    method = get_method(name)

    def run(content: torch.Tensor, style_name: str, style: torch.Tensor, encoder: torch.nn.Module) -> torch.Tensor:
        return method(content, [style], backbone=lambda: encoder, progress=False, **options).image

    return run


def _runners(cfg: DictConfig, size: int) -> dict[str, Callable[..., torch.Tensor | None]]:
    runners = {}
    for name, spec in plain(cfg.methods).items():
        options = {**(spec.get("options") or {}), **((spec.get("size_options") or {}).get(size) or {})}
        if name == "johnson":
            runners[name] = _johnson(spec.get("models") or {})
        else:
            runners[name] = _registered(name, options)
    return runners


def _fmt(value: Any) -> str:
    if value is None or value == NA:
        return NA
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def compare_from_config(cfg: DictConfig) -> list[dict[str, Any]]:
    """Run the comparison described by ``cfg`` and write its outputs; returns the per-run rows."""
    from stylist.backbones import get_backbone

    seed_everything(cfg.seed)
    torch.set_num_threads(cfg.threads or torch.get_num_threads())
    out = Path(cfg.output_dir)
    encoder = get_backbone("vgg16", weights=cfg.metrics_weights)
    methods = list(plain(cfg.methods))
    rows: list[dict[str, Any]] = []
    start_all = time.perf_counter()
    for size in plain(cfg.sizes):
        runners = _runners(cfg, size)
        grid_rows, labels = [], []
        for content_name in plain(cfg.contents):
            content = load_image(content_name, size=size)
            for style_name in plain(cfg.styles):
                style = load_image(style_name, size=size)
                cells: list[Any] = [content, style]
                for method in methods:
                    seed_everything(cfg.seed)
                    start = time.perf_counter()
                    image = runners[method](content, style_name, style, encoder)
                    seconds = time.perf_counter() - start
                    row: dict[str, Any] = {
                        "method": method, "size": size, "content": Path(content_name).stem, "style": style_name,
                    }  # fmt: skip
                    if image is None:
                        row.update({key: NA for key in ("seconds", *MEASURES)})
                        cells.append(torch.ones_like(content))
                    else:
                        row.update(seconds=seconds, **measure(encoder, image, content, style))
                        cells.append(image)
                        if cfg.save_images:
                            save_image(image, out / "images" / f"{method}_{row['content']}_{style_name}_{size}.png")
                    log.info("%s", {k: _fmt(v) for k, v in row.items()})
                    rows.append(row)
                grid_rows.append(cells)
                labels.append(f"{Path(content_name).stem}\nx {style_name}")
        grid = image_grid(grid_rows, row_labels=labels, col_labels=["content", "style", *methods], cell=cfg.grid_cell)
        save_image(grid, out / f"grid_{size}.png")
        _write_tables(cfg, rows, methods, out, time.perf_counter() - start_all)  # after each size: partial runs count
    return rows


def _mean(values: list[Any]) -> float | str:
    numbers = [v for v in values if isinstance(v, float)]
    return float(np.mean(numbers)) if numbers else NA


def _write_tables(cfg: DictConfig, rows: list[dict[str, Any]], methods: list[str], out: Path, seconds: float) -> None:
    fields = ["method", "size", "content", "style", "seconds", *MEASURES]
    with atomic_write(out / "runs.csv") as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows({k: _fmt(row[k]) for k in fields} for row in rows)
    specs = plain(cfg.methods)
    summary = []
    for method in methods:
        train = training_seconds(specs[method].get("trained_model"))
        for size in sorted({r["size"] for r in rows}):
            mine = [r for r in rows if r["method"] == method and r["size"] == size]
            summary.append({
                "method": method, "size": size,
                "training_s": train if train is not None else (0.0 if not specs[method].get("trained_model") else NA),
                "runs": sum(isinstance(r["seconds"], float) for r in mine),
                **{key: _mean([r[key] for r in mine]) for key in ("seconds", *MEASURES)},
            })  # fmt: skip
    columns = list(summary[0]) if summary else []
    with atomic_write(out / "summary.csv") as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows({k: _fmt(v) for k, v in row.items()} for row in summary)
    machine = machine_info()
    lines = [
        f"Means over {len(plain(cfg.contents))} contents x {len(plain(cfg.styles))} styles "
        f"(n/a cells excluded). Machine: {machine['processor']}, torch threads {machine['torch_threads']}, "
        f"{machine['date']}; whole run {seconds / 60:.1f} min. training_s: wall time recorded in the shipped "
        "model's metadata (0: no training); seconds: inference wall time per image.",
        "",
        "| " + " | ".join(columns) + " |",
        "|" + "---|" * len(columns),
        *("| " + " | ".join(_fmt(row[c]) for c in columns) + " |" for row in summary),
    ]
    with atomic_write(out / "summary.md") as tmp:
        tmp.write_text("\n".join(lines) + "\n")


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="compare")
@user_errors_exit
def main(cfg: DictConfig) -> None:
    compare_from_config(cfg)
    print(Path(cfg.output_dir) / "summary.md")


if __name__ == "__main__":
    main()
