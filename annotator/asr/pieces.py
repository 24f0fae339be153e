"""Long recordings transcribed in pieces of a few minutes, cut only where the VAD hears silence.

Whisper's feature extractor takes everything it is given at once: faster-whisper computes the
STFT and log-mel spectrogram of a whole recording's speech before decoding the first window
(about 1 GB for an hour), so memory would grow with the recording. Here a recording longer than
`PIECE_SECONDS` is cut into pieces at silences Silero VAD finds (the model and settings
faster-whisper's own VAD filter uses), never inside speech; each piece is transcribed as a
recording of its own, conditioned on the previous piece's text as Whisper conditions each
30 s window on the previous one, and its times are moved back to the recording's. A recording
no longer than one piece is transcribed in one call, exactly as before.

Plain functions: `find_pieces` (where to cut) and `transcribe` (run an engine's per-piece
function over the pieces and join the results); the engines supply the per-piece function.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from annotator.asr.result import AsrResult
from annotator.media import SAMPLE_RATE, Samples
from annotator.utterances import Segment

# Five minutes: the log-mel of a piece of speech is then ~80 MB at most (faster-whisper's STFT
# is ~16 MB a minute) while a piece still holds ten 30 s decoding windows, so the seams where
# Whisper restarts its window are one every five minutes and the prompt carried across them
# keeps the transcript the same (benchmarks/pieces.py measures the difference).
PIECE_SECONDS = 300.0
# Where a cut is looked for first: the last fifth of a piece's allowed length, a minute of five
# (the VAD on a minute costs ~0.2 s: searching only there keeps the extra VAD pass near 0.1% of
# the audio's duration, against ~10% for transcription).
SEARCH_SHARE = 0.2
# Blocks searched past the limit are this long.
SEARCH_SECONDS = 60.0
# Blocks searched past the limit overlap by this much, so a silence on a block edge is seen.
OVERLAP_SECONDS = 5.0
# As transcription's VAD filter splits speech (FasterWhisperEngine): speech separated by at
# least 0.7 s of silence is two stretches, and the cut goes into the middle of such a silence.
MIN_SILENCE_MS = 700

SpeechFinder = Callable[[np.ndarray], list[tuple[int, int]]]


@dataclass(frozen=True)
class Piece:
    """Samples [start, end) of the recording."""

    start: int
    end: int

    @property
    def offset(self) -> float:
        """Seconds from the recording's start to the piece's."""
        return self.start / SAMPLE_RATE

    @property
    def duration(self) -> float:
        return (self.end - self.start) / SAMPLE_RATE


def silero_speech(samples: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) samples of the speech Silero VAD finds, padded as faster-whisper pads it."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(min_silence_duration_ms=MIN_SILENCE_MS)
    return [(s["start"], s["end"]) for s in get_speech_timestamps(samples, options)]


def silences(audio: Samples, first: int, last: int, speech: SpeechFinder) -> list[tuple[int, int]]:
    """(position, length) in samples of the silences between two stretches of speech in
    [first, last): the position is the silence's middle, the length what the VAD's padding
    leaves of it (0 for a pause of 0.7-0.8 s). Only silences with speech found on both sides
    inside the block count: speech reaching the block's edge may go on beyond it."""
    spans = speech(audio[first:last])
    pairs = zip(spans[:-1], spans[1:], strict=True)
    return [(first + (end + start) // 2, start - end) for (_, end), (start, _) in pairs]


def find_pieces(
    audio: Samples, limit: float = PIECE_SECONDS, speech: SpeechFinder | None = None
) -> list[Piece]:
    """Pieces that cover the recording end to end, each at most `limit` seconds, cut in the
    middle of silences. A piece is longer only when no silence was found within its limit
    (speech that goes on for longer): it then ends at the first silence after the limit.
    speech: where the speech is in a block of samples (default: Silero VAD)."""
    speech = speech or silero_speech
    total, step = len(audio), int(round(limit * SAMPLE_RATE))
    if step <= 0:
        raise ValueError(f"piece length {limit}: must be above 0")
    pieces: list[Piece] = []
    start = 0
    while total - start > step:
        cut = _cut(audio, start, start + step, speech)
        if cut is None:  # speech to the end: the rest is one piece
            break
        pieces.append(Piece(start, cut))
        start = cut
    pieces.append(Piece(start, total))
    return pieces


def _cut(audio: Samples, start: int, limit: int, speech: SpeechFinder) -> int | None:
    """The longest silence in the last fifth before `limit` (the latest of equals): a long
    pause is where a conversation's turns change, the least harmful place for Whisper to
    start afresh. Else the latest in the whole piece; else the first silence after `limit`."""
    tail = max(start, limit - int(SEARCH_SHARE * (limit - start)))
    found = [c for c in silences(audio, tail, limit, speech) if c[0] > start]
    if not found and tail > start:  # no pause near the end: the latest one in the piece
        found = [c for c in silences(audio, start, limit, speech) if c[0] > start][-1:]
    if found:
        return max(found, key=lambda c: (c[1], c[0]))[0]
    search, overlap = int(SEARCH_SECONDS * SAMPLE_RATE), int(OVERLAP_SECONDS * SAMPLE_RATE)
    block = limit - overlap
    while block < len(audio):
        end = min(len(audio), block + search)
        found = [c for c in silences(audio, block, end, speech) if c[0] > start]
        if found:
            return found[0][0]
        if end == len(audio):
            break
        block = end - overlap
    return None


@dataclass(frozen=True)
class PieceResult:
    """One piece's transcription, with times relative to the piece's start."""

    segments: list[Segment]
    language: str | None
    language_probability: float | None = None
    # What the next piece is conditioned on, in the engine's own terms (faster-whisper: the
    # prompt's token ids; openai-whisper: text). None: nothing to carry.
    context: Any = None


# An engine's transcription of one piece: (samples, language or None, context of the previous
# piece or None) -> PieceResult.
PieceTranscriber = Callable[[np.ndarray, "str | None", Any], PieceResult]


def transcribe(
    audio: Samples,
    run: PieceTranscriber,
    language: str | None = None,
    limit: float = PIECE_SECONDS,
    speech: SpeechFinder | None = None,
) -> AsrResult:
    """Transcribe `audio` piece by piece with `run` and join the pieces' segments.

    The first piece settles the language when none is given (Whisper detects it from the first
    30 s of speech, as it would on the whole recording) and later pieces use it.
    """
    pieces = find_pieces(audio, limit, speech) if len(audio) > limit * SAMPLE_RATE else None
    if not pieces or len(pieces) == 1:  # one call on everything: exactly the whole-file path
        whole = run(audio[0 : len(audio)], language, None)
        return AsrResult(whole.segments, whole.language, whole.language_probability)
    segments: list[Segment] = []
    context: Any = None
    first: PieceResult | None = None
    for piece in pieces:
        result = run(audio[piece.start : piece.end], language, context)
        if first is None:
            first = result
            language = language or result.language
        segments.extend(offset_segments(result.segments, piece.offset))
        if result.context is not None:
            context = result.context
        release_freed_memory()
    assert first is not None
    return AsrResult(segments, first.language, first.language_probability)


def release_freed_memory() -> None:
    """Hand memory freed by the last piece back to the system (glibc's malloc_trim).

    glibc keeps freed heap memory for reuse, and a piece's many mid-sized arrays fragment it:
    without this the peak crept up ~20 MB a piece (measured on a 24-minute recording: 449 to
    493 MB over five pieces; flat at 456 MB with it). A no-op where there is no glibc."""
    global _MALLOC_TRIM
    if _MALLOC_TRIM is None:
        _MALLOC_TRIM = False
        if sys.platform.startswith("linux"):
            try:
                _MALLOC_TRIM = ctypes.CDLL("libc.so.6").malloc_trim
            except (OSError, AttributeError):  # musl and other C libraries: nothing to trim
                pass
    if _MALLOC_TRIM:
        _MALLOC_TRIM(0)


_MALLOC_TRIM: Any = None


def offset_segments(segments: Sequence[Segment], seconds: float) -> list[Segment]:
    """Segments (and their words) moved `seconds` later, times rounded to the millisecond."""
    if not seconds:
        return list(segments)
    return [
        replace(
            s,
            start=round(s.start + seconds, 3),
            end=round(s.end + seconds, 3),
            words=tuple(
                replace(w, start=round(w.start + seconds, 3), end=round(w.end + seconds, 3))
                for w in s.words
            ),
        )
        for s in segments
    ]


def carried_tokens(
    previous: Sequence[int],
    segments: Sequence[tuple[Sequence[int], float]],
    reset_temperature: float = 0.5,
    keep: int = 224,
) -> list[int]:
    """The prompt Whisper would carry past these segments: `previous` followed by each
    segment's tokens, restarted after any decoded at a temperature above `reset_temperature`
    (Whisper's prompt_reset_on_temperature: a fallback's text is not trusted as context),
    the last `keep` tokens (the prompt holds at most half of Whisper's 448-token context)."""
    tokens = list(previous)
    for segment_tokens, temperature in segments:
        tokens.extend(segment_tokens)
        if temperature > reset_temperature:
            tokens = []
    return tokens[-keep:]


def set_piece_seconds(engine: Any, seconds: float) -> None:
    """Transcribe with pieces of at most `seconds` (float("inf"): the whole recording in one
    call), on an engine and on the engines an `auto` engine chooses from; for tests and
    benchmarks that need several pieces on a short recording."""
    for each in (engine, getattr(engine, "english", None), getattr(engine, "multilingual", None)):
        if each is not None and hasattr(each, "piece_seconds"):
            each.piece_seconds = seconds
