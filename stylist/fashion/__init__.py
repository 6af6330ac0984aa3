"""Fashion style change: restyle only the chosen garments of a street photo.

>>> from stylist.fashion import restyle, johnson_stylise  # doctest: +SKIP
>>> result = restyle(photo, class_map, {"top": "starry_night"}, johnson_stylise())  # doctest: +SKIP

``python -m stylist.fashion image=photo.jpg parts=[top,pants] style=starry_night`` runs the whole
pipeline (segmenter included) from the command line; see :mod:`stylist.cli.fashion`.
"""

from stylist.fashion.core import (
    CLASS_NAMES,
    COLOR_MODES,
    PART_NAMES,
    FashionResult,
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
from stylist.fashion.methods import gatys_stylise, johnson_stylise, wct_stylise

__all__ = [
    "CLASS_NAMES",
    "COLOR_MODES",
    "PART_NAMES",
    "FashionResult",
    "class_map_from_mask",
    "composite",
    "describe",
    "feather_mask",
    "part_index",
    "part_masks",
    "part_shares",
    "restyle",
    "transfer_color",
    "gatys_stylise",
    "wct_stylise",
    "johnson_stylise",
]
