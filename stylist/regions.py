"""Matched regions of a content and a style photo, for semantic (region-to-region) transfer.

Three sources, one result (:class:`RegionPairs`: paired ``1 x 1 x H x W`` content masks and
``1 x 1 x h x w`` style masks):

* colour-coded label maps (:func:`label_map_pairs`), the convention of Deep Photo Style Transfer's
  examples: each distinct colour of a PNG is one region, and regions of the two maps pair up by
  colour; colours found in only one map are reported (``unmatched_content``/``unmatched_style``) and
  get no style;
* the shipped ModaNet segmenter (:func:`segment_pairs`): classes found in both street photos;
* plain masks, one per style image (:func:`resolve_regions` passes them through).

Label maps are resized with nearest neighbours only, so no blended colours appear at borders.

Example:
    >>> pairs = label_map_pairs("in_labels.png", "style_labels.png", (384, 512), (256, 512))  # doctest: +SKIP
    >>> len(pairs.content_masks) == len(pairs.style_masks)  # doctest: +SKIP
    True
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from stylist.image import load_mask
from stylist.utils import StylistError

__all__ = ["RegionPairs", "load_label_map", "label_map_pairs", "segment_pairs", "resolve_regions", "MAX_COLORS"]

log = logging.getLogger(__name__)

#: More distinct colours than this in a label map almost always means JPEG artefacts or antialiasing.
MAX_COLORS = 64

Color = tuple[int, int, int]


@dataclass
class RegionPairs:
    """Paired region masks (in [0, 1], one content and one style mask per region) and what did not pair."""

    content_masks: list[torch.Tensor]
    style_masks: list[torch.Tensor]
    names: list[str] = field(default_factory=list)
    unmatched_content: list[str] = field(default_factory=list)
    unmatched_style: list[str] = field(default_factory=list)

    def info(self) -> dict[str, Any]:
        """Facts for a run's record: region names and unmatched colours."""
        return {"regions": self.names, "unmatched_content": self.unmatched_content, "unmatched_style": self.unmatched_style}


def _hex(colour: Color) -> str:
    return "#{:02x}{:02x}{:02x}".format(*colour)


def load_label_map(path: str | os.PathLike, size: tuple[int, int] | None = None) -> tuple[np.ndarray, list[Color]]:
    """Read a colour-coded label map: ``(labels, colours)`` with ``labels`` an ``H x W`` int array
    indexing ``colours`` (RGB triples). ``size = (H, W)``: nearest-neighbour resize to it (the aspect
    ratio must match within 2%). Raises :class:`StylistError` for unreadable files and for maps with
    more than :data:`MAX_COLORS` colours (save label maps as PNG: JPEG blurs the colours)."""
    try:
        with Image.open(path) as img:
            rgb = img.convert("RGB")
    except (FileNotFoundError, UnidentifiedImageError, OSError) as err:
        raise StylistError(f"cannot read label map {path}: {err}") from None
    if size is not None and (rgb.height, rgb.width) != tuple(size):
        if abs(rgb.height / rgb.width - size[0] / size[1]) > 0.02:
            raise StylistError(
                f"label map {path} is {rgb.width}x{rgb.height} px but its image is {size[1]}x{size[0]} px "
                "(aspect ratios differ)"
            )
        rgb = rgb.resize((size[1], size[0]), Image.NEAREST)
    array = np.asarray(rgb)
    colours, labels = np.unique(array.reshape(-1, 3), axis=0, return_inverse=True)
    if len(colours) > MAX_COLORS:
        raise StylistError(
            f"label map {path} has {len(colours)} colours (at most {MAX_COLORS}); draw regions in flat colours "
            "and save as PNG (JPEG and antialiasing blend colours)"
        )
    return labels.reshape(array.shape[:2]), [tuple(int(v) for v in c) for c in colours]


def label_map_pairs(
    content_map: str | os.PathLike,
    style_map: str | os.PathLike,
    content_size: tuple[int, int],
    style_size: tuple[int, int],
) -> RegionPairs:
    """Region pairs from two label maps (resized to ``content_size``/``style_size``, ``(H, W)``),
    paired by colour. Unmatched colours are logged and listed; no shared colour is an error."""
    labels_c, colours_c = load_label_map(content_map, content_size)
    labels_s, colours_s = load_label_map(style_map, style_size)
    shared = [c for c in colours_c if c in colours_s]
    if not shared:
        raise StylistError(
            f"label maps {content_map} and {style_map} share no colour (content: "
            f"{[_hex(c) for c in colours_c]}, style: {[_hex(c) for c in colours_s]})"
        )
    mask = lambda labels, colours, c: torch.from_numpy(labels == colours.index(c)).float()[None, None]  # noqa: E731
    pairs = RegionPairs(
        content_masks=[mask(labels_c, colours_c, c) for c in shared],
        style_masks=[mask(labels_s, colours_s, c) for c in shared],
        names=[_hex(c) for c in shared],
        unmatched_content=[_hex(c) for c in colours_c if c not in colours_s],
        unmatched_style=[_hex(c) for c in colours_s if c not in colours_c],
    )
    if pairs.unmatched_content or pairs.unmatched_style:
        log.warning(
            "label-map colours without a partner get no style: content %s, style %s",
            pairs.unmatched_content, pairs.unmatched_style,
        )  # fmt: skip
    return pairs


