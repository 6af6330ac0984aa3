"""Stylisation methods: the one way anything (CLIs, fashion, compare, benchmarks) runs a method.

A method is an object built from ``conf/method/<name>.yaml`` by its ``_target_`` (its backbone and
loss objects injected there) and called with one signature::

    method(content, styles, masks=None, blend=None, *, seed=0, progress=True) -> MethodResult

* ``content``: ``1 x 3 x H x W`` in [0, 1]; ``styles``: a list of ``1 x 3 x h x w`` style images
  (empty for methods whose style is a trained model's);
* ``masks``: optional ``1 x 1 x H x W`` masks, one per style (regional transfer);
* ``blend``: optional weights of several styles.

Each class declares what it needs in :attr:`Method.needs`: ``"style"`` (a style image) and/or
``"model"`` (a trained model, named by its ``model`` attribute: a shipped name from
:mod:`stylist.models` or a file). :data:`METHODS` maps names to classes.

Adding a method: a :class:`Method` subclass here decorated with :func:`register`, a file
``conf/method/<name>.yaml`` whose ``_target_`` is that class, and tests (``tests/test_methods.py``
runs every registered method).

Example:
    >>> from stylist.methods import Gatys
    >>> result = Gatys(iterations=50)(content, [style])  # doctest: +SKIP
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping, Sequence, TypeVar

import torch
from torch import nn

from stylist.utils import StylistError

__all__ = ["MethodResult", "Method", "METHODS", "register", "get_method", "Gatys", "Johnson", "WCT", "Photo", "PhotoWCT"]

#: A loss factory: called with the encoder, returns a :class:`~stylist.losses.PerceptualLoss`
#: (what ``conf/loss/*.yaml`` instantiates to, as in training).
LossFactory = Callable[[nn.Module], nn.Module]


def _check_image(what: str, image: torch.Tensor) -> None:
    """Images are ``1 x 3 x H x W`` float RGB in [0, 1] with sides of at least
    :data:`~stylist.image.MIN_SIDE` px (what :func:`stylist.image.load_image` returns). A 0-255
    tensor (a PIL or NumPy image not divided by 255) or an ImageNet-normalised one would be
    stylised into noise without a word; the overshoot of a bicubic resize (a few hundredths) is
    tolerated."""
    from stylist.image import MIN_SIDE

    if image.dim() != 4 or image.shape[:2] != (1, 3):
        raise StylistError(f"{what} must be 1 x 3 x H x W, got {tuple(image.shape)}")
    if min(image.shape[-2:]) < MIN_SIDE:
        raise StylistError(f"{what} is {tuple(image.shape[-2:])} px; at least {MIN_SIDE} px per side is needed")
    if not image.is_floating_point():
        raise StylistError(f"{what} must be a float tensor in [0, 1], got {image.dtype} (divide 0-255 images by 255)")
    low, high = (float(value) for value in torch.aminmax(image))  # one pass; NaN and inf show up here too
    if not (math.isfinite(low) and math.isfinite(high)):
        raise StylistError(f"{what} has NaN or infinite values")
    if low < -0.25 or high > 1.25:
        raise StylistError(f"{what} must be in [0, 1], got values in [{low:.3g}, {high:.3g}] (divide 0-255 images by 255)")


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


class Method:
    """Base class of the methods in :data:`METHODS`.

    Subclasses set :attr:`name` and :attr:`needs` and implement :meth:`run`; ``__call__`` checks
    the inputs against the needs first.
    """

    name: ClassVar[str]
    #: ``"style"``: takes style images; ``"model"``: runs a trained model (``self.model``).
    needs: ClassVar[tuple[str, ...]] = ("style",)
    #: A shipped name or file of the trained model, for methods that need one.
    model: str | nn.Module | None = None
    #: For a method that passes ``**options`` on: the dotted path of the function that takes them
    #: (their types are checked against its signature before any work).
    options_of: ClassVar[str | None] = None

    def __call__(
        self,
        content: torch.Tensor,
        styles: Sequence[torch.Tensor] = (),
        masks: Sequence[torch.Tensor] | None = None,
        blend: Sequence[float] | None = None,
        *,
        seed: int = 0,
        progress: bool = True,
    ) -> MethodResult:
        """Stylise ``content`` (see the module docstring for the arguments)."""
        styles = list(styles or [])
        _check_image("content", content)
        if "style" in self.needs and not styles:
            raise StylistError(f"{self.name} needs at least one style image")
        for index, style in enumerate(styles):
            _check_image(f"style {index}", style)
        for index, mask in enumerate(masks or []):
            if mask.dim() != 4 or mask.shape[:2] != (1, 1):
                raise StylistError(f"mask {index} must be 1 x 1 x H x W (any H x W: resized), got {tuple(mask.shape)}")
        if masks is not None and "style" in self.needs and len(masks) != len(styles):
            raise StylistError(f"{len(masks)} masks for {len(styles)} styles: give one mask per style")
        return self.run(content, styles, None if masks is None else list(masks), blend, seed=seed, progress=progress)

    def run(
        self,
        content: torch.Tensor,
        styles: list[torch.Tensor],
        masks: list[torch.Tensor] | None,
        blend: Sequence[float] | None,
        *,
        seed: int,
        progress: bool,
    ) -> MethodResult:
        raise NotImplementedError

    @property
    def model_name(self) -> str | None:
        """The shipped model this method runs (its metadata gives the training time), if any."""
        from stylist.models import shipped

        return self.model if isinstance(self.model, str) and self.model in shipped() else None

    def network(self) -> Any:
        """The trained model this method runs, loaded once (methods that need one override this)."""
        raise StylistError(f"{self.name} takes no trained model")

    def with_model(self, model: str | nn.Module) -> "Method":
        """A copy of this method running another trained model (same options)."""
        if "model" not in self.needs:
            raise StylistError(f"{self.name} takes no trained model")
        other = copy.copy(self)
        other.model = model
        other._loaded = None
        return other


MethodT = TypeVar("MethodT", bound=type[Method])

#: name -> method class; filled by :func:`register`.
METHODS: dict[str, type[Method]] = {}


def register(cls: MethodT) -> MethodT:
    """Class decorator adding a :class:`Method` subclass to :data:`METHODS` under its ``name``."""
    METHODS[cls.name] = cls
    return cls


def get_method(name: str) -> type[Method]:
    """A method class by name; an unknown name's error lists the valid ones."""
    if name not in METHODS:
        raise StylistError(f"unknown method '{name}'; available: {sorted(METHODS)}")
    return METHODS[name]


