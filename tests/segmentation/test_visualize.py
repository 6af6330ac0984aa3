"""Colour coding and overlays."""

import torch

from stylist.segmentation import PALETTE, colorize, overlay


def test_colorize_uses_the_palette():
    class_map = torch.tensor([[0, 9], [8, 255]])
    rgb = colorize(class_map)
    assert rgb.shape == (3, 2, 2)
    assert torch.allclose(rgb[:, 0, 1] * 255, torch.tensor(PALETTE[9], dtype=torch.float32))
    assert (rgb[:, 0, 0] == 0).all()


def test_overlay_keeps_background_and_adds_a_legend():
    image = torch.full((1, 3, 40, 30), 0.5)
    class_map = torch.zeros(40, 30, dtype=torch.long)
    class_map[10:20, 5:15] = 9
    out = overlay(image, class_map)
    assert out.shape[:2] == (3, 40) and out.shape[-1] > 30
    assert torch.allclose(out[:, 0, 0], torch.full((3,), 0.5))
    assert not torch.allclose(out[:, 15, 10], torch.full((3,), 0.5))
    assert overlay(image, class_map, legend=False).shape == (3, 40, 30)
