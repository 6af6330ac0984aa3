"""The shipped model files, ``<name>.pt`` + ``<name>.yaml``: list, load and ship them with
:mod:`stylist.models` (``available`` here is :func:`stylist.models.shipped`)."""

from stylist.models import WEIGHTS_DIR, load_model, metadata, shipped, weights_path

available = shipped

__all__ = ["WEIGHTS_DIR", "available", "metadata", "weights_path", "load_model"]
