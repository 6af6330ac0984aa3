"""A folder of photos as random square crops: the training data of Johnson's networks and WCT's decoders.

:class:`ImageFolderDataModule` reads every file matching glob ``patterns`` under ``root`` (or
absolute patterns), plus scikit-image's bundled photos by name, minus excluded file names (held-out
test photos such as ``tubingen.jpg``). A training item is a random resized square crop (its side a
fraction ``sqrt(U(scale))`` of the shorter side, resized to ``size``) with a random horizontal flip;
unreadable files are skipped (logged with a running count), never a crash mid-epoch. A fixed crop
scale ``scale = [(C/R)^2, (C/R)^2]`` is "resize the shorter side to ``R``, crop ``C``".

The order is an :class:`~stylist.data.sampling.EpochSampler` (a function of ``(seed, epoch)``) and
each crop and flip come from the seed of the sampler's key, so a sample depends on nothing but its
key; the data module checkpoints ``(epoch, samples done)``, so a run resumed from any checkpoint,
mid-epoch included, sees exactly the data of an uninterrupted one.

Validation images (names, paths or globs) are whole, longest side ``val_size``, cropped to multiples
of 16 (the decoders of :mod:`stylist.wct` need sides divisible by 8), one per batch.
"""

from __future__ import annotations

import math
from fnmatch import fnmatch
from pathlib import Path
from typing import Sequence

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from stylist.data.sampling import ResumableDataModule, split_key
from stylist.image import load_image
from stylist.utils import StylistError, get_logger

__all__ = ["ImageFolderDataset", "WholeImages", "ImageFolderDataModule", "find_images", "random_resized_crop"]

log = get_logger(__name__)

COCO_URL = "https://cocodataset.org/#download (2014 Train images, train2014.zip)"
GLOB_CHARS = "*?["
#: Sides of validation images are cropped to multiples of this.
MULTIPLE = 16


def find_images(root: str | Path | None, patterns: Sequence[str], exclude: Sequence[str] = ()) -> list[Path]:
    """Sorted files matching ``patterns`` (globs relative to ``root``, or absolute), without the
    files whose name matches one of ``exclude`` (names or name globs, e.g. ``00008[1-9]?.jpg``)."""
    base = Path(root).expanduser() if root else Path(".")
    found: set[Path] = set()
    for pattern in patterns:
        pattern = str(Path(pattern).expanduser())
        matches = Path("/").glob(pattern.lstrip("/")) if Path(pattern).is_absolute() else base.glob(pattern)
        found.update(
            path for path in matches if path.is_file() and not any(fnmatch(path.name, name) for name in exclude)
        )
    return sorted(found)


def random_resized_crop(image: torch.Tensor, size: int, scale: tuple[float, float],
                        generator: torch.Generator | None, flip: bool = True) -> torch.Tensor:  # fmt: skip
    """A random square crop of ``1 x 3 x H x W`` (side a fraction ``sqrt(U(scale))`` of the
    shorter side), resized to ``size`` and, with ``flip``, flipped left-right with probability 1/2;
    ``3 x size x size``. ``generator=None`` draws from torch's global generator."""
    height, width = image.shape[-2:]
    area = scale[0] + (scale[1] - scale[0]) * torch.rand((), generator=generator).item()
    side = max(1, round(min(height, width) * math.sqrt(area)))
    top = int(torch.randint(0, height - side + 1, (), generator=generator))
    left = int(torch.randint(0, width - side + 1, (), generator=generator))
    crop = image[..., top : top + side, left : left + side]
    crop = F.interpolate(crop, size=(size, size), mode="bilinear", align_corners=False, antialias=side > size)
    if flip and torch.rand((), generator=generator).item() < 0.5:
        crop = crop.flip(-1)
    return crop[0].clamp(0, 1)


class ImageFolderDataset(Dataset):
    """Random crops of photos. Key ``(index, seed, centre_class)`` (from the sampler) crops image
    ``index`` with a generator seeded by ``seed``; an ``int`` index draws from torch's global one.
    An unreadable image is skipped for the next one (logged once, with the running count).

    Args:
        sources: file paths or scikit-image sample names (``"astronaut"``...).
        size: crop side in px.
        scale: range of the crop's area as a fraction of the shorter side squared.
        flip: random horizontal flips.
    """

    def __init__(self, sources: Sequence[str | Path], size: int = 256, scale: Sequence[float] = (0.25, 1.0),
                 flip: bool = True) -> None:  # fmt: skip
        if not sources:
            raise StylistError("no training images (set data.patterns or data.samples)")
        if not 0 < float(scale[0]) <= float(scale[1]) <= 1:
            raise StylistError(f"data.scale must be [low, high] with 0 < low <= high <= 1, got {list(scale)}")
        self.sources = list(sources)
        self.size, self.scale, self.flip = int(size), (float(scale[0]), float(scale[1])), flip
        self.skipped: set[str] = set()

    def __len__(self) -> int:
        return len(self.sources)

    def __getitem__(self, key: int | Sequence[int]) -> torch.Tensor:
        index, generator, _ = split_key(key)
        for attempt in range(len(self.sources)):
            source = self.sources[(index + attempt) % len(self.sources)]
            try:
                image = load_image(source)
            except StylistError as err:
                if str(source) not in self.skipped:
                    self.skipped.add(str(source))
                    log.warning("skipping unreadable image (%d skipped so far): %s", len(self.skipped), err)
                continue
            return random_resized_crop(image, self.size, self.scale, generator, self.flip)
        raise StylistError(f"none of the {len(self.sources)} training images is readable")


