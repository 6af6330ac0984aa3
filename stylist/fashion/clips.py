"""Test clips with known motion, made from still photos: pans, zooms and small shakes, with cuts.

Every frame ``t`` of a shot samples its photo through a known affine map ``A_t`` (frame pixel
``p`` -> photo pixel ``A_t p``), so the motion between consecutive frames is known exactly:
pixel ``p`` of frame ``t`` shows what pixel ``A_{t-1}^{-1} A_t p`` of frame ``t-1`` showed.
:meth:`Clip.warp_previous` warps any per-frame image (an output frame, a mask) from frame
``t-1`` to frame ``t`` with that motion, and :meth:`Clip.render` draws a photo-aligned map (e.g.
the photo's ground-truth labels) into frame ``t``. Between shots the clip cuts to another photo.

    python -m stylist.fashion.clips --out clips/ [--photos 801 803 806] [--frames 24]

writes ``clips/clip.mp4`` and ``clips/clip.json`` (the affine maps); see :func:`make_clip`.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from stylist.cli import user_errors_exit
from stylist.utils import StylistError, atomic_write, check_whole_number

__all__ = ["MOTIONS", "Clip", "make_clip", "shot_transforms"]

#: Camera motions of a shot: a diagonal pan, a zoom in, a hand-held shake (small random shifts and rotations).
MOTIONS = ("pan", "zoom", "shake")


def _affine(scale: float, angle_deg: float, centre: tuple[float, float], shift: tuple[float, float]) -> np.ndarray:
    """3 x 3 map frame -> photo: rotate by ``angle`` and scale by ``1/scale`` about the frame centre,
    then place that centre at photo point ``centre + shift``."""
    theta = np.deg2rad(angle_deg)
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]]) / scale
    matrix = np.eye(3)
    matrix[:2, :2] = rot
    matrix[:2, 2] = np.asarray(centre) + np.asarray(shift)
    return matrix


def shot_transforms(
    motion: str, frames: int, frame_size: tuple[int, int], photo_size: tuple[int, int], rng: np.random.Generator
) -> list[np.ndarray]:
    """The ``frames`` 3 x 3 frame -> photo maps of one shot (``frame_size``/``photo_size``: ``(H, W)``).

    * ``pan``: a diagonal move at a constant, sub-pixel speed (about 2.3 px per frame), down the photo;
    * ``zoom``: zoom in by 30% over the shot about the photo's centre;
    * ``shake``: independent random shifts (+-3 px) and rotations (+-1 degree) around a fixed view.
    """
    if motion not in MOTIONS:
        raise StylistError(f"unknown motion '{motion}'; valid: {', '.join(MOTIONS)}")
    (height, width), (photo_h, photo_w) = frame_size, photo_size
    frame_centre = np.array([(width - 1) / 2, (height - 1) / 2])
    centre = ((photo_w - 1) / 2, (photo_h - 1) / 2)
    room = np.array([(photo_w - width) / 2, (photo_h - height) / 2]) - 4
    transforms = []
    for t in range(frames):
        phase = t / max(1, frames - 1)
        if motion == "pan":
            shift = (np.array([0.4, 1.0]) * 1.15 * (frames - 1) * (2 * phase - 1)).clip(-room, room)
            matrix = _affine(1.0, 0.0, centre, tuple(shift))
        elif motion == "zoom":
            matrix = _affine(1.0 + 0.3 * phase, 0.0, centre, (0.0, 0.0))
        else:
            matrix = _affine(1.0, rng.uniform(-1, 1), centre, tuple(rng.uniform(-3, 3, size=2)))
        to_centre = np.eye(3)
        to_centre[:2, 2] = -frame_centre
        transforms.append(matrix @ to_centre)
    return transforms


def _sample(photo: np.ndarray, matrix: np.ndarray, size: tuple[int, int], nearest: bool) -> np.ndarray:
    """The ``size = (H, W)`` frame that sees ``photo`` through the 3 x 3 frame -> photo map ``matrix``."""
    flags = (cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR) | cv2.WARP_INVERSE_MAP
    return cv2.warpAffine(photo, matrix[:2], (size[1], size[0]), flags=flags, borderMode=cv2.BORDER_REFLECT_101)


@dataclass
class Clip:
    """Frames with their known motion.

    Attributes:
        frames: ``H x W x 3`` uint8 RGB frames.
        transforms: per frame, the 3 x 3 map frame -> its photo's pixels.
        shots: per frame, the index of its shot (a new shot is a cut).
        photos: the ``h x w x 3`` uint8 photos the shots were made from (as sampled).
        fps: nominal frame rate.
    """

    frames: list[np.ndarray]
    transforms: list[np.ndarray]
    shots: list[int]
    photos: list[np.ndarray]
    fps: float = 25.0

    def __len__(self) -> int:
        return len(self.frames)

    def is_cut(self, t: int) -> bool:
        """Whether frame ``t`` starts a shot (nothing to warp from)."""
        return t == 0 or self.shots[t] != self.shots[t - 1]

    def motion(self, t: int, source: int | None = None) -> np.ndarray:
        """2 x 3 map from frame ``t``'s pixels to frame ``source``'s (default ``t-1``; same shot):
        ``A_source^{-1} A_t``."""
        source = t - 1 if source is None else source
        if source < 0 or self.shots[t] != self.shots[source]:
            raise StylistError(f"frames {source} and {t} are not in one shot: no motion between them")
        return (np.linalg.inv(self.transforms[source]) @ self.transforms[t])[:2]

    def warp_previous(
        self, image: np.ndarray, t: int, nearest: bool = False, source: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(warped, valid)``: an ``H x W [x C]`` image of frame ``source`` (default ``t-1``) moved
        onto frame ``t`` by the known motion, and the ``H x W`` bool map of pixels whose source lies
        inside that frame."""
        height, width = image.shape[:2]
        flags = (cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR) | cv2.WARP_INVERSE_MAP
        motion = self.motion(t, source)
        warped = cv2.warpAffine(image, motion, (width, height), flags=flags, borderMode=cv2.BORDER_REPLICATE)
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
        sx = motion[0, 0] * xs + motion[0, 1] * ys + motion[0, 2]
        sy = motion[1, 0] * xs + motion[1, 1] * ys + motion[1, 2]
        valid = (sx >= 0) & (sx <= width - 1) & (sy >= 0) & (sy <= height - 1)
        return warped, valid

    def render(self, photo_map: np.ndarray, t: int, nearest: bool = True) -> np.ndarray:
        """Draw a map aligned with frame ``t``'s photo (e.g. its label map, resized to the photo as
        sampled) into frame ``t``."""
        return _sample(photo_map, self.transforms[t], self.frames[t].shape[:2], nearest)


