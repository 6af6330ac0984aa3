import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from stylist.image import (
    image_grid,
    load_image,
    load_mask,
    resize_longest,
    resolve_image,
    save_image,
    swirl_texture,
    tartan_texture,
)
from stylist.utils import StylistError


def _write(tmp_path, name, array, mode=None, **save_kwargs):
    path = tmp_path / name
    Image.fromarray(array, mode=mode).save(path, **save_kwargs)
    return path


def test_rgb_roundtrip(tmp_path):
    array = (np.random.default_rng(0).random((20, 30, 3)) * 255).astype(np.uint8)
    path = _write(tmp_path, "a.png", array)
    image = load_image(path)
    assert image.shape == (1, 3, 20, 30) and image.dtype == torch.float32
    save_image(image, tmp_path / "b.png")
    assert np.array_equal(np.asarray(Image.open(tmp_path / "b.png")), array)


def test_grayscale_becomes_three_equal_channels(tmp_path):
    path = _write(tmp_path, "g.png", np.full((20, 20), 128, np.uint8))
    image = load_image(path)
    assert image.shape == (1, 3, 20, 20)
    assert torch.allclose(image[:, 0], image[:, 2]) and abs(image.mean().item() - 128 / 255) < 1e-6


def test_rgba_is_composited_on_white(tmp_path):
    array = np.zeros((20, 20, 4), np.uint8)
    array[..., 0] = 255  # red, fully transparent
    path = _write(tmp_path, "t.png", array)
    assert torch.allclose(load_image(path), torch.ones(1, 3, 20, 20))


def test_16bit_is_scaled_not_clipped(tmp_path):
    path = tmp_path / "w.png"
    Image.fromarray(np.full((20, 20), 32768, np.uint16)).save(path)
    value = load_image(path).mean().item()
    assert abs(value - 32768 / 65535) < 1e-3


def test_cmyk_jpeg(tmp_path):
    path = tmp_path / "c.jpg"
    Image.new("CMYK", (24, 24), (0, 255, 255, 0)).save(path)  # red in CMYK
    image = load_image(path)
    assert image[0, 0].mean() > 0.8 and image[0, 1].mean() < 0.2


def test_exif_rotation_is_applied(tmp_path):
    array = np.zeros((20, 40, 3), np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    path = tmp_path / "r.jpg"
    Image.fromarray(array).save(path, exif=exif)
    assert load_image(path).shape[-2:] == (40, 20)


def test_missing_unreadable_and_tiny_files(tmp_path):
    with pytest.raises(StylistError, match="not found"):
        load_image(tmp_path / "nope.jpg")
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    with pytest.raises(StylistError, match="cannot read image"):
        load_image(bad)
    tiny = _write(tmp_path, "tiny.png", np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(StylistError, match="at least 16 px"):
        load_image(tiny)


def test_huge_image_is_downscaled_with_a_warning(tmp_path):
    path = _write(tmp_path, "big.png", np.zeros((100, 300, 3), np.uint8))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        image = load_image(path, max_size=150)
    assert image.shape[-2:] == (50, 150)
    assert any("downscaling" in str(w.message) for w in caught)


def test_known_painting_missing_says_where_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setattr("stylist.image.data_dirs", lambda: [tmp_path])
    with pytest.raises(StylistError, match="wikimedia"):
        resolve_image("starry_night")


def test_samples_and_resize():
    image = load_image("astronaut", size=64)
    assert image.shape == (1, 3, 64, 64) and 0 <= image.min() and image.max() <= 1
    assert resize_longest(torch.rand(1, 3, 30, 60), 20).shape[-2:] == (10, 20)


def test_swirl_texture_is_deterministic_and_colourful():
    a, b = swirl_texture(64, seed=1), swirl_texture(64, seed=1)
    assert np.array_equal(a, b) and a.shape == (64, 64, 3)
    assert a.std() > 0.1


def test_mask_size_checks(tmp_path):
    path = _write(tmp_path, "m.png", np.full((40, 20), 255, np.uint8))
    assert load_mask(path, size=(80, 40)).shape == (1, 1, 80, 40)
    with pytest.raises(StylistError, match="aspect ratios differ"):
        load_mask(path, size=(40, 40))


def test_save_image_rejects_unknown_suffix(tmp_path):
    with pytest.raises(StylistError, match="unknown image format"):
        save_image(torch.rand(1, 3, 16, 16), tmp_path / "x.unknown")


def test_image_grid_size():
    grid = image_grid([[torch.rand(1, 3, 16, 32)] * 3] * 2, row_labels=["a", "b"], col_labels=["1", "2", "3"], cell=32)
    assert grid.width > 3 * 32 and grid.height > 2 * 32


def test_tartan_is_a_woven_stripe_pattern():
    tartan = tartan_texture(512)
    assert tartan.shape == (512, 512, 3) and tartan.dtype == np.float32 and np.array_equal(tartan, tartan_texture(512))
    colours = {tuple(np.round(pixel / pixel.max(), 1)) for pixel in tartan.reshape(-1, 3)}
    assert len(colours) >= 5  # red, blue, green, yellow, black threads
    twill = tartan[:, :, 1] > 0.2  # green threads: the vertical stripe crosses horizontal ones in ribs
    assert twill.any() and not twill.all()
    assert load_image("tartan", size=128).shape == (1, 3, 128, 128)  # a sample name, like swirls
