"""Stylisation methods behind one calling convention, for the CLI and the method comparison.

Every entry of :data:`METHODS` is called as::

    fn(content, styles, *, masks=None, style_blend=None, seed=0, progress=True,
       backbone=None, loss=None, **method_options) -> MethodResult

* ``content``: ``1 x 3 x H x W`` in [0, 1]; ``styles``: a list of ``1 x 3 x h x w`` images
  (methods with a trained per-style model may take ``styles=None`` and a ``model`` option);
* ``masks``: optional ``1 x 1 x H x W`` masks, one per style (regional transfer);
* ``backbone``: a zero-argument factory for the VGG encoder (built only if the method needs it);
* ``loss``: ``PerceptualLoss`` keyword arguments for methods that optimise a loss.

Adding a method: write ``stylist/<method>.py``, add one adapter line here, a file under
``conf/method/`` and ``tests/test_<method>.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import torch
from torch import nn

from stylist.utils import StylistError

__all__ = ["MethodResult", "METHODS", "get_method", "run_gatys", "run_johnson", "run_wct", "run_photo"]


@dataclass
class MethodResult:
    """What every method returns: the image, a per-iteration loss history (may be empty) and facts
    worth recording (timings, weights used, ...)."""

    image: torch.Tensor
    history: dict[str, list[float]] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def final_losses(self) -> dict[str, float]:
        return {key: values[-1] for key, values in self.history.items() if key != "scale" and values}


def run_gatys(
    content: torch.Tensor,
    styles: Sequence[torch.Tensor],
    *,
    masks: Sequence[torch.Tensor] | None = None,
    style_blend: Sequence[float] | None = None,
    seed: int = 0,
    progress: bool = True,
    backbone: Callable[[], nn.Module] | None = None,
    loss: Mapping[str, Any] | None = None,
    **options: Any,
) -> MethodResult:
    """Gatys et al.: :func:`stylist.gatys.stylize` with the loss options spread in."""
    from stylist.gatys import stylize

    if not styles:
        raise StylistError("gatys needs at least one style image")
    result = stylize(
        content,
        list(styles),
        masks=masks,
        style_blend=style_blend,
        seed=seed,
        progress=progress,
        encoder=backbone() if backbone is not None else None,
        **dict(loss or {}),
        **options,
    )
    return MethodResult(
        image=result.image,
        history=result.history,
        info={"backbone_weights": result.backbone_weights, "seconds_per_iteration": result.seconds_per_iteration},
    )


def run_johnson(
    content: torch.Tensor,
    styles: Sequence[torch.Tensor] | None = None,
    *,
    model: nn.Module | str | None = None,
    style_mix: str | Mapping[str, float] | None = None,
    tile_size: int | None = None,
    overlap: int = 32,
    compile: bool = False,
    bf16: bool = False,
    **ignored: Any,
) -> MethodResult:
    """Johnson et al.: one pass of a trained :class:`~stylist.johnson.TransformerNet` (a module, a
    shipped name or a checkpoint path); the style is the model's, so ``styles`` and the loss options
    are ignored. A multi-style model needs ``style_mix`` (a style name or ``{name: weight}``).
    ``compile`` (for a name or path) and ``bf16``: see :func:`~stylist.johnson.load_transformer`
    and :func:`~stylist.johnson.stylize_image`."""
    import time

    from stylist.johnson import load_transformer, stylize_image

    if model is None:
        raise StylistError("method=johnson needs a trained model: model=starry_night (or method.model=<file.ckpt>)")
    net = load_transformer(model, compile=compile, style_mix=style_mix) if isinstance(model, str) else model
    styles = getattr(net, "styles", None)
    if styles is not None and style_mix is None:
        raise StylistError(f"a multi-style model: choose style_mix, a name or weights of {styles}, "
                           f'e.g. style_mix="{{{styles[0]}: 0.7, {styles[-1]}: 0.3}}"')
    if styles is not None:
        net = net.blend(style_mix).eval()
    elif style_mix is not None and not isinstance(model, str):
        raise StylistError("style_mix needs a multi-style model (e.g. model=paintings)")
    start = time.perf_counter()
    image = stylize_image(net, content, tile_size=tile_size, overlap=overlap, bf16=bf16)
    return MethodResult(image=image, info={"seconds_inference": time.perf_counter() - start})


def run_wct(
    content: torch.Tensor,
    styles: Sequence[torch.Tensor],
    *,
    masks: Sequence[torch.Tensor] | None = None,
    style_blend: Sequence[float] | None = None,
    seed: int = 0,
    progress: bool = True,
    backbone: Callable[[], nn.Module] | None = None,
    loss: Mapping[str, Any] | None = None,
    decoders: str = "wct_vgg16_decoders",
    **options: Any,
) -> MethodResult:
    """Universal style transfer (:func:`stylist.wct.stylize`): ``decoders`` is a shipped name or a
    ``.pt`` path; the encoder is the one the decoders were trained with (``backbone`` and ``loss`` are
    not used: a mismatched encoder would break the decoders). ``options``: alpha, levels, eps."""
    from pathlib import Path

    from stylist.backbones import get_backbone
    from stylist.wct import load_decoders, load_shipped, stylize

    if not styles:
        raise StylistError("wct needs at least one style image")
    if Path(decoders).suffix == ".pt":
        decoder_modules, encoder = load_decoders(decoders), get_backbone("vgg16", weights="hed")
    else:
        decoder_modules, encoder = load_shipped(decoders)
    image = stylize(
        content, list(styles), masks=masks, style_blend=style_blend, decoders=decoder_modules, encoder=encoder, **options
    )
    return MethodResult(image=image, info={"backbone_weights": encoder.weights_name, "decoders": decoders})


def run_photo(
    content: torch.Tensor,
    styles: Sequence[torch.Tensor],
    *,
    masks: Sequence[torch.Tensor] | None = None,
    style_blend: Sequence[float] | None = None,
    seed: int = 0,
    progress: bool = True,
    backbone: Callable[[], nn.Module] | None = None,
    loss: Mapping[str, Any] | None = None,
    style_masks: Sequence[str] | None = None,
    segment: bool = False,
    **options: Any,
) -> MethodResult:
    """Deep Photo Style Transfer (:func:`stylist.photo.stylize`). Regions: ``masks`` (one per style)
    with optional ``style_masks`` files (one per style), or ``segment=True`` to pair the classes the
    shipped segmenter finds in both images (:func:`stylist.photo.segment_pairs`). ``loss`` is not
    used (the method has its own weights in ``options``)."""
    from stylist.image import load_mask
    from stylist.photo import segment_pairs, stylize

    if not styles:
        raise StylistError("photo needs at least one style image")
    if style_blend is not None:
        raise StylistError("photo does not blend styles; give one style, or one per mask")
    styles = list(styles)
    loaded_style_masks = None
    if style_masks is not None:
        if masks is None or len(style_masks) != len(styles):
            raise StylistError("style_masks need masks, one of each per style")
        loaded_style_masks = [load_mask(path, size=tuple(s.shape[-2:])) for path, s in zip(style_masks, styles)]
    if segment:
        if masks is not None or len(styles) != 1:
            raise StylistError("segment=true takes one style image and no masks")
        masks, loaded_style_masks = segment_pairs(content, styles[0])
        styles = styles * len(masks)
    encoder = backbone() if backbone is not None else None
    result = stylize(
        content, styles, masks=masks, style_masks=loaded_style_masks, encoder=encoder, progress=progress, **options
    )
    return MethodResult(
        image=result.image,
        history=result.history,
        info={"backbone_weights": result.backbone_weights, "seconds_per_iteration": result.seconds_per_iteration},
    )


METHODS: dict[str, Callable[..., MethodResult]] = {
    "gatys": run_gatys,
    "johnson": run_johnson,
    "wct": run_wct,
    "photo": run_photo,
}


def get_method(name: str) -> Callable[..., MethodResult]:
    """Look a method up by name; an unknown name's error lists the valid ones."""
    if name not in METHODS:
        raise StylistError(f"unknown method '{name}'; available: {sorted(METHODS)}")
    return METHODS[name]
