"""``python -m stylist.stylize``: stylise one image and write the image, a JSON record and a loss plot."""

from __future__ import annotations

import datetime
import json
import logging
import platform
import time
from pathlib import Path
from typing import Any

import hydra
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from stylist.cli import CONFIG_DIR, plain, user_errors_exit
from stylist.image import load_image, load_mask, save_image, style_size
from stylist.plots import plot_loss_history
from stylist.utils import StylistError, atomic_write, seed_everything

log = logging.getLogger("stylist.stylize")


def machine_info() -> dict[str, Any]:
    """Where a number was measured: host CPU, threads, torch version, date."""
    return {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }


def _as_list(value: Any) -> list[Any]:
    value = plain(value)
    return list(value) if isinstance(value, (list, tuple)) else [value]


def loss_options(loss_cfg: DictConfig) -> dict[str, Any]:
    """The loss group's keys without Hydra's ``_target_``/``_partial_``."""
    return {k: plain(v) for k, v in loss_cfg.items() if not str(k).startswith("_")}


def stylize_from_config(cfg: DictConfig) -> dict[str, Any]:
    """Run one stylisation described by ``cfg``; returns the JSON record it wrote."""
    seed_everything(cfg.seed)
    content = load_image(cfg.content, size=cfg.size, max_size=cfg.max_size)
    size = cfg.style_size or style_size(max(content.shape[-2:]), cfg.style_scale)
    styles = [load_image(spec, size=size, max_size=cfg.max_size) for spec in _as_list(cfg.style)]
    masks = None
    if cfg.masks is not None:
        masks = [load_mask(path, size=tuple(content.shape[-2:])) for path in _as_list(cfg.masks)]
        if len(masks) != len(styles):
            raise StylistError(f"{len(masks)} masks for {len(styles)} styles: give one mask per style")
    output = Path(cfg.output)
    if output.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        raise StylistError(f"output must end in .png or .jpg, got {output}")

    method = instantiate(cfg.method)
    start = time.perf_counter()
    result = method(
        content,
        styles,
        masks=masks,
        style_blend=plain(cfg.style_blend),
        seed=cfg.seed,
        progress=cfg.progress,
        backbone=lambda: instantiate(cfg.backbone),
        loss=loss_options(cfg.loss),
    )
    seconds = time.perf_counter() - start

    save_image(result.image, output)
    title = f"{Path(str(cfg.content)).stem} x {', '.join(Path(str(s)).stem for s in _as_list(cfg.style))}"
    has_history = any(values for key, values in result.history.items() if key != "scale")
    plot = None
    if has_history:
        plot = plot_loss_history(result.history, output.with_name(output.stem + "_loss.png"), title=title)
    settings = OmegaConf.to_container(cfg, resolve=True)
    record = {
        "output": str(output),
        "loss_plot": str(plot) if plot else None,  # methods without an optimisation have no history
        "settings": settings,
        "image_size": list(result.image.shape[-2:]),
        **result.info,
        "final_losses": result.final_losses,
        "initial_losses": {k: v[0] for k, v in result.history.items() if v and k != "scale"},
        "seconds_total": seconds,
        "iterations": len(result.history.get("total", [])),
        "machine": machine_info(),
        "history": result.history,
    }
    with atomic_write(output.with_suffix(".json")) as tmp:
        tmp.write_text(json.dumps(record, indent=1))
    if cfg.tensorboard:
        _log_tensorboard(output.parent / "tensorboard", result)
    log.info("wrote %s (%.1f s)", output, seconds)
    return record


def _log_tensorboard(log_dir: Path, result: Any) -> None:
    from torch.utils.tensorboard import SummaryWriter

    with SummaryWriter(str(log_dir)) as writer:
        for key, values in result.history.items():
            for step, value in enumerate(values):
                writer.add_scalar(f"loss/{key}", value, step)
        writer.add_image("stylized", result.image[0], len(result.history.get("total", [])))


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="stylize")
@user_errors_exit
def main(cfg: DictConfig) -> float:
    record = stylize_from_config(cfg)
    print(record["output"])
    return record["final_losses"].get("total", 0.0)


if __name__ == "__main__":
    main()
