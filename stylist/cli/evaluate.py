"""``python -m stylist.evaluate task=segmentation checkpoint=... data.root=... data.annotations=...``.

Prints per-class IoU, mIoU and pixel accuracy as JSON; writes ``scores.json`` (those scores in a run
record, :mod:`stylist.cli.records`), ``iou_table.md``, ``confusion.png`` and, with ``panel=N``,
``panel.png`` into ``output_dir``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

import hydra
from omegaconf import DictConfig

from stylist.cli import CONFIG_DIR, user_errors_exit
from stylist.cli.records import run_record, to_json, write_record
from stylist.utils import StylistError, atomic_write, check_whole_number, check_writable


def evaluate_segmentation(cfg: DictConfig) -> dict[str, Any]:
    from stylist.segmentation import load_segmenter
    from stylist.segmentation.evaluation import evaluate_segmenter, iou_table, overlay_panel
    from stylist.segmentation.visualize import plot_confusion

    out = Path(cfg.output_dir)
    check_whole_number("panel", cfg.panel, 0, " (rows in panel.png; 0: none)")
    check_writable(out / "scores.json")
    start = time.perf_counter()
    segmenter = load_segmenter(str(cfg.checkpoint)).use(bf16=cfg.get("bf16"), channels_last=cfg.get("channels_last"))
    result, matrix, samples = evaluate_segmenter(
        segmenter, cfg.data.annotations, cfg.data.root, cfg.data.lmdb, flip=cfg.flip, keep=cfg.panel,
        scales=cfg.scales,
    )
    result.update(checkpoint=str(cfg.checkpoint), annotations=str(cfg.data.annotations))
    write_record(out / "scores.json", run_record(cfg, seconds_total=time.perf_counter() - start, **result))
    with atomic_write(out / "iou_table.md") as tmp:
        tmp.write_text(iou_table(result))
    plot_confusion(matrix, out / "confusion.png")
    if samples:
        with atomic_write(out / "panel.png") as tmp:
            overlay_panel(samples).save(tmp, format="PNG")
    return result


TASKS: dict[str, Callable[[DictConfig], dict[str, Any]]] = {"segmentation": evaluate_segmentation}


def evaluate_from_config(cfg: DictConfig) -> dict[str, Any]:
    """Run the evaluation named by ``cfg.task``."""
    if cfg.task not in TASKS:
        raise StylistError(f"unknown task '{cfg.task}'; available: {sorted(TASKS)}")
    return TASKS[cfg.task](cfg)


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="evaluate")
@user_errors_exit
def main(cfg: DictConfig) -> float:
    result = evaluate_from_config(cfg)
    print(to_json(result))  # NaN (a class neither present nor predicted) as null
    return float(result.get("miou", 0.0))


if __name__ == "__main__":
    main()
