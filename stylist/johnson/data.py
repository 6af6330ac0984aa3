"""Content images for training :class:`~stylist.johnson.model.TransformerNet`.

:class:`ContentImageDataModule` reads every file matching ``patterns`` under ``root`` (default
layout: COCO 2014, ``<root>/train2014/*.jpg``), optionally plus scikit-image's bundled photos,
minus excluded file names (held-out judging images such as ``tubingen.jpg``). Each training item is
a random resized square crop with a random horizontal flip; unreadable files are skipped (logged with
a running count), never a crash mid-epoch.

Crops and the shuffle order are functions of ``(seed, epoch, index)`` only, so a run resumed from
an epoch-boundary checkpoint sees exactly the data of an uninterrupted one.
"""

from __future__ import annotations

import math
from fnmatch import fnmatch
from pathlib import Path
from typing import Iterator, Sequence

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, Sampler

from stylist.image import load_image
from stylist.utils import StylistError, get_logger

__all__ = ["ContentImageDataset", "EpochSampler", "ContentImageDataModule", "find_images", "random_resized_crop"]

log = get_logger(__name__)

COCO_URL = "https://cocodataset.org/#download (2014 Train images, train2014.zip)"


def find_images(root: str | Path | None, patterns: Sequence[str], exclude: Sequence[str] = ()) -> list[Path]:
    """Sorted files matching ``patterns`` (globs relative to ``root``, or absolute), without the
    files whose name matches one of ``exclude`` (names or name globs, e.g. ``00008[1-9]?.jpg``)."""
    base = Path(root).expanduser() if root else Path(".")
    found: set[Path] = set()
    for pattern in patterns:
        matches = Path("/").glob(pattern.lstrip("/")) if Path(pattern).is_absolute() else base.glob(pattern)
        found.update(
            path for path in matches if path.is_file() and not any(fnmatch(path.name, name) for name in exclude)
        )
    return sorted(found)


def random_resized_crop(
    image: torch.Tensor, size: int, scale: tuple[float, float], generator: torch.Generator
) -> torch.Tensor:
    """A random square crop of ``1 x 3 x H x W`` (side a fraction ``sqrt(U(scale))`` of the
    shorter side), resized to ``size`` and flipped left-right with probability 1/2; ``3 x size x size``."""
    height, width = image.shape[-2:]
    area = scale[0] + (scale[1] - scale[0]) * torch.rand((), generator=generator).item()
    side = max(1, round(min(height, width) * math.sqrt(area)))
    top = int(torch.randint(0, height - side + 1, (), generator=generator))
    left = int(torch.randint(0, width - side + 1, (), generator=generator))
    crop = image[..., top : top + side, left : left + side]
    crop = F.interpolate(crop, size=(size, size), mode="bilinear", align_corners=False, antialias=side > size)
    if torch.rand((), generator=generator).item() < 0.5:
        crop = crop.flip(-1)
    return crop[0].clamp(0, 1)


class ContentImageDataset(Dataset):
    """Random crops of content images; item ``key`` crops image ``key % len`` with a generator
    seeded by ``(seed, key)`` (see :class:`EpochSampler`).

    Args:
        sources: file paths or scikit-image sample names (``"astronaut"``...).
        size: crop side in px.
        scale: range of the crop's area as a fraction of the shorter side squared.
        seed: base seed of the crops.
    """

    def __init__(
        self, sources: Sequence[str | Path], size: int = 256, scale: tuple[float, float] = (0.25, 1.0), seed: int = 0
    ):
        if not sources:
            raise StylistError("no content images to train on")
        self.sources = list(sources)
        self.size, self.scale, self.seed = size, (float(scale[0]), float(scale[1])), seed
        self.skipped: set[str] = set()

    def __len__(self) -> int:
        return len(self.sources)

    def __getitem__(self, key: int) -> torch.Tensor:
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + key)
        for attempt in range(len(self.sources)):
            source = self.sources[(key + attempt) % len(self.sources)]
            try:
                image = load_image(source)
            except StylistError as err:
                if str(source) not in self.skipped:
                    self.skipped.add(str(source))
                    log.warning("skipping unreadable image (%d skipped so far): %s", len(self.skipped), err)
                continue
            return random_resized_crop(image, self.size, self.scale, generator)
        raise StylistError(f"none of the {len(self.sources)} content images is readable")


