"""Optimising an image against a loss, coarse to fine: the loop shared by Gatys et al.
(:mod:`stylist.gatys`) and Deep Photo Style Transfer (:mod:`stylist.photo`).

:func:`optimise_over_scales` runs an image pyramid (each scale a fraction of the content's longest
side; the previous result upsampled starts the next) and, at each scale, exactly ``iterations``
loss evaluations of L-BFGS (strong-Wolfe line search) or Adam, keeping the best image evaluated.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from stylist.image import MIN_SIDE, longest_side_shape, resize_longest
from stylist.losses import PerceptualLoss
from stylist.utils import StylistError, check_whole_number, is_positive_number

__all__ = ["OptimisationResult", "optimise_over_scales"]


@dataclass
class OptimisationResult:
    """Output of an image optimisation (:func:`stylist.gatys.stylize`, :func:`stylist.photo.stylize`).

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
    else:  # "adam" (_check_budget refused anything else)
        opt = torch.optim.Adam([image], lr=lr)
        for _ in range(iterations):
            opt.step(closure)
            with torch.no_grad():
                image.clamp_(0, 1)
        best_image = image.detach().clone()  # Adam's last step is not evaluated; keep it
    bar.close()
    return best_image


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
    _check_budget(optimizer, iterations, scales, content)
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
    assert image is not None  # _check_budget: at least one scale
    return image, seconds


def _check_budget(optimizer: str, iterations: Any, scales: Sequence[Any], content: torch.Tensor) -> None:
    """Fail before any work on an unknown optimizer, an iteration count below 1 or a scale that is
    not a positive number or leaves the content under ``MIN_SIDE`` px on a side."""
    if optimizer not in ("lbfgs", "adam"):
        raise StylistError(f"optimizer must be 'lbfgs' or 'adam', not '{optimizer}'")
    check_whole_number("iterations", iterations, 1)
    if not scales:
        raise StylistError("scales is empty: give at least one, e.g. (1.0,)")
    for scale in scales:
        if not is_positive_number(scale):
            raise StylistError(f"scales must be positive numbers (fractions of the content size), got {list(scales)}")
        height, width = longest_side_shape(*content.shape[-2:], _rescaled_longest(content, scale))
        if min(height, width) < MIN_SIDE:
            raise StylistError(
                f"scale {scale} makes the {content.shape[-1]}x{content.shape[-2]} px content {width}x{height} px; "
                f"at least {MIN_SIDE} px per side is needed: use a larger scale or size"
            )


def _rescaled_longest(image: torch.Tensor, scale: float) -> int:
    return max(MIN_SIDE, round(max(image.shape[-2:]) * scale))


def _rescale(image: torch.Tensor, scale: float) -> torch.Tensor:
    return resize_longest(image, _rescaled_longest(image, scale))


def _resize_mask(mask: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return F.interpolate(mask, size=like.shape[-2:], mode="bilinear", align_corners=False).clamp(0, 1)
