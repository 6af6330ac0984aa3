"""A folder-of-photos data module: random square crops for training decoders or transformers.

Sources are glob patterns (files) and scikit-image sample names; images are read on access, resized
so that their shorter side is ``resize`` px, then cropped to ``crop_size`` (random crop and flip for
training, centre crop for validation). Items are ``3 x crop x crop`` float tensors in [0, 1].

Training is a stream of keys ``epoch * n + index`` (:class:`StreamSampler`: a fresh permutation of
the ``n`` images per epoch, seeded by ``(seed, epoch)``), and each crop and flip is seeded by
``(seed, key)``; the stream restarts at sample ``global_step * batch_size`` when the trainer
resumes. So a run resumed from any checkpoint, mid-epoch included, sees exactly the data of an
uninterrupted one (with ``accumulate_grad_batches=1``).
"""

from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import Iterator, Sequence

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, Sampler

from stylist.image import load_image
from stylist.utils import StylistError

__all__ = ["ImageFolderDataset", "ImageDataModule", "StreamSampler", "expand_sources"]


def expand_sources(patterns: Sequence[str], exclude: Sequence[str] = ()) -> list[str]:
    """Glob patterns (sorted matches) plus sample names kept as-is; names in ``exclude`` (file
    names like ``tubingen.jpg``) are dropped."""
    found: list[str] = []
    for pattern in patterns:
        if any(ch in pattern for ch in "*?[") or os.sep in pattern:
            found += sorted(glob.glob(os.path.expanduser(pattern)))
        else:
            found.append(pattern)
    return [item for item in found if Path(item).name not in set(exclude)]


class ImageFolderDataset(Dataset):
    """Photos as ``3 x crop_size x crop_size`` crops. Key ``k`` is image ``k % n``; a training crop
    and flip are drawn from a generator seeded by ``(seed, k)``, so keys beyond ``n`` give new crops."""

    def __init__(
        self, sources: Sequence[str], crop_size: int = 128, resize: int = 160, train: bool = True, seed: int = 0
    ) -> None:
        if not sources:
            raise StylistError("no training images found: check the data sources (glob patterns or sample names)")
        if resize < crop_size:
            raise StylistError(f"resize ({resize}) must be at least crop_size ({crop_size})")
        self.sources, self.crop_size, self.resize, self.train = list(sources), crop_size, resize, train
        self.seed = seed

    def __len__(self) -> int:
        return len(self.sources)

    def __getitem__(self, key: int) -> torch.Tensor:
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + key)
        image = load_image(self.sources[key % len(self.sources)])
        height, width = image.shape[-2:]
        scale = self.resize / min(height, width)
        size = (max(self.crop_size, round(height * scale)), max(self.crop_size, round(width * scale)))
        image = F.interpolate(image, size=size, mode="bilinear", antialias=scale < 1, align_corners=False)[0]
        c = self.crop_size
        if self.train:
            top = int(torch.randint(0, size[0] - c + 1, (), generator=generator))
            left = int(torch.randint(0, size[1] - c + 1, (), generator=generator))
        else:
            top, left = (size[0] - c) // 2, (size[1] - c) // 2
        crop = image[:, top : top + c, left : left + c]
        if self.train and torch.rand((), generator=generator) < 0.5:
            crop = crop.flip(-1)
        return crop.clamp(0, 1).contiguous()


class StreamSampler(Sampler[int]):
    """Keys ``epoch * n + index`` for sample positions ``start, start + 1, ...`` of an endless
    stream (``length`` keys), where each epoch of ``n`` positions is a permutation of ``range(n)``
    seeded by ``(seed, epoch)``. Training ends at the trainer's ``max_steps``, not at an epoch end."""

    def __init__(self, n: int, seed: int = 0, start: int = 0, length: int = 2**31 - 1) -> None:
        self.n, self.seed, self.start, self.length = n, seed, start, length

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator[int]:
        position, epoch, order = self.start, -1, None
        for position in range(self.start, self.start + self.length):
            if position // self.n != epoch:
                epoch = position // self.n
                generator = torch.Generator().manual_seed(self.seed * 7919 + epoch)
                order = torch.randperm(self.n, generator=generator).tolist()
            yield epoch * self.n + order[position % self.n]


class ImageDataModule(pl.LightningDataModule):
    """Training crops from ``train`` sources and fixed validation crops from ``val`` sources.

    Args:
        train: glob patterns or sample names (e.g. ``["/data/photos/*.jpg", "astronaut"]``).
        val: the same for validation images (shown as reconstruction grids).
        exclude: file names never used (held-out test photos).
        crop_size, resize: see :class:`ImageFolderDataset`; ``val_size`` is the validation crop.
        seed: seed of the shuffling and the crops.
    """

    def __init__(
        self,
        train: Sequence[str],
        val: Sequence[str] = (),
        exclude: Sequence[str] = (),
        crop_size: int = 128,
        resize: int = 160,
        val_size: int = 256,
        batch_size: int = 4,
        num_workers: int = 0,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.seed = seed
        self.train_sources = expand_sources(train, exclude)
        self.val_sources = expand_sources(val, exclude)
        self.crop_size, self.resize, self.val_size = crop_size, resize, val_size
        self.batch_size, self.num_workers = batch_size, num_workers

    def train_dataloader(self) -> DataLoader:
        dataset = ImageFolderDataset(self.train_sources, self.crop_size, self.resize, train=True, seed=self.seed)
        trainer = getattr(self, "trainer", None)
        start = trainer.global_step * self.batch_size if trainer is not None else 0  # resumed: continue the stream
        sampler = StreamSampler(len(dataset), seed=self.seed, start=start)
        return DataLoader(
            dataset, batch_size=self.batch_size, sampler=sampler, drop_last=True, num_workers=self.num_workers
        )

    def val_dataloader(self) -> DataLoader | list:
        if not self.val_sources:
            return []
        dataset = ImageFolderDataset(self.val_sources, self.val_size, self.val_size, train=False)
        return DataLoader(dataset, batch_size=len(dataset), num_workers=0)
