"""``ImageFolderDataModule``: which photos, seeded crops, exact mid-epoch resume, validation images, errors."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
import torch

from stylist.data.images import ImageFolderDataModule, ImageFolderDataset, find_images, random_resized_crop
from stylist.utils import StylistError


def _datamodule(folder, **kwargs):
    kwargs = {"root": str(folder), "patterns": ["*.png"], "size": 16, "batch_size": 2, **kwargs}
    datamodule = ImageFolderDataModule(**kwargs)
    datamodule.setup("fit")
    return datamodule


def _epoch(datamodule, epoch):
    loader = datamodule.train_dataloader()
    loader.sampler.set_epoch(epoch)
    return list(loader)


def test_finds_images_and_excludes_by_name(tiny_folder):
    files = find_images(tiny_folder, ["*.png", "*.jpg"], exclude=["img0.png", "img[45].png"])
    assert [f.name for f in files] == ["broken.jpg", "img1.png", "img2.png", "img3.png"]
    assert find_images(None, [str(tiny_folder / "img1.png")]) == [tiny_folder / "img1.png"]  # absolute pattern


def test_unreadable_images_are_skipped_and_counted(tiny_folder, caplog):
    dataset = ImageFolderDataset(find_images(tiny_folder, ["*.jpg", "*.png"]), size=24)
    with caplog.at_level(logging.WARNING):
        crops = [dataset[(i, i, -1)] for i in range(len(dataset))]
    assert all(c.shape == (3, 24, 24) for c in crops)
    assert dataset.skipped == {str(tiny_folder / "broken.jpg")}
    assert "1 skipped so far" in caplog.text


def test_crops_depend_only_on_the_key(tiny_folder):
    files = find_images(tiny_folder, ["*.png"])
    a, b = ImageFolderDataset(files, size=16), ImageFolderDataset(files, size=16)
    assert torch.equal(a[(2, 7, -1)], b[(2, 7, -1)])
    assert not torch.equal(a[(2, 7, -1)], a[(2, 8, -1)])


def test_a_fixed_scale_crops_that_fraction_of_the_shorter_side():
    # 40 x 60 image, scale (1/2)^2: a 20 px window, here resized to 20 px, i.e. a plain crop
    image = torch.rand(1, 3, 40, 60)
    for seed in range(5):
        crop = random_resized_crop(image, 20, (0.25, 0.25), torch.Generator().manual_seed(seed), flip=False)
        windows = image[0].unfold(1, 20, 1).unfold(2, 20, 1)  # 3 x 21 x 41 x 20 x 20
        matches = (windows - crop[:, None, None]).abs().amax(dim=(0, 3, 4)) < 1e-6
        assert matches.sum() == 1


def test_batches_are_seeded_and_epochs_differ(tiny_folder):
    first = _epoch(_datamodule(tiny_folder, seed=3), 1)
    assert len(first) == 3 and first[0].shape == (2, 3, 16, 16)
    again = _epoch(_datamodule(tiny_folder, seed=3), 1)
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    other = _epoch(_datamodule(tiny_folder, seed=3), 2)
    assert not torch.equal(first[0], other[0])


def test_resume_mid_epoch_continues_the_same_batches(tiny_folder):
    straight = _datamodule(tiny_folder)
    batches = _epoch(straight, 1)
    batch_progress = SimpleNamespace(current=SimpleNamespace(processed=1))
    straight.trainer = SimpleNamespace(fit_loop=SimpleNamespace(epoch_loop=SimpleNamespace(batch_progress=batch_progress)))
    state = straight.state_dict()
    assert state == {"epoch": 1, "samples_done": 2}

    resumed = _datamodule(tiny_folder)
    resumed.load_state_dict(state)
    rest = _epoch(resumed, 1)
    assert len(rest) == 2 and all(torch.equal(a, b) for a, b in zip(rest, batches[1:]))
    assert len(_epoch(resumed, 2)) == 3  # the skip applies once


def test_samples_and_validation_images(tiny_folder):
    datamodule = _datamodule(tiny_folder, samples=["chelsea"], size=32, batch_size=3,
                             val_images=["astronaut", "img1.png", "img[23].png"], val_size=50)  # fmt: skip
    assert len(datamodule.train_set) == 7
    assert next(iter(datamodule.train_dataloader())).shape == (3, 3, 32, 32)
    shapes = [tuple(batch.shape) for batch in datamodule.val_dataloader()]
    # astronaut 512 x 512 -> 50 x 50 -> 48 x 48; the 40 x 48 photos -> 42 x 50 -> 32 x 48
    assert shapes == [(1, 3, 48, 48), (1, 3, 32, 48), (1, 3, 32, 48), (1, 3, 32, 48)]
    assert _datamodule(tiny_folder).val_dataloader() == []


def test_fewer_images_than_a_batch_still_train(tiny_folder):
    (batch,) = _epoch(_datamodule(tiny_folder, patterns=["img0.png"], batch_size=4), 0)
    assert batch.shape == (1, 3, 16, 16)


@pytest.mark.parametrize(
    "patterns, message",
    [(["*.tif"], r"no images match \['\*.tif'\] under .*content; or set data.root"),
     (["train2014/*.jpg"], "cocodataset.org")],
)  # fmt: skip
def test_no_match_names_the_folder(tiny_folder, patterns, message):
    with pytest.raises(StylistError, match=message):
        _datamodule(tiny_folder, patterns=patterns)


def test_missing_folder_and_bad_validation_glob_are_user_errors(tiny_folder):
    with pytest.raises(StylistError, match="no such folder"):
        _datamodule(tiny_folder / "nope")
    with pytest.raises(StylistError, match="no validation images match"):
        _datamodule(tiny_folder, val_images=["*.tif"])
    with pytest.raises(StylistError, match="data.scale"):
        _datamodule(tiny_folder, scale=[0.5, 0.25])
