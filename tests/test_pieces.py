"""Transcription in pieces (annotator.asr.pieces): where recordings are cut, how the pieces'
transcripts are joined, and (slow) that a long recording reads the same in pieces as whole."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import REPO, SAMPLES

from annotator.asr import pieces
from annotator.asr.pieces import PieceResult, find_pieces, offset_segments
from annotator.media import SAMPLE_RATE, SampleFile, decode_audio, probe
from annotator.transcript import Word
from annotator.utterances import Segment

RATE = SAMPLE_RATE


def fake_vad(layout: list[tuple[float, float]]):
    """A speech finder for audio whose speech is `layout` (seconds): it reads the block's
    position from the samples themselves (each sample holds its own index)."""

    def speech(block: np.ndarray) -> list[tuple[int, int]]:
        if block.size == 0:
            return []
        first, last = int(block[0]), int(block[-1]) + 1
        spans = []
        for start, end in layout:
            s, e = max(first, int(start * RATE)), min(last, int(end * RATE))
            if s < e:
                spans.append((s - first, e - first))
        return spans

    return speech


def indexed(seconds: float) -> np.ndarray:
    return np.arange(int(seconds * RATE), dtype=np.float64)  # exact indexes up to 2**53


def inside_speech(position: int, layout: list[tuple[float, float]]) -> bool:
    return any(start * RATE < position < end * RATE for start, end in layout)


def check_pieces(found, total: int, limit: float, layout) -> None:
    assert found[0].start == 0 and found[-1].end == total
    for a, b in zip(found, found[1:], strict=False):
        assert a.end == b.start and a.end > a.start  # contiguous, none empty
        assert not inside_speech(a.end, layout), f"cut at {a.end / RATE:.2f} s is inside speech"
    for piece in found[:-1]:
        if piece.duration > limit:  # only when speech runs through the whole limit
            pauses = [
                (e1, s2)
                for (_, e1), (s2, _) in zip(layout, layout[1:], strict=False)
                if piece.start < e1 * RATE and s2 * RATE <= piece.start + limit * RATE
            ]
            assert not pauses, f"{piece} is over {limit} s although a pause came before"


def test_cuts_fall_in_silences_and_pieces_cover_the_recording():
    # Turns of 3-9 s with pauses of 0.5-2 s, for four minutes.
    rng = np.random.default_rng(0)
    layout, t = [], 0.5
    while t < 235:
        length = float(rng.uniform(3, 9))
        layout.append((t, t + length))
        t += length + float(rng.uniform(0.5, 2.0))
    audio = indexed(240)
    for limit in (20.0, 45.0, 60.0):
        found = find_pieces(audio, limit, speech=fake_vad(layout))
        assert len(found) >= 240 // limit
        check_pieces(found, len(audio), limit, layout)
        assert all(p.duration <= limit for p in found)


def test_speech_longer_than_a_piece_is_not_cut():
    layout = [(1.0, 9.0), (10.0, 80.0), (81.0, 95.0)]  # 70 s without a pause
    audio = indexed(100)
    found = find_pieces(audio, 30.0, speech=fake_vad(layout))
    check_pieces(found, len(audio), 30.0, layout)
    long = [p for p in found if p.duration > 30.0]
    assert len(long) == 1 and long[0].start < 10 * RATE and long[0].end > 80 * RATE


def test_speech_to_the_end_leaves_one_last_piece():
    audio = indexed(50)
    found = find_pieces(audio, 20.0, speech=fake_vad([(0.5, 49.9)]))
    assert [(p.start, p.end) for p in found] == [(0, len(audio))]


def test_a_recording_within_one_piece_is_not_cut():
    audio = indexed(30)
    assert find_pieces(audio, 30.0, speech=fake_vad([(0, 1), (2, 3)])) == [
        pieces.Piece(0, len(audio))
    ]


def test_real_vad_cuts_the_sample_meeting_between_speech():
    """Silero VAD on real speech: every cut lies outside the speech the VAD finds in the whole
    recording (without its padding), and the pieces respect the limit."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    audio = decode_audio(probe(SAMPLES / "meeting.mp4")).samples
    whole = audio[:]
    raw = get_speech_timestamps(whole, VadOptions(min_silence_duration_ms=700, speech_pad_ms=0))
    layout = [(s["start"] / RATE, s["end"] / RATE) for s in raw]
    found = find_pieces(audio, 10.0)
    assert len(found) >= 5
    check_pieces(found, len(whole), 10.0, layout)
    assert all(p.duration <= 10.0 for p in found)


def test_pieces_are_joined_in_recording_time_with_context_and_language():
    audio = indexed(100)
    layout = [(t, t + 8.0) for t in np.arange(1.0, 95.0, 10.0)]
    calls = []

    def run(samples, language, context):
        calls.append((len(samples), language, context))
        word = Word(1.0, 1.5, " hi", 0.9)
        segment = Segment(1.0, 1.5, f"piece {len(calls)}", (word,))
        return PieceResult([segment], language or "de", 0.8, context=len(calls))

    cut = find_pieces(audio, 30.0, speech=fake_vad(layout))
    result = pieces.transcribe(audio, run, None, 30.0, speech=fake_vad(layout))
    assert [c[0] for c in calls] == [p.end - p.start for p in cut]
    # The first piece detects the language; later pieces are told it and get the context.
    assert [c[1] for c in calls] == [None] + ["de"] * (len(cut) - 1)
    assert [c[2] for c in calls] == [None, *range(1, len(cut))]
    assert result.language == "de" and result.language_probability == 0.8
    starts = [s.start for s in result.segments]
    assert starts == [round(p.offset + 1.0, 3) for p in cut]
    assert [s.words[0].start for s in result.segments] == starts