def segment_pairs(content: torch.Tensor, style: torch.Tensor, min_share: float = 0.01) -> RegionPairs:
    """Semantic regions from the shipped ModaNet segmenter (:mod:`stylist.segmentation`): the
    classes covering at least ``min_share`` of both images, as paired masks. Falls back to one
    whole-image pair when no class is shared."""
    try:
        from stylist.segmentation import load_segmenter, segment
    except ImportError:
        raise StylistError("segment=true needs stylist.segmentation (the ModaNet segmenter)") from None
    segmenter = load_segmenter()
    content_map, style_map = segment(content, segmenter)[0], segment(style, segmenter)[0]
    content_map, style_map = content_map.reshape(content.shape[-2:]), style_map.reshape(style.shape[-2:])
    pairs = RegionPairs([], [])
    for label in torch.unique(content_map).tolist():
        in_content, in_style = content_map == label, style_map == label
        if in_content.float().mean() >= min_share and in_style.float().mean() >= min_share:
            pairs.content_masks.append(in_content.float()[None, None])
            pairs.style_masks.append(in_style.float()[None, None])
            pairs.names.append(f"class {label}")
    if not pairs.content_masks:
        return RegionPairs([torch.ones_like(content[:, :1])], [torch.ones_like(style[:, :1])], ["all"])
    return pairs


def resolve_regions(
    content: torch.Tensor,
    styles: Sequence[torch.Tensor],
    *,
    masks: Sequence[torch.Tensor] | None = None,
    style_masks: Sequence[str | os.PathLike] | None = None,
    content_mask: str | os.PathLike | None = None,
    style_mask: str | os.PathLike | None = None,
    segment: bool = False,
) -> tuple[list[torch.Tensor], RegionPairs | None]:
    """The regions a photorealistic method runs with, from whichever source the user gave.

    Returns ``(styles, pairs)``: one style image per region pair (the single style repeated for
    label maps and the segmenter) and the pairs, or ``(styles, None)`` for a global transfer.

    Args:
        content: ``1 x 3 x H x W``; styles: ``1 x 3 x h x w`` each.
        masks: one content mask per style image, with optional ``style_masks`` files (one per style).
        content_mask, style_mask: colour-coded label maps (both or neither); one style image.
        segment: regions from the shipped segmenter; one style image.
    """
    styles = list(styles)
    if not styles:
        raise StylistError("at least one style image is needed")
    sources = sum([masks is not None, content_mask is not None or style_mask is not None, bool(segment)])
    if sources > 1:
        raise StylistError("give one source of regions: masks, content_mask/style_mask label maps, or segment=true")
    if (content_mask is None) != (style_mask is None):
        raise StylistError("label maps come in pairs: give both content_mask and style_mask")
    if (content_mask is not None or segment) and len(styles) != 1:
        raise StylistError("label maps and segment=true take one style image")
    if style_masks is not None and (masks is None or len(style_masks) != len(styles)):
        raise StylistError("style_masks need masks, one of each per style")
    if content_mask is not None:
        pairs = label_map_pairs(content_mask, style_mask, tuple(content.shape[-2:]), tuple(styles[0].shape[-2:]))
    elif segment:
        pairs = segment_pairs(content, styles[0])
    elif masks is not None:
        if len(masks) != len(styles):
            raise StylistError(f"{len(masks)} masks for {len(styles)} styles: give one mask per style")
        loaded = [
            load_mask(path, size=tuple(s.shape[-2:])) if style_masks is not None else torch.ones_like(s[:, :1])
            for path, s in zip(style_masks or [None] * len(styles), styles)
        ]
        return styles, RegionPairs(list(masks), loaded, [f"mask {i}" for i in range(len(masks))])
    else:
        if len(styles) != 1:
            raise StylistError("several styles need one mask each (photorealistic methods do not blend styles)")
        return styles, None
    return styles * len(pairs.content_masks), pairs
