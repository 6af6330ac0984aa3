"""ModaNet: COCO-style instance polygons rendered to 14-class semantic masks.

ModaNet (Zheng et al., 2018) ships one instances JSON (``images``, ``annotations`` with polygon
``segmentation`` lists, ``categories`` 1-13) and its photos in PaperDoll's ``photos.lmdb``.
:func:`render_mask` turns one image's instances into a ``H x W`` uint8 class map (0 =
background, 1-13 = ModaNet's categories) with these rules:

* polygons with fewer than 3 points or an odd number of coordinates are dropped
  (``pycocotools.mask.frPyObjects`` would read a 4-number list as a box);
* crowd / RLE segmentations (compressed or uncompressed) are decoded and painted like polygons;
* instances are painted largest first, so small items (belts, sunglasses) stay on top; the area
  is measured on the rendered mask: ``bbox`` and ``area`` of the JSON are not trusted;
* an image without annotations is all background.

Image sources: :class:`FolderImages` (``NNNNNNN.jpg`` files) and :class:`LmdbImages`
(``photos.lmdb``, key = photo id; needs the optional ``lmdb`` package).
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from PIL import Image

from stylist.utils import StylistError, atomic_write, cache_dir, sha256_of_file

__all__ = [
    "CLASS_NAMES",
    "NUM_CLASSES",
    "IGNORE_INDEX",
    "ModaNetAnnotations",
    "render_mask",
    "split_ids",
    "MaskCache",
    "FolderImages",
    "LmdbImages",
    "open_image_source",
    "annotation_key",
]

#: Class index -> name; index = ModaNet category id (0 = background).
CLASS_NAMES: tuple[str, ...] = (
    "background", "bag", "belt", "boots", "footwear", "outer", "dress",
    "sunglasses", "pants", "top", "shorts", "skirt", "headwear", "scarf_tie",
)  # fmt: skip
NUM_CLASSES = len(CLASS_NAMES)
#: Label of pixels that count for nothing (padding, unknown).
IGNORE_INDEX = 255


def _valid_polygons(segmentation: list[Any]) -> list[list[float]]:
    """Polygons with at least 3 points and an even number of coordinates."""
    polygons = segmentation if segmentation and isinstance(segmentation[0], (list, tuple)) else [segmentation]
    return [list(map(float, p)) for p in polygons if len(p) >= 6 and len(p) % 2 == 0]


def _instance_mask(segmentation: Any, height: int, width: int) -> np.ndarray | None:
    """One instance's binary mask (``H x W`` uint8) or ``None`` when nothing valid is left."""
    from pycocotools import mask as mask_utils

    if isinstance(segmentation, dict):  # RLE, as used for crowds
        rle = segmentation
        if isinstance(rle.get("counts"), list):
            rle = mask_utils.frPyObjects(rle, height, width)
        elif isinstance(rle.get("counts"), str):
            rle = {"size": rle["size"], "counts": rle["counts"].encode("ascii")}
        if list(rle["size"]) != [height, width]:
            raise StylistError(f"RLE of size {rle['size']} on an image of {height}x{width}")
        return mask_utils.decode(rle)
    polygons = _valid_polygons(segmentation or [])
    if not polygons:
        return None
    rles = mask_utils.frPyObjects(polygons, height, width)
    return mask_utils.decode(mask_utils.merge(rles))


def render_mask(annotations: Sequence[dict[str, Any]], height: int, width: int) -> np.ndarray:
    """Render one image's instances as a ``height x width`` uint8 class map.

    Args:
        annotations: COCO annotation dicts (``category_id`` 1-13, ``segmentation``).
        height, width: image size.

    Returns:
        ``H x W`` uint8, 0 = background, ``category_id`` elsewhere; larger instances are painted
        first so that smaller ones stay visible on top.

    Example:
        >>> ann = {"category_id": 9, "segmentation": [[1, 1, 6, 1, 6, 6, 1, 6]]}
        >>> int(render_mask([ann], 8, 8).sum() > 0)
        1
    """
    label = np.zeros((height, width), dtype=np.uint8)
    instances = []
    for ann in annotations:
        category = int(ann["category_id"])
        if not 1 <= category < NUM_CLASSES:
            raise StylistError(f"category_id {category} outside ModaNet's 1-{NUM_CLASSES - 1}")
        mask = _instance_mask(ann.get("segmentation"), height, width)
        if mask is not None and mask.any():
            instances.append((int(mask.sum()), category, mask.astype(bool)))
    for _, category, mask in sorted(instances, key=lambda item: -item[0]):
        label[mask] = category
    return label


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_annotation(ann: Any, path: Path) -> None:
    """Fail at load time, naming the annotation, on what :func:`render_mask` could not paint: an
    image id or category that is not a whole number, a category outside 1-13, or a segmentation
    that is neither an RLE dict nor polygons of numbers."""
    where = f"{path}, annotation {ann.get('id', '?') if isinstance(ann, dict) else ann!r}"
    if not isinstance(ann, dict) or not all(_is_number(ann.get(key)) for key in ("image_id", "category_id")):
        raise StylistError(f"{where}: needs numeric image_id and category_id")
    if not 1 <= ann["category_id"] < NUM_CLASSES:
        raise StylistError(f"{where}: category_id {ann['category_id']} outside ModaNet's 1-{NUM_CLASSES - 1}")
    segmentation = ann.get("segmentation") or []
    if isinstance(segmentation, dict):
        return
    polygons = segmentation if segmentation and isinstance(segmentation[0], list) else [segmentation]
    if not isinstance(segmentation, list) or not all(
        isinstance(p, list) and all(_is_number(v) for v in p) for p in polygons
    ):
        raise StylistError(f"{where}: segmentation must be polygons of numbers [[x1, y1, x2, y2, ...]] or an RLE")