class WholeImages(Dataset):
    """Fixed images (names or paths), longest side ``size``, cropped to multiples of 16; ``3 x H x W``."""

    def __init__(self, sources: Sequence[str | Path], size: int) -> None:
        self.images = []
        for source in sources:
            image = load_image(source, size=size)[0]
            height, width = image.shape[-2:]
            self.images.append(image[:, : height - height % MULTIPLE, : width - width % MULTIPLE])

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.images[index]


class ImageFolderDataModule(ResumableDataModule):
    """Training crops of a folder of photos, and whole validation images.

    Args:
        root: data folder (``data.root``); COCO 2014 puts ``train2014/`` here.
        patterns: globs under ``root`` (or absolute), e.g. ``["train2014/*.jpg"]``.
        samples: scikit-image photo names added to the files (``["astronaut", "chelsea"]``).
        exclude: file names (or name globs) never used (held-out test photos).
        size: training crop side, px.
        scale: crop area range (fraction of the shorter side squared).
        flip: random horizontal flips.
        batch_size, num_workers: DataLoader settings.
        val_images: validation images: names, paths or globs (under ``root`` or absolute).
        val_size: their longest side, px.
        seed: seed of the order and the crops.

    Raises:
        StylistError: no file matches the patterns (the message names the folder, and for COCO's
            layout where to get it).
    """

    def __init__(
        self,
        root: str | None = None,
        patterns: Sequence[str] = ("**/*.jpg", "**/*.jpeg", "**/*.png"),
        samples: Sequence[str] = (),
        exclude: Sequence[str] = (),
        size: int = 256,
        scale: Sequence[float] = (0.25, 1.0),
        flip: bool = True,
        batch_size: int = 4,
        num_workers: int = 0,
        val_images: Sequence[str] = (),
        val_size: int = 256,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.check_loader_settings(batch_size, num_workers)
        self.root, self.seed = root, seed
        self.patterns, self.samples = [str(p) for p in patterns], [str(s) for s in samples]
        self.exclude = [str(e) for e in exclude]
        self.size, self.scale, self.flip = size, (float(scale[0]), float(scale[1])), flip
        self.batch_size, self.num_workers = batch_size, num_workers
        self.val_images, self.val_size = [str(v) for v in val_images], val_size
        self.train_set: ImageFolderDataset | None = None
        self.val_set: WholeImages | None = None

    def _training_sources(self) -> list[Path | str]:
        files = find_images(self.root, self.patterns, self.exclude)
        if self.patterns and not files:
            folder = Path(self.root or ".").expanduser()
            where = f"under {folder}" + ("" if folder.is_dir() else " (no such folder)")
            coco = any("train2014" in pattern for pattern in self.patterns)
            hint = f"for the COCO 2014 layout download {COCO_URL} and unzip it there, " if coco else ""
            raise StylistError(f"no images match {self.patterns} {where}; {hint}or set data.root / data.patterns")
        log.info("training images: %d files + %d scikit-image samples", len(files), len(self.samples))
        return [*files, *self.samples]

    def _validation_sources(self) -> list[Path | str]:
        """Globs expanded like ``patterns`` (one that matches nothing is an error); a path is taken
        under ``root`` when there is such a file, else as given (a name or a path)."""
        sources: list[Path | str] = []
        for spec in self.val_images:
            if not any(ch in spec for ch in GLOB_CHARS):
                under_root = Path(self.root or ".").expanduser() / spec
                sources.append(under_root if under_root.is_file() else spec)
                continue
            matches = find_images(self.root, [spec])
            if not matches:
                raise StylistError(f"no validation images match {spec} (data.val_images, under {self.root})")
            sources += matches
        return sources

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is None:
            self.train_set = ImageFolderDataset(self._training_sources(), self.size, self.scale, self.flip)
        if self.val_set is None:
            self.val_set = WholeImages(self._validation_sources(), self.val_size)

    def train_dataloader(self) -> DataLoader:
        """Crops in the sampler's order; the last incomplete batch is dropped when there is a full one."""
        sampler = self.epoch_sampler(len(self.train_set), self.seed, self.batch_size)
        return DataLoader(self.train_set, batch_size=self.batch_size, sampler=sampler, num_workers=self.num_workers,
                          drop_last=len(self.train_set) >= self.batch_size, persistent_workers=self.num_workers > 0)  # fmt: skip

    def val_dataloader(self) -> DataLoader | list:
        """One whole image per batch (sizes differ); ``[]`` without validation images."""
        return DataLoader(self.val_set, batch_size=1) if len(self.val_set) else []
