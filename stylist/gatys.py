"""Gatys et al. (2016) optimisation-based style transfer, as one function: :func:`stylize`.

The output image is optimised directly (L-BFGS with strong-Wolfe line search, or Adam) to
minimise :class:`~stylist.losses.PerceptualLoss` against a content photo and one or more style
images. Options: initialisation from content/noise/style, multi-style blending, colour
preservation (luminance-only transfer, Gatys et al. 2017), coarse-to-fine scales, and guided
(masked) style for regions.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from stylist.backbones import get_backbone
from stylist.image import resize_longest, style_size
from stylist.losses import PerceptualLoss
from stylist.utils import StylistError

__all__ = ["GatysResult", "stylize", "optimise_over_scales", "rgb_to_yiq", "yiq_to_rgb", "DEFAULT_STYLE_LAYERS", "DEFAULT_CONTENT_LAYERS"]

#: The seed report's defaults (Keras names): content block2_conv2, style block{1..5}_conv1.
DEFAULT_CONTENT_LAYERS = ("relu2_2",)
DEFAULT_STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")

_RGB_TO_YIQ = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])


def rgb_to_yiq(image: torch.Tensor) -> torch.Tensor:
    """``B x 3 x H x W`` RGB to YIQ (channel 0 is luminance)."""
    return torch.einsum("ij,bjhw->bihw", _RGB_TO_YIQ.to(image), image)


def yiq_to_rgb(image: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`rgb_to_yiq`."""
    return torch.einsum("ij,bjhw->bihw", torch.linalg.inv(_RGB_TO_YIQ).to(image), image)


def _luminance_as_rgb(image: torch.Tensor, like: torch.Tensor | None = None) -> torch.Tensor:
    """Luminance replicated to 3 channels; with ``like``, its mean/std are matched to ``like``'s."""
    luma = rgb_to_yiq(image)[:, :1]
    if like is not None:
        ref = rgb_to_yiq(like)[:, :1]
        luma = (luma - luma.mean()) / (luma.std() + 1e-6) * ref.std() + ref.mean()
    return luma.expand(-1, 3, -1, -1).clamp(0, 1)


@dataclass
class GatysResult:
    """Output of :func:`stylize`.

    Attributes:
        image: ``1 x 3 x H x W`` in [0, 1].
        history: per-evaluation weighted losses: ``{"total", "content", "style", "tv"}`` lists
            (and ``"scale"``: the image size of each evaluation).
        seconds_per_iteration: wall time per loss evaluation (forward + backward), without the
            one-off encoding of the content and style targets.
        backbone_weights: which VGG16 weights were used.
    """

    image: torch.Tensor
    history: dict[str, list[float]] = field(default_factory=dict)
    seconds_per_iteration: float = 0.0
    backbone_weights: str = ""

    @property
    def final_losses(self) -> dict[str, float]:
        return {key: values[-1] for key, values in self.history.items() if key != "scale" and values}


