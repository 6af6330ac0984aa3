"""``python -m stylist.stylize``: stylise one image and write the image, a JSON record and a loss plot."""

from __future__ import annotations

import logging
import time
import warnings
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig

from stylist.cli import CONFIG_DIR, instantiate_method, plain, user_errors_exit
from stylist.cli.records import command_overrides, run_record, write_record
from stylist.image import check_size, load_image, load_mask, save_image, style_size
from stylist.plots import plot_loss_history
from stylist.utils import StylistError, check_writable, seed_everything

log = logging.getLogger("stylist.stylize")


def _as_list(value: Any) -> list[Any]:
    value = plain(value)
    return list(value) if isinstance(value, (list, tuple)) else [value]


#: Options that choose the style image(s); a method with a trained model has its own style.
STYLE_OPTIONS = ("style", "style_blend", "masks")


def _ignored_style_options(cfg: DictConfig, needs: Any) -> list[str]:
    """The style options a method with a trained model (no ``"style"`` in its needs) ignores although
    the user set them (``style`` given on the command line, ``style_blend`` or ``masks`` set), with a warning."""
    if "style" in needs:
        return []
    given = {override.lstrip("+").split("=", 1)[0] for override in command_overrides()}
    ignored = [key for key in STYLE_OPTIONS if key in given or (key != "style" and cfg[key] is not None)]
    if ignored:
        warnings.warn(f"the method's trained model has its own style: ignoring {', '.join(ignored)}")
    return ignored


def stylize_from_config(cfg: DictConfig) -> dict[str, Any]:
    """Run one stylisation described by ``cfg``; returns the JSON record it wrote."""
    seed_everything(cfg.seed)
    output = Path(cfg.output)
    if output.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        raise StylistError(f"output must end in .png or .jpg, got {output}")
    check_writable(output)
    check_size("style_size", cfg.style_size)
    method = instantiate_method(cfg.method)  # bad option values fail here, before any image is read
    needs = method.needs
    ignored = _ignored_style_options(cfg, needs)
    content = load_image(cfg.content, size=cfg.size, max_size=cfg.max_size)
    size = cfg.style_size or style_size(max(content.shape[-2:]), cfg.style_scale)
    if "style" in needs and size > cfg.max_size:
        raise StylistError(
            f"the style images would be {size} px on their longest side (style_size, or size x style_scale), "
            f"above max_size {cfg.max_size}: lower style_scale or style_size, or raise max_size"
        )
    styles, masks = [], None
    if "style" in needs:
        styles = [load_image(spec, size=size, max_size=cfg.max_size) for spec in _as_list(cfg.style)]
    if cfg.masks is not None and "masks" not in ignored:
        masks = [load_mask(path, size=tuple(content.shape[-2:])) for path in _as_list(cfg.masks)]
        if len(masks) != len(styles):
            raise StylistError(f"{len(masks)} masks for {len(styles)} styles: give one mask per style")

    start = time.perf_counter()
    style_blend = None if "style_blend" in ignored else plain(cfg.style_blend)
    result = method(content, styles, masks, style_blend, seed=cfg.seed, progress=cfg.progress)
    seconds = time.perf_counter() - start

    save_image(result.image, output)
    title = f"{Path(str(cfg.content)).stem} x {', '.join(Path(str(s)).stem for s in _as_list(cfg.style))}"
    has_history = any(values for key, values in result.history.items() if key != "scale")
    plot = None
    if has_history:
        plot = plot_loss_history(result.history, output.with_name(output.stem + "_loss.png"), title=title)
    settings = plain(cfg)
    settings.update({key: None for key in STYLE_OPTIONS if "style" not in needs})  # the model's style was used
    record = run_record(
        cfg,
        seconds_total=seconds,
        output=str(output),
        loss_plot=str(plot) if plot else None,  # methods without an optimisation have no history
        settings=settings,
        ignored_options=ignored,
        image_size=list(result.image.shape[-2:]),
        **result.info,
        final_losses=result.final_losses,
        initial_losses={k: v[0] for k, v in result.history.items() if v and k != "scale"},
        iterations=len(result.history.get("total", [])),
        history=result.history,
    )
    write_record(output.with_suffix(".json"), record)
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
