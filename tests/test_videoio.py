"""stylist.videoio: round trip keeps frame count, size and frame rate; audio is copied; errors are clear."""

from fractions import Fraction

import av
import numpy as np
import pytest

from stylist.fashion.clips import make_clip
from stylist.utils import StylistError
from stylist.videoio import open_video, write_video


def smooth_frames(count: int = 12, size: tuple[int, int] = (64, 48)) -> list[np.ndarray]:
    photo = np.zeros((160, 120, 3), np.uint8)
    photo[..., 0] = np.linspace(0, 255, 120)[None]
    photo[..., 1] = np.linspace(0, 255, 160)[:, None]
    photo[40:120, 30:90, 2] = 200
    return make_clip([photo], motions=["pan"], frames_per_shot=count, size=size).frames


def with_audio(path, frames, fps=25, seconds=1.0):
    """A video with a sine tone: the fixture an audio copy is checked on."""
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=fps)
        video.pix_fmt, video.height, video.width = "yuv420p", frames[0].shape[0], frames[0].shape[1]
        audio = out.add_stream("aac", rate=16000)
        for frame in frames:
            out.mux(video.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        out.mux(video.encode())
        tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(int(16000 * seconds)) / 16000)).astype(np.float32)[None]
        samples = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
        samples.sample_rate = 16000
        out.mux(audio.encode(samples))
        out.mux(audio.encode())


def test_round_trip_keeps_count_size_and_rate(tmp_path):
    frames = smooth_frames()
    fps = Fraction(30000, 1001)
    assert write_video(tmp_path / "clip.mp4", frames, fps) == len(frames)
    source = open_video(tmp_path / "clip.mp4")
    back = list(source)
    assert (source.frames, source.size, source.fps, source.has_audio) == (len(frames), (64, 48), fps, False)
    assert len(back) == len(frames) and back[0].shape == (64, 48, 3)
    error = np.abs(back[5].astype(int) - frames[5]).mean()  # H.264, 4:2:0 chroma: close, not exact
    assert error < 8 and error < np.abs(back[5].astype(int) - frames[0]).mean() / 2


def test_audio_is_copied_and_odd_sizes_are_padded(tmp_path):
    frames = smooth_frames(10)
    with_audio(tmp_path / "in.mp4", frames)
    assert open_video(tmp_path / "in.mp4").has_audio
    odd = [frame[:63, :47] for frame in frames]
    write_video(tmp_path / "out.mkv", odd, 25, audio_from=tmp_path / "in.mp4")
    out = open_video(tmp_path / "out.mkv")
    assert out.has_audio and out.size == (64, 48) and len(list(out)) == 10


def test_errors(tmp_path):
    with pytest.raises(StylistError, match="does not exist"):
        open_video(tmp_path / "missing.mp4")
    (tmp_path / "text.mp4").write_text("not a video")
    with pytest.raises(StylistError, match="cannot read video"):
        open_video(tmp_path / "text.mp4")
    (tmp_path / "text.jpg").write_text("not an image")  # opens as a one-frame image stream; its frame does not decode
    with pytest.raises(StylistError, match="cannot read video"):
        open_video(tmp_path / "text.jpg")
    with pytest.raises(StylistError, match="must end in"):
        write_video(tmp_path / "out.gif", smooth_frames(2), 25)
    with pytest.raises(StylistError, match="no frames"):
        write_video(tmp_path / "empty.mp4", [], 25)
    assert not (tmp_path / "empty.mp4").exists()


@pytest.mark.parametrize(
    ("frames", "size", "message"),
    [(0, (64, 48), "frames_per_shot"), (4, (-5, 48), "frame height"), (4, (64, 8), "frame width")],
)
def test_make_clip_refuses_sizes_and_counts_it_cannot_sample(frames, size, message):
    with pytest.raises(StylistError, match=message):
        make_clip([np.zeros((160, 120, 3), np.uint8)], frames_per_shot=frames, size=size)