class EpochSampler(Sampler[int]):
    """Shuffles ``range(n)`` with a permutation seeded by ``(seed, epoch)`` and yields
    ``epoch * n + index`` keys (so crops differ between epochs); Lightning calls :meth:`set_epoch`.
    ``skip``: keys to leave out at the start of the next pass only (a run resumed mid-epoch)."""

    def __init__(self, n: int, seed: int = 0):
        self.n, self.seed, self.epoch, self.skip = n, seed, 0, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[int]:
        order = torch.randperm(self.n, generator=torch.Generator().manual_seed(self.seed * 7919 + self.epoch))
        skip, self.skip = self.skip, 0
        return iter((self.epoch * self.n + order).tolist()[skip:])


class _ImageList(Dataset):
    """Fixed validation images, longest side ``size``, cropped to multiples of 4."""

    def __init__(self, specs: Sequence[str], size: int):
        self.images = []
        for spec in specs:
            image = load_image(spec, size=size)[0]
            height, width = image.shape[-2:]
            self.images.append(image[:, : height - height % 4, : width - width % 4])

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.images[index]


class ContentImageDataModule(pl.LightningDataModule):
    """Content photos for Johnson-style training.

    Args:
        root: data folder (``data.root``); COCO 2014 puts ``train2014/`` here.
        patterns: globs under ``root`` (or absolute), default ``["train2014/*.jpg"]``.
        samples: scikit-image photo names added to the files (``["astronaut", "chelsea"]``).
        exclude: file names (or name globs) never used for training (held-out judging images).
        size: training crop side, px.
        scale: crop area range (fraction of the shorter side squared).
        batch_size, num_workers: DataLoader settings.
        val_images: names or paths of the validation images (stylised and logged as a grid).
        val_size: their longest side, px.
        seed: seed of crops and shuffling.

    Raises:
        StylistError: no image matches (the message names the folder and how to get COCO).
    """

    def __init__(
        self,
        root: str | None = None,
        patterns: Sequence[str] = ("train2014/*.jpg",),
        samples: Sequence[str] = (),
        exclude: Sequence[str] = (),
        size: int = 256,
        scale: Sequence[float] = (0.25, 1.0),
        batch_size: int = 4,
        num_workers: int = 0,
        val_images: Sequence[str] = ("astronaut", "chelsea"),
        val_size: int = 256,
        seed: int = 0,
    ):
        super().__init__()
        self.root, self.patterns, self.samples, self.exclude = root, list(patterns), list(samples), list(exclude)
        self.size, self.scale, self.seed = size, (float(scale[0]), float(scale[1])), seed
        self.batch_size, self.num_workers = batch_size, num_workers
        self.val_image_specs, self.val_size = list(val_images), val_size
        self.train_set: ContentImageDataset | None = None
        self.val_set: _ImageList | None = None

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is None:
            files = find_images(self.root, self.patterns, self.exclude)
            if not files and self.patterns:
                raise StylistError(
                    f"no content images match {self.patterns} under {self.root}; for the default COCO 2014 "
                    f"layout download {COCO_URL}, unzip it there, or set data.root / data.patterns"
                )
            log.info("content images: %d files + %d scikit-image samples", len(files), len(self.samples))
            self.train_set = ContentImageDataset([*files, *self.samples], self.size, self.scale, self.seed)
        if self.val_set is None:
            self.val_set = _ImageList(self.val_image_specs, self.val_size)

    def train_dataloader(self) -> DataLoader:
        """Shuffled crops; a run resumed mid-epoch skips the batches its checkpoint had done
        (``len`` stays the epoch's, so Lightning's batch count and the data match an
        uninterrupted run)."""
        assert self.train_set is not None
        sampler = EpochSampler(len(self.train_set), self.seed)
        drop_last = len(self.train_set) >= self.batch_size
        batches = len(self.train_set) // self.batch_size if drop_last else math.ceil(len(self.train_set) / self.batch_size)
        loop = getattr(getattr(self, "trainer", None), "fit_loop", None)
        done = loop.epoch_loop.batch_progress.current.processed if loop is not None else 0
        if done < batches:  # a checkpoint at an epoch's last batch resumes with the next epoch
            sampler.skip = done * self.batch_size
        return DataLoader(
            self.train_set,
            batch_size=self.batch_size,
            sampler=sampler,
            num_workers=self.num_workers,
            drop_last=drop_last,
            persistent_workers=self.num_workers > 0,
        )

    def val_dataloader(self) -> DataLoader:
        assert self.val_set is not None
        return DataLoader(self.val_set, batch_size=1, num_workers=0)
