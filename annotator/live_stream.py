"""A live input as audio arriving at its own pace, and where its speech pauses.

- `AudioStream`: ffmpeg reads the source (standard input, a URL, a device, a file still being
  written) and writes 16 kHz mono s16le to a pipe; a thread reads it in small blocks as it
  arrives, so the stream is never held up by the models.
- `History`: the stream's recent audio, indexed by sample from the stream's start (what the
  pipeline's stages slice, as they slice a decoded recording).
- `Stretches`: Silero VAD (faster-whisper's) on the audio not yet transcribed; a stretch of
  speech is finished once its speaker pauses, or when it reaches `MAX_STRETCH` seconds.
"""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass

import numpy as np

from annotator.media import SAMPLE_RATE, MediaError, _ffmpeg_problem, ffmpeg_executable

BLOCK_SAMPLES = SAMPLE_RATE // 10  # 0.1 s per read from ffmpeg
PAUSE = 0.5  # seconds of silence after speech that end a stretch (the speaker stopped)
MAX_STRETCH = 15.0  # seconds: longer speech is cut at its quietest moment and sent on
VAD_EVERY = 0.3  # seconds of new audio between two looks for a pause
SPEECH_PAD_MS = 200  # each stretch keeps this much audio either side of the VAD's speech
KEEP_HISTORY = 120.0  # seconds of audio kept behind the newest stretch (for clips, embeddings)
FOLLOW_TIMEOUT = 10.0  # --follow: a file that has not grown for this long has ended


class StreamError(MediaError):
    """The source could not be read (or broke off) as a stream."""


