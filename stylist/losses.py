"""Perceptual losses for style transfer: content, Gram style, guided (masked) Gram style, TV.

Each loss is a pure function plus an ``nn.Module`` that sees only one encoder layer's features (as
in pystiche) and holds its targets and guides as non-persistent buffers (they move with
``.to()``, and are not saved). :class:`PerceptualLoss` owns the encoder and combines the per-layer
modules over its layers.

Conventions (shared by every method in stylist):

* features ``F`` are ``B x C x H x W`` activations of one encoder layer, ``N = H * W``;
* the Gram matrix is normalised by ``C * H * W`` (as in the PyTorch ``fast_neural_style``
  reference, so Johnson's published weights 1e5 / 1e10 apply):
  ``G(F) = F F^T / (C N)`` with ``F`` reshaped to ``C x N``;
* losses are means, not sums, so a weight means the same at any image size.

Example:
    >>> import torch
    >>> from stylist.backbones import VGGEncoder
    >>> loss = PerceptualLoss(VGGEncoder(None), ["relu2_2"], ["relu1_2", "relu2_2"])
    >>> loss.set_content(torch.rand(1, 3, 32, 32)); loss.set_style(torch.rand(1, 3, 32, 32))
    >>> terms = loss(torch.rand(1, 3, 32, 32))
    >>> sorted(terms.as_dict())
    ['content', 'style', 'total', 'tv']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from stylist.utils import StylistError, check_number, normalised_weights

__all__ = [
    "DEFAULT_CONTENT_LAYERS",
    "DEFAULT_STYLE_LAYERS",
    "gram_matrix",
    "content_loss",
    "gram_loss",
    "guided_gram_loss",
    "total_variation_loss",
    "ssim_loss",
    "resize_guide",
    "ContentLoss",
    "GramLoss",
    "GuidedGramLoss",
    "TotalVariationLoss",
    "LossTerms",
    "PerceptualLoss",
]


#: Gatys et al.'s layers, the seed report's defaults (Keras names: content block2_conv2, style
#: block{1..5}_conv1); the methods' defaults and the style metric's layers.
DEFAULT_CONTENT_LAYERS = ("relu2_2",)
DEFAULT_STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")


def resize_guide(guide: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """Resize a ``B x 1 x H x W`` mask in [0, 1] to a layer's ``(h, w)`` by area averaging."""
    if tuple(guide.shape[-2:]) == tuple(size):
        return guide
    return F.interpolate(guide, size=tuple(size), mode="area" if guide.shape[-1] >= size[-1] else "bilinear")


def gram_matrix(features: torch.Tensor, guide: torch.Tensor | None = None) -> torch.Tensor:
    """Gram matrix of ``B x C x H x W`` features, ``B x C x C``.

    ``G = F F^T / (C N)``; with a guide ``m`` (``B x 1 x H x W``, resized to the layer first),
    each position is weighted and the mean is over the guided area only:
    ``G_m = (F * m) F^T / (C * sum(m))``. An all-zero guide is an error.
    """
    if features.dim() != 4:
        raise StylistError(f"gram_matrix takes B x C x H x W features, got shape {tuple(features.shape)}")
    batch, channels, height, width = features.shape
    flat = features.reshape(batch, channels, height * width)
    if guide is None:
        return _WeightedGram.apply(flat, None) / (channels * height * width)
    weight = resize_guide(guide.to(flat.dtype), (height, width)).reshape(guide.shape[0], 1, height * width)
    area = weight.sum(dim=2, keepdim=True)
    if bool((area <= 0).any()):
        raise StylistError("a style guide (mask) is empty at this layer's resolution")
    return _WeightedGram.apply(flat, weight) / (channels * area)


class _WeightedGram(torch.autograd.Function):
    """``G = (F * w) F^T`` with the symmetric backward ``dF = ((dG + dG^T) F) * w``: one matrix
    product instead of autograd's two products, a transpose and an add (Gram terms are a quarter
    of a Gatys iteration otherwise). ``w`` (``B x 1 x N``, or None for all ones) gets no gradient."""

    @staticmethod
    def forward(ctx: Any, flat: torch.Tensor, weight: torch.Tensor | None) -> torch.Tensor:
        ctx.save_for_backward(flat, weight)
        return torch.matmul(flat if weight is None else flat * weight, flat.transpose(1, 2))

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        flat, weight = ctx.saved_tensors
        grad_flat = torch.matmul(grad + grad.transpose(1, 2), flat)
        if weight is not None:
            grad_flat = grad_flat * weight
        if grad_flat.shape[0] != flat.shape[0]:  # one feature map, several guides
            grad_flat = grad_flat.sum(dim=0, keepdim=True)
        return grad_flat, None