def test_a_short_recording_is_one_call_without_context():
    audio = np.ones(RATE * 5, dtype=np.float32)
    calls = []

    def run(samples, language, context):
        calls.append((samples, language, context))
        return PieceResult([Segment(0.5, 1.0, "x")], "en", 1.0, context=[1, 2])

    result = pieces.transcribe(audio, run, "en", 30.0)
    assert len(calls) == 1 and calls[0][1:] == ("en", None)
    assert calls[0][0] is not audio and np.array_equal(calls[0][0], audio)
    assert result.segments == [Segment(0.5, 1.0, "x")]


def test_offsets_and_carried_tokens():
    segment = Segment(1.0, 2.0, "a b", (Word(1.0, 1.4, " a", 0.9), Word(1.5, 2.0, " b", 0.8)))
    [moved] = offset_segments([segment], 300.0006)
    assert (moved.start, moved.end) == (301.001, 302.001)  # rounded to the millisecond
    assert [(w.start, w.end) for w in moved.words] == [(301.001, 301.401), (301.501, 302.001)]
    assert pieces.carried_tokens([1, 2], [([3], 0.0), ([4, 5], 0.2)]) == [1, 2, 3, 4, 5]
    # A fallback decoded hot is not trusted as context, nor anything before it.
    assert pieces.carried_tokens([1, 2], [([3], 0.0), ([4], 0.8), ([5], 0.0)]) == [5]
    assert pieces.carried_tokens(range(500), [], keep=224) == list(range(276, 500))


def test_sample_file_reads_what_ffmpeg_decoded(tmp_path):
    """The decoded audio kept on disk reads back exactly as decoding into memory gives."""
    import subprocess

    import ffmpeg

    from annotator.media import ffmpeg_executable

    info = probe(SAMPLES / "call.flac")
    samples = decode_audio(info).samples
    command = (
        ffmpeg.input(str(info.path))
        .output("pipe:", format="f32le", acodec="pcm_f32le", ac=1, ar=RATE, map="0:a:0")
        .global_args("-nostdin", "-loglevel", "error")
        .compile(cmd=ffmpeg_executable())
    )
    memory = np.frombuffer(subprocess.run(command, capture_output=True).stdout, np.float32)
    assert len(samples) == len(memory)
    assert np.array_equal(samples[:], memory) and np.array_equal(np.asarray(samples), memory)
    assert np.array_equal(samples[1000:2000], memory[1000:2000])
    assert samples[len(memory) - 5 : len(memory) + 10].shape == (5,)
    assert samples[10:20].flags.writeable


def test_block_features_equal_whisper_features():
    """The log-mel computed in 30 s blocks: the same as faster-whisper's whole-input STFT
    (float32 rounding of the mel projection aside: within 1e-6)."""
    from faster_whisper.feature_extractor import FeatureExtractor

    from annotator.asr.features import BlockFeatureExtractor

    whole = decode_audio(probe(SAMPLES / "meeting.mp4")).samples[:]
    original = FeatureExtractor()
    blocks = BlockFeatureExtractor.like(original)
    for n in (100, 300, RATE * 7, RATE * 30 + 123, len(whole)):
        expected, got = original(whole[:n]), blocks(whole[:n])
        assert got.shape == expected.shape and got.dtype == expected.dtype
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
    assert np.array_equal(blocks(whole[: RATE * 20]), original(whole[: RATE * 20]))


# ------------------------------------------------------------------ slow: real transcription


def benchmark():
    """benchmarks/pieces.py, which composes the long recording and compares transcripts."""
    import importlib.util

    path = REPO / "benchmarks" / "pieces.py"
    spec = importlib.util.spec_from_file_location("pieces_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_a_long_recording_reads_the_same_in_pieces_as_whole(shared):
    """5.7 minutes of real speech (benchmarks/pieces.py) in two-minute pieces (three seams; a
    real piece is five minutes) against the whole recording in one call."""
    from annotator.asr import load_engine
    from annotator.asr.pieces import set_piece_seconds

    bench = benchmark()
    audio = SampleFile.from_array(bench.long_recording(shared))
    assert len(audio) > 5 * 60 * RATE
    engine = load_engine("faster-whisper", "auto")
    set_piece_seconds(engine, float("inf"))
    whole = engine.transcribe(audio)
    set_piece_seconds(engine, 120.0)
    assert len(find_pieces(audio, 120.0)) >= 4
    cut = engine.transcribe(audio)
    assert cut.language == whole.language == "en"
    wer, matched, largest, mean = bench.compare(whole, cut)
    assert wer <= 0.02
    # The words both transcripts share are at the same times (a seam moves a few).
    assert matched >= 0.97 * len(bench.words_of(whole))
    assert mean <= 0.2 and largest <= 10.0
