"""Colour spaces shared by the methods and the fashion pipeline: RGB <-> YIQ (channel 0 is the
luminance ``Y = 0.299 R + 0.587 G + 0.114 B``; ``I``, ``Q`` carry the colour).

Example:
    >>> x = torch.rand(1, 3, 4, 4)
    >>> torch.allclose(yiq_to_rgb(rgb_to_yiq(x)), x, atol=1e-5)
    True
"""

from __future__ import annotations

import torch

__all__ = ["rgb_to_yiq", "yiq_to_rgb"]

_RGB_TO_YIQ = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])


def rgb_to_yiq(image: torch.Tensor) -> torch.Tensor:
    """``B x 3 x H x W`` RGB to YIQ (channel 0 is luminance)."""
    return torch.einsum("ij,bjhw->bihw", _RGB_TO_YIQ.to(image), image)


def yiq_to_rgb(image: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`rgb_to_yiq`."""
    return torch.einsum("ij,bjhw->bihw", torch.linalg.inv(_RGB_TO_YIQ).to(image), image)
