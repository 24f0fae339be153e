"""Everything that touches ffmpeg: probing a file, decoding its audio once, streaming its frames.

The ffmpeg binary comes from PATH or, when there is none, from the `imageio-ffmpeg` package, so
that `pip install` alone sets everything up. Probing parses `ffmpeg -i` rather than calling
ffprobe, because imageio-ffmpeg ships ffmpeg only.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

SAMPLE_RATE = 16_000

MEDIA_EXTENSIONS = frozenset(
    ".mp4 .m4v .mov .mkv .webm .avi .mpg .mpeg .flv .wmv .3gp .ts .mts "
    ".wav .mp3 .m4a .aac .flac .ogg .oga .opus .wma .aiff .aif".split()
)


class MediaError(Exception):
    """A file that cannot be read as media; the message is one line a user can act on."""


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    duration: float | None
    has_audio: bool
    has_video: bool
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    audio_codec: str | None = None
    video_codec: str | None = None
    container: str | None = None


@cache
def ffmpeg_executable() -> str:
    found = shutil.which("ffmpeg")
    if found:
        return found
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


_DURATION = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")
_CONTAINER = re.compile(r"^Input #0, ([^ ]+), from", re.MULTILINE)
_STREAM = re.compile(r"^\s*Stream #0:\d+.*?: (Video|Audio): (.*)$", re.MULTILINE)
_SIZE = re.compile(r"\b(\d{2,5})x(\d{2,5})\b")
_FPS = re.compile(r"([\d.]+) (?:fps|tbr)")


def _ffmpeg_problem(stderr: str) -> str:
    """The most telling line of ffmpeg's complaint, without its path and bracket prefixes."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if "moov atom not found" in line:
            return "truncated or corrupt file (moov atom not found)"
    for line in lines:
        if "Invalid data found" in line:
            return "not a media file ffmpeg can read (invalid data)"
    for line in reversed(lines):
        if "Permission denied" in line:
            return "permission denied"
    meaningful = [line for line in lines if not line.startswith("At least one output")]
    text = meaningful[-1] if meaningful else "ffmpeg failed"
    return re.sub(r"^\[[^\]]*\]\s*", "", text)


def probe(path: Path) -> MediaInfo:
    """Duration and streams of `path`; raises MediaError for anything that is not usable media."""
    path = Path(path)
    if not path.exists():
        raise MediaError("file not found")
    if path.is_dir():
        raise MediaError("is a folder, not a media file")
    if path.stat().st_size == 0:
        raise MediaError("empty file (0 bytes)")
    result = subprocess.run(
        [ffmpeg_executable(), "-hide_banner", "-nostdin", "-i", str(path)],
        capture_output=True,
        text=True,
        errors="replace",
    )
    stderr = result.stderr
    streams = _STREAM.findall(stderr)
    if "Input #0" not in stderr:
        raise MediaError(_ffmpeg_problem(stderr))
    audio = [desc for kind, desc in streams if kind == "Audio"]
    # Cover art in music files shows up as a one-frame "video" stream: it is not video.
    video = [desc for kind, desc in streams if kind == "Video" and "attached pic" not in desc]
    if not audio and not video:
        raise MediaError("no audio or video stream (not a recording)")
    duration = None
    if match := _DURATION.search(stderr):
        hours, minutes, seconds = match.groups()
        duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    width = height = fps = None
    if video:
        if size := _SIZE.search(video[0]):
            width, height = int(size.group(1)), int(size.group(2))
        if rate := _FPS.search(video[0]):
            fps = float(rate.group(1))
    container = match.group(1) if (match := _CONTAINER.search(stderr)) else None
    return MediaInfo(
        path=path,
        duration=duration,
        has_audio=bool(audio),
        has_video=bool(video),
        width=width,
        height=height,
        fps=fps,
        audio_codec=audio[0].split(",")[0].split(" ")[0] if audio else None,
        video_codec=video[0].split(",")[0].split(" ")[0] if video else None,
        container=container,
    )


class SampleFile:
    """A recording's 16 kHz mono float32 samples in an unlinked temporary file; slicing reads.

    An hour of float32 is 230 MB: held in the process it would make memory grow with the
    recording's length. Here ffmpeg writes the samples straight into a temporary file (in the
    system's temporary folder, TMPDIR; already unlinked, so nothing is left behind even when the
    process is killed) and each stage reads the stretch it needs, so the process holds one
    piece or one utterance at a time and the operating system's page cache the rest. A slice
    `samples[first:last]` is a new, writable float32 array with exactly the values decoding into
    memory gives; `np.asarray(samples)` or `samples[:]` reads the whole recording (short clips).
    """

    dtype = np.dtype(np.float32)

    def __init__(self, file: BinaryIO) -> None:
        self._file = file
        self._lock = threading.Lock()  # seek + read is one step for threads sharing the file
        file.seek(0, os.SEEK_END)
        self._count = file.tell() // self.dtype.itemsize

    @classmethod
    def from_array(cls, samples: np.ndarray) -> SampleFile:
        """The same kind of store for samples already in memory (tests, synthetic audio)."""
        file = tempfile.TemporaryFile(prefix="annotator-audio-")
        file.write(np.ascontiguousarray(samples, dtype=np.float32).tobytes())
        return cls(file)

    def __len__(self) -> int:
        return self._count

    @property
    def size(self) -> int:
        return self._count

    @property
    def duration(self) -> float:
        return self._count / SAMPLE_RATE

    def __getitem__(self, index: slice) -> np.ndarray:
        if not isinstance(index, slice):
            raise TypeError("SampleFile is read by slices: samples[first:last]")
        first, last, step = index.indices(self._count)
        if step != 1:
            raise ValueError("SampleFile slices are contiguous (no step)")
        out = np.empty(max(0, last - first), dtype=self.dtype)
        view = memoryview(out).cast("B")
        with self._lock:
            self._file.seek(first * self.dtype.itemsize)
            done = 0
            while done < len(view):
                read = self._file.readinto(view[done:])
                if not read:
                    raise MediaError("decoded audio file ended early")
                done += read
        return out

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        whole = self[:]
        return whole if dtype is None else whole.astype(dtype, copy=False)

    def close(self) -> None:
        self._file.close()


