"""Fashion style change: restyle only chosen clothing parts of a photo.

The pipeline is ``segment -> stylize -> composite``:

1. a ``H x W`` class map (ModaNet classes, from the shipped DeepLabV3+ segmenter or given by the
   caller) gives one binary mask per chosen part;
2. each distinct style is applied once to the whole photo (Johnson: one network pass; Gatys: the
   style loss uses guided Gram matrices restricted to the parts, see
   :func:`stylist.losses.guided_gram_loss`, so the background never feeds the style statistics);
3. the stylized pixels are composited through a feathered mask. The feather only reaches
   ``feather`` pixels beyond a part, so every pixel further away is the input pixel, bit for bit.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import torch
import torch.nn.functional as F

from stylist.color import rgb_to_yiq, yiq_to_rgb
from stylist.utils import StylistError, check_whole_number

__all__ = [
    "CLASS_NAMES",
    "PART_NAMES",
    "COLOR_MODES",
    "FashionResult",
    "part_index",
    "part_masks",
    "part_shares",
    "feather_mask",
    "composite",
    "transfer_color",
    "check_composite",
    "restyle",
]

#: ModaNet's classes in label order (0 is background); ``scarf_tie`` is ModaNet's "scarf/tie".
CLASS_NAMES: tuple[str, ...] = (
    "background", "bag", "belt", "boots", "footwear", "outer", "dress", "sunglasses",
    "pants", "top", "shorts", "skirt", "headwear", "scarf_tie",
)
PART_NAMES: tuple[str, ...] = CLASS_NAMES[1:]
_ALIASES = {"scarf/tie": "scarf_tie", "scarf": "scarf_tie", "tie": "scarf_tie"}

#: ``none``: the stylized colours; ``garment``: stylized luminance with the garment's own colours;
#: ``style``: the garment's luminance (its folds and shading) with the style's colours.
COLOR_MODES = ("none", "garment", "style")


def part_index(name: str) -> int:
    """ModaNet label of a part name; an unknown name's error lists the valid ones."""
    key = _ALIASES.get(name.strip().lower(), name.strip().lower())
    if key not in PART_NAMES:
        raise StylistError(f"unknown part '{name}'; valid parts: {', '.join(PART_NAMES)}")
    return CLASS_NAMES.index(key)


def part_masks(class_map: torch.Tensor, parts: Sequence[str]) -> dict[str, torch.Tensor]:
    """``{part: 1 x 1 x H x W float mask}`` for each part name, from an ``H x W`` class map."""
    return {part: (class_map == part_index(part)).float()[None, None] for part in parts}


def part_shares(class_map: torch.Tensor) -> dict[str, float]:
    """Share of the image's pixels of every part present in ``class_map``, largest first."""
    counts = torch.bincount(class_map.flatten().long(), minlength=len(CLASS_NAMES)).double()
    shares = {CLASS_NAMES[i]: float(counts[i] / counts.sum()) for i in range(1, len(CLASS_NAMES)) if counts[i] > 0}
    return dict(sorted(shares.items(), key=lambda item: -item[1]))


def feather_mask(mask: torch.Tensor, radius: int) -> torch.Tensor:
    """Soften a ``B x 1 x H x W`` binary mask over ``radius`` pixels on each side of its border.

    ``m' = min(1, 2 * box_{2r+1}(m))``: a box average, doubled so that the part's own pixels
    stay (almost) fully stylized and the ramp lies mostly outside. The average of an all-zero
    window is exactly 0, so pixels more than ``radius`` away from the part stay exactly 0.
    """
    if radius <= 0:
        return mask
    blurred = F.avg_pool2d(mask, 2 * radius + 1, stride=1, padding=radius, count_include_pad=False)
    return (2 * blurred).clamp(max=1.0)


