"""``python -m stylist.fashion``: segment a street photo and restyle only the chosen garments.

Writes the result, ``<stem>_panel.png`` (photo | chosen parts | result) and ``<stem>.json``
(parts found with their pixel share, per-stage timings, settings).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import hydra
import torch
from omegaconf import DictConfig

from stylist.cli import CONFIG_DIR, instantiate_method, plain, user_errors_exit
from stylist.cli.records import run_record, write_record
from stylist.fashion import check_composite, class_map_from_mask, describe, method_stylize, part_index, restyle
from stylist.image import image_grid, load_image, load_mask, save_image
from stylist.utils import StylistError, check_writable, seed_everything

log = logging.getLogger("stylist.fashion")


def chosen_styles(cfg: DictConfig) -> dict[str, str]:
    """``{part: style}`` from ``styles`` (if given) or ``parts`` x ``style``; part names are checked."""
    styles = plain(cfg.styles)
    if styles:
        if not isinstance(styles, dict):
            raise StylistError("styles must map parts to styles, e.g. styles={top: starry_night, pants: the_scream}")
        chosen = {str(part): str(style) for part, style in styles.items()}
    else:
        parts = plain(cfg.parts)
        parts = [parts] if isinstance(parts, str) else list(parts or [])
        if not parts:
            raise StylistError("choose at least one part, e.g. parts=[top,pants]")
        chosen = {str(part): str(cfg.style) for part in parts}
    for part in chosen:
        part_index(part)
    return chosen


def fashion_from_config(cfg: DictConfig) -> dict[str, Any]:
    """Run the pipeline described by ``cfg``; returns the JSON record it wrote."""
    seed_everything(cfg.seed)
    styles = chosen_styles(cfg)
    check_composite(cfg.feather, cfg.color)
    output = Path(cfg.output)
    if output.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        raise StylistError(f"output must end in .png or .jpg, got {output}")
    check_writable(output)
    seconds: dict[str, float] = {}

    start = began = time.perf_counter()
    photo = load_image(cfg.image, size=cfg.size, max_size=cfg.max_size)
    stylize = method_stylize(
        instantiate_method(cfg.method), style_size=cfg.style_size, seed=cfg.seed, progress=cfg.progress, styles=styles.values()
    )
    segmenter = None
    if cfg.mask is None:
        from stylist.segmentation import load_segmenter, segment

        segmenter = load_segmenter(cfg.segmenter)
    seconds["load"] = time.perf_counter() - start

    start = time.perf_counter()
    if segmenter is None:
        class_map = class_map_from_mask(load_mask(cfg.mask, size=tuple(photo.shape[-2:]), labels=True), list(styles))
    else:
        class_map, _ = segment(photo, segmenter, flip=cfg.segment_flip, scales=cfg.segment_scales)
    seconds["segment"] = time.perf_counter() - start

    result = restyle(photo, class_map, styles, stylize, feather=cfg.feather, color=cfg.color)
    seconds.update(result.seconds)

    start = time.perf_counter()
    save_image(result.image, output)
    panel = output.with_name(output.stem + "_panel.png")
    save_image(fashion_panel(photo, class_map, result), panel)
    seconds["write"] = time.perf_counter() - start

    record = run_record(
        cfg,
        seconds_total=time.perf_counter() - began,
        output=str(output),
        panel=str(panel),
        **{**describe(result), "seconds": seconds},  # every stage's, not only the restyling's
        image_size=list(photo.shape[-2:]),
        mask_source="user" if cfg.mask is not None else f"segmenter {cfg.segmenter}",
    )
    write_record(output.with_suffix(".json"), record)
    log.info("wrote %s (%s)", output, ", ".join(f"{k} {v:.2f} s" for k, v in seconds.items()))
    return record


def fashion_panel(photo: torch.Tensor, class_map: torch.Tensor, result: Any) -> Any:
    """photo | the restyled parts over the photo (named, with their pixel share) | result."""
    from stylist.segmentation import overlay

    chosen = torch.zeros_like(class_map)
    for part in result.restyled:
        index = part_index(part)
        chosen[class_map == index] = index
    parts = ", ".join(f"{p} {100 * result.parts_found[p]:.0f}%" for p in result.restyled) or "none found"
    cell = min(512, max(photo.shape[-2:]))
    return image_grid([[photo, overlay(photo, chosen), result.image]], col_labels=["photo", parts, "result"], cell=cell)


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="fashion")
@user_errors_exit
def main(cfg: DictConfig) -> None:
    record = fashion_from_config(cfg)
    print(record["output"])


if __name__ == "__main__":
    main()