def _initial_image(init: str, content: torch.Tensor, style: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    if init == "content":
        return content.clone()
    if init == "noise":
        return torch.rand(content.shape, generator=generator)
    if init == "style":
        return F.interpolate(style, size=content.shape[-2:], mode="bilinear", align_corners=False)
    raise StylistError(f"init must be 'content', 'noise' or 'style', not '{init}'")


class _BudgetReached(Exception):
    """Raised inside the L-BFGS closure once ``iterations`` evaluations have run."""


def _optimise(
    image: torch.Tensor,
    loss_fn: Callable[[torch.Tensor], Any],
    optimizer: str,
    iterations: int,
    lr: float,
    history: dict[str, list[float]],
    progress: bool,
    lbfgs_history_size: int,
) -> torch.Tensor:
    """Run exactly ``iterations`` loss evaluations from ``image`` (a leaf tensor).

    Returns the evaluated image with the lowest total loss (an L-BFGS line search may end on
    a trial point that is worse than the best one seen).
    """
    bar = tqdm(total=iterations, desc=f"gatys {tuple(image.shape[-2:])}", disable=not progress, leave=False)
    evaluations = 0
    best_loss, best_image = float("inf"), image.detach().clone()

    def closure() -> torch.Tensor:
        nonlocal evaluations, best_loss, best_image
        if evaluations >= iterations:
            raise _BudgetReached
        opt.zero_grad(set_to_none=True)
        terms = loss_fn(image)
        if not torch.isfinite(terms.total):
            raise StylistError(
                f"loss became {terms.total.item()} at iteration {evaluations}; lower the learning rate or the weights"
            )
        terms.total.backward()
        for key, value in terms.as_dict().items():
            history[key].append(value)
        history["scale"].append(max(image.shape[-2:]))
        if history["total"][-1] < best_loss:
            best_loss, best_image = history["total"][-1], image.detach().clone()
        evaluations += 1
        bar.update(1)
        bar.set_postfix(loss=f"{history['total'][-1]:.4g}")
        return terms.total

    if optimizer == "lbfgs":
        opt = torch.optim.LBFGS(
            [image],
            lr=lr,
            max_iter=iterations,
            max_eval=iterations * 2,
            tolerance_grad=0.0,
            tolerance_change=0.0,
            history_size=lbfgs_history_size,
            line_search_fn="strong_wolfe",
        )
        try:
            while evaluations < iterations:
                before = evaluations
                opt.step(closure)
                if evaluations == before:
                    break
        except _BudgetReached:
            pass
    elif optimizer == "adam":
        opt = torch.optim.Adam([image], lr=lr)
        for _ in range(iterations):
            opt.step(closure)
            with torch.no_grad():
                image.clamp_(0, 1)
        best_image = image.detach().clone()  # Adam's last step is not evaluated; keep it
    else:
        raise StylistError(f"optimizer must be 'lbfgs' or 'adam', not '{optimizer}'")
    bar.close()
    return best_image


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
    encoder = encoder if encoder is not None else get_backbone("vgg16", weights=weights, pooling=pooling)
    generator = torch.Generator().manual_seed(seed)
    original_content = content
    if preserve_color:
        styles = [_luminance_as_rgb(s, like=content) for s in styles]
        content = _luminance_as_rgb(content)

    loss_fn = PerceptualLoss(
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


def optimise_over_scales(
    loss_fn: PerceptualLoss,
    content: torch.Tensor,
    styles: Sequence[torch.Tensor],
    start: Callable[[torch.Tensor, list[torch.Tensor]], torch.Tensor],
    history: dict[str, list[float]],
    *,
    scales: Sequence[float] = (1.0,),
    style_blend: Sequence[float] | None = None,
    masks: Sequence[torch.Tensor] | None = None,
    style_masks: Sequence[torch.Tensor | None] | None = None,
    extend_loss: Callable[[PerceptualLoss, torch.Tensor], Callable[[torch.Tensor], Any]] | None = None,
    optimizer: str = "lbfgs",
    iterations: int = 300,
    lr: float = 1.0,
    lbfgs_history_size: int = 20,
    progress: bool = True,
    callback: Callable[[int, dict[str, float]], None] | None = None,
) -> tuple[torch.Tensor, float]:
    """Optimise an image against ``loss_fn``, coarse to fine (the loop shared by Gatys and Deep
    Photo Style Transfer).

    For each scale (a fraction of the content's longest side): set ``loss_fn``'s content and
    style targets (masks resized alike), start from ``start(content_s, styles_s)`` at the first
    scale or from the previous result upsampled, and run ``iterations`` loss evaluations.

    Args:
        extend_loss: ``(loss_fn, content_s) -> loss`` builds the loss optimised at a scale (e.g.
            adds the photorealism term of that size); default ``loss_fn`` itself. The loss
            returns :class:`~stylist.losses.LossTerms` (or a subclass).
        history: per-evaluation losses are appended to its lists (one per term, and ``"scale"``).
        Others: see :func:`stylize`.

    Returns:
        The final image (not clamped) and the seconds spent optimising (setting the targets and
        building ``extend_loss`` are not counted).
    """
    image: torch.Tensor | None = None
    seconds = 0.0
    for scale in scales:
        content_s = _rescale(content, scale)
        styles_s = [_rescale(s, scale) for s in styles]
        loss_fn.set_content(content_s)
        loss_fn.set_style(
            styles_s,
            blend=style_blend,
            masks=None if masks is None else [_resize_mask(m, content_s) for m in masks],
            style_masks=None if style_masks is None else [
                None if m is None else _resize_mask(m, s) for m, s in zip(style_masks, styles_s)
            ],
        )  # fmt: skip
        scale_loss = loss_fn if extend_loss is None else extend_loss(loss_fn, content_s)
        if image is None:
            start_image = start(content_s, styles_s)
        else:
            start_image = F.interpolate(image, size=content_s.shape[-2:], mode="bilinear", align_corners=False)
        began = time.perf_counter()
        image = _optimise(
            start_image.detach().clone().requires_grad_(True),
            scale_loss, optimizer, iterations, lr, history, progress, lbfgs_history_size,
        )
        seconds += time.perf_counter() - began
        if callback is not None:
            callback(len(history["total"]), {k: v[-1] for k, v in history.items()})
    if image is None:
        raise StylistError("scales is empty: give at least one, e.g. (1.0,)")
    return image, seconds


def _rescale(image: torch.Tensor, scale: float) -> torch.Tensor:
    return resize_longest(image, max(16, round(max(image.shape[-2:]) * scale)))


def _resize_mask(mask: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return F.interpolate(mask, size=like.shape[-2:], mode="bilinear", align_corners=False).clamp(0, 1)
