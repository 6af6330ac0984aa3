"""Gatys et al. (2016) optimisation-based style transfer, as one function: :func:`stylize`.

The output image is optimised directly (L-BFGS with strong-Wolfe line search, or Adam) to
minimise :class:`~stylist.losses.PerceptualLoss` against a content photo and one or more style
images. Options: initialisation from content/noise/style, multi-style blending, colour
preservation (luminance-only transfer, Gatys et al. 2017), coarse-to-fine scales, and guided
(masked) style for regions.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch
import torch.nn.functional as F

from stylist.backbones import get_backbone
from stylist.color import rgb_to_yiq, yiq_to_rgb
from stylist.image import resize_longest, style_size
from stylist.losses import DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS, PerceptualLoss
from stylist.optim import OptimisationResult, optimise_over_scales
from stylist.utils import StylistError

__all__ = ["GatysResult", "stylize"]

#: What :func:`stylize` returns (the shared :class:`~stylist.optim.OptimisationResult`).
GatysResult = OptimisationResult


def _luminance_as_rgb(image: torch.Tensor, like: torch.Tensor | None = None) -> torch.Tensor:
    """Luminance replicated to 3 channels; with ``like``, its mean/std are matched to ``like``'s."""
    luma = rgb_to_yiq(image)[:, :1]
    if like is not None:
        ref = rgb_to_yiq(like)[:, :1]
        luma = (luma - luma.mean()) / (luma.std() + 1e-6) * ref.std() + ref.mean()
    return luma.expand(-1, 3, -1, -1).clamp(0, 1)