def _default_backbone(backbone: nn.Module | None) -> nn.Module:
    from stylist.backbones import get_backbone

    return backbone if backbone is not None else get_backbone("vgg16")


def _built_loss(loss: LossFactory | None, encoder: nn.Module) -> nn.Module | None:
    """The injected loss on ``encoder`` (``None``: the method function's own default loss)."""
    return loss(encoder) if loss is not None else None


#: Options of the optimisation methods' functions that an injected loss replaces.
_LOSS_OPTIONS = ("content_weight", "style_weight", "tv_weight", "content_layers", "style_layers",
                 "content_layer_weights", "style_layer_weights")  # fmt: skip


def _optimisation_info(result: Any) -> dict[str, Any]:
    return {"backbone_weights": result.backbone_weights, "seconds_per_iteration": result.seconds_per_iteration}


@register
class Gatys(Method):
    """Gatys et al. (2016): optimise the image (:func:`stylist.gatys.stylize`).

    Args:
        backbone: the encoder (default: ``get_backbone("vgg16")``).
        loss: a loss factory ``loss(encoder) -> PerceptualLoss`` (``conf/loss/gatys.yaml``;
            default: :func:`stylist.gatys.stylize`'s weights and layers).
        iterations, optimizer, lr, init, preserve_color, scales, lbfgs_history_size: see
            :func:`stylist.gatys.stylize`.
    """

    name = "gatys"

    def __init__(
        self,
        backbone: nn.Module | None = None,
        loss: LossFactory | None = None,
        iterations: int = 300,
        optimizer: str = "lbfgs",
        lr: float | None = None,
        init: str = "content",
        preserve_color: bool = False,
        scales: Sequence[float] = (1.0,),
        lbfgs_history_size: int = 20,
    ) -> None:
        self.backbone, self.loss = backbone, loss
        self.options = dict(
            iterations=iterations, optimizer=optimizer, lr=lr, init=init, preserve_color=preserve_color,
            scales=list(scales), lbfgs_history_size=lbfgs_history_size,
        )  # fmt: skip

    def run(self, content, styles, masks, blend, *, seed, progress) -> MethodResult:
        from stylist.gatys import stylize

        encoder = self.backbone = _default_backbone(self.backbone)
        result = stylize(
            content, styles, masks=masks, style_blend=blend, seed=seed, progress=progress, encoder=encoder,
            loss=_built_loss(self.loss, encoder), **self.options,
        )  # fmt: skip
        return MethodResult(image=result.image, history=result.history, info=_optimisation_info(result))


