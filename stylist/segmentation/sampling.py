"""``EpochSampler``: seeded, resumable, optionally class-balanced training order for cached features.

Each epoch ``e`` is a fixed function of ``(seed, e)``: a permutation of the ``N`` images in which a
fraction ``balanced_fraction`` of the slots is replaced by class-balanced draws. A balanced draw
picks a foreground class ``c`` uniformly among the classes some image shows, then an image that
shows ``c`` uniformly, and asks for a crop centred on a pixel of ``c`` (Zhu et al., 2019,
"class-uniform sampling"). So every class, belt or boots as much as top, is the centre of
``balanced_fraction / C`` of the crops, where ``C`` is the number of classes present.

Items are keys ``(index, seed, centre_class)`` (``centre_class = -1``: a random crop) for
:class:`~stylist.segmentation.features.CachedFeatures`, whose random choices come from the key's
seed: a sample depends on nothing but its key. ``skip`` drops the first items of one epoch, which
is how a run resumed mid-epoch continues exactly where its checkpoint left off.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
from torch.utils.data import Sampler

from stylist.utils import StylistError

__all__ = ["EpochSampler"]


class EpochSampler(Sampler[tuple[int, int, int]]):
    """Training order of ``N`` images, a fixed function of ``(seed, epoch)``.

    Args:
        num_items: ``N``.
        seed: base seed.
        presence: ``N x K`` bool (which classes each image shows) for class-balanced draws;
            column 0 (background) is never a centre class.
        balanced_fraction: fraction of an epoch's slots that are class-balanced draws (needs ``presence``).
        resume: ``(epoch, items_done)``: in that epoch, start after ``items_done`` items (once).
    """

    def __init__(self, num_items: int, seed: int = 0, presence: np.ndarray | None = None,
                 balanced_fraction: float = 0.0, resume: tuple[int, int] | None = None) -> None:  # fmt: skip
        if not 0.0 <= balanced_fraction <= 1.0:
            raise StylistError(f"balanced_fraction must be in [0, 1], got {balanced_fraction}")
        if balanced_fraction > 0 and (presence is None or len(presence) != num_items):
            raise StylistError("class-balanced sampling needs the class presence of every image")
        self.num_items, self.seed, self.balanced_fraction = int(num_items), int(seed), float(balanced_fraction)
        self.epoch = 0
        self.resume = resume
        self.images_of: dict[int, np.ndarray] = {}
        if presence is not None:
            self.images_of = {c: np.flatnonzero(presence[:, c]) for c in range(1, presence.shape[1]) if presence[:, c].any()}

    def set_epoch(self, epoch: int) -> None:
        """Called by Lightning at the start of every epoch."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return self.num_items

    def epoch_items(self, epoch: int) -> list[tuple[int, int, int]]:
        """Every key of ``epoch``, in order."""
        rng = np.random.default_rng([self.seed, epoch])
        indices = rng.permutation(self.num_items)
        centres = np.full(self.num_items, -1)
        balanced = np.flatnonzero(rng.random(self.num_items) < self.balanced_fraction)
        classes = sorted(self.images_of)
        for slot in balanced:
            centre = classes[rng.integers(len(classes))]
            indices[slot], centres[slot] = rng.choice(self.images_of[centre]), centre
        seeds = rng.integers(2**62, size=self.num_items)
        return [(int(i), int(s), int(c)) for i, s, c in zip(indices, seeds, centres)]

    def __iter__(self) -> Iterator[tuple[int, int, int]]:
        items = self.epoch_items(self.epoch)
        if self.resume is not None and self.resume[0] == self.epoch:
            items = items[self.resume[1] :]
            self.resume = None
        return iter(items)