def ffmpeg_command(source: str, follow: bool = False, realtime: bool = False) -> list[str]:
    """ffmpeg reading `source` ("-": standard input) into 16 kHz mono s16le on its stdout."""
    command = [ffmpeg_executable(), "-hide_banner", "-loglevel", "error"]
    if source != "-":
        command.append("-nostdin")
    if realtime:
        command.append("-re")
    if follow:
        # The file protocol waits at the end of a growing file; rw_timeout (microseconds)
        # ends the stream once the file stops growing.
        command += ["-follow", "1", "-rw_timeout", str(int(FOLLOW_TIMEOUT * 1e6))]
        source = f"file:{source}"
    command += ["-i", "pipe:0" if source == "-" else source]
    command += ["-map", "0:a:0", "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "s16le", "pipe:1"]
    return command


class AudioStream:
    """ffmpeg's output read by a thread as it comes; `take` returns what arrived since last."""

    def __init__(self, source: str, follow: bool = False, realtime: bool = False) -> None:
        self.source = source
        self.process = subprocess.Popen(
            ffmpeg_command(source, follow, realtime),
            stdin=None if source == "-" else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.blocks: list[np.ndarray] = []
        self.received = 0  # samples read so far
        self.first_arrival: float | None = None  # monotonic time of the first samples
        self.ended = False
        self.stderr = b""
        self.changed = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True, name="live-audio")
        self.errors = threading.Thread(target=self._read_errors, daemon=True, name="live-errors")
        self.reader.start()
        self.errors.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        leftover = b""
        try:
            while True:
                data = self.process.stdout.read1(BLOCK_SAMPLES * 2)  # type: ignore[attr-defined]
                if not data:
                    break
                data = leftover + data
                whole = len(data) - len(data) % 2
                leftover = data[whole:]
                samples = np.frombuffer(data[:whole], dtype="<i2").astype(np.float32) / 32768.0
                with self.changed:
                    if self.first_arrival is None:
                        self.first_arrival = time.monotonic()
                    self.blocks.append(samples)
                    self.received += len(samples)
                    self.changed.notify_all()
            self.process.wait()
            self.errors.join()
        finally:
            # However the reading stops, the stream has ended: a reader that dies must not
            # leave `take` waiting for samples that will never come.
            with self.changed:
                self.ended = True
                self.changed.notify_all()

    def _read_errors(self) -> None:
        assert self.process.stderr is not None
        self.stderr = self.process.stderr.read()

    def take(self, wait: float) -> tuple[np.ndarray, bool]:
        """The samples that arrived since the last call (waiting up to `wait` seconds for some),
        and whether the stream has ended (all of it taken)."""
        with self.changed:
            if not self.blocks and not self.ended:
                self.changed.wait(wait)
            blocks, self.blocks = self.blocks, []
            ended = (self.ended or not self.reader.is_alive()) and not self.blocks
        samples = np.concatenate(blocks) if blocks else np.zeros(0, np.float32)
        return samples, ended

    def arrival_rate(self) -> float:
        """Seconds of audio received per second of wall time since the first arrived (about 1
        for a live source; much more for a file or pipe read as fast as it can be)."""
        if self.first_arrival is None:
            return 0.0
        elapsed = max(time.monotonic() - self.first_arrival, 1.0)
        return self.received / SAMPLE_RATE / elapsed

    def problem(self) -> str | None:
        """Why the stream ended badly (one line), or None when ffmpeg finished cleanly."""
        code = self.process.poll()
        if code in (0, None):
            return None
        text = self.stderr.decode("utf-8", errors="replace")
        if code < 0 and not text.strip():
            return None  # stopped by a signal (Ctrl-C reaches ffmpeg too): not the stream's fault
        return _ffmpeg_problem(text) if text.strip() else f"ffmpeg exited with status {code}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.reader.join(timeout=5)


class History:
    """The stream's audio by absolute sample index, older audio dropped once not needed.

    Slicing and len() work as on a decoded recording's samples, so `Annotator.clips` and the
    speaker embedder read it unchanged."""

    def __init__(self) -> None:
        self.samples = np.zeros(0, np.float32)
        self.offset = 0  # absolute index of self.samples[0]

    def __len__(self) -> int:
        return self.offset + len(self.samples)

    def append(self, samples: np.ndarray) -> None:
        if len(samples):
            self.samples = np.concatenate([self.samples, samples])

    def __getitem__(self, index: slice) -> np.ndarray:
        start = max(0, (index.start or 0) - self.offset)
        stop = len(self.samples) if index.stop is None else max(0, index.stop - self.offset)
        return self.samples[start:stop]

    def forget_before(self, sample: int) -> None:
        drop = min(max(0, sample - self.offset), len(self.samples))
        if drop:
            self.samples = self.samples[drop:].copy()
            self.offset += drop


@dataclass(frozen=True)
class Stretch:
    """A finished stretch of speech, in samples from the stream's start."""

    start: int
    end: int

    @property
    def seconds(self) -> float:
        return (self.end - self.start) / SAMPLE_RATE


class Stretches:
    """Finds finished stretches of speech in the audio after `cut` (what is not yet sent on)."""

    def __init__(self) -> None:
        from faster_whisper.vad import VadOptions

        self.cut = 0  # absolute sample: everything before it has been sent on or dropped
        self.looked_at = 0  # stream length at the last look
        self.options = VadOptions(
            min_silence_duration_ms=int(PAUSE * 1000),
            speech_pad_ms=SPEECH_PAD_MS,
            max_speech_duration_s=MAX_STRETCH,
        )

    def finished(self, history: History, ended: bool) -> list[Stretch]:
        """The stretches finished by the audio now in `history` (all the rest when `ended`)."""
        from faster_whisper.vad import get_speech_timestamps

        total = len(history)
        if not ended and total - self.looked_at < VAD_EVERY * SAMPLE_RATE:
            return []
        self.looked_at = total
        pending = history[self.cut : total]
        if len(pending) < SAMPLE_RATE // 10:
            return []
        speech = get_speech_timestamps(pending, self.options)
        if not speech:
            # Silence: keep only the end, where speech may be starting.
            self.cut = total if ended else max(self.cut, total - SAMPLE_RATE // 2)
            return []
        # The VAD joins speech across pauses shorter than PAUSE and splits it at its quietest
        # moment past MAX_STRETCH, so each region is one stretch; the last one is finished
        # once PAUSE of silence follows it (or the stream ends).
        found = []
        for index, region in enumerate(speech):
            last = index == len(speech) - 1
            if last and not ended and len(pending) - region["end"] < PAUSE * SAMPLE_RATE:
                break
            found.append(Stretch(self.cut + region["start"], self.cut + region["end"]))
        if found:
            self.cut = found[-1].end
        return found