def make_clip(
    photos: Sequence[np.ndarray],
    motions: Sequence[str] = MOTIONS,
    frames_per_shot: int = 24,
    size: tuple[int, int] = (384, 288),
    zoom: float = 1.6,
    fps: float = 25.0,
    seed: int = 0,
) -> Clip:
    """One shot per photo (cycling through ``motions``), cut to the next.

    Args:
        photos: ``h x w x 3`` uint8 RGB photos.
        motions: the motion of each shot, in turn (see :func:`shot_transforms`).
        frames_per_shot: frames of each shot.
        size: frame ``(H, W)``.
        zoom: each photo is first resized (area filter) so its height is ``zoom * H``, leaving room
            to pan; the frames then sample it bilinearly at about that scale.
        fps: nominal frame rate.
        seed: of the shakes.

    Returns:
        a :class:`Clip`; its ``photos`` are the resized photos the frames sample.
    """
    if not photos:
        raise StylistError("make_clip needs at least one photo")
    check_whole_number("frames_per_shot", frames_per_shot, 1)
    check_whole_number("frame height", size[0], 16)
    check_whole_number("frame width", size[1], 16)
    rng = np.random.default_rng(seed)
    height, width = size
    clip = Clip(frames=[], transforms=[], shots=[], photos=[], fps=fps)
    for shot, photo in enumerate(photos):
        photo_h = round(zoom * height)
        photo_w = max(width + 16, round(photo.shape[1] * photo_h / photo.shape[0]))
        sampled = cv2.resize(photo, (photo_w, photo_h), interpolation=cv2.INTER_AREA)
        clip.photos.append(sampled)
        for matrix in shot_transforms(motions[shot % len(motions)], frames_per_shot, size, (photo_h, photo_w), rng):
            clip.frames.append(_sample(sampled, matrix, size, nearest=False))
            clip.transforms.append(matrix)
            clip.shots.append(shot)
    return clip


@user_errors_exit
def main() -> None:
    parser = argparse.ArgumentParser(description="Write a test clip with known motion (mp4 + json of the affine maps).")
    parser.add_argument("--out", type=Path, required=True, help="folder for clip.mp4 and clip.json")
    parser.add_argument("--images", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "data" / "modanet_ccp" / "images")
    parser.add_argument("--photos", type=int, nargs="+", default=[801, 803, 806])
    parser.add_argument("--frames", type=int, default=24, help="frames per shot")
    parser.add_argument("--height", type=int, default=384)
    parser.add_argument("--width", type=int, default=288)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    from PIL import Image

    from stylist.videoio import write_video

    photos = []
    for photo_id in args.photos:
        path = args.images / f"{photo_id:07d}.jpg"
        if not path.is_file():
            raise StylistError(f"photo {path} does not exist")
        photos.append(np.asarray(Image.open(path).convert("RGB")))
    clip = make_clip(photos, frames_per_shot=args.frames, size=(args.height, args.width), seed=args.seed)
    video = write_video(args.out / "clip.mp4", clip.frames, clip.fps)
    meta = {"photos": args.photos, "fps": clip.fps, "shots": clip.shots, "transforms": [m.tolist() for m in clip.transforms]}
    with atomic_write(args.out / "clip.json") as tmp:
        tmp.write_text(json.dumps(meta))
    print(f"{args.out / 'clip.mp4'}: {video} frames")


if __name__ == "__main__":
    main()
