"""The stylisation step of :func:`stylist.fashion.restyle`, from any :class:`stylist.methods.Method`
(the same ``conf/method/*.yaml`` configs as ``python -m stylist.stylize``).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from stylist.fashion.core import Stylize
from stylist.image import load_image
from stylist.methods import Method

__all__ = ["method_stylize"]


def method_stylize(
    method: Method, style_size: int | None = None, seed: int = 0, progress: bool = True, styles: Iterable[str] = ()
) -> Stylize:
    """``stylize(photo, style, masks)`` for :func:`stylist.fashion.restyle`.

    * A method that needs no style image (``"style" not in method.needs``, Johnson): ``style``
      names its trained model (shipped name or checkpoint, :meth:`~stylist.methods.Method.with_model`);
      it runs once on the whole photo and the compositing keeps only the parts.
    * Any other method (Gatys, WCT): ``style`` is an image (path or known name), loaded at
      ``style_size`` (default: the photo's longest side), and the union of the part ``masks``
      is passed as the method's region mask: Gatys matches guided Gram matrices computed inside
      the parts only, WCT transforms the parts' features only.

    Trained models and style images are loaded once, on first use, and kept (a stream of frames
    pays for them once). The ``styles`` given here are checked now (models loaded, images
    decoded), so that a misspelt or unreadable one fails before segmentation or restyling starts,
    even if the photo turns out to have none of its parts.
    """
    by_model: dict[str, Method] = {}  # the method with each style's trained model (loaded on first call)
    style_images: dict[tuple[str, int], torch.Tensor] = {}
    for style in dict.fromkeys(styles):
        if "style" in method.needs:
            load_image(style)  # resolves the name and decodes the file: a bad one fails now
        else:
            by_model[style] = method.with_model(style)
            by_model[style].network()

    def stylize(photo: torch.Tensor, style: str, masks: list[torch.Tensor]) -> torch.Tensor:
        if "style" not in method.needs:
            if style not in by_model:
                by_model[style] = method.with_model(style)
            return by_model[style](photo, seed=seed, progress=progress).image
        key = (style, style_size or max(photo.shape[-2:]))
        if key not in style_images:
            style_images[key] = load_image(style, size=key[1])
        region = torch.stack(masks).amax(dim=0)
        return method(photo, [style_images[key]], masks=[region], seed=seed, progress=progress).image

    return stylize