def composite(photo: torch.Tensor, stylized: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``out = photo`` where ``mask == 0`` (exactly), ``stylized`` where ``mask == 1``, blended between."""
    return torch.where(mask > 0, photo + mask * (stylized - photo), photo)


def transfer_color(photo: torch.Tensor, stylized: torch.Tensor, mode: str) -> torch.Tensor:
    """Recombine luminance and colour (YIQ) of the photo and the stylized image, see :data:`COLOR_MODES`."""
    if mode not in COLOR_MODES:
        raise StylistError(f"color must be one of {COLOR_MODES}, not '{mode}'")
    if mode == "none":
        return stylized
    photo_yiq, stylized_yiq = rgb_to_yiq(photo), rgb_to_yiq(stylized)
    if mode == "garment":  # stylized strokes (luminance), the garment's colours
        mixed = torch.cat([stylized_yiq[:, :1], photo_yiq[:, 1:]], dim=1)
    else:  # the garment's shading, the style's colours
        mixed = torch.cat([photo_yiq[:, :1], stylized_yiq[:, 1:]], dim=1)
    return yiq_to_rgb(mixed).clamp(0, 1)


@dataclass
class FashionResult:
    """Output of :func:`restyle`.

    Attributes:
        image: ``1 x 3 x H x W`` in [0, 1].
        mask: ``1 x 1 x H x W`` feathered union of the restyled parts (what was composited).
        parts_found: ``{part: pixel share}`` of every part in the class map.
        restyled: the chosen parts that were present, with their style.
        missing: the chosen parts absent from the photo.
        seconds: wall time per stage.
    """

    image: torch.Tensor
    mask: torch.Tensor
    parts_found: dict[str, float]
    restyled: dict[str, str]
    missing: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


#: ``stylize(photo, style, masks) -> image``: ``masks`` are the binary part masks that take
#: ``style`` (methods that stylize the whole image ignore them).
Stylize = Callable[[torch.Tensor, str, list[torch.Tensor]], torch.Tensor]


def check_composite(feather: Any, color: str) -> None:
    """``feather`` a whole number of pixels >= 0 and ``color`` one of :data:`COLOR_MODES`, else a
    user error (callers check them before segmenting or stylizing anything)."""
    check_whole_number("feather", feather, 0, " (pixels; 0: hard edges)")
    if color not in COLOR_MODES:
        raise StylistError(f"color must be one of {COLOR_MODES}, not '{color}'")


def restyle(
    photo: torch.Tensor,
    class_map: torch.Tensor,
    styles: Mapping[str, str],
    stylize: Stylize,
    *,
    feather: int = 3,
    color: str = "none",
) -> FashionResult:
    """Restyle the parts named in ``styles`` (``{part: style}``) and keep every other pixel.

    Args:
        photo: ``1 x 3 x H x W`` in [0, 1].
        class_map: ``H x W`` ModaNet labels at the photo's resolution.
        styles: the style of each chosen part (parts sharing a style are stylized together).
        stylize: the method, see :data:`Stylize`.
        feather: border softening in pixels (0: hard edges).
        color: colour handling, one of :data:`COLOR_MODES`.

    A chosen part absent from the photo is skipped with a warning naming the parts found; if
    none is present the photo is returned unchanged.
    """
    if tuple(class_map.shape) != tuple(photo.shape[-2:]):
        raise StylistError(f"class map is {tuple(class_map.shape)} but the photo is {tuple(photo.shape[-2:])}")
    check_composite(feather, color)
    masks = part_masks(class_map, list(styles))
    found = part_shares(class_map)
    missing = [part for part, mask in masks.items() if not mask.any()]
    if missing:
        warnings.warn(
            f"part(s) {', '.join(missing)} not found in the photo; found: {', '.join(found) or 'no garments'}",
            stacklevel=2,
        )
    by_style: dict[str, list[str]] = {}
    for part, style in styles.items():
        if part not in missing:
            by_style.setdefault(style, []).append(part)
    output = photo.clone()
    union = torch.zeros_like(photo[:, :1])
    seconds = {"stylize": 0.0, "composite": 0.0}
    for style, parts in by_style.items():
        start = time.perf_counter()
        stylized = stylize(photo, style, [masks[part] for part in parts])
        seconds["stylize"] += time.perf_counter() - start
        start = time.perf_counter()
        stylized = transfer_color(photo, stylized, color)
        region = feather_mask(torch.stack([masks[part] for part in parts]).amax(dim=0), feather)
        output = composite(output, stylized, region)
        union = torch.maximum(union, region)
        seconds["composite"] += time.perf_counter() - start
    return FashionResult(
        image=output,
        mask=union,
        parts_found=found,
        restyled={part: style for style, parts in by_style.items() for part in parts},
        missing=missing,
        seconds=seconds,
    )


def describe(result: FashionResult) -> dict[str, Any]:
    """A JSON-ready summary of a :class:`FashionResult` (without the tensors)."""
    return {
        "parts_found": result.parts_found,
        "restyled": result.restyled,
        "missing": result.missing,
        "restyled_share": float(result.mask.gt(0).float().mean()),
        "seconds": result.seconds,
    }


def class_map_from_mask(mask_image: torch.Tensor, parts: Sequence[str]) -> torch.Tensor:
    """An ``H x W`` class map from a user-supplied mask, ``mask_image`` being ``1 x 1 x H x W`` in [0, 1]
    as read by :func:`stylist.image.load_mask` from an 8-bit file.

    A mask whose values are all ModaNet labels (0..13 out of 255) is a label map and is used as
    is; a mask of mostly 0 and bright values is binary (brighter than half = inside) and marks the
    region of the first chosen part, so it takes that part's style. A mask with more label values
    (1..13) than bright ones is a label map with values outside 0..13: an error.
    """
    levels = (mask_image[0, 0] * 255).round().long()
    if int(levels.max()) < len(CLASS_NAMES):
        return levels
    labelled = int(((levels > 0) & (levels < len(CLASS_NAMES))).sum())
    outside = levels >= len(CLASS_NAMES)
    if labelled > int(outside.sum()):
        values = levels[outside].unique().tolist()
        shown = ", ".join(map(str, values[:8])) + (", ..." if len(values) > 8 else "")
        raise StylistError(f"the label map has values outside ModaNet's 0-{len(CLASS_NAMES) - 1}: {shown}")
    if not parts:
        raise StylistError("a binary mask needs one part name to take its place, e.g. parts=[top]")
    return torch.where(mask_image[0, 0] > 0.5, part_index(parts[0]), 0)
