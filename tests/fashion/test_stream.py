"""fashion.stream and fashion.clips: masks follow known motion, pixels outside the parts never change,
cuts reset the state, stabilisation reduces flicker."""

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

from stylist.fashion import part_index
from stylist.fashion.clips import make_clip
from stylist.fashion.stream import FashionStream, frame_array, segmenter_probabilities
from stylist.utils import StylistError
from conftest import MODANET_CCP, needs_shared

TOP = part_index("top")


def textured_photo(seed: int, height: int = 200, width: int = 150) -> tuple[np.ndarray, np.ndarray]:
    """A smooth random colour texture (something for the flow to follow) with an elliptic 'top'."""
    rng = np.random.default_rng(seed)
    photo = cv2.resize(rng.uniform(0, 255, (height // 8, width // 8, 3)).astype(np.float32), (width, height),
                       interpolation=cv2.INTER_CUBIC)  # fmt: skip
    photo += rng.normal(0, 6, photo.shape)
    labels = np.zeros((height, width), np.uint8)
    cv2.ellipse(labels, (width // 2, height // 2), (width // 4, height // 5), 0, 0, 360, TOP, -1)
    return photo.clip(0, 255).astype(np.uint8), labels


def one_hot(labels: np.ndarray) -> torch.Tensor:
    return torch.nn.functional.one_hot(torch.from_numpy(labels).long(), 14).permute(2, 0, 1).float()


def clip_with_truth(seeds=(0,), frames=10):
    photos, labels = zip(*(textured_photo(seed) for seed in seeds))
    clip = make_clip(list(photos), frames_per_shot=frames, size=(96, 72))
    truth = []
    for t in range(len(clip)):
        label = labels[clip.shots[t]]
        photo = clip.photos[clip.shots[t]]
        sampled = cv2.resize(label, (photo.shape[1], photo.shape[0]), interpolation=cv2.INTER_NEAREST)
        truth.append(clip.render(sampled, t))
    return clip, truth


def invert(photo, style, masks):
    return 1 - photo


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


def test_clip_motion_is_known():
    clip, _ = clip_with_truth(seeds=(0, 1), frames=8)
    assert len(clip) == 16 and clip.frames[0].shape == (96, 72, 3)
    assert [clip.is_cut(t) for t in (0, 1, 8, 9)] == [True, False, True, False]
    for t in [t for t in range(len(clip)) if not clip.is_cut(t)]:
        warped, valid = clip.warp_previous(clip.frames[t - 1].astype(np.float32), t)
        assert valid.mean() > 0.8
        assert np.abs(warped - clip.frames[t])[valid].mean() < 6  # resampling only, in 0-255 levels
        assert np.abs(clip.frames[t - 1].astype(np.float32) - clip.frames[t])[valid].mean() > 1  # it moved
    with pytest.raises(StylistError, match="not in one shot"):
        clip.motion(8)
    with pytest.raises(StylistError, match="not in one shot"):
        clip.motion(9, source=3)


def test_masks_follow_the_known_motion_and_outside_pixels_never_change():
    clip, truth = clip_with_truth(seeds=(0,), frames=12)
    calls = []

    def first_frame_only(frame):
        calls.append(len(calls))
        return one_hot(truth[0])

    stream = FashionStream(first_frame_only, invert, {"top": "x"}, segment_every=1000, feather=2)
    outputs = list(stream(clip.frames))
    assert len(calls) == 1 and outputs[0].segmented and not any(out.segmented for out in outputs[1:])
    for t, out in enumerate(outputs):
        assert iou(out.class_map.numpy() == TOP, truth[t] == TOP) > 0.9, t
        outside = out.mask[0, 0] == 0
        assert outside.float().mean() > 0.3
        assert torch.equal(out.image[..., outside], out.input[..., outside])
        assert (out.image - out.input)[..., out.mask[0, 0] == 1].abs().mean() > 0.1
    assert set(stream.fps()) >= {"flow", "segment", "propagate", "stylize", "composite", "total"}


def test_cut_resets_and_segments():
    clip, truth = clip_with_truth(seeds=(0, 3), frames=6)
    stream = FashionStream(lambda frame: one_hot(truth[0]), invert, {"top": "x"}, segment_every=4)
    flags = [(out.cut, out.segmented) for out in stream(clip.frames)]
    assert flags[0] == (True, True) and flags[6] == (True, True)
    assert [cut for cut, _ in flags].count(True) == 2
    assert [segmented for _, segmented in flags] == [True, False, False, False, True, False] * 2


def test_stabilisation_reduces_flicker():
    clip, truth = clip_with_truth(seeds=(0,), frames=10)
    noise = torch.Generator().manual_seed(0)

    def flickering(photo, style, masks):
        return (1 - photo + 0.2 * torch.rand(photo.shape, generator=noise)).clamp(0, 1)

    def warping_error(temporal: float) -> float:
        stream = FashionStream(lambda frame: one_hot(truth[0]), flickering, {"top": "x"}, segment_every=1000, temporal=temporal)
        outs = [frame_array(out.image).astype(np.float32) for out in stream(clip.frames)]
        errors = []
        for t in range(1, len(clip)):
            warped, valid = clip.warp_previous(outs[t - 1], t)
            region = valid & (truth[t] == TOP)
            errors.append(np.abs(outs[t] - warped)[region].mean())
        return float(np.mean(errors))

    assert warping_error(0.6) < 0.6 * warping_error(0.0)


def test_bad_settings_raise():
    with pytest.raises(StylistError, match="segment_every"):
        FashionStream(lambda f: f, invert, {"top": "x"}, segment_every=0)
    with pytest.raises(StylistError, match="temporal"):
        FashionStream(lambda f: f, invert, {"top": "x"}, temporal=1.0)
    # from a config: strings are one error, not a TypeError
    with pytest.raises(StylistError, match="temporal must be a number in"):
        FashionStream(lambda f: f, invert, {"top": "x"}, temporal="abc")
    with pytest.raises(StylistError, match="segment_every must be a whole number >= 1"):
        FashionStream(lambda f: f, invert, {"top": "x"}, segment_every="abc")
    with pytest.raises(StylistError, match="part"):
        FashionStream(lambda f: f, invert, {})
    with pytest.raises(StylistError, match="uint8"):
        FashionStream(lambda f: f, invert, {"top": "x"}).process(np.zeros((4, 4, 3), np.float32))


@needs_shared("data", "modanet_ccp", "images", "0000801.jpg")
def test_segmenter_masks_propagate_on_a_street_photo():
    """The real segmenter runs on the first frame of a pan; later masks come from the flow alone and
    must match the first mask moved by the known motion."""
    from stylist.segmentation import load_segmenter

    photo = np.asarray(Image.open(MODANET_CCP / "images" / "0000801.jpg").convert("RGB"))
    clip = make_clip([photo], motions=["pan"], frames_per_shot=8, size=(192, 144))
    stream = FashionStream(segmenter_probabilities(load_segmenter()), invert, {"top": "x", "pants": "x"}, segment_every=1000)
    outputs = list(stream(clip.frames))
    first = (outputs[0].class_map.numpy() == TOP).astype(np.uint8)
    assert first.mean() > 0.05
    for t in range(1, len(clip)):
        moved, valid = clip.warp_previous(first, t, nearest=True, source=0)
        assert iou(outputs[t].class_map.numpy()[valid] == TOP, moved[valid].astype(bool)) > 0.85, t
