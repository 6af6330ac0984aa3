"""Using a trained :class:`TransformerNet`: load it by shipped name or checkpoint path, stylise
any size (padded to a multiple of 4 and cropped back), optionally in overlapping tiles.

Example:
    >>> from stylist.image import load_image
    >>> net = load_transformer("starry_night")            # doctest: +SKIP
    >>> out = stylize_image(net, load_image("chelsea"))   # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import torch
import torch.nn.functional as F

from stylist.image import resize_longest
from stylist.johnson.model import TransformerNet
from stylist.models import register_kind
from stylist.utils import StylistError, load_torch_file, warn_if_slow_bf16

__all__ = ["load_transformer", "build_shipped", "transformer_from_state_dict", "stylize_image"]


def transformer_from_state_dict(
    state: Mapping[str, torch.Tensor], styles: Sequence[str] | None = None
) -> TransformerNet:
    """Build a float32 :class:`TransformerNet` in eval mode, its width and depth read from the
    weights' shapes (so any checkpoint loads without its config). A multi-style network (``S x C``
    norm weights) needs its ``styles`` names (the checkpoint's or metadata's ``styles``)."""
    state = {  # a Lightning checkpoint prefixes the network's own "net." with the module's "net."
        (k[4:] if k.startswith("net.net.") else k): v.float() for k, v in state.items() if not k.startswith("loss.")
    }
    try:
        width = state["net.0.1.weight"].shape[0]
    except KeyError:
        raise StylistError("not TransformerNet weights (no 'net.0.1.weight')") from None
    blocks = len({m[1] for k in state if (m := re.match(r"net\.(\d+)\.body\.", k))})
    norm_weight = state.get("net.0.2.weight")
    if norm_weight is not None and norm_weight.dim() == 2:
        if styles is None or len(styles) != norm_weight.shape[0]:
            raise StylistError(f"multi-style weights with {norm_weight.shape[0]} styles need as many style names, got {styles}")
    else:
        styles = None
    net = TransformerNet(width=width, blocks=blocks, styles=styles)
    net.load_state_dict(state)
    return net.eval()


@register_kind("johnson", "a Johnson TransformerNet")
def build_shipped(architecture: Mapping[str, Any], state: Mapping[str, torch.Tensor]) -> TransformerNet:
    """Builder of shipped ``kind: johnson`` models (:mod:`stylist.models`): ``TransformerNet(**architecture)``."""
    net = TransformerNet(**architecture)
    net.load_state_dict(state)
    return net.eval()


def load_transformer(
    name_or_path: str | os.PathLike, compile: bool = False, style_mix: str | Mapping[str, float] | None = None
) -> torch.nn.Module:
    """A trained :class:`TransformerNet` in eval mode, float32 on CPU.

    Args:
        name_or_path: a shipped model name (``"starry_night"``, see :func:`stylist.models.shipped`),
            a Lightning checkpoint (``.ckpt`` from ``python -m stylist.train``) or a state-dict ``.pt``.
        compile: wrap it in ``torch.compile`` (static shapes). The first call per image size
            compiles (tens of seconds on a CPU), later calls run faster (with ``bf16``, about 5x
            at 512 px on 2 cores: ``benchmarks/johnson_speed.py``): worth it for many images of one size.
        style_mix: for a multi-style network, a style name or ``{name: weight}``: returns the
            single-style network of that blend (:meth:`TransformerNet.blend`); ``None`` returns the
            multi-style network itself (switch styles with ``set_style``).

    Raises:
        StylistError: unknown name, missing file, not TransformerNet weights, or a ``style_mix``
        the network does not have.
    """
    net = _load_eager(str(name_or_path))
    if style_mix is not None:
        net = net.blend(style_mix).eval()
    return torch.compile(net, dynamic=False) if compile else net


def _load_eager(text: str) -> TransformerNet:
    from stylist import models

    if text in models.shipped():
        return models.load_model(text, kind="johnson")
    path = Path(text).expanduser()
    if not path.is_file():
        raise StylistError(f"no shipped model or file '{text}'; shipped: {sorted(models.shipped()) or 'none'}")
    checkpoint = load_torch_file(path, weights_only=False)
    state = checkpoint.get("state_dict", checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, Mapping):
        raise StylistError(f"{path} holds no state dict")
    try:
        return transformer_from_state_dict(state, checkpoint.get("transformer", {}).get("styles"))
    except StylistError as err:
        raise StylistError(f"{path}: {err}") from None


def _run_padded(model: torch.nn.Module, image: torch.Tensor, bf16: bool = False) -> torch.Tensor:
    """Pad ``image`` to multiples of 4 (reflect, replicate when too small), run (under bf16
    autocast if asked), crop back; float32 out."""
    height, width = image.shape[-2:]
    pad_h, pad_w = -height % 4, -width % 4
    if pad_h or pad_w:
        mode = "reflect" if pad_h < height and pad_w < width else "replicate"
        image = F.pad(image, (0, pad_w, 0, pad_h), mode=mode)
    with torch.autocast(image.device.type, dtype=torch.bfloat16, enabled=bf16):
        return model(image)[..., :height, :width].float()


#: Tiled inference normalises every tile with instance-norm statistics of the whole image seen at
#: most this large (longest side, px), so tiles agree with each other and with untiled output.
STATS_SIZE = 1024


@contextlib.contextmanager
def _shared_instance_norm(model: torch.nn.Module, reference: torch.Tensor) -> Iterator[None]:
    """Within the context, each ``InstanceNorm2d`` of ``model`` uses the per-channel mean and
    variance its input had when ``model`` ran on ``reference`` (instead of each input's own)."""
    norms = [m for m in model.modules() if isinstance(m, torch.nn.InstanceNorm2d)]
    stats: dict[torch.nn.Module, tuple[torch.Tensor, torch.Tensor]] = {}

    def record(module: torch.nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
        x = inputs[0]
        stats[module] = (x.mean(dim=(2, 3), keepdim=True), x.var(dim=(2, 3), keepdim=True, unbiased=False))

    def apply(module: torch.nn.InstanceNorm2d, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> torch.Tensor:
        mean, var = stats[module]
        out = (inputs[0] - mean) / torch.sqrt(var + module.eps)
        if module.affine:
            out = out * module.weight[None, :, None, None] + module.bias[None, :, None, None]
        return out

    handles = [m.register_forward_pre_hook(record) for m in norms]
    try:
        _run_padded(model, reference)
    finally:
        for handle in handles:
            handle.remove()
    handles = [m.register_forward_hook(apply) for m in norms]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def _ramp(length: int, overlap: int, at_start: bool, at_end: bool) -> torch.Tensor:
    """1-D blending weights: linear ramps over ``overlap`` px on sides that border another tile."""
    weight = torch.ones(length)
    ramp = torch.linspace(0, 1, overlap + 2)[1:-1]
    if overlap and not at_start:
        weight[:overlap] = ramp
    if overlap and not at_end:
        weight[-overlap:] = torch.minimum(weight[-overlap:], ramp.flip(0))
    return weight


def _starts(length: int, tile: int, overlap: int) -> list[int]:
    if length <= tile:
        return [0]
    step = tile - overlap
    starts = list(range(0, length - tile, step)) + [length - tile]
    return sorted(set(starts))


def stylize_image(
    model: torch.nn.Module, image: torch.Tensor, tile_size: int | None = None, overlap: int = 32, bf16: bool = False
) -> torch.Tensor:
    """Stylise an image of any size under ``torch.inference_mode()``.

    Args:
        model: a :class:`TransformerNet` (or a scripted/exported equivalent taking multiples of 4).
        image: ``1 x 3 x H x W`` in [0, 1].
        tile_size: if set and the image is larger, run ``tile_size`` squares overlapping by
            ``overlap`` px and blend them with linear ramps (bounded memory for huge photos).
            Every instance norm uses the statistics of the whole image (seen at most
            :data:`STATS_SIZE` px large), so the tiles agree; a scripted model without
            ``InstanceNorm2d`` modules normalises each tile on its own.
        overlap: overlap between tiles, px.
        bf16: run the network under bfloat16 autocast (faster on CPUs with bf16 support, most
            with ``load_transformer(..., compile=True)``; mean difference to float32 about 0.003:
            ``benchmarks/johnson_speed.py``).

    Returns:
        ``1 x 3 x H x W`` in [0, 1], on the image's device.

    Example:
        >>> net = TransformerNet(width=4, blocks=1).eval()
        >>> stylize_image(net, torch.rand(1, 3, 37, 50)).shape
        torch.Size([1, 3, 37, 50])
    """
    if image.dim() != 4 or image.shape[:2] != (1, 3):
        raise StylistError(f"image must be 1 x 3 x H x W, got {tuple(image.shape)}")
    if bf16 and image.device.type == "cpu":
        warn_if_slow_bf16("stylize_image(bf16=True)")
    height, width = image.shape[-2:]
    with torch.inference_mode():
        if tile_size is None or (height <= tile_size and width <= tile_size):
            return _run_padded(model, image, bf16).clamp(0, 1)
        if not 0 <= overlap < tile_size // 2:
            raise StylistError(f"overlap must be in [0, tile_size/2), got {overlap} for tile_size {tile_size}")
        tile_h, tile_w = min(tile_size, height), min(tile_size, width)
        output = torch.zeros_like(image)
        total = image.new_zeros(1, 1, height, width)
        rows, cols = _starts(height, tile_h, overlap), _starts(width, tile_w, overlap)
        reference = resize_longest(image, STATS_SIZE) if max(height, width) > STATS_SIZE else image
        eager = getattr(model, "_orig_mod", model)  # the norm hooks need the module itself, not its compiled graph
        with _shared_instance_norm(eager, reference):
            _blend_tiles(eager, image, output, total, rows, cols, tile_h, tile_w, overlap, bf16)
        return (output / total).clamp(0, 1)


def _blend_tiles(
    model: torch.nn.Module, image: torch.Tensor, output: torch.Tensor, total: torch.Tensor,
    rows: list[int], cols: list[int], tile_h: int, tile_w: int, overlap: int, bf16: bool,
) -> None:
    """Accumulate ramp-weighted tile outputs into ``output`` and the weights into ``total``."""
    for top in rows:
        wy = _ramp(tile_h, overlap, top == 0, top == rows[-1]).to(image)
        for left in cols:
            wx = _ramp(tile_w, overlap, left == 0, left == cols[-1]).to(image)
            weight = (wy[:, None] * wx[None, :])[None, None]
            tile = _run_padded(model, image[..., top : top + tile_h, left : left + tile_w], bf16)
            output[..., top : top + tile_h, left : left + tile_w] += tile * weight
            total[..., top : top + tile_h, left : left + tile_w] += weight
