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
from typing import Any

import hydra
import numpy as np
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from stylist.cli import CONFIG_DIR, plain, user_errors_exit
from stylist.cli.records import machine_info, utc_now
from stylist.image import check_size, image_grid, load_image, save_image
from stylist.methods import Method
from stylist.metrics import content_distance, style_distance, transfer_scores
from stylist.models import shipped
from stylist.utils import StylistError, atomic_write, check_whole_number, check_writable, seed_everything

log = logging.getLogger("stylist.compare")

__all__ = ["ssim", "measure", "training_seconds", "build_methods", "compare_from_config", "main"]

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


def training_seconds(method: Method) -> float | str:
    """Training wall time of the method's trained model (its shipped metadata's ``train_seconds``):
    0 for a method without one, ``n/a`` when it is not recorded."""
    if "model" not in method.needs:
        return 0.0
    seconds = (shipped().get(method.model_name or "") or {}).get("train_seconds")
    return float(seconds) if isinstance(seconds, (int, float)) else NA


def trained_style(method: Method) -> str | None:
    """The style a method without style input was trained for (its model's metadata ``style``);
    ``None`` for methods that take a style image."""
    if "style" in method.needs:
        return None
    return (shipped().get(method.model_name or "") or {}).get("style")


def build_methods(cfg: DictConfig, size: int, encoder: torch.nn.Module) -> dict[str, Method]:
    """The compared methods at ``size``: ``cfg.methods[name]`` with ``cfg.size_options[size][name]``
    merged in; methods taking a backbone share ``encoder`` (the one that measures)."""
    size_options = (plain(cfg.size_options) or {}).get(size) or {}
    methods = {}
    for name in plain(cfg.run):
        if name not in cfg.methods:
            raise StylistError(f"run names '{name}', which is not under methods; available: {sorted(cfg.methods)}")
        node = OmegaConf.merge(cfg, {"methods": {name: size_options.get(name) or {}}}).methods[name]
        methods[name] = instantiate(node, **({"backbone": encoder} if "backbone" in node else {}))
    return methods


def _fmt(value: Any) -> str:
    if value is None or value == NA:
        return NA
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def compare_from_config(cfg: DictConfig) -> list[dict[str, Any]]:
    """Run the comparison described by ``cfg`` and write its outputs; returns the per-run rows."""
    seed_everything(cfg.seed)
    _check_settings(cfg)
    torch.set_num_threads(cfg.threads or torch.get_num_threads())
    out = Path(cfg.output_dir)
    encoder = instantiate(cfg.backbone)
    methods = list(plain(cfg.run))
    rows: list[dict[str, Any]] = []
    start_all = time.perf_counter()
    for size in plain(cfg.sizes):
        built = build_methods(cfg, size, encoder)
        grid_rows, labels = [], []
        for content_name in plain(cfg.contents):
            content = load_image(content_name, size=size)
            for style_name in plain(cfg.styles):
                style = load_image(style_name, size=size)
                cells: list[Any] = [content, style]
                for method in methods:
                    seed_everything(cfg.seed)
                    start = time.perf_counter()
                    image = _run(built[method], content, style_name, style)
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
        training = {name: training_seconds(method) for name, method in built.items()}
        _write_tables(cfg, rows, training, out, time.perf_counter() - start_all)  # after each size: partial runs count
    return rows


def _check_settings(cfg: DictConfig) -> None:
    """What would otherwise fail after minutes of work (a bad second size) or as a traceback."""
    if cfg.threads is not None:
        check_whole_number("threads", cfg.threads, 1, " (null: torch's default)")
    for key in ("contents", "styles", "sizes", "run"):
        if not plain(cfg[key]):
            raise StylistError(f"{key} is empty: give at least one, e.g. {key}=[...]")
    for size in plain(cfg.sizes):
        check_size("sizes", size)
    check_whole_number("grid_cell", cfg.grid_cell, 16, " (pixels per grid image)")
    check_writable(Path(cfg.output_dir) / "summary.md")


def _run(method: Method, content: torch.Tensor, style_name: str, style: torch.Tensor) -> torch.Tensor | None:
    """The method's output, or ``None`` for a style its trained model does not do."""
    if "style" in method.needs:
        return method(content, [style], progress=False).image
    trained_for = trained_style(method)
    if trained_for is not None and trained_for != style_name:
        return None
    return method(content, progress=False).image


def _mean(values: list[Any]) -> float | str:
    numbers = [v for v in values if isinstance(v, float)]
    return float(np.mean(numbers)) if numbers else NA


def _write_tables(
    cfg: DictConfig, rows: list[dict[str, Any]], training: dict[str, float | str], out: Path, seconds: float
) -> None:
    fields = ["method", "size", "content", "style", "seconds", *MEASURES]
    with atomic_write(out / "runs.csv") as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows({k: _fmt(row[k]) for k in fields} for row in rows)
    summary = []
    for method, train in training.items():
        for size in sorted({r["size"] for r in rows}):
            mine = [r for r in rows if r["method"] == method and r["size"] == size]
            summary.append({
                "method": method, "size": size, "training_s": train,
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
        f"{utc_now()}; whole run {seconds / 60:.1f} min. training_s: wall time recorded in the shipped "
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