@register
class Johnson(Method):
    """Johnson et al. (2016): one pass of a trained :class:`~stylist.johnson.TransformerNet`.

    Args:
        model: a shipped name (``starry_night``), a ``.ckpt``/``.pt`` file or a module; the style
            is the model's.
        tile_size, overlap, bf16: see :func:`stylist.johnson.stylize_image`.
        compile: see :func:`stylist.johnson.load_transformer`.
        style_mix: for a multi-style model (``paintings``), a style name or ``{name: weight}``
            (conditional instance norm: the blend of the styles' scale/shift pairs).
    """

    name = "johnson"
    needs = ("model",)

    def __init__(
        self,
        model: str | nn.Module | None = None,
        tile_size: int | None = None,
        overlap: int = 32,
        compile: bool = False,
        bf16: bool = False,
        style_mix: str | Mapping[str, float] | None = None,
    ) -> None:
        self.model, self.tile_size, self.overlap, self.compile, self.bf16 = model, tile_size, overlap, compile, bf16
        self.style_mix = dict(style_mix) if isinstance(style_mix, Mapping) else style_mix
        self._loaded: nn.Module | None = None

    def network(self) -> nn.Module:
        """The trained network (loaded once)."""
        from stylist.johnson import load_transformer

        if self.model is None:
            raise StylistError(
                "method=johnson needs a trained model: method.model=starry_night (or method.model=<file.ckpt>)"
            )
        if hasattr(self.model, "training_step"):  # a freshly built Lightning module (a training config)
            raise StylistError(
                f"method=johnson got an untrained {type(self.model).__name__} (a training config); give a trained model: "
                "method.model=starry_night, or method.model=<file.ckpt> from python -m stylist.train"
            )
        if self._loaded is None:
            net = self.model
            if isinstance(net, str):
                net = load_transformer(net)  # eager: a multi-style network is blended before compiling
            styles = getattr(net, "styles", None)
            if styles is not None and self.style_mix is None:
                raise StylistError(f"a multi-style model: choose style_mix, a name or weights of {styles}, "
                                   f'e.g. style_mix="{{{styles[0]}: 0.7, {styles[-1]}: 0.3}}"')  # fmt: skip
            if styles is not None:
                net = net.blend(self.style_mix).eval()
            elif self.style_mix is not None:
                raise StylistError("style_mix needs a multi-style model (e.g. method.model=paintings)")
            self._loaded = torch.compile(net, dynamic=False) if self.compile and isinstance(self.model, str) else net
        return self._loaded

    def run(self, content, styles, masks, blend, *, seed, progress) -> MethodResult:
        from stylist.johnson import stylize_image

        net = self.network()
        start = time.perf_counter()
        image = stylize_image(net, content, tile_size=self.tile_size, overlap=self.overlap, bf16=self.bf16)
        return MethodResult(image=image, info={"seconds_inference": time.perf_counter() - start})


@register
class WCT(Method):
    """Universal style transfer (Li et al. 2017, :func:`stylist.wct.stylize`).

    Args:
        model: the decoders: a shipped name or a ``.pt`` file. The encoder is the one they were
            trained to invert (a mismatched encoder would break them), so none is injected.
        alpha, levels, eps, truncate, bf16: see :func:`stylist.wct.stylize`.
    """

    name = "wct"
    needs = ("style", "model")

    def __init__(
        self,
        model: str = "wct_vgg16_decoders_unpool",
        alpha: float = 0.6,
        levels: Sequence[int] = (4, 3, 2, 1),
        eps: float = 1e-5,
        truncate: float = 1e-3,
        bf16: bool = False,
    ) -> None:
        self.model = model
        self.options = dict(alpha=alpha, levels=list(levels), eps=eps, truncate=truncate, bf16=bf16)
        self._loaded: tuple[nn.Module, nn.Module] | None = None

    def network(self) -> tuple[nn.Module, nn.Module]:
        """``(decoders, encoder)``, loaded once."""
        import stylist.wct

        if self._loaded is None:
            self._loaded = stylist.wct.load_shipped(str(self.model))  # a shipped name or a .pt file
        return self._loaded

    def run(self, content, styles, masks, blend, *, seed, progress) -> MethodResult:
        from stylist.wct import stylize

        decoders, encoder = self.network()
        image = stylize(content, styles, masks=masks, style_blend=blend, decoders=decoders, encoder=encoder, **self.options)
        return MethodResult(image=image, info={"backbone_weights": encoder.weights_name, "decoders": str(self.model)})