@dataclass(frozen=True)
class ImageRecord:
    """One image of the annotation file."""

    id: int
    file_name: str
    height: int
    width: int


class ModaNetAnnotations:
    """A ModaNet/COCO instances JSON: image records and their annotations by image id.

    Args:
        path: the JSON file.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise StylistError(f"ModaNet annotation file {self.path} does not exist")
        try:
            data = json.loads(self.path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise StylistError(f"{self.path} is not valid JSON (truncated?): {err}") from None
        if not isinstance(data, dict) or "images" not in data:
            raise StylistError(f"{self.path} is not a COCO instances file (no 'images')")
        try:
            self.images = {
                int(img["id"]): ImageRecord(int(img["id"]), str(img.get("file_name", f"{int(img['id']):07d}.jpg")),
                                            int(img["height"]), int(img["width"]))
                for img in data["images"]
            }  # fmt: skip
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise StylistError(f"{self.path}: an image record lacks a whole-number id, height or width ({err!r})") from None
        self.by_image: dict[int, list[dict[str, Any]]] = {i: [] for i in self.images}
        for ann in data.get("annotations") or []:
            _check_annotation(ann, self.path)
            if int(ann["image_id"]) in self.by_image:
                self.by_image[int(ann["image_id"])].append(ann)
        self.has_annotations = bool(data.get("annotations"))
        self.sha256 = sha256_of_file(self.path)

    @property
    def ids(self) -> list[int]:
        """Image ids, sorted."""
        return sorted(self.images)

    def mask(self, image_id: int) -> np.ndarray:
        """Render the class map of one image (``H x W`` uint8)."""
        record = self.images[image_id]
        return render_mask(self.by_image[image_id], record.height, record.width)


def split_ids(ids: Sequence[int], val_fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """A seeded, reproducible train/val split of image ids (independent of their order).

    Returns:
        ``(train_ids, val_ids)``, both sorted; ``val`` has ``round(val_fraction * n)`` ids (at least 1
        when ``val_fraction > 0``).
    """
    if not 0.0 <= val_fraction < 1.0:
        raise StylistError(f"val_fraction must be in [0, 1), got {val_fraction}")
    ordered = np.array(sorted(ids))
    n_val = max(1, round(val_fraction * len(ordered))) if val_fraction > 0 else 0
    permutation = np.random.default_rng(seed).permutation(len(ordered))
    val = set(ordered[permutation[:n_val]].tolist())
    return [i for i in ordered.tolist() if i not in val], sorted(val)


class MaskCache:
    """Rendered masks on disk as PNGs, keyed by the annotation file's SHA-256.

    Args:
        annotations: the parsed annotation file.
        root: cache folder (default ``<stylist cache>/modanet_masks``).
    """

    def __init__(self, annotations: ModaNetAnnotations, root: str | Path | None = None) -> None:
        self.annotations = annotations
        base = Path(root).expanduser() if root else cache_dir() / "modanet_masks"
        self.dir = base / annotations.sha256[:16]

    def __call__(self, image_id: int) -> np.ndarray:
        """The class map of ``image_id``, rendered on first use and read from disk afterwards."""
        path = self.dir / f"{image_id}.png"
        if path.is_file():
            return np.asarray(Image.open(path))
        mask = self.annotations.mask(image_id)
        with atomic_write(path) as tmp:
            Image.fromarray(mask).save(tmp, format="PNG")
        return mask


def _decode(data: bytes, where: str) -> Image.Image:
    try:
        return Image.open(io.BytesIO(data)).convert("RGB")
    except Exception as err:  # PIL raises several types for corrupt data
        raise StylistError(f"cannot decode image {where}: {err}") from None


class FolderImages:
    """Photos as files in a folder (``root/<file_name>``)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser()
        if not self.root.is_dir():
            raise StylistError(f"image folder {self.root} does not exist")

    def __call__(self, record: ImageRecord) -> Image.Image:
        path = self.root / record.file_name
        if not path.is_file():
            raise StylistError(f"image {path} is missing")
        return _decode(path.read_bytes(), str(path))


class LmdbImages:
    """PaperDoll's ``photos.lmdb``: key = the photo id as ASCII digits, value = JPEG bytes.

    Needs the optional ``lmdb`` package (imported here, on use). The environment is opened
    lazily in each process, so the source can be sent to DataLoader workers.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        if not self.path.exists():
            raise StylistError(f"LMDB {self.path} does not exist")
        self._env = None

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "_env": None}

    def __call__(self, record: ImageRecord) -> Image.Image:
        if self._env is None:
            try:
                import lmdb
            except ImportError:
                raise StylistError("reading photos.lmdb needs the 'lmdb' package: pip install lmdb") from None
            self._env = lmdb.open(str(self.path), readonly=True, lock=False, readahead=False,
                                  subdir=self.path.is_dir())  # fmt: skip
        with self._env.begin() as txn:
            data = txn.get(str(record.id).encode("ascii"))
        if data is None:
            raise StylistError(f"photo id {record.id} is not in {self.path}")
        return _decode(bytes(data), f"{record.id} in {self.path}")


def open_image_source(root: str | Path, lmdb_path: str | Path | None = None) -> FolderImages | LmdbImages:
    """:class:`LmdbImages` when ``lmdb_path`` is given, else :class:`FolderImages` on ``root``."""
    return LmdbImages(lmdb_path) if lmdb_path else FolderImages(root)


def annotation_key(*parts: Any) -> str:
    """A short stable hash of anything JSON-serialisable (cache keys)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]