def _initial_image(init: str, content: torch.Tensor, style: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    if init == "content":
        return content.clone()
    if init == "noise":
        return torch.rand(content.shape, generator=generator)
    if init == "style":
        return F.interpolate(style, size=content.shape[-2:], mode="bilinear", align_corners=False)
    raise StylistError(f"init must be 'content', 'noise' or 'style', not '{init}'")



def stylize(
    content: torch.Tensor,
    style: torch.Tensor | Sequence[torch.Tensor],
    *,
    iterations: int = 300,
    optimizer: str = "lbfgs",
    lr: float | None = None,
    init: str = "content",
    content_weight: float = 1.0,
    style_weight: float = 1e4,
    tv_weight: float = 0.0,
    content_layers: Sequence[str] = DEFAULT_CONTENT_LAYERS,
    style_layers: Sequence[str] = DEFAULT_STYLE_LAYERS,
    content_layer_weights: dict[str, float] | None = None,
    style_layer_weights: dict[str, float] | None = None,
    style_blend: Sequence[float] | None = None,
    preserve_color: bool = False,
    scales: Sequence[float] = (1.0,),
    style_scale: float | None = None,
    masks: Sequence[torch.Tensor] | None = None,
    style_masks: Sequence[torch.Tensor | None] | None = None,
    encoder: torch.nn.Module | None = None,
    loss: PerceptualLoss | None = None,
    weights: str = "auto",
    pooling: str = "max",
    seed: int = 0,
    lbfgs_history_size: int = 20,
    progress: bool = True,
    callback: Callable[[int, dict[str, float]], None] | None = None,
) -> GatysResult:
    """Stylise ``content`` with ``style`` by optimising the image (Gatys et al., CVPR 2016).

    Args:
        content: ``1 x 3 x H x W`` in [0, 1].
        style: one ``1 x 3 x h x w`` image or a list (blended with ``style_blend``, or one per
            region with ``masks``), used at their own size unless ``style_scale`` is given.
        iterations: loss evaluations (forward + backward passes) per scale.
        optimizer: ``"lbfgs"`` (strong-Wolfe line search) or ``"adam"``.
        lr: step size; default 1.0 for L-BFGS, 0.02 for Adam.
        init: ``"content"``, ``"noise"`` or ``"style"``.
        content_weight, style_weight, tv_weight: loss weights (see :class:`PerceptualLoss`).
        content_layers, style_layers: VGG16 layer names (``relu2_2`` or ``block2_conv2``).
        content_layer_weights, style_layer_weights: optional ``{layer: weight}`` (default: mean
            over layers).
        style_blend: weights of several style images (default: equal).
        preserve_color: transfer on luminance only and keep the content's colours.
        scales: coarse-to-fine fractions of the content size, e.g. ``(0.25, 0.5, 1.0)``.
        style_scale: resize each style image to ``content's longest side x style_scale``
            (:func:`stylist.image.style_size`, neural-style's ``-style_scale``: larger = bigger strokes).
        masks: one ``1 x 1 x H x W`` mask per style image: guided style per region.
        style_masks: optional masks restricting each style image's statistics.
        encoder: a prebuilt encoder (else ``get_backbone("vgg16", weights=..., pooling=...)``).
        loss: a prebuilt :class:`PerceptualLoss` on ``encoder`` (e.g. ``conf/loss/gatys.yaml``
            instantiated and called with the encoder); replaces the weight and layer arguments.
        seed: seeds the noise initialisation.
        progress: show a progress bar.
        callback: called as ``callback(iteration, losses)`` after each scale.

    Returns:
        :class:`GatysResult` with the image and per-iteration loss history.

    Example:
        >>> from stylist.image import load_image
        >>> result = stylize(load_image("chelsea", size=128), load_image("swirls", size=128),
        ...                  iterations=50)  # doctest: +SKIP
    """
    styles = [style] if isinstance(style, torch.Tensor) else list(style)
    if style_scale is not None:
        styles = [resize_longest(s, style_size(max(content.shape[-2:]), style_scale)) for s in styles]
    if content.dim() != 4 or content.shape[:2] != (1, 3):
        raise StylistError(f"content must be 1 x 3 x H x W, got {tuple(content.shape)}")
    if masks is not None:
        for mask in masks:
            if mask.shape[-2:] != content.shape[-2:]:
                raise StylistError(
                    f"mask is {tuple(mask.shape[-2:])} but the content image is {tuple(content.shape[-2:])}"
                )
    if lr is None:
        lr = 1.0 if optimizer == "lbfgs" else 0.02
    if encoder is None:
        encoder = loss.encoder if loss is not None else get_backbone("vgg16", weights=weights, pooling=pooling)
    generator = torch.Generator().manual_seed(seed)
    original_content = content
    if preserve_color:
        styles = [_luminance_as_rgb(s, like=content) for s in styles]
        content = _luminance_as_rgb(content)

    loss_fn = loss if loss is not None else PerceptualLoss(
        encoder,
        content_layers,
        style_layers,
        content_weight=content_weight,
        style_weight=style_weight,
        tv_weight=tv_weight,
        content_layer_weights=content_layer_weights,
        style_layer_weights=style_layer_weights,
    )
    history: dict[str, list[float]] = {"total": [], "content": [], "style": [], "tv": [], "scale": []}
    image, optimising_seconds = optimise_over_scales(
        loss_fn, content, styles, lambda content_s, styles_s: _initial_image(init, content_s, styles_s[0], generator),
        history, scales=scales, style_blend=style_blend, masks=masks, style_masks=style_masks, optimizer=optimizer,
        iterations=iterations, lr=lr, lbfgs_history_size=lbfgs_history_size, progress=progress, callback=callback,
    )  # fmt: skip
    output = image.detach().clamp(0, 1)
    if preserve_color:
        yiq = rgb_to_yiq(original_content)
        yiq[:, :1] = rgb_to_yiq(output)[:, :1]
        output = yiq_to_rgb(yiq).clamp(0, 1)
    return GatysResult(
        image=output,
        history=history,
        seconds_per_iteration=optimising_seconds / max(1, len(history["total"])),
        backbone_weights=getattr(encoder, "weights_name", type(encoder).__name__),
    )
