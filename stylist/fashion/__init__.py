"""Fashion style change: restyle only the chosen garments of a street photo.

>>> from stylist.fashion import method_stylize, restyle
>>> from stylist.methods import Johnson
>>> stylize = method_stylize(Johnson())  # each style names a trained model
>>> result = restyle(photo, class_map, {"top": "starry_night"}, stylize)  # doctest: +SKIP

``python -m stylist.fashion image=photo.jpg parts=[top,pants] style=starry_night`` runs the whole
pipeline (segmenter included) from the command line; see :mod:`stylist.cli.fashion`. Videos and
webcams: :mod:`stylist.fashion.stream` (:class:`~stylist.fashion.stream.FashionStream`) and
``python -m stylist.fashion.video input=clip.mp4 parts=[top,pants] output=out.mp4``.
"""

from stylist.fashion.core import (
    CLASS_NAMES,
    COLOR_MODES,
    PART_NAMES,
    FashionResult,
    check_composite,
    class_map_from_mask,
    composite,
    describe,
    feather_mask,
    part_index,
    part_masks,
    part_shares,
    restyle,
    transfer_color,
)
from stylist.fashion.methods import method_stylize

__all__ = [
    "CLASS_NAMES",
    "COLOR_MODES",
    "PART_NAMES",
    "FashionResult",
    "check_composite",
    "class_map_from_mask",
    "composite",
    "describe",
    "feather_mask",
    "part_index",
    "part_masks",
    "part_shares",
    "restyle",
    "transfer_color",
    "method_stylize",
]