class _RegionTransfer(Method):
    """Shared by the photorealistic methods: regions from colour-coded label maps
    (``content_mask``/``style_mask``), per-style ``style_masks`` files or the segmenter
    (``segment``), resolved by :func:`stylist.regions.resolve_regions`; no style blending."""

    def _keep(self, content_mask: str | None, style_mask: str | None, style_masks: Sequence[str] | None,
              segment: bool, options: dict[str, Any]) -> None:  # fmt: skip
        self.content_mask, self.style_mask, self.style_masks, self.segment = content_mask, style_mask, style_masks, segment
        self.options = {key: list(value) if isinstance(value, (list, tuple)) else value for key, value in options.items()}

    def _regions(self, content: torch.Tensor, styles: list[torch.Tensor], masks: list[torch.Tensor] | None,
                 blend: Sequence[float] | None) -> tuple[list[torch.Tensor], Any]:  # fmt: skip
        from stylist.regions import resolve_regions

        if blend is not None:
            raise StylistError(f"{self.name} does not blend styles; give one style, or one per mask")
        return resolve_regions(content, styles, masks=masks, style_masks=self.style_masks, content_mask=self.content_mask,
                               style_mask=self.style_mask, segment=self.segment)  # fmt: skip


@register
class Photo(_RegionTransfer):
    """Deep Photo Style Transfer (Luan et al. 2017, :func:`stylist.photo.stylize`): the paper's two
    stages, then the local affine filter.

    Args:
        backbone: the encoder (default: ``get_backbone("vgg16")``).
        loss: a loss factory ``loss(encoder) -> PerceptualLoss`` with the paper's layers and weights
            (``conf/loss/photo.yaml``; default: :func:`stylist.photo.stylize`'s, the same).
        content_mask, style_mask: colour-coded label maps (PNG paths); each colour is a region and
            regions pair by colour (:func:`stylist.regions.resolve_regions`).
        style_masks: one mask file per style image, pairing with the call's ``masks``.
        segment: regions from the shipped segmenter (the classes found in both images).
        options: :func:`stylist.photo.stylize`'s (``size``, ``stage1_iterations``,
            ``stage2_iterations``, ``init``, ``matting_lambda``, ``laplacian_eps``, ``post_radius``,
            ``post_eps``, ``lr``; with an injected ``loss``, its layers and weights are the loss's).
    """

    name = "photo"
    options_of = "stylist.photo.stylize"

    def __init__(
        self,
        backbone: nn.Module | None = None,
        loss: LossFactory | None = None,
        content_mask: str | None = None,
        style_mask: str | None = None,
        style_masks: Sequence[str] | None = None,
        segment: bool = False,
        **options: Any,
    ) -> None:
        given = sorted(set(options) & set(_LOSS_OPTIONS)) if loss is not None else []
        if given:
            raise StylistError(f"{', '.join(given)} belong to the injected loss: set loss.{given[0]}=... instead")
        self.backbone, self.loss = backbone, loss
        self._keep(content_mask, style_mask, style_masks, segment, options)

    def run(self, content, styles, masks, blend, *, seed, progress) -> MethodResult:
        from stylist.photo import stylize

        styles, pairs = self._regions(content, styles, masks, blend)
        encoder = self.backbone = _default_backbone(self.backbone)
        result = stylize(
            content, styles, masks=pairs and pairs.content_masks, style_masks=pairs and pairs.style_masks,
            encoder=encoder, loss=_built_loss(self.loss, encoder), progress=progress, **self.options,
        )  # fmt: skip
        info = {**_optimisation_info(result), **(pairs.info() if pairs else {})}
        return MethodResult(image=result.image, history=result.history, info=info)


@register
class PhotoWCT(_RegionTransfer):
    """FastPhotoStyle (Li et al. 2018, :func:`stylist.photowct.stylize`): PhotoWCT through the
    unpooling decoders, then the closed-form matting smoothing. Regions as :class:`Photo`'s.

    Args:
        model: the decoders (a shipped name or a ``.pt`` file); they fix the encoder.
        content_mask, style_mask, style_masks, segment: see :class:`Photo`.
        options: :func:`stylist.photowct.stylize`'s (``alpha``, ``levels``, ``smooth_weight``,
            ``smooth_size``, ``filter_radius``, ``filter_eps``).
    """

    name = "photowct"
    needs = ("style", "model")
    options_of = "stylist.photowct.stylize"

    def __init__(
        self,
        model: str = "wct_vgg16_decoders",
        content_mask: str | None = None,
        style_mask: str | None = None,
        style_masks: Sequence[str] | None = None,
        segment: bool = False,
        **options: Any,
    ) -> None:
        self.model = model
        self._keep(content_mask, style_mask, style_masks, segment, options)

    def run(self, content, styles, masks, blend, *, seed, progress) -> MethodResult:
        from stylist.photowct import stylize
        styles, pairs = self._regions(content, styles, masks, blend)
        result = stylize(content, styles, masks=pairs and pairs.content_masks, style_masks=pairs and pairs.style_masks,
                         decoders=self.model, **self.options)  # fmt: skip
        return MethodResult(image=result.image, info={"seconds": result.seconds, **(pairs.info() if pairs else {})})
