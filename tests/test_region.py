"""Re-decoding a short region: speech a diarizer found where the main pass wrote no words is
decoded on its own (no VAD filter, no previous text), with word times from the region's start.
"""

from __future__ import annotations

import pytest
from helpers import SAMPLES

from annotator.asr import load_engine
from annotator.media import SAMPLE_RATE, decode_audio, probe


@pytest.fixture(scope="module")
def call():
    return decode_audio(probe(SAMPLES / "call.flac")).samples[:]


@pytest.fixture(scope="module")
def tiny():
    return load_engine("faster-whisper", "tiny.en", threads=1)


def region(audio, start: float, end: float):
    return audio[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)]


def test_a_dialogue_region_is_decoded_with_word_times_from_its_start(tiny, call):
    # call.flac 6.5-11.0 s: "Hello?" "Hello?" "Oh, hello. I didn't know you were there."
    # "Neither did I." (the reference transcript).
    segments = tiny.transcribe_region(region(call, 6.5, 11.0), "en")
    words = [w for s in segments for w in s.words]
    text = " ".join(w.word.strip(" .,?!").lower() for w in words)
    assert "hello" in text and "know you were there" in text
    assert all(0.0 <= w.start <= w.end <= 4.5 for w in words)
    assert words[0].start < 0.5  # the region starts with speech: times are the region's own


def test_a_single_short_remark_is_decoded(tiny, call):
    # 0.8 s holding one "Hello?": the VAD-filtered main pass is not involved at all.
    (segment,) = tiny.transcribe_region(region(call, 7.4, 8.3), "en")
    assert segment.text.strip(" .,?!").lower() == "hello"
    assert segment.words and segment.end <= 0.9
