"""Backbone registry: ``get_backbone("vgg16", weights="auto")``.

Every backbone is a frozen multi-layer encoder: ``encoder(image, ["relu2_2", ...])`` returns a
dict of activations. Losses only rely on that contract.
"""

from __future__ import annotations

from typing import Any, Callable

from stylist.backbones.vgg import Switch, VGGEncoder, canonical_layer, layer_names, vgg16
from stylist.utils import StylistError

__all__ = ["BACKBONES", "get_backbone", "Switch", "VGGEncoder", "canonical_layer", "layer_names", "vgg16"]

BACKBONES: dict[str, Callable[..., VGGEncoder]] = {"vgg16": vgg16}


def get_backbone(name: str = "vgg16", **kwargs: Any) -> VGGEncoder:
    """Build a backbone by name; an unknown name's error lists the valid ones."""
    if name not in BACKBONES:
        raise StylistError(f"unknown backbone '{name}'; available: {sorted(BACKBONES)}")
    return BACKBONES[name](**kwargs)
