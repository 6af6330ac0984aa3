"""Fashion style change on a stream of frames (video, webcam), stable over time.

A :class:`FashionStream` keeps its models loaded and, for each frame:

1. **flow**: dense optical flow from the frame back to the previous one (OpenCV DIS on the grey
   frames); a frame that the previous one, moved by the flow, explains badly is a **cut**;
2. **segment** every ``segment_every``-th frame (12 by default) and at cuts: class probabilities from
   the segmenter, smoothed over time: ``p_t = s * warp(p_{t-1}) + (1 - s) * segment(x_t)`` (``s``:
   ``smoothing``; ``0`` at a cut); on the frames between, the probabilities are **propagated**:
   ``p_t = warp(p_{t-1})``;
3. **stylise** the whole frame once per style (any :data:`~stylist.fashion.core.Stylize`, e.g. a
   shipped Johnson model through :func:`~stylist.fashion.method_stylize`) and **stabilise** it:
   ``y_t = a * stylise(x_t) + (1 - a) * warp(y_{t-1})`` with ``a = 1 - temporal`` where the flow is
   trustworthy (the warped previous frame matches this one) and ``a = 1`` elsewhere;
4. **composite** the chosen parts exactly as a still photo: :func:`~stylist.fashion.core.restyle`,
   so pixels further than ``feather`` from the parts are the input's, bit for bit.

``warp`` moves a map of frame ``t-1`` onto frame ``t`` along the flow (bilinear). The seconds of
each stage are accumulated in :attr:`FashionStream.seconds`; :meth:`FashionStream.fps` turns them
into frames per second per stage.

Example:
    >>> stream = FashionStream(segmenter_probabilities(load_segmenter()), stylise, {"top": "starry_night_fast"})  # doctest: +SKIP
    >>> for out in stream(frames):  # doctest: +SKIP
    ...     show(out.image)
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Mapping, Sequence

import cv2
import numpy as np
import torch

from stylist.fashion.core import Stylize, check_composite, part_index, restyle
from stylist.utils import StylistError, check_number, check_whole_number

__all__ = ["StreamFrame", "FashionStream", "segmenter_probabilities", "frame_tensor", "frame_array", "STAGES"]

#: The stages timed by :class:`FashionStream`, in pipeline order.
STAGES = ("flow", "segment", "propagate", "stylize", "stabilize", "composite")

#: ``probabilities(frame) -> K x H x W``: class probabilities of a ``1 x 3 x H x W`` frame.
Probabilities = Callable[[torch.Tensor], torch.Tensor]


def segmenter_probabilities(segmenter: torch.nn.Module, flip: bool = False, scales: Sequence[float] = (0.8,)) -> Probabilities:
    """The class probabilities of a :class:`~stylist.segmentation.Segmenter`: by default one pass at
    0.8x its training scale (0.64x the cost of 1.0x, the same part IoU on ``benchmarks/stream_eval.py``'s
    clip); test-time augmentation costs a pass per flip and scale."""
    from stylist.segmentation import segment

    return lambda frame: segment(frame, segmenter, flip=flip, scales=scales)[1]


def frame_tensor(frame: np.ndarray | torch.Tensor) -> torch.Tensor:
    """A frame as ``1 x 3 x H x W`` float in [0, 1], from an ``H x W x 3`` uint8 RGB array (as
    video decoders give) or such a tensor."""
    if isinstance(frame, np.ndarray):
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise StylistError(f"a frame array must be H x W x 3 uint8 RGB, got {frame.shape} {frame.dtype}")
        frame = np.ascontiguousarray(frame) if frame.flags.writeable else frame.copy()  # torch wants writable memory
        return torch.from_numpy(frame).permute(2, 0, 1)[None].float() / 255
    if frame.dim() != 4 or frame.shape[:2] != (1, 3):
        raise StylistError(f"a frame tensor must be 1 x 3 x H x W, got {tuple(frame.shape)}")
    return frame.float()


def frame_array(image: torch.Tensor) -> np.ndarray:
    """``1 x 3 x H x W`` in [0, 1] -> ``H x W x 3`` uint8 RGB (rounded)."""
    return (image[0].clamp(0, 1) * 255).round().byte().permute(1, 2, 0).contiguous().numpy()


@dataclass
class StreamFrame:
    """One processed frame.

    Attributes:
        input: ``1 x 3 x H x W`` the frame as given.
        image: ``1 x 3 x H x W`` the result.
        class_map: ``H x W`` labels after smoothing/propagation.
        mask: ``1 x 1 x H x W`` feathered union of the restyled parts (what was composited).
        segmented: whether the segmenter ran on this frame.
        cut: whether this frame was taken for a cut (no state carried over).
        missing: chosen parts absent from this frame.
        seconds: wall time of each stage of :data:`STAGES` on this frame.
    """

    input: torch.Tensor
    image: torch.Tensor
    class_map: torch.Tensor
    mask: torch.Tensor
    segmented: bool
    cut: bool
    missing: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


class _Flow:
    """Backward flow of one frame pair and the warps and trust map it gives."""

    def __init__(self, flow: np.ndarray, trust: np.ndarray) -> None:
        height, width = flow.shape[:2]
        grid = np.stack(np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32)), -1)
        self.map = grid + flow
        self.trust = trust

    def warp(self, image: np.ndarray) -> np.ndarray:
        """``H x W [x C]`` float32 of the previous frame onto this one (bilinear, edges replicated)."""
        return cv2.remap(image, self.map, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

    def warp_tensor(self, tensor: torch.Tensor) -> torch.Tensor:
        """``[1 x] C x H x W`` float tensor of the previous frame onto this one."""
        batch = tensor.dim() == 4
        planes = tensor[0] if batch else tensor
        warped = self.warp(np.ascontiguousarray(planes.permute(1, 2, 0).numpy()))
        warped = torch.from_numpy(warped.reshape(*warped.shape[:2], -1)).permute(2, 0, 1)
        return warped[None] if batch else warped


class FashionStream:
    """Restyle chosen garments frame after frame, with masks and styles kept stable over time.

    Args:
        probabilities: class probabilities of a frame, see :func:`segmenter_probabilities`.
        stylise: the method, see :data:`~stylist.fashion.core.Stylize` (build it once: it keeps its
            models loaded, e.g. :func:`~stylist.fashion.method_stylize`).
        styles: ``{part: style}``.
        segment_every: run the segmenter on every ``k``-th frame (and at cuts); 1: every frame.
        smoothing: weight ``s`` of the propagated probabilities against a fresh segmentation.
        temporal: weight of the warped previous stylised frame (0: every frame on its own).
        feather, color: as :func:`~stylist.fashion.core.restyle`.
        cut_threshold: mean absolute difference (0-1 grey levels) between a frame and the previous
            one moved by the flow above which the frame starts a new shot.
        trust_threshold: per-pixel difference above which the flow is not trusted there (occlusions,
            new content): the stylised pixel is taken fresh.
        flow_preset: OpenCV DIS preset: ``ultrafast``, ``fast`` or ``medium``.

    Call :meth:`process` per frame, or iterate ``stream(frames)``. :meth:`reset` forgets the past
    (e.g. when the source changes).
    """

    PRESETS = {
        "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
        "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
        "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
    }

    def __init__(
        self,
        probabilities: Probabilities,
        stylise: Stylize,
        styles: Mapping[str, str],
        *,
        segment_every: int = 12,
        smoothing: float = 0.5,
        temporal: float = 0.6,
        feather: int = 3,
        color: str = "none",
        cut_threshold: float = 0.12,
        trust_threshold: float = 0.08,
        flow_preset: str = "fast",
    ) -> None:
        if not styles:
            raise StylistError("choose at least one part to restyle")
        for part in styles:
            part_index(part)
        check_whole_number("segment_every", segment_every, 1)
        check_number("smoothing", smoothing, 0, 1)
        check_number("temporal", temporal, 0, 1)
        check_composite(feather, color)
        if flow_preset not in self.PRESETS:
            raise StylistError(f"flow_preset must be one of {sorted(self.PRESETS)}, not '{flow_preset}'")
        self.probabilities, self.stylise, self.styles = probabilities, stylise, dict(styles)
        self.segment_every, self.smoothing, self.temporal = int(segment_every), float(smoothing), float(temporal)
        self.feather, self.color = int(feather), color
        self.cut_threshold, self.trust_threshold = float(cut_threshold), float(trust_threshold)
        self._dis = cv2.DISOpticalFlow_create(self.PRESETS[flow_preset])
        self.seconds = dict.fromkeys(STAGES, 0.0)
        self.frames = 0
        self.reset()

    def reset(self) -> None:
        """Forget the previous frames (the next frame is segmented and stylised afresh)."""
        self._grey: np.ndarray | None = None
        self._probs: torch.Tensor | None = None
        self._stylised: dict[str, torch.Tensor] = {}
        self._since_segment = 0

    def fps(self) -> dict[str, float]:
        """Frames per second of each stage and ``total``, over all frames so far."""
        rates = {stage: self.frames / seconds for stage, seconds in self.seconds.items() if seconds > 0}
        total = sum(self.seconds.values())
        return {**rates, "total": self.frames / total if total > 0 else 0.0}

    def __call__(self, frames: Iterable[np.ndarray | torch.Tensor]) -> Iterator[StreamFrame]:
        for frame in frames:
            yield self.process(frame)

    def process(self, frame: np.ndarray | torch.Tensor) -> StreamFrame:
        """Restyle one frame (``H x W x 3`` uint8 RGB or ``1 x 3 x H x W`` in [0, 1])."""
        image = frame_tensor(frame)
        seconds = dict.fromkeys(STAGES, 0.0)

        start = time.perf_counter()
        grey = cv2.cvtColor(frame_array(image) if isinstance(frame, torch.Tensor) else frame, cv2.COLOR_RGB2GRAY)
        flow = None
        if self._grey is not None and self._grey.shape == grey.shape:
            flow = self._flow(grey)
        cut = flow is None
        seconds["flow"] = time.perf_counter() - start

        if cut:
            self.reset()
        segmented = cut or self._since_segment + 1 >= self.segment_every
        start = time.perf_counter()
        carried = flow.warp_tensor(self._probs) if flow is not None and self._probs is not None else None
        seconds["propagate"] = time.perf_counter() - start
        if segmented:
            start = time.perf_counter()
            fresh = self.probabilities(image).float()
            probs = fresh if carried is None else self.smoothing * carried + (1 - self.smoothing) * fresh
            seconds["segment"] = time.perf_counter() - start
            self._since_segment = 0
        else:
            probs = carried
            self._since_segment += 1
        class_map = probs.argmax(0)

        stylised: dict[str, torch.Tensor] = {}
        stabilise_seconds = [0.0]

        def stable_stylise(photo: torch.Tensor, style: str, masks: list[torch.Tensor]) -> torch.Tensor:
            out = self.stylise(photo, style, masks)
            previous = self._stylised.get(style)
            if flow is not None and previous is not None and self.temporal > 0:
                begin = time.perf_counter()
                keep = self.temporal * torch.from_numpy(flow.trust)[None, None]
                out = out + keep * (flow.warp_tensor(previous) - out)
                stabilise_seconds[0] += time.perf_counter() - begin
            stylised[style] = out
            return out

        with warnings.catch_warnings():  # an absent part is reported in StreamFrame.missing, not warned each frame
            warnings.simplefilter("ignore")
            result = restyle(image, class_map, self.styles, stable_stylise, feather=self.feather, color=self.color)
        seconds["stylize"] = result.seconds["stylize"] - stabilise_seconds[0]
        seconds["stabilize"] = stabilise_seconds[0]
        seconds["composite"] = result.seconds["composite"]

        self._grey, self._probs, self._stylised = grey, probs, stylised
        self.frames += 1
        for stage, value in seconds.items():
            self.seconds[stage] += value
        return StreamFrame(
            input=image,
            image=result.image,
            class_map=class_map,
            mask=result.mask,
            segmented=segmented,
            cut=cut,
            missing=result.missing,
            seconds=seconds,
        )

    def _flow(self, grey: np.ndarray) -> _Flow | None:
        """The backward flow to the previous frame, or ``None`` at a cut."""
        flow = self._dis.calc(grey, self._grey, None)
        pair = _Flow(flow, np.empty(0))
        error = np.abs(pair.warp(self._grey.astype(np.float32)) - grey.astype(np.float32)) / 255
        if float(error.mean()) > self.cut_threshold:
            return None
        height, width = grey.shape
        inside = (pair.map[..., 0] >= 0) & (pair.map[..., 0] <= width - 1) & (pair.map[..., 1] >= 0) & (pair.map[..., 1] <= height - 1)
        pair.trust = ((cv2.blur(error, (5, 5)) < self.trust_threshold) & inside).astype(np.float32)
        return pair
