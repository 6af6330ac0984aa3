"""Seeded, resumable, optionally class-balanced training order, shared by every trained method.

:class:`EpochSampler`: each epoch ``e`` is a fixed function of ``(seed, e)``: a permutation of the
``N`` items in which a fraction ``balanced_fraction`` of the slots is replaced by class-balanced
draws. A balanced draw picks a foreground class ``c`` uniformly among the classes some item shows,
then an item that shows ``c`` uniformly, and asks for a crop centred on a pixel of ``c`` (Zhu et
al., 2019, "class-uniform sampling"). So every class, belt or boots as much as top, is the centre
of ``balanced_fraction / C`` of the crops, where ``C`` is the number of classes present.

Items are keys ``(index, seed, centre_class)`` (``centre_class = -1``: a random crop); a dataset
draws its random choices from the key's seed (:func:`split_key`), so a sample depends on nothing
but its key. ``resume`` drops the first items of one epoch, which is how a run resumed mid-epoch
continues exactly where its checkpoint left off: :class:`ResumableDataModule` checkpoints that
point (epoch, samples done) and hands it to the samplers it builds.
"""

from __future__ import annotations

import warnings
from typing import Any, Iterator, Sequence

import numpy as np
import pytorch_lightning as pl
import torch
from torch.utils.data import Sampler

from stylist.utils import StylistError, check_whole_number

__all__ = ["EpochSampler", "ResumableDataModule", "split_key"]


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


def split_key(key: int | Sequence[int]) -> tuple[int, torch.Generator | None, int]:
    """``(index, generator, centre_class)`` of a dataset key: a key ``(index, seed, centre_class)``
    from :class:`EpochSampler` gets a generator seeded by its seed; a plain ``int`` index gets
    ``None`` (torch's global generator) and no centre class."""
    if isinstance(key, (int, np.integer)):
        return int(key), None, -1
    index, seed, centre_class = (int(k) for k in key)
    return index, torch.Generator().manual_seed(seed), centre_class


class ResumableDataModule(pl.LightningDataModule):
    """A data module whose training order is an :class:`EpochSampler`, resumable mid-epoch.

    Its checkpoint state (Lightning's ``state_dict`` of the data module) is ``{"epoch",
    "samples_done"}``: the sampler's epoch and the samples of the batches whose optimiser step is
    done. A resumed run hands that point to every sampler :meth:`epoch_sampler` builds (Lightning
    also builds a loader just to count batches); a sampler applies it once, in the checkpoint's epoch.
    """

    sampler: EpochSampler | None = None
    _batch_size: int = 1
    _resume: tuple[int, int] | None = None

    @staticmethod
    def check_loader_settings(batch_size: int, num_workers: int, val_batch_size: int | None = None) -> None:
        """``batch_size`` (and ``val_batch_size`` unless ``None``) whole numbers >= 1 and ``num_workers``
        >= 0: refused when the data module is built, not when Lightning builds its loaders mid-run."""
        check_whole_number("data.batch_size", batch_size, 1)
        if val_batch_size is not None:
            check_whole_number("data.val_batch_size", val_batch_size, 1)
        check_whole_number("data.num_workers", num_workers, 0)

    def epoch_sampler(self, num_items: int, seed: int, batch_size: int, presence: np.ndarray | None = None,
                      balanced_fraction: float = 0.0) -> EpochSampler:  # fmt: skip
        """A new training sampler (see :class:`EpochSampler`) carrying the checkpoint's resume point,
        for a loader of ``batch_size`` (samples done = batches done x ``batch_size``)."""
        self.sampler = EpochSampler(num_items, seed, presence, balanced_fraction, self._resume)
        self._batch_size = batch_size
        return self.sampler

    def state_dict(self) -> dict[str, Any]:
        """Where the training order stands: ``{"epoch", "samples_done"}`` (empty before training)."""
        trainer = getattr(self, "trainer", None)
        if self.sampler is None or trainer is None:
            return {}
        done = trainer.fit_loop.epoch_loop.batch_progress.current.processed
        return {"epoch": self.sampler.epoch, "samples_done": done * self._batch_size}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Resume the training order of a checkpoint (applied when the train loader is built).

        Lightning then warns that a mid-epoch resume with a plain ``DataLoader`` "can cause unreliable
        results": it does not see the sampler's resume point, so that warning is silenced here."""
        if state:
            self._resume = (int(state["epoch"]), int(state["samples_done"]))
            warnings.filterwarnings("ignore", message="You're resuming from a checkpoint that ended before the epoch")
