"""``ModaNetDataModule``: ModaNet-format photos and masks for DeepLabV3+ training.

Reads a COCO instances JSON with a folder of photos or PaperDoll's ``photos.lmdb``. Without a
``val_annotations`` file (the official ModaNet val file has no annotations) it makes a seeded
train/val split of the train file. Masks are rendered once and cached on disk
(:class:`~stylist.segmentation.modanet.MaskCache`).

With ``feature_cache`` set, the loaders yield cached frozen-encoder features instead of images
(:mod:`stylist.segmentation.features`); the cache is built in :meth:`prepare_data` (rank 0) and
reused while its settings are unchanged. Then training order and augmentation come from an
:class:`~stylist.data.sampling.EpochSampler` (optionally class-balanced), and the
datamodule's checkpoint state (epoch, samples done, :class:`~stylist.data.sampling.ResumableDataModule`)
lets a run resumed mid-epoch continue exactly;
``pseudo_labels`` adds photos labelled by a teacher (:mod:`stylist.segmentation.pseudo`) to training.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple, Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from stylist.data.sampling import ResumableDataModule
from stylist.segmentation.features import CachedFeatures, FeatureUnion, build_feature_cache, feature_cache_dir
from stylist.segmentation.modanet import (
    NUM_CLASSES,
    ImageRecord,
    MaskCache,
    ModaNetAnnotations,
    open_image_source,
    split_ids,
)
from stylist.segmentation.pseudo import PseudoLabelled
from stylist.segmentation.transforms import EvalTransform, TrainTransform, round_up
from stylist.utils import StylistError, check_number, check_whole_number, is_positive_number

__all__ = ["ModaNetDataset", "ModaNetDataModule"]


class FeatureCacheSpec(NamedTuple):
    """One feature cache of a split: where it lives, what it is built from and with which encoder part."""

    folder: Path
    dataset: ModaNetDataset | PseudoLabelled
    flips: bool
    size: list[int]
    weights: str
    freeze_until: str
    bf16: bool = False


class ModaNetDataset(Dataset):
    """``{"image": 3 x H x W in [0, 1], "mask": H x W long, "id": int}`` for the given image ids."""

    def __init__(self, annotations: ModaNetAnnotations, ids: Sequence[int], images: Any, masks: MaskCache,
                 transform: Any) -> None:  # fmt: skip
        self.annotations, self.ids, self.images, self.masks, self.transform = annotations, list(ids), images, masks, transform

    def __len__(self) -> int:
        return len(self.ids)

    def load(self, record: ImageRecord) -> tuple[Any, np.ndarray]:
        """The PIL image and its uint8 class map; the image is resized to the mask's size if they differ."""
        image = self.images(record)
        mask = self.masks(record.id)
        if image.size != (mask.shape[1], mask.shape[0]):
            image = image.resize((mask.shape[1], mask.shape[0]))
        return image, mask

    def __getitem__(self, index: int) -> dict[str, Any]:
        record = self.annotations.images[self.ids[index]]
        image, mask = self.transform(*self.load(record))
        return {"image": image, "mask": mask, "id": record.id}


