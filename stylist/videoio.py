"""Reading and writing video without a system ffmpeg: PyAV (FFmpeg libraries in its wheel) for
files, OpenCV for webcams.

Frames are ``H x W x 3`` uint8 RGB arrays. :func:`open_video` opens a file or a webcam index;
:func:`write_video` encodes frames to H.264 (``.mp4``, ``.mkv``, ``.mov``), written atomically,
and copies the audio track of another file when asked.

Example:
    >>> source = open_video("clip.mp4")  # doctest: +SKIP
    >>> write_video("copy.mp4", iter(source), source.fps, audio_from="clip.mp4")  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from stylist.utils import StylistError, atomic_write

__all__ = ["VIDEO_SUFFIXES", "VideoSource", "open_video", "write_video"]

#: Output containers :func:`write_video` writes (H.264 video, the audio stream copied as is).
VIDEO_SUFFIXES = {".mp4": "mp4", ".mkv": "matroska", ".mov": "mov"}


@dataclass
class VideoSource:
    """An opened video file or webcam; iterate it for ``H x W x 3`` uint8 RGB frames.

    Attributes:
        spec: the path or webcam index.
        fps: frame rate (a webcam's own, or 25 when it does not say).
        size: ``(H, W)``.
        frames: number of frames, ``None`` when unknown (webcams, some containers).
        has_audio: whether the file has an audio track.
    """

    spec: str | int
    fps: Fraction
    size: tuple[int, int]
    frames: int | None
    has_audio: bool

    def __iter__(self) -> Iterator[np.ndarray]:
        if isinstance(self.spec, int):
            yield from _webcam_frames(self.spec)
            return
        import av

        try:
            with av.open(str(self.spec)) as container:
                for frame in container.decode(video=0):
                    yield frame.to_ndarray(format="rgb24")
        except av.FFmpegError as err:  # a file that is damaged after its first frame
            raise StylistError(f"cannot decode video {self.spec}: {err}") from None


def _webcam_frames(index: int) -> Iterator[np.ndarray]:
    import cv2

    capture = cv2.VideoCapture(index)
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                return
            yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    finally:
        capture.release()


def open_video(spec: str | int | os.PathLike) -> VideoSource:
    """Open a video file (anything FFmpeg reads) or a webcam (an integer index, e.g. ``0``).

    Raises:
        StylistError: missing or unreadable file, no video stream or no frame that decodes, no
            such webcam. Iterating raises it too if a later frame does not decode.
    """
    if isinstance(spec, int) or (isinstance(spec, str) and spec.isdigit()):
        return _open_webcam(int(spec))
    import av

    path = Path(spec).expanduser()
    if not path.is_file():
        raise StylistError(f"video {path} does not exist")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise StylistError(f"{path} has no video stream")
            stream = container.streams.video[0]
            if next(container.decode(stream), None) is None:  # e.g. a text file named .jpg
                raise StylistError(f"{path} has no decodable video frame")
            fps = stream.average_rate or stream.guessed_rate or Fraction(25)
            return VideoSource(
                spec=str(path),
                fps=Fraction(fps),
                size=(stream.codec_context.height, stream.codec_context.width),
                frames=stream.frames or None,
                has_audio=bool(container.streams.audio),
            )
    except av.FFmpegError as err:
        raise StylistError(f"cannot read video {path}: {err}") from None


def _open_webcam(index: int) -> VideoSource:
    import cv2

    capture = cv2.VideoCapture(index)
    try:
        ok, frame = capture.read()
        if not ok:
            raise StylistError(f"no webcam {index} (or it gives no frames)")
        fps = capture.get(cv2.CAP_PROP_FPS)
        return VideoSource(index, Fraction(fps).limit_denominator(1001) if fps > 0 else Fraction(25),
                           frame.shape[:2], None, False)  # fmt: skip
    finally:
        capture.release()


def write_video(
    path: str | os.PathLike,
    frames: Iterable[np.ndarray],
    fps: Fraction | float,
    audio_from: str | os.PathLike | None = None,
    crf: int = 18,
) -> int:
    """Encode ``H x W x 3`` uint8 RGB frames to H.264 (yuv420p) at ``path``, atomically.

    Args:
        path: ``.mp4``, ``.mkv`` or ``.mov``.
        frames: all of the same size; an odd width or height is padded by one replicated pixel
            (yuv420p needs even sides).
        fps: frame rate.
        audio_from: a file whose first audio track is copied (not re-encoded), cut to the video's length.
        crf: H.264 quality (0 lossless, 18 visually lossless, 23 FFmpeg's default).

    Returns:
        the number of frames written.
    """
    import av

    path = Path(path)
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise StylistError(f"video output must end in {', '.join(VIDEO_SUFFIXES)}, got {path}")
    rate = Fraction(fps).limit_denominator(1001)
    count = 0
    with atomic_write(path) as tmp, contextlib.ExitStack() as stack:
        output = stack.enter_context(av.open(str(tmp), mode="w", format=VIDEO_SUFFIXES[path.suffix.lower()]))
        stream = output.add_stream("libx264", rate=rate, options={"crf": str(crf), "preset": "veryfast"})
        stream.pix_fmt = "yuv420p"
        audio = None
        if audio_from is not None:  # streams must all exist before the first packet is written
            source = stack.enter_context(av.open(str(audio_from)))
            if source.streams.audio:
                audio = (source, source.streams.audio[0], output.add_stream_from_template(source.streams.audio[0]))
        for frame in frames:
            if count == 0:
                stream.height, stream.width = frame.shape[0] + frame.shape[0] % 2, frame.shape[1] + frame.shape[1] % 2
            frame = np.pad(frame, ((0, frame.shape[0] % 2), (0, frame.shape[1] % 2), (0, 0)), mode="edge")
            output.mux(stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")))
            count += 1
        if count == 0:
            raise StylistError("no frames to write")
        output.mux(stream.encode())
        if audio is not None:
            _copy_audio(output, *audio, seconds=count / rate)
    return count


def _copy_audio(output, source, audio_in, audio_out, seconds: Fraction) -> None:
    """Mux the packets of ``audio_in`` (a stream of ``source``) into ``output``'s ``audio_out`` up to ``seconds``."""
    for packet in source.demux(audio_in):
        if packet.dts is None:
            continue
        if packet.pts is not None and packet.pts * audio_in.time_base >= seconds:
            break
        packet.stream = audio_out
        output.mux(packet)
