"""Mask rendering (every pitfall), the seeded split, the mask cache and both image sources."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from tiny_modanet import tiny_modanet  # noqa: F401  (fixture)

from stylist.segmentation.modanet import (
    CLASS_NAMES,
    FolderImages,
    LmdbImages,
    MaskCache,
    ModaNetAnnotations,
    render_mask,
    split_ids,
)
from stylist.utils import StylistError

SQUARE = [2, 2, 8, 2, 8, 8, 2, 8]  # x, y pairs: a 6 x 6 square from (2, 2)


def ann(category, segmentation, **extra):
    return {"category_id": category, "segmentation": segmentation, "iscrowd": 0, **extra}


def test_class_names_follow_modanet_ids():
    assert len(CLASS_NAMES) == 14
    assert CLASS_NAMES[0] == "background" and CLASS_NAMES[9] == "top" and CLASS_NAMES[13] == "scarf_tie"


def test_polygon_is_rasterised_where_drawn():
    mask = render_mask([ann(9, [SQUARE])], 12, 12)
    assert set(np.unique(mask)) == {0, 9}
    assert mask[5, 5] == 9 and mask[0, 0] == 0 and mask[10, 10] == 0
    assert 30 <= (mask == 9).sum() <= 50  # about 6 x 6


def test_image_without_annotations_is_background():
    assert not render_mask([], 7, 5).any()
    assert render_mask([], 7, 5).shape == (7, 5)


@pytest.mark.parametrize("bad", [[1, 1, 9, 9], [1, 1, 9, 1, 9], [3, 3], []])
def test_short_and_odd_polygons_are_dropped(bad):
    # a 4-number list would be read as a box by frPyObjects; it must paint nothing
    assert not render_mask([ann(5, [bad])], 12, 12).any()
    mixed = render_mask([ann(5, [bad, SQUARE])], 12, 12)
    np.testing.assert_array_equal(mixed, render_mask([ann(5, [SQUARE])], 12, 12))


def test_small_instance_stays_on_top_of_larger_one_whatever_the_order():
    big = ann(6, [[0, 0, 12, 0, 12, 12, 0, 12]])
    small = ann(2, [[4, 4, 7, 4, 7, 7, 4, 7]])
    for order in ([big, small], [small, big]):
        mask = render_mask(order, 12, 12)
        assert mask[5, 5] == 2 and mask[1, 1] == 6


def test_area_and_bbox_are_not_trusted():
    big = ann(6, [[0, 0, 12, 0, 12, 12, 0, 12]], area=1.0, bbox=[0, 0, 1, 1])
    small = ann(2, [[4, 4, 7, 4, 7, 7, 4, 7]], area=10_000.0, bbox=[0, 0, 12, 12])
    mask = render_mask([small, big], 12, 12)
    assert mask[5, 5] == 2 and mask[1, 1] == 6


def test_crowd_rle_compressed_and_uncompressed():
    binary = np.zeros((10, 8), dtype=np.uint8, order="F")
    binary[2:6, 3:7] = 1
    compressed = mask_utils.encode(binary)
    compressed = {"size": compressed["size"], "counts": compressed["counts"].decode("ascii")}
    counts, flat, current, run = [], binary.flatten(order="F"), 0, 0
    for value in flat:
        if value != current:
            counts.append(run)
            current, run = value, 0
        run += 1
    counts.append(run)
    uncompressed = {"size": [10, 8], "counts": counts}
    for rle in (compressed, uncompressed):
        mask = render_mask([{"category_id": 1, "segmentation": rle, "iscrowd": 1}], 10, 8)
        np.testing.assert_array_equal(mask == 1, binary.astype(bool))


def test_unknown_category_is_an_error():
    with pytest.raises(StylistError, match="category_id 14"):
        render_mask([ann(14, [SQUARE])], 12, 12)


def test_split_is_seeded_disjoint_and_order_independent():
    ids = list(range(1, 101))
    train, val = split_ids(ids, 0.2, seed=3)
    assert len(val) == 20 and not set(train) & set(val) and sorted(train + val) == ids
    assert split_ids(ids[::-1], 0.2, seed=3) == (train, val)
    assert split_ids(ids, 0.2, seed=4)[1] != val


def test_mask_cache_renders_once_and_rereads(tiny_modanet, tmp_path):
    data = ModaNetAnnotations(tiny_modanet["annotations"])
    cache = MaskCache(data, tmp_path)
    first = cache(1)
    path = cache.dir / "1.png"
    assert path.is_file() and cache.dir.name == data.sha256[:16]
    Image.fromarray(np.full_like(first, 3)).save(path)  # a cached file is read, not re-rendered
    assert (cache(1) == 3).all()
    assert set(np.unique(first)) == {0, 2, 8, 9}


def test_lmdb_source_reads_the_same_photo(tiny_modanet, tmp_path):
    lmdb = pytest.importorskip("lmdb")
    data = ModaNetAnnotations(tiny_modanet["annotations"])
    env = lmdb.open(str(tmp_path / "photos.lmdb"), map_size=1 << 24)
    with env.begin(write=True) as txn:
        for record in data.images.values():
            txn.put(str(record.id).encode("ascii"), (tiny_modanet["root"] / record.file_name).read_bytes())
    env.close()
    record = data.images[2]
    from_lmdb = np.asarray(LmdbImages(tmp_path / "photos.lmdb")(record))
    np.testing.assert_array_equal(from_lmdb, np.asarray(FolderImages(tiny_modanet["root"])(record)))


def test_val_file_without_annotations_is_refused(tiny_modanet, tmp_path):
    from stylist.segmentation.datamodule import ModaNetDataModule

    info = json.loads(tiny_modanet["annotations"].read_text())
    empty = tmp_path / "val.json"
    empty.write_text(json.dumps({"images": info["images"], "categories": info["categories"]}))
    dm = ModaNetDataModule(root=str(tiny_modanet["root"]), annotations=str(tiny_modanet["annotations"]),
                           val_annotations=str(empty), mask_cache_dir=str(tmp_path))  # fmt: skip
    with pytest.raises(StylistError, match="no annotations"):
        dm.setup("fit")


def test_missing_modanet_says_what_to_do(tmp_path):
    from stylist.segmentation.datamodule import ModaNetDataModule

    dm = ModaNetDataModule(root=str(tmp_path / "images"), annotations=str(tmp_path / "missing.json"))
    with pytest.raises(StylistError, match="data=modanet_ccp"):
        dm.prepare_data()