class ModaNetDataModule(ResumableDataModule):
    """ModaNet (or any set in its format) for semantic segmentation with 14 classes.

    Args:
        root: folder of the photos (``<file_name>`` of each image record).
        annotations: instances JSON used for training (and for the split).
        val_annotations: an annotated val JSON; ``None`` splits ``annotations`` instead.
        lmdb: PaperDoll's ``photos.lmdb`` (key = photo id); when set, ``root`` is not read.
        val_fraction, split_seed: the seeded split when ``val_annotations`` is ``None``.
        long_side: longer image side before augmentation and for validation.
        crop_size: training crop ``(height, width)``, multiples of 16.
        scale_range: random scale factor for training.
        batch_size, val_batch_size, num_workers: loader settings (training drops the last
            incomplete batch: ASPP's pooling BatchNorm cannot train on one sample).
        mask_cache_dir: where rendered masks go (default ``~/.cache/stylist/modanet_masks``).
        feature_cache: ``{"weights": "hed", "freeze_until": "pool4", "size": [H, W], "scales": [1.0],
            "dir": null}`` to train on cached frozen-encoder features: both flips of each training
            image at each scale (canvas ``size * scale``, rounded up to multiples of 16), from which
            training draws random ``size`` crops; validation uses scale 1. ``"crop": [h, w]``
            trains on smaller windows than ``size``.
        pseudo_labels: ``{"dir": <write_pseudo_labels out_dir>, "scales": [1.0]}``: add those
            photos (from ``root``) to the training feature cache (needs ``feature_cache``).
        balanced_fraction: with ``feature_cache``, the fraction of training crops centred on a
            class drawn uniformly (:class:`~stylist.data.sampling.EpochSampler`).
        sampler_seed: seed of the training order and augmentation (feature cache).
        max_images: use only the first ``n`` images of each split (tests, pilots).
    """

    def __init__(
        self,
        root: str,
        annotations: str,
        val_annotations: str | None = None,
        lmdb: str | None = None,
        val_fraction: float = 0.1,
        split_seed: int = 0,
        long_side: int = 384,
        crop_size: Sequence[int] = (384, 256),
        scale_range: Sequence[float] = (0.75, 1.25),
        batch_size: int = 8,
        val_batch_size: int | None = None,
        num_workers: int = 0,
        mask_cache_dir: str | None = None,
        feature_cache: dict[str, Any] | None = None,
        pseudo_labels: dict[str, Any] | None = None,
        balanced_fraction: float = 0.0,
        sampler_seed: int = 0,
        max_images: int | None = None,
    ) -> None:
        super().__init__()
        self.check_loader_settings(batch_size, num_workers, val_batch_size)
        _check_geometry(long_side, crop_size, scale_range, val_fraction)
        self.save_hyperparameters(logger=False)
        if (pseudo_labels or balanced_fraction) and not feature_cache:
            raise StylistError("data.pseudo_labels and data.balanced_fraction need data.feature_cache (they train from the cache)")
        self.train_set: Dataset | None = None
        self.val_set: Dataset | None = None

    def _check_paths(self) -> None:
        hp = self.hparams
        source = hp.lmdb or hp.root
        for what, path in (("annotation file", hp.annotations), ("images", source), ("val annotation file", hp.val_annotations)):
            if path is not None and not Path(path).exists():
                raise StylistError(
                    f"ModaNet {what} {path} not found. Get ModaNet from https://github.com/eBay/modanet "
                    "(annotations) and PaperDoll (photos.lmdb) and set data.root / data.annotations / data.lmdb, "
                    "or train on the shared set with data=modanet_ccp"
                )

    def _splits(self) -> tuple[tuple[ModaNetAnnotations, list[int]], tuple[ModaNetAnnotations, list[int]]]:
        hp = self.hparams
        train = ModaNetAnnotations(hp.annotations)
        if hp.val_annotations:
            val = ModaNetAnnotations(hp.val_annotations)
            if not val.has_annotations:
                raise StylistError(f"{hp.val_annotations} has no annotations (like ModaNet's official val file): "
                                   "leave data.val_annotations=null to split the train file")  # fmt: skip
            train_ids, val_ids = train.ids, val.ids
        else:
            val = train
            train_ids, val_ids = split_ids(train.ids, hp.val_fraction, hp.split_seed)
        if hp.max_images:
            train_ids, val_ids = train_ids[: hp.max_images], val_ids[: hp.max_images]
        return (train, train_ids), (val, val_ids)

    def _dataset(self, annotations: ModaNetAnnotations, ids: list[int], transform: Any) -> ModaNetDataset:
        images = open_image_source(self.hparams.root, self.hparams.lmdb)
        return ModaNetDataset(annotations, ids, images, MaskCache(annotations, self.hparams.mask_cache_dir), transform)

    def cache_specs(self) -> dict[str, list[FeatureCacheSpec]]:
        """Per split, the feature caches to build, one per training scale (validation: scale 1)."""
        hp = self.hparams
        spec = dict(hp.feature_cache)
        base = [int(s) for s in spec.get("size", (hp.long_side, hp.long_side))]
        weights, boundary = spec.get("weights", "hed"), spec.get("freeze_until", "pool4")
        bf16 = bool(spec.get("bf16", False))
        precision = ("bf16",) if bf16 else ()  # float32 caches keep the folder names they had
        train_scales = [float(s) for s in spec.get("scales", [1.0])]
        (train, train_ids), (val, val_ids) = self._splits()
        sources: list[tuple[str, Any, Any, bool, list[float]]] = [
            ("train", self._dataset(train, train_ids, transform=None), train.sha256, True, train_scales),
            ("val", self._dataset(val, val_ids, transform=None), val.sha256, False, [1.0]),
        ]
        if hp.pseudo_labels:
            pseudo = PseudoLabelled(hp.pseudo_labels["dir"], hp.root)
            overlap = set(pseudo.ids) & (set(train_ids) | set(val_ids))
            if overlap:
                raise StylistError(f"pseudo-labelled photos overlap the labelled splits: {sorted(overlap)[:5]}")
            scales = [float(s) for s in hp.pseudo_labels.get("scales", train_scales)]
            sources.append(("pseudo", pseudo, pseudo.key, True, scales))
        specs: dict[str, list[FeatureCacheSpec]] = {}
        for name, dataset, key, flips, scales in sources:
            specs[name] = []
            for scale in scales:
                size = [round_up(round(side * scale), 16) for side in base]
                folder = feature_cache_dir(spec.get("dir"), key, dataset.ids, size, weights, boundary, flips, *precision)
                specs[name].append(FeatureCacheSpec(folder, dataset, flips, size, weights, boundary, bf16))
        return specs

    def prepare_data(self) -> None:
        """Check the paths; build the feature caches if configured and missing (rank 0 only)."""
        self._check_paths()
        if not self.hparams.feature_cache:
            return
        with torch.random.fork_rng():  # building a cache or not must not change the run's random stream
            for name, caches in self.cache_specs().items():
                for cache in caches:
                    records = [cache.dataset.annotations.images[i] for i in cache.dataset.ids]
                    build_feature_cache(cache.folder, records, cache.dataset.load, cache.size, cache.weights,
                                        cache.freeze_until, flips=cache.flips, keep_images=name == "val",
                                        bf16=cache.bf16)  # fmt: skip

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        self._check_paths()
        hp = self.hparams
        if hp.feature_cache:
            specs = self.cache_specs()
            folders = [c.folder for caches in specs.values() for c in caches]
            missing = [str(folder) for folder in folders if not (folder / "meta.json").is_file()]
            if missing:
                raise StylistError(f"feature cache missing (prepare_data builds it): {missing}")
            val = specs["val"][0]
            crop = hp.feature_cache.get("crop") or val.size
            train_set = CachedFeatures([c.folder for c in specs["train"]], crop=crop)
            if "pseudo" in specs:
                train_set = FeatureUnion([train_set, CachedFeatures([c.folder for c in specs["pseudo"]], crop=crop)])
            self.train_set = train_set
            self.val_set = CachedFeatures(val.folder)
            return
        (train, train_ids), (val, val_ids) = self._splits()
        self.train_set = self._dataset(train, train_ids, TrainTransform(hp.long_side, hp.crop_size, hp.scale_range))
        self.val_set = self._dataset(val, val_ids, EvalTransform(hp.long_side))

    def class_pixel_counts(self) -> torch.Tensor:
        """Pixels per class over the training masks (``NUM_CLASSES`` longs; padding not counted)."""
        self.setup()
        if isinstance(self.train_set, (CachedFeatures, FeatureUnion)):
            return torch.from_numpy(self.train_set.pixel_counts())
        counts = np.zeros(NUM_CLASSES, dtype=np.int64)
        for image_id in self.train_set.ids:
            counts += np.bincount(self.train_set.masks(image_id).ravel(), minlength=NUM_CLASSES)[:NUM_CLASSES]
        return torch.from_numpy(counts)

    def train_dataloader(self) -> DataLoader:
        hp = self.hparams
        if len(self.train_set) < hp.batch_size:
            raise StylistError(f"{len(self.train_set)} training images < batch_size {hp.batch_size}")
        loader = {"batch_size": hp.batch_size, "drop_last": True, "num_workers": hp.num_workers,
                  "persistent_workers": hp.num_workers > 0, "generator": torch.Generator().manual_seed(hp.sampler_seed)}  # fmt: skip
        if not hp.feature_cache:
            return DataLoader(self.train_set, shuffle=True, **loader)
        presence = self.train_set.class_presence() if hp.balanced_fraction > 0 else None
        sampler = self.epoch_sampler(len(self.train_set), hp.sampler_seed, hp.batch_size, presence, hp.balanced_fraction)
        return DataLoader(self.train_set, sampler=sampler, **loader)

    def val_dataloader(self) -> DataLoader:
        hp = self.hparams
        batch_size = 1 if not hp.feature_cache and hp.val_batch_size is None else (hp.val_batch_size or hp.batch_size)
        return DataLoader(self.val_set, batch_size=batch_size, shuffle=False, num_workers=hp.num_workers,
                          persistent_workers=hp.num_workers > 0, generator=torch.Generator())  # fmt: skip


def _check_geometry(long_side: Any, crop_size: Any, scale_range: Any, val_fraction: Any) -> None:
    """Sizes and fractions from a config, refused when the data module is built (they were found
    only after the feature cache was built, or as a traceback in the first training batch)."""
    check_whole_number("data.long_side", long_side, 16)
    for side in _pair("crop_size", crop_size, "[height, width]"):
        if check_whole_number("data.crop_size", side, 16, " (pixels)") % 16:
            raise StylistError(f"data.crop_size must be multiples of 16, got {list(crop_size)}")
    low_high = "[low, high] with 0 < low <= high"
    low, high = _pair("scale_range", scale_range, low_high)
    if not (is_positive_number(low) and is_positive_number(high) and low <= high):
        raise StylistError(f"data.scale_range must be {low_high}, got {scale_range!r}")
    check_number("data.val_fraction", val_fraction, 0, 1)


def _pair(name: str, value: Any, shape: str) -> Sequence[Any]:
    """``value`` if it is a list of two items, else ``"data.<name> must be <shape>, got <value>"``."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 2:
        raise StylistError(f"data.{name} must be {shape}, got {value!r}")
    return value
