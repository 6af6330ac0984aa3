import pytest
import torch

from stylist.johnson.data import ContentImageDataModule, ContentImageDataset, EpochSampler, find_images
from stylist.utils import StylistError


def test_finds_images_and_excludes_by_name(tiny_folder):
    files = find_images(tiny_folder, ["*.png", "*.jpg"], exclude=["img0.png"])
    assert [f.name for f in files] == ["broken.jpg", "img1.png", "img2.png", "img3.png", "img4.png", "img5.png"]


def test_unreadable_images_are_skipped_and_counted(tiny_folder):
    files = find_images(tiny_folder, ["*.jpg", "*.png"])
    dataset = ContentImageDataset(files, size=24)
    crops = [dataset[i] for i in range(len(dataset))]
    assert all(c.shape == (3, 24, 24) for c in crops)
    assert dataset.skipped == {str(tiny_folder / "broken.jpg")}


def test_crops_depend_only_on_seed_and_key(tiny_folder):
    files = find_images(tiny_folder, ["*.png"])
    a, b = ContentImageDataset(files, size=16, seed=3), ContentImageDataset(files, size=16, seed=3)
    assert torch.equal(a[7], b[7]) and not torch.equal(a[7], a[1])


def test_sampler_order_changes_per_epoch_and_is_reproducible():
    sampler = EpochSampler(5, seed=1)
    first = list(sampler)
    sampler.set_epoch(1)
    second = list(sampler)
    assert sorted(first) == list(range(5)) and sorted(second) == list(range(5, 10))
    sampler.set_epoch(0)
    assert list(sampler) == first


def test_missing_coco_says_where_to_get_it(tmp_path):
    datamodule = ContentImageDataModule(root=str(tmp_path), val_images=[])
    with pytest.raises(StylistError, match="cocodataset.org"):
        datamodule.setup("fit")


def test_samples_and_validation_images(tiny_folder):
    datamodule = ContentImageDataModule(
        root=str(tiny_folder), patterns=["*.png"], samples=["chelsea"], size=32, batch_size=3,
        val_images=["astronaut"], val_size=50,
    )
    datamodule.setup("fit")
    batch = next(iter(datamodule.train_dataloader()))
    assert batch.shape == (3, 3, 32, 32) and len(datamodule.train_set) == 7
    val = next(iter(datamodule.val_dataloader()))
    assert val.shape == (1, 3, 48, 48)
