"""Trained models shipped inside the package, loadable by name.

Each model is ``<name>.pt`` (a state dict) next to ``<name>.yaml`` (metadata: ``kind``, the
config it was trained with, steps, data, final metrics, date, the command that made it).
``kind`` picks the loader in :data:`LOADERS` (``"module:function"``, imported on use).

Example:
    >>> sorted(available())  # doctest: +SKIP
    ['starry_night']
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import yaml

from stylist.utils import StylistError, is_temporary

__all__ = ["WEIGHTS_DIR", "LOADERS", "available", "metadata", "weights_path", "load_model"]

WEIGHTS_DIR = Path(__file__).resolve().parent

#: kind -> "module:function" taking (weights path, metadata dict) and returning the model.
LOADERS: dict[str, str] = {
    "johnson": "stylist.johnson.inference:load_shipped",
    "deeplab": "stylist.segmentation.predict:load_shipped",
    "wct": "stylist.wct.decoder:load_decoders",
}


def available() -> dict[str, dict[str, Any]]:
    """Shipped models: ``{name: metadata}``."""
    paths = [path for path in sorted(WEIGHTS_DIR.glob("*.yaml")) if not is_temporary(path)]  # skip unfinished writes
    return {path.stem: yaml.safe_load(path.read_text()) for path in paths}


def metadata(name: str) -> dict[str, Any]:
    """The metadata of a shipped model; an unknown name's error lists the shipped ones."""
    models = available()
    if name not in models:
        raise StylistError(f"no shipped model '{name}'; available: {sorted(models) or 'none'}")
    return models[name]


def weights_path(name: str) -> Path:
    """Path of a shipped model's ``.pt`` file."""
    metadata(name)
    path = WEIGHTS_DIR / f"{name}.pt"
    if not path.is_file():
        raise StylistError(f"shipped model '{name}' has metadata but no weights file {path}")
    return path


def load_model(name: str) -> Any:
    """Build a shipped model by name (in eval mode)."""
    meta = metadata(name)
    kind = meta.get("kind")
    if kind not in LOADERS:
        raise StylistError(f"shipped model '{name}' has kind '{kind}' with no loader; known: {sorted(LOADERS)}")
    module_name, function_name = LOADERS[kind].split(":")
    loader = getattr(importlib.import_module(module_name), function_name)
    return loader(weights_path(name), meta)
