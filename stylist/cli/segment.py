"""``python -m stylist.segment image=photo.jpg``: colour-coded clothing mask and an overlay."""

from __future__ import annotations

from pathlib import Path

import hydra
from omegaconf import DictConfig

from stylist.cli import CONFIG_DIR, user_errors_exit
from stylist.utils import check_writable


def segment_from_config(cfg: DictConfig) -> tuple[Path, Path]:
    """Segment ``cfg.image``; returns the paths of the mask and the overlay."""
    from stylist.image import load_image, save_image
    from stylist.segmentation import colorize, load_segmenter, overlay, segment

    out = Path(cfg.output_dir)
    stem = Path(str(cfg.image)).stem
    check_writable(out / f"{stem}_mask.png")
    image = load_image(cfg.image)
    class_map, _ = segment(image, load_segmenter(str(cfg.checkpoint)), flip=cfg.flip, scales=cfg.scales)
    mask_path = save_image(colorize(class_map)[None], out / f"{stem}_mask.png")
    overlay_path = save_image(overlay(image, class_map)[None], out / f"{stem}_overlay.png")
    return mask_path, overlay_path


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="segment")
@user_errors_exit
def main(cfg: DictConfig) -> None:
    for path in segment_from_config(cfg):
        print(path)


if __name__ == "__main__":
    main()
