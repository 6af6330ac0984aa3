"""Cache of the frozen encoder prefix's features: a training-time speed-up, nothing else.

With VGG16 blocks 1-4 frozen (``freeze_until="pool4"``), every epoch would recompute the same
features; on a CPU they cost most of a training step. :func:`build_feature_cache` runs the frozen
prefix once per image (and once per horizontal flip for training) at a fixed ``size`` and stores,
in float16 ``.npy`` files that are memory-mapped afterwards:

* ``low``: ``N x 128 x H/4 x W/4``, the decoder's stride-4 features (``pool2``);
* ``high``: ``N x C x h x w``, the activation at the frozen boundary (``pool4``: 512 channels at
  stride 16; ``pool3``: 256 channels at stride 8, so that block 4 trains too);
* ``mask``: ``N x H x W`` uint8 labels (padding = 255), and for validation ``image`` (uint8 RGB)
  for overlays.

The folder name hashes the annotation file, the image ids, the size, the weights and the
boundary, so a changed setting builds a new cache and an unchanged one is reused. Training can
use several caches of the same images at different scales (larger canvases), from which
:class:`CachedFeatures` draws random scale / flip / crop views: augmentation without re-running
the frozen layers.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from stylist.data.sampling import split_key
from stylist.segmentation.encoder import VGG16Encoder
from stylist.segmentation.modanet import NUM_CLASSES, ImageRecord, annotation_key
from stylist.segmentation.transforms import fit_pair
from stylist.utils import StylistError, cache_dir, get_logger

__all__ = ["CACHE_VERSION", "feature_cache_dir", "build_feature_cache", "CachedFeatures", "FeatureUnion"]

log = get_logger(__name__)
CACHE_VERSION = 1


def feature_cache_dir(root: str | Path | None, *key_parts: Any) -> Path:
    """``<root or stylist cache>/modanet_features/<hash of key_parts>``."""
    base = Path(root).expanduser() if root else cache_dir() / "modanet_features"
    return base / annotation_key(CACHE_VERSION, *key_parts)


def _encoder(weights: str, freeze_until: str) -> VGG16Encoder:
    encoder = VGG16Encoder(output_stride=16).load_vgg(weights)
    encoder.freeze(freeze_until)
    return encoder.eval()


def _partial_folder(target: Path) -> Path:
    """A private temporary folder for one builder of ``target``: ``<name>.partial-<pid>-<random>``.

    Each process builds in its own, so two processes building the same cache (two training stages
    started side by side) never delete or write into each other's files. Folders left by processes
    that are no longer running (a crash, a killed job) are removed first: a cache is gigabytes."""
    for stale in target.parent.glob(target.name + ".partial*"):
        owner = re.fullmatch(r"\.partial-(\d+)-\w+", stale.name[len(target.name) :])
        if owner is None or not _process_is_running(int(owner[1])):
            shutil.rmtree(stale, ignore_errors=True)
    return target.with_name(f"{target.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}")


def _process_is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        pass
    return True


def build_feature_cache(
    target: Path,
    records: Sequence[ImageRecord],
    load: Callable[[ImageRecord], tuple[Any, np.ndarray]],
    size: Sequence[int],
    weights: str,
    freeze_until: str,
    flips: bool,
    keep_images: bool,
    batch_size: int = 4,
    bf16: bool = False,
) -> Path:
    """Compute and store the frozen features of ``records`` in ``target`` (skipped if complete).

    Args:
        target: cache folder (written under a temporary name of this process's, then renamed; when
            another process completes the same cache first, its copy is kept and this one dropped).
        records: images, in order; with ``flips`` each is followed by its mirror image.
        load: ``record -> (PIL image, H x W uint8 mask)``.
        size: ``(height, width)`` canvas, multiples of 16.
        weights, freeze_until: the encoder's pretrained weights and frozen boundary.
        flips: also store the horizontally flipped image.
        keep_images: also store the uint8 images (for overlays).
        bf16: run the frozen layers under bfloat16 autocast in channels-last layout (about 5x
            faster on a CPU with AMX; the features are stored as float16 either way).
    """
    if (target / "meta.json").is_file():
        return target
    encoder = _encoder(weights, freeze_until)
    layout = torch.channels_last if bf16 else torch.contiguous_format
    encoder = encoder.to(memory_format=layout)
    height, width = int(size[0]), int(size[1])
    copies = 2 if flips else 1
    n = len(records) * copies
    with torch.no_grad():
        low_shape, high_shape = (t.shape[1:] for t in encoder.frozen_features(torch.zeros(1, 3, height, width)))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _partial_folder(target)
    tmp.mkdir()
    arrays = {
        "low": np.lib.format.open_memmap(tmp / "low.npy", "w+", np.float16, (n, *low_shape)),
        "high": np.lib.format.open_memmap(tmp / "high.npy", "w+", np.float16, (n, *high_shape)),
        "mask": np.lib.format.open_memmap(tmp / "mask.npy", "w+", np.uint8, (n, height, width)),
    }
    if keep_images:
        arrays["image"] = np.lib.format.open_memmap(tmp / "image.npy", "w+", np.uint8, (n, height, width, 3))
    start = time.perf_counter()
    for first in range(0, len(records), batch_size):
        images, masks = [], []
        for record in records[first : first + batch_size]:
            image, mask = fit_pair(*load(record), (height, width))
            images.append(image)
            masks.append(mask)
            if flips:
                images.append(image.flip(-1))
                masks.append(mask.flip(-1))
        batch = torch.stack(images)
        with torch.autocast("cpu", torch.bfloat16, enabled=bf16):
            low, high = encoder.frozen_features(batch.contiguous(memory_format=layout))
        rows = slice(first * copies, first * copies + len(images))
        arrays["low"][rows] = low.half().numpy()
        arrays["high"][rows] = high.half().numpy()
        arrays["mask"][rows] = torch.stack(masks).clamp(max=255).to(torch.uint8).numpy()
        if keep_images:
            arrays["image"][rows] = (batch * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
        done = min(first + batch_size, len(records))
        if done % 50 < batch_size or done == len(records):
            log.info("feature cache %s: %d/%d images (%.0f s)", target.name, done, len(records), time.perf_counter() - start)
    for array in arrays.values():
        array.flush()
    meta = {"ids": [r.id for r in records], "flips": flips, "size": [height, width], "weights": weights,
            "freeze_until": freeze_until, "seconds": round(time.perf_counter() - start, 1)}  # fmt: skip
    (tmp / "meta.json").write_text(json.dumps(meta))
    if (target / "meta.json").is_file():  # another process finished the same cache meanwhile
        shutil.rmtree(tmp, ignore_errors=True)
        return target
    shutil.rmtree(target, ignore_errors=True)  # an incomplete folder without meta.json
    tmp.rename(target)
    return target


class CachedFeatures(Dataset):
    """Samples of feature caches: ``{"low", "high"}`` (float32), ``"mask"`` (long), ``"image"`` if kept.

    One sample per image. Each access picks one of ``folders`` at random (the same images cached
    at several scales: the scale augmentation), one orientation when the cache holds both (the
    horizontal flip), and, with ``crop``, a window of ``crop = (height, width)`` pixels at a
    multiple of 16 so that it falls on the grids of ``high`` (stride 8 or 16) and of ``low``
    (stride 4): the random-crop augmentation.

    Keys: an ``int`` index draws from torch's global generator; a key
    ``(index, seed, centre_class)`` (from :class:`~stylist.data.sampling.EpochSampler`)
    draws from its own seed, so a sample depends on nothing but its key (exact resume), and with
    ``centre_class >= 0`` the window is centred on a random pixel of that class when the view
    shows it (class-balanced crops).

    Args:
        folders: folders written by :func:`build_feature_cache` for the same images (one is fine).
        crop: window size in pixels (multiples of 16, at most each folder's size), or ``None``
            for the whole canvas (then all folders must have the same size).
    """

    def __init__(self, folders: str | Path | Sequence[str | Path], crop: Sequence[int] | None = None) -> None:
        folders = [folders] if isinstance(folders, (str, Path)) else list(folders)
        self.parts = [_CacheArrays(Path(f)) for f in folders]
        sizes = {tuple(part.meta["size"]) for part in self.parts}
        self.crop = tuple(int(c) for c in crop) if crop is not None else None
        if self.crop is None and len(sizes) > 1:
            raise StylistError(f"feature caches of different sizes {sorted(sizes)} need a crop size")
        if self.crop is not None and (any(c % 16 for c in self.crop)
                                      or any(c > s for size in sizes for c, s in zip(self.crop, size))):  # fmt: skip
            raise StylistError(f"crop {list(self.crop)} must be multiples of 16 within every cached size {sorted(sizes)}")
        if len({len(part) for part in self.parts}) > 1:
            raise StylistError("feature caches hold different numbers of images")

    def __len__(self) -> int:
        return len(self.parts[0])

    @property
    def mask(self) -> np.ndarray:
        """The first cache's masks (all views of every image)."""
        return self.parts[0].mask

    def pixel_counts(self) -> np.ndarray:
        """Labelled pixels per class (``NUM_CLASSES`` int64) over the first cache's views."""
        counts = np.zeros(NUM_CLASSES, dtype=np.int64)
        for row in self.mask:
            counts += np.bincount(np.asarray(row).ravel(), minlength=256)[:NUM_CLASSES]
        return counts

    def class_presence(self) -> np.ndarray:
        """``N x NUM_CLASSES`` bool: which classes each image shows (first cache, first view)."""
        part = self.parts[0]
        return np.stack([np.bincount(np.asarray(part.mask[i * part.copies]).ravel(), minlength=256)[:NUM_CLASSES] > 0
                         for i in range(len(part))])  # fmt: skip

    def __getitem__(self, key: int | Sequence[int]) -> dict[str, torch.Tensor]:
        index, generator, centre_class = split_key(key)

        def draw(n: int) -> int:
            return int(torch.randint(n, (), generator=generator))

        part = self.parts[draw(len(self.parts))]
        row = index * part.copies + draw(part.copies)
        height, width = part.meta["size"]
        top = left = 0
        crop_h, crop_w = self.crop or (height, width)
        if self.crop is not None:
            top, left = 16 * draw((height - crop_h) // 16 + 1), 16 * draw((width - crop_w) // 16 + 1)
            if centre_class >= 0:
                ys, xs = np.nonzero(np.asarray(part.mask[row]) == centre_class)
                if len(ys):
                    pick = draw(len(ys))
                    top = _grid_start(int(ys[pick]), crop_h, height)
                    left = _grid_start(int(xs[pick]), crop_w, width)
        stride = height // part.high.shape[-2]

        def window(array: np.ndarray, step: int) -> np.ndarray:
            return array[row, ..., top // step : (top + crop_h) // step, left // step : (left + crop_w) // step]

        sample = {
            "low": torch.from_numpy(np.array(window(part.low, 4), dtype=np.float32)),
            "high": torch.from_numpy(np.array(window(part.high, stride), dtype=np.float32)),
            "mask": torch.from_numpy(window(part.mask, 1).astype(np.int64)),
        }
        if part.image is not None:
            image = part.image[row, top : top + crop_h, left : left + crop_w]
            sample["image"] = torch.from_numpy(np.array(image)).permute(2, 0, 1).float() / 255.0
        return sample


def _grid_start(centre: int, crop: int, size: int) -> int:
    """Start (a multiple of 16, inside ``[0, size - crop]``) of the window of ``crop`` nearest centred on ``centre``."""
    return int(min(max(0, round((centre - crop / 2) / 16) * 16), (size - crop) // 16 * 16))


class FeatureUnion(Dataset):
    """Several :class:`CachedFeatures` (e.g. labelled and pseudo-labelled photos) as one dataset.

    Index ``i`` (or the index of a key ``(index, seed, centre_class)``) runs through the parts in order.
    """

    def __init__(self, parts: Sequence[CachedFeatures]) -> None:
        self.parts = list(parts)
        self.offsets = np.cumsum([0] + [len(p) for p in self.parts])

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def _locate(self, index: int) -> tuple[CachedFeatures, int]:
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} outside 0..{len(self) - 1}")
        which = int(np.searchsorted(self.offsets, index, side="right")) - 1
        return self.parts[which], index - int(self.offsets[which])

    def __getitem__(self, key: int | Sequence[int]) -> dict[str, torch.Tensor]:
        if isinstance(key, (int, np.integer)):
            part, local = self._locate(int(key))
            return part[local]
        index, *rest = (int(k) for k in key)
        part, local = self._locate(index)
        return part[(local, *rest)]

    def pixel_counts(self) -> np.ndarray:
        """Labelled pixels per class over all parts."""
        return sum(part.pixel_counts() for part in self.parts)

    def class_presence(self) -> np.ndarray:
        """``N x NUM_CLASSES`` bool over all parts, in index order."""
        return np.concatenate([part.class_presence() for part in self.parts])


class _CacheArrays:
    """The memory-mapped arrays and metadata of one cache folder."""

    def __init__(self, folder: Path) -> None:
        self.meta = json.loads((folder / "meta.json").read_text())
        self.low = np.load(folder / "low.npy", mmap_mode="r")
        self.high = np.load(folder / "high.npy", mmap_mode="r")
        self.mask = np.load(folder / "mask.npy", mmap_mode="r")
        image_path = folder / "image.npy"
        self.image = np.load(image_path, mmap_mode="r") if image_path.is_file() else None
        self.copies = 2 if self.meta["flips"] else 1

    def __len__(self) -> int:
        return len(self.mask) // self.copies
