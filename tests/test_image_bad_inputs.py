"""stylist.image with bad sizes, wide or thin images, huge images (reduced while decoding) and label maps."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

import stylist.image
from stylist.image import load_image, load_mask, resize_longest
from stylist.utils import StylistError


@pytest.mark.parametrize("size", [-1, 0, 8, "abc", 2.5, True, [64]])
def test_invalid_size_is_a_user_error(size):
    with pytest.raises(StylistError, match="size must be a whole number of pixels"):
        load_image("astronaut", size=size)


def test_whole_number_sizes_from_configs_are_accepted():
    assert load_image("astronaut", size="32").shape[-1] == 32
    assert load_image("astronaut", size=32.0).shape[-1] == 32


def test_size_above_max_size_is_refused_before_decoding(monkeypatch):
    def no_decoding(*args, **kwargs):
        raise AssertionError("the image was read before the sizes were checked")

    monkeypatch.setattr(stylist.image, "resolve_image", no_decoding)
    with pytest.raises(StylistError, match="size 40000 is above max_size 4096"):
        load_image("tubingen", size=40000)
    with pytest.raises(StylistError, match="size 64 is above max_size 32"):
        load_image("tubingen", size=64, max_size=32)


def test_wide_image_is_checked_after_resizing(tmp_path):
    path = tmp_path / "wide.png"
    Image.fromarray(np.full((50, 4000, 3), 128, np.uint8)).save(path)
    with pytest.raises(StylistError, match=r"resized to 64x1 px its short side is under 16 px: give a larger size \(at least 1280\)"):
        load_image(path, size=64)
    assert load_image(path, size=1280).shape == (1, 3, 16, 1280)


def test_tiny_file_is_still_refused_before_upscaling(tmp_path):
    path = tmp_path / "tiny.png"
    Image.fromarray(np.zeros((10, 10, 3), np.uint8)).save(path)
    with pytest.raises(StylistError, match="10x10 px; at least 16"):
        load_image(path, size=256)


def _photo(height: int, width: int) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    channels = [xx / width, yy / height, 0.5 + 0.4 * np.sin(xx / 9 + yy / 13)]
    return (np.stack(channels, -1) * 255).astype(np.uint8)


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
@pytest.mark.parametrize("size", [None, 40])
def test_image_above_max_size_is_reduced_before_the_float_copy(tmp_path, monkeypatch, suffix, size):
    path = tmp_path / f"big{suffix}"
    Image.fromarray(_photo(600, 1200)).save(path)
    decoded = []
    to_array = stylist.image._pil_to_array
    monkeypatch.setattr(stylist.image, "_pil_to_array", lambda img: decoded.append(img.size) or to_array(img))
    with pytest.warns(UserWarning, match="1200x600 px; downscaling to 200"):
        image = load_image(path, size=size, max_size=200)
    expected = size or 200
    assert image.shape == (1, 3, expected // 2, expected)
    assert max(decoded[0]) == min(200, 2 * expected)  # the float array is made of the reduced image only
    monkeypatch.undo()
    reference = resize_longest(load_image(path, max_size=4096), expected)  # full decode, torch resize
    assert (image - reference).abs().mean() < 0.02


def test_reduced_decoding_keeps_the_exif_orientation(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees on display
    path = tmp_path / "rotated.jpg"
    Image.fromarray(_photo(200, 400)).save(path, exif=exif.tobytes())
    with pytest.warns(UserWarning, match="downscaling"):
        assert load_image(path, max_size=100).shape == (1, 3, 100, 50)
    assert load_image(path).shape == (1, 3, 400, 200)


def test_label_map_at_another_size_keeps_its_classes(tmp_path):
    labels = np.zeros((20, 30), np.uint8)
    labels[3:12, 4:20] = 3
    labels[10:18, 15:28] = 9
    path = tmp_path / "labels.png"
    Image.fromarray(labels).save(path)
    nearest = load_mask(path, size=(34, 51), labels=True)
    assert nearest.shape == (1, 1, 34, 51)
    assert set((nearest * 255).round().unique().tolist()) == {0.0, 3.0, 9.0}
    bilinear = load_mask(path, size=(34, 51))  # what masks (not label maps) get: soft borders
    assert len((bilinear * 255).round().unique()) > 3
    assert torch.equal(load_mask(path, size=(20, 30), labels=True), load_mask(path, labels=True))
