"""Pseudo-labels for photos that only carry image-level tags (semi-supervised segmentation).

For a teacher's class probabilities ``p`` (``K x H x W``) and an image's tagged classes ``T``
(background is always allowed, ``A = T + {0}``)::

    q_k(x)  = p_k(x) [k in A] / sum_{j in A} p_j(x)        (forbidden classes removed, renormalised)
    y(x)    = argmax_k q_k(x)     if max_k q_k(x) >= threshold
            = IGNORE_INDEX (255)  otherwise, or where sum_{j in A} p_j(x) < min_allowed_mass

Renormalising is what the tags buy: where the teacher hesitates between ``skirt`` and ``dress`` and
the photo is tagged ``dress`` only, the pixel becomes ``dress``. Pixels whose probability mass lies
almost entirely on forbidden classes (``< min_allowed_mass``) are ignored rather than guessed.

:func:`write_pseudo_labels` runs a teacher over a ModaNet-format image list and writes one PNG per
photo (full resolution, ``uint8``, 255 = ignored), skipping photos already done (resumable), and a
``meta.json`` with the settings and per-class pixel counts. :class:`PseudoLabelled` reads them back
for training (the same ``load`` interface as :class:`~stylist.segmentation.datamodule.ModaNetDataset`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from PIL import Image

from stylist.segmentation.modanet import IGNORE_INDEX, NUM_CLASSES, ImageRecord, ModaNetAnnotations, open_image_source
from stylist.segmentation.predict import Segmenter, segment
from stylist.utils import StylistError, atomic_write, get_logger, sha256_of_file

__all__ = ["pseudo_label", "read_tags", "write_pseudo_labels", "PseudoLabelled"]

log = get_logger(__name__)


def pseudo_label(probs: torch.Tensor, tags: Sequence[int], threshold: float = 0.7,
                 min_allowed_mass: float = 0.2) -> torch.Tensor:  # fmt: skip
    """One photo's pseudo-label map (formula in the module docstring).

    Args:
        probs: ``K x H x W`` class probabilities (summing to 1 over ``K``).
        tags: class indices tagged present (background need not be listed).
        threshold: minimum renormalised confidence; below it the pixel is ``IGNORE_INDEX``.
        min_allowed_mass: minimum probability mass on allowed classes before renormalising.

    Returns:
        ``H x W`` uint8 labels in ``{0} + tags + {IGNORE_INDEX}``.
    """
    if probs.dim() != 3:
        raise StylistError(f"pseudo_label takes K x H x W probabilities, got {tuple(probs.shape)}")
    allowed = torch.zeros(probs.shape[0], dtype=torch.bool)
    allowed[0] = True
    for tag in tags:
        if not 0 < int(tag) < probs.shape[0]:
            raise StylistError(f"tag {tag} is not a class index 1..{probs.shape[0] - 1}")
        allowed[int(tag)] = True
    kept = probs * allowed.to(probs.dtype)[:, None, None]
    mass = kept.sum(0)
    confidence, labels = (kept / mass.clamp(min=1e-12)).max(0)
    labels[(confidence < threshold) | (mass < min_allowed_mass)] = IGNORE_INDEX
    return labels.to(torch.uint8)


def read_tags(path: str | Path) -> dict[int, list[int]]:
    """``{image id: [tagged class ids]}`` from a ``*_tags.json`` file."""
    path = Path(path)
    if not path.is_file():
        raise StylistError(f"tag file {path} does not exist")
    return {int(k): [int(c) for c in v] for k, v in json.loads(path.read_text()).items()}


def write_pseudo_labels(
    teacher: Segmenter,
    annotations: str | Path,
    tags: str | Path,
    root: str | Path,
    out_dir: str | Path,
    threshold: float = 0.7,
    min_allowed_mass: float = 0.2,
    flip: bool | None = None,
    scales: Sequence[float] | None = None,
    exclude: str | Path | None = None,
    max_images: int | None = None,
) -> dict[str, Any]:
    """Label every image of ``annotations`` with ``teacher``; returns the ``meta.json`` content.

    Args:
        teacher: any segmenter (:func:`~stylist.segmentation.predict.load_segmenter`).
        annotations: ModaNet-format file of the photos to label (e.g. ``modanet_ccp_unlabeled.json``).
        tags: ``{id: [class ids]}`` JSON; every image needs an entry.
        root: photo folder; out_dir: where ``<id>.png`` and ``meta.json`` go.
        threshold, min_allowed_mass: see :func:`pseudo_label`.
        flip, scales: the teacher's test-time augmentation (``None``: its own defaults).
        exclude: an annotation file (the validation set) whose ids must not be labelled.
        max_images: label only the first ``n`` images (pilots).
    """
    data = ModaNetAnnotations(annotations)
    tag_map = read_tags(tags)
    ids = data.ids[:max_images] if max_images else data.ids
    missing = [i for i in ids if i not in tag_map]
    if missing:
        raise StylistError(f"{len(missing)} images have no tags in {tags}, e.g. {missing[:5]}")
    if exclude is not None:
        overlap = sorted(set(ids) & set(ModaNetAnnotations(exclude).ids))
        if overlap:
            raise StylistError(f"{len(overlap)} images to pseudo-label are in {exclude} (e.g. {overlap[:5]}): never label val photos")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    images = open_image_source(root)
    flip, scales = teacher.test_time(flip, scales)
    start, done = time.perf_counter(), 0
    for image_id in ids:
        path = out / f"{image_id}.png"
        if path.is_file():
            continue
        pil = images(data.images[image_id])
        image = torch.from_numpy(np.asarray(pil, dtype=np.float32) / 255.0).permute(2, 0, 1)[None]
        _, probs = segment(image, teacher, flip=flip, scales=scales)
        labels = pseudo_label(probs, tag_map[image_id], threshold, min_allowed_mass)
        with atomic_write(path) as tmp:
            Image.fromarray(labels.numpy()).save(tmp, format="PNG")
        done += 1
        if done % 25 == 0:
            log.info("pseudo-labels: %d new (%.1f s per photo)", done, (time.perf_counter() - start) / done)
    counts = np.zeros(256, dtype=np.int64)
    for image_id in ids:
        counts += np.bincount(np.asarray(Image.open(out / f"{image_id}.png")).ravel(), minlength=256)
    meta = {
        "annotations": str(annotations), "annotations_sha256": data.sha256, "tags": str(tags),
        "tags_sha256": sha256_of_file(tags), "ids": ids, "threshold": threshold,
        "min_allowed_mass": min_allowed_mass, "flip": flip, "scales": list(scales),
        "class_pixels": counts[:NUM_CLASSES].tolist(), "ignored_fraction": float(counts[IGNORE_INDEX] / counts.sum()),
    }  # fmt: skip
    with atomic_write(out / "meta.json") as tmp:
        tmp.write_text(json.dumps(meta))
    return meta


class PseudoLabelled:
    """Photos with pseudo-label PNGs from :func:`write_pseudo_labels` (``annotations``, ``ids``, ``load``).

    Args:
        folder: the ``out_dir`` of :func:`write_pseudo_labels` (its ``meta.json`` lists the ids).
        root: photo folder.
    """

    def __init__(self, folder: str | Path, root: str | Path) -> None:
        self.folder = Path(folder)
        meta_path = self.folder / "meta.json"
        if not meta_path.is_file():
            raise StylistError(f"no pseudo-labels in {self.folder} (meta.json missing): run the pseudo-label stage first")
        self.meta = json.loads(meta_path.read_text())
        self.annotations = ModaNetAnnotations(self.meta["annotations"])
        self.ids = [int(i) for i in self.meta["ids"]]
        self.images = open_image_source(root)
        self.key = sha256_of_file(meta_path)

    def load(self, record: ImageRecord) -> tuple[Image.Image, np.ndarray]:
        """The photo and its pseudo-label map (255 = ignored)."""
        mask = np.asarray(Image.open(self.folder / f"{record.id}.png"))
        image = self.images(record)
        if image.size != (mask.shape[1], mask.shape[0]):
            image = image.resize((mask.shape[1], mask.shape[0]))
        return image, mask