Samples = np.ndarray | SampleFile  # what the stages read audio from: anything sliced to float32


@dataclass(frozen=True)
class DecodedAudio:
    samples: SampleFile  # float32, mono, SAMPLE_RATE; read by slices
    warnings: tuple[str, ...] = ()

    @property
    def duration(self) -> float:
        return len(self.samples) / SAMPLE_RATE


def decode_audio(info: MediaInfo) -> DecodedAudio:
    """Decode the first audio stream once, to 16 kHz mono float32: every stage reads slices of it.

    A partly damaged stream decodes as far as ffmpeg can; what it complained about is kept as
    warnings rather than failing the whole recording.
    """
    import ffmpeg

    if not info.has_audio:
        raise MediaError("no audio stream (nothing to transcribe)")
    command = (
        ffmpeg.input(str(info.path))
        .output("pipe:", format="f32le", acodec="pcm_f32le", ac=1, ar=SAMPLE_RATE, map="0:a:0")
        .global_args("-nostdin", "-hide_banner", "-loglevel", "error")
        .compile(cmd=ffmpeg_executable())
    )
    file = tempfile.TemporaryFile(prefix="annotator-audio-")
    try:
        # ffmpeg writes into the file itself: the samples never pass through this process whole.
        result = subprocess.run(command, stdout=file, stderr=subprocess.PIPE)
        stderr = result.stderr.decode("utf-8", errors="replace")
        if result.returncode != 0:
            raise MediaError(f"audio could not be decoded: {_ffmpeg_problem(stderr)}")
        samples = SampleFile(file)
        if len(samples) == 0:
            raise MediaError("audio stream is empty (no samples decoded)")
    except BaseException:
        file.close()
        raise
    warnings = tuple(dict.fromkeys(line.strip() for line in stderr.splitlines() if line.strip()))
    return DecodedAudio(samples=samples, warnings=warnings[:5])


def frame_size(info: MediaInfo, max_width: int) -> tuple[int, int]:
    """Width and height (even numbers) the frames are scaled to, keeping the aspect ratio."""
    width, height = info.width or max_width, info.height or max_width * 9 // 16
    if width > max_width:
        height = round(height * max_width / width)
        width = max_width
    return width - width % 2, height - height % 2


def stream_frames(
    info: MediaInfo,
    fps: float,
    max_width: int,
    until: float | None = None,
    decoder_options: tuple[str, ...] = (),
    gray: bool = False,
    start: float = 0.0,
) -> Iterator[tuple[float, np.ndarray]]:
    """Yield (time, BGR frame) sampled at `fps`, decoding the video once, in time order.

    ffmpeg does the sampling and scaling, so only the sampled frames reach Python and no more
    than one frame is held at a time. Frame k is taken at time start + k / fps (`start`: where
    decoding begins, seconds from the stream's start). Stops (and stops ffmpeg) after `until`
    seconds. `decoder_options` go before the input (such as `-skip_frame noref`). With `gray`,
    frames are 8-bit luma (height x width).
    """
    import ffmpeg

    width, height = frame_size(info, max_width)
    stream = ffmpeg.input(str(info.path)).video
    stream = stream.filter("setpts", "PTS-STARTPTS").filter("fps", fps=fps)
    stream = stream.filter("scale", width, height)
    command = (
        stream.output("pipe:", format="rawvideo", pix_fmt="gray" if gray else "bgr24")
        .global_args("-nostdin", "-hide_banner", "-loglevel", "error")
        .compile(cmd=ffmpeg_executable())
    )
    if until is not None:
        # Let ffmpeg stop on its own shortly after the last frame we need.
        command[1:1] = ["-t", f"{until - start + 1.0 / fps + 0.5:.3f}"]
    if start > 0:
        command[1:1] = ["-ss", f"{start:.3f}"]  # before the input: seeks, then decodes from there
    command[1:1] = list(decoder_options)
    shape = (height, width) if gray else (height, width, 3)
    bytes_per_frame = int(np.prod(shape))
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    try:
        index = 0
        while True:
            buffer = process.stdout.read(bytes_per_frame)
            if len(buffer) < bytes_per_frame:
                break
            time = start + index / fps
            if until is not None and time > until:
                break
            yield time, np.frombuffer(buffer, dtype=np.uint8).reshape(shape)
            index += 1
    finally:
        process.stdout.close()
        if process.poll() is None:
            process.kill()
        process.wait()