def content_loss(features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Feature reconstruction loss (Gatys et al. 2016; Johnson et al. 2016): ``mean((F - P)^2)``
    (a target with batch 1 serves every image of the batch)."""
    if target.shape[1:] != features.shape[1:] or target.shape[0] not in (1, features.shape[0]):
        raise StylistError(f"content target {tuple(target.shape)} does not match features {tuple(features.shape)}")
    return F.mse_loss(features, target.expand_as(features))


def gram_loss(features: torch.Tensor, target_gram: torch.Tensor) -> torch.Tensor:
    """Gram style loss: ``mean((G(F) - A)^2)`` over the ``C x C`` entries, ``A`` the style's Gram."""
    gram = gram_matrix(features)
    return F.mse_loss(gram, target_gram.expand_as(gram))


def guided_gram_loss(
    features: torch.Tensor,
    guides: Sequence[torch.Tensor] | torch.Tensor,
    target_grams: Sequence[torch.Tensor] | torch.Tensor,
) -> torch.Tensor:
    """Guided Gram loss (Gatys et al. 2017, "Controlling perceptual factors"):
    ``sum_r mean((G_{m_r}(F) - A_r)^2)``, one term per region ``r`` with guide ``m_r`` (the guides
    and targets: sequences, or tensors stacked along a first region dimension).

    Pixels outside every guide contribute nothing to the statistics, so they get no style gradient.
    """
    total = features.new_zeros(())
    for guide, target in zip(guides, target_grams, strict=True):
        gram = gram_matrix(features, guide)
        total = total + F.mse_loss(gram, target.expand_as(gram))
    return total


def total_variation_loss(image: torch.Tensor) -> torch.Tensor:
    """Squared total variation: ``mean((x[i+1, j] - x[i, j])^2) + mean((x[i, j+1] - x[i, j])^2)``."""
    vertical = (image[..., 1:, :] - image[..., :-1, :]).pow(2).mean()
    horizontal = (image[..., :, 1:] - image[..., :, :-1]).pow(2).mean()
    return vertical + horizontal


def ssim_loss(image: torch.Tensor, target: torch.Tensor, window: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """Structural dissimilarity ``1 - mean SSIM(x, y)`` (Wang et al. 2004) of two ``B x C x H x W``
    images in [0, 1], per channel over Gaussian windows (``window`` taps, ``sigma``; valid positions only):

        SSIM = (2 mu_x mu_y + C1) (2 s_xy + C2) / ((mu_x^2 + mu_y^2 + C1) (s_x^2 + s_y^2 + C2)),
        C1 = 0.01^2, C2 = 0.03^2 (data range 1).

    Local means and (co)variances are computed in float32 even under autocast: ``E[x^2] - E[x]^2``
    cancels too much in bf16. Unlike a pixel MSE it punishes noise in flat regions (sky, walls)
    as much as a blurred edge, so a reconstruction trained with it keeps flat regions flat."""
    if image.shape != target.shape or image.dim() != 4 or min(image.shape[-2:]) < window:
        raise StylistError(
            f"ssim_loss takes two B x C x H x W images of one shape, each side at least {window} px; "
            f"got {tuple(image.shape)} and {tuple(target.shape)}"
        )
    with torch.autocast(image.device.type, enabled=False):
        x, y = image.float(), target.float()
        taps = torch.arange(window, dtype=torch.float32, device=x.device) - (window - 1) / 2
        kernel = torch.exp(-taps.pow(2) / (2 * sigma**2))
        kernel = kernel / kernel.sum()
        channels = x.shape[1]
        rows = kernel.view(1, 1, window, 1).repeat(channels, 1, 1, 1)
        cols = kernel.view(1, 1, 1, window).repeat(channels, 1, 1, 1)
        blur = lambda v: F.conv2d(F.conv2d(v, rows, groups=channels), cols, groups=channels)  # noqa: E731
        mu_x, mu_y = blur(x), blur(y)
        var_x = blur(x * x) - mu_x.pow(2)
        var_y = blur(y * y) - mu_y.pow(2)
        cov = blur(x * y) - mu_x * mu_y
        c1, c2 = 0.01**2, 0.03**2
        ssim = (2 * mu_x * mu_y + c1) * (2 * cov + c2) / ((mu_x.pow(2) + mu_y.pow(2) + c1) * (var_x + var_y + c2))
        return 1.0 - ssim.mean()


class ContentLoss(nn.Module):
    """Content loss against a fixed target ``P`` (set with :meth:`set_target`, held as a
    non-persistent buffer): ``L(F) = mean((F - P)^2)`` (:func:`content_loss`)."""

    target: torch.Tensor

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("target", torch.empty(0), persistent=False)

    @torch.no_grad()
    def set_target(self, features: torch.Tensor) -> None:
        self.target = features.detach()

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        if self.target.numel() == 0:
            raise RuntimeError("ContentLoss: call set_target() first")
        return content_loss(features, self.target)


class GramLoss(nn.Module):
    """Gram style loss against a fixed target Gram ``A`` (a non-persistent buffer):
    ``L(F) = mean((G(F) - A)^2)`` (:func:`gram_loss`); several styles blend as ``A = sum_i w_i G(S_i)``."""

    target: torch.Tensor

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("target", torch.empty(0), persistent=False)

    @torch.no_grad()
    def set_target(self, style_features: Sequence[torch.Tensor], blend: Sequence[float] | None = None) -> None:
        blend = normalised_weights(blend, len(style_features), "style_blend")
        self.target = sum(w * gram_matrix(f).mean(dim=0, keepdim=True) for w, f in zip(blend, style_features))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        if self.target.numel() == 0:
            raise RuntimeError("GramLoss: call set_target() first")
        return gram_loss(features, self.target)


class GuidedGramLoss(nn.Module):
    """Guided Gram loss (:func:`guided_gram_loss`): region ``r`` of the input (guide ``m_r``) takes
    the statistics of style image ``S_r`` (optionally only inside its own style guide ``s_r``):
    ``L(F) = sum_r mean((G_{m_r}(F) - G_{s_r}(S_r))^2)``.

    The guides (``R x B x 1 x H x W``) and target Grams (``R x 1 x C x C``) are stacked and held as
    non-persistent buffers, so ``.to(device)``/``.double()`` move them with the module.
    """

    guides: torch.Tensor
    targets: torch.Tensor

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("guides", torch.empty(0), persistent=False)
        self.register_buffer("targets", torch.empty(0), persistent=False)

    @torch.no_grad()
    def set_target(
        self,
        style_features: Sequence[torch.Tensor],
        guides: Sequence[torch.Tensor],
        style_guides: Sequence[torch.Tensor | None] | None = None,
    ) -> None:
        style_guides = style_guides or [None] * len(style_features)
        targets = [gram_matrix(f, g) for f, g in zip(style_features, style_guides, strict=True)]
        if len(guides) != len(targets):
            raise StylistError(f"{len(guides)} region masks for {len(targets)} style images")
        if len({tuple(guide.shape) for guide in guides}) > 1:
            raise StylistError(f"region masks differ in size: {[tuple(guide.shape) for guide in guides]}")
        self.targets = torch.stack(targets)
        self.guides = torch.stack(list(guides))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        if self.targets.numel() == 0:
            raise RuntimeError("GuidedGramLoss: call set_target() first")
        return guided_gram_loss(features, self.guides, self.targets)


class TotalVariationLoss(nn.Module):
    """Squared total variation of the image (:func:`total_variation_loss`):
    ``L(x) = mean((x[i+1, j] - x[i, j])^2) + mean((x[i, j+1] - x[i, j])^2)``."""

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return total_variation_loss(image)


@dataclass
class LossTerms:
    """Weighted loss terms of one evaluation; ``total = content + style + tv`` (all weighted)."""

    total: torch.Tensor
    content: torch.Tensor
    style: torch.Tensor
    tv: torch.Tensor

    def as_dict(self) -> dict[str, float]:
        return {k: float(getattr(self, k).detach()) for k in ("total", "content", "style", "tv")}


class PerceptualLoss(nn.Module):
    """Content + style + total-variation loss on one encoder pass.

    ``total = a * sum_l c_l * L_content^l + b * sum_l s_l * L_style^l + t * L_tv``
    with ``a, b, t`` the content/style/TV weights and ``c_l, s_l`` per-layer weights
    (default: the mean over layers; a mapping ``{layer: weight}`` is normalised to sum to 1).

    Args:
        encoder: a frozen multi-layer encoder (``encoder(image, layers) -> {layer: features}``).
        content_layers: e.g. ``["relu2_2"]`` (Keras names like ``block2_conv2`` work too).
        style_layers: e.g. ``["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]``.
        content_weight, style_weight, tv_weight: ``a, b, t`` above.
        content_layer_weights, style_layer_weights: optional ``{layer: weight}``.

    Call :meth:`set_content` and :meth:`set_style` before :meth:`forward`. With ``masks`` in
    :meth:`set_style`, the style term becomes guided: region ``i`` of the input is matched to
    style image ``i`` only.
    """

    def __init__(
        self,
        encoder: nn.Module,
        content_layers: Sequence[str],
        style_layers: Sequence[str],
        content_weight: float = 1.0,
        style_weight: float = 1.0,
        tv_weight: float = 0.0,
        content_layer_weights: Mapping[str, float] | None = None,
        style_layer_weights: Mapping[str, float] | None = None,
    ) -> None:
        super().__init__()
        from stylist.backbones import canonical_layer

        self.encoder = encoder
        self.content_layers = [canonical_layer(name) for name in content_layers]
        self.style_layers = [canonical_layer(name) for name in style_layers]
        for name, value in (("content_weight", content_weight), ("style_weight", style_weight), ("tv_weight", tv_weight)):
            check_number(f"loss.{name}", value, 0)
        self.content_weight, self.style_weight, self.tv_weight = content_weight, style_weight, tv_weight
        self.content_layer_weights = normalised_weights(
            _by_layer(content_layer_weights, content_layers), len(self.content_layers), "content_layer_weights"
        )
        self.style_layer_weights = normalised_weights(
            _by_layer(style_layer_weights, style_layers), len(self.style_layers), "style_layer_weights"
        )
        self.content_losses = nn.ModuleDict({name: ContentLoss() for name in self.content_layers})
        self.style_losses = nn.ModuleDict({name: GramLoss() for name in self.style_layers})
        self.tv_loss = TotalVariationLoss()

    @property
    def layers(self) -> list[str]:
        return list(dict.fromkeys(self.content_layers + self.style_layers))

    def encode(self, image: torch.Tensor, layers: Sequence[str] | None = None) -> dict[str, torch.Tensor]:
        return self.encoder(image, layers if layers is not None else self.layers)

    @torch.no_grad()
    def set_content(self, image: torch.Tensor) -> None:
        """Set the content targets from ``B x 3 x H x W`` images (one per input in the batch)."""
        if not self.content_layers:
            return
        features = self.encode(image, self.content_layers)
        for name, loss in self.content_losses.items():
            loss.set_target(features[name])

    @torch.no_grad()
    def set_style(
        self,
        images: torch.Tensor | Sequence[torch.Tensor],
        blend: Sequence[float] | None = None,
        masks: Sequence[torch.Tensor] | None = None,
        style_masks: Sequence[torch.Tensor | None] | None = None,
    ) -> None:
        """Set the style targets.

        Args:
            images: one ``1 x 3 x H x W`` style image or a list of them (sizes may differ).
            blend: without masks, weights of each style in the blended target Gram.
            masks: guided mode: one ``B x 1 x H x W`` input mask per style image (region ``i``
                takes style ``i``; statistics are computed inside each mask only).
            style_masks: guided mode: optional mask per style image restricting its statistics.
        """
        images = [images] if isinstance(images, torch.Tensor) else list(images)
        if not self.style_layers:
            return
        per_image = [self.encode(image, self.style_layers) for image in images]
        if masks is None:
            if style_masks is not None:
                raise StylistError("style_masks need input masks too")
            self.style_losses = nn.ModuleDict({name: GramLoss() for name in self.style_layers})
            for name, loss in self.style_losses.items():
                loss.set_target([features[name] for features in per_image], blend)
            return
        self.style_losses = nn.ModuleDict({name: GuidedGramLoss() for name in self.style_layers})
        for name, loss in self.style_losses.items():
            loss.set_target([features[name] for features in per_image], masks, style_masks)

    def forward(self, image: torch.Tensor) -> LossTerms:
        """Loss terms for a ``B x 3 x H x W`` image batch (weighted; see class docstring)."""
        features = self.encode(image)
        zero = image.new_zeros(())
        content = sum(
            (w * self.content_losses[name](features[name]) for name, w in zip(self.content_layers, self.content_layer_weights)),
            zero,
        )
        style = sum(
            (w * self.style_losses[name](features[name]) for name, w in zip(self.style_layers, self.style_layer_weights)),
            zero,
        )
        tv = self.tv_loss(image) if self.tv_weight else zero
        content, style, tv = self.content_weight * content, self.style_weight * style, self.tv_weight * tv
        return LossTerms(total=content + style + tv, content=content, style=style, tv=tv)


def _by_layer(weights: Mapping[str, float] | None, layers: Sequence[str]) -> list[float] | None:
    if weights is None:
        return None
    unknown = set(weights) - set(layers)
    if unknown:
        raise StylistError(f"layer weights given for layers not in use: {sorted(unknown)}")
    return [float(weights.get(name, 0.0)) for name in layers]
