"""The word-window diarization (windows over Whisper's words, spectral clustering): speakers
from the audio, utterances split where they change."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from helpers import SAMPLES

from annotator.diarization import DiarizationOptions, SpeakerEmbedder
from annotator.diarization.words import diarize
from annotator.media import SAMPLE_RATE, decode_audio, probe
from annotator.transcript import Word
from annotator.utterances import Segment, segments_to_spans


@pytest.fixture(scope="module")
def embedder() -> SpeakerEmbedder:
    return SpeakerEmbedder.load(threads=1)


@pytest.fixture(scope="module")
def whisper():
    """The pipeline's own transcription (faster-whisper, bundled tiny.en): segments with words."""
    from annotator.asr import load_engine

    engine = load_engine("faster-whisper", "tiny.en", threads=1)
    return lambda samples: engine.transcribe(samples, "en").segments


def words_of(segments: list[Segment]) -> list[Word]:
    return [w for s in segments for w in s.words]


@pytest.fixture(scope="module")
def call(whisper):
    samples = decode_audio(probe(SAMPLES / "call.flac")).samples
    segments = whisper(samples)
    return samples, segments


def ravdess_speech(shared: Path, actor: int, clips: int) -> np.ndarray:
    """`clips` neutral/calm lines of one RAVDESS actor back to back, trimmed to their speech."""
    folder = shared / "data" / "ravdess-speech" / f"Actor_{actor:02d}"
    pieces = []
    for path in sorted(folder.glob("03-01-0[12]-01-*.flac"))[:clips]:
        audio, rate = sf.read(path, dtype="float32")
        assert rate == SAMPLE_RATE
        frames = audio[: len(audio) // 320 * 320].reshape(-1, 320)
        level = 20 * np.log10(np.sqrt((frames**2).mean(1)) + 1e-9)
        loud = np.flatnonzero(level > level.max() - 30)
        pieces.append(audio[loud[0] * 320 : (loud[-1] + 1) * 320])
    return np.concatenate(pieces)


def test_segment_split_where_the_speaker_changes():
    words = tuple(Word(i * 0.5, i * 0.5 + 0.4, f" w{i}", 0.9) for i in range(6))
    segment = Segment(0.0, 3.0, " w0 w1 w2 w3 w4 w5", words)
    spans = segments_to_spans([segment], word_speakers=[0, 0, 0, 1, 1, 1])
    assert [(s.text, s.speaker) for s in spans] == [("w0 w1 w2", 0), ("w3 w4 w5", 1)]
    # Without speakers: one utterance, no speaker.
    (whole,) = segments_to_spans([segment])
    assert (whole.start, whole.end, whole.text, whole.speaker) == (
        0.0,
        2.9,
        "w0 w1 w2 w3 w4 w5",
        None,
    )
    # A segment without words takes the speaker of the nearest word.
    spans = segments_to_spans(
        [segment, Segment(3.2, 3.6, " Mm.")], word_speakers=[0, 0, 0, 1, 1, 1]
    )
    assert spans[-1].speaker == 1


@pytest.mark.slow  # transcribes 15 s of speech: about 30 s on two shared cores
def test_utterance_across_a_speaker_change_is_split(shared, whisper, embedder):
    first, second = ravdess_speech(shared, 1, 4), ravdess_speech(shared, 2, 4)
    change = len(first) / SAMPLE_RATE
    samples = np.concatenate([first, second, np.zeros(SAMPLE_RATE // 2, np.float32)])
    segments = whisper(samples)
    speakers = diarize(samples, words_of(segments), embedder, DiarizationOptions())
    assert len(set(speakers)) == 2
    crossing = [s for s in segments if s.words and s.words[0].end < change < s.words[-1].start]
    spans = segments_to_spans(segments, word_speakers=speakers)
    for span in spans:
        middles = [(w.start + w.end) / 2 for w in span.words]
        # No utterance holds words well before and well after the change.
        assert not (min(middles) < change - 0.5 and max(middles) > change + 0.5), span.text
    assert len(spans) > len(segments) or not crossing


def test_degenerate_inputs_give_one_speaker(embedder):
    silence = np.zeros(SAMPLE_RATE * 3, np.float32)
    assert diarize(silence, [], embedder, DiarizationOptions()) == []
    one = [Word(0.5, 0.9, " hi", 0.9)]
    assert diarize(silence, one, embedder, DiarizationOptions()) == [0]
    short = [Word(0.2, 0.6, " a", 0.9), Word(0.7, 1.2, " b", 0.9)]
    assert diarize(silence, short, embedder, DiarizationOptions()) == [0, 0]


def test_two_speakers_found_on_the_real_call(call, embedder):
    samples, segments = call
    speakers = diarize(samples, words_of(segments), embedder, DiarizationOptions())
    assert len(set(speakers)) == 2
    # Most of the call's truth utterances are given to one speaker each, consistently.
    truth = json.loads((SAMPLES / "call.truth.json").read_text())["utterances"]
    spans = segments_to_spans(segments, word_speakers=speakers)
    votes: dict[tuple[str, int], float] = {}
    for t in truth:
        for s in spans:
            both = min(t["end"], s.end) - max(t["start"], s.start)
            if both > 0:
                votes[t["speaker"], s.speaker] = votes.get((t["speaker"], s.speaker), 0) + both
    right = max(
        votes.get(("speaker90", 0), 0) + votes.get(("speaker91", 1), 0),
        votes.get(("speaker90", 1), 0) + votes.get(("speaker91", 0), 0),
    )
    assert right / sum(votes.values()) >= 0.75


def test_num_speakers_is_honoured(call, embedder):
    samples, segments = call
    words = words_of(segments)
    for count in (1, 3):
        speakers = diarize(samples, words, embedder, DiarizationOptions(num_speakers=count))
        assert sorted(set(speakers)) == list(range(count))


def test_one_speaker_gives_one_speaker(shared, whisper, embedder):
    samples = decode_audio(probe(shared / "media" / "audio" / "jfk.flac")).samples
    segments = whisper(samples)
    assert set(diarize(samples, words_of(segments), embedder, DiarizationOptions())) == {0}


def _voices(n: int, speakers: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Unit embeddings of `speakers` voices taking turns of 20 windows, with noise."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(speakers, 192))
    truth = (np.arange(n) // 20) % speakers
    points = centres[truth] + rng.normal(scale=0.6, size=(n, 192))
    return points / np.linalg.norm(points, axis=1, keepdims=True), truth


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    pairs = set(zip(a.tolist(), b.tolist(), strict=True))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def test_long_recordings_cluster_a_subsample_and_assign_every_window(monkeypatch):
    """Past MAX_CLUSTERED windows the graph is built on an even subsample (bounded memory and
    time); every window still gets a speaker, and the voices come out as the full graph finds
    them."""
    from annotator.diarization import clustering

    embeddings, truth = _voices(900, 3)
    full = clustering.spectral_cluster(embeddings)
    assert _same_partition(full, truth)
    monkeypatch.setattr(clustering, "MAX_SPECTRAL", 300)
    sub = clustering.spectral_cluster(embeddings)
    assert len(sub) == 900 and sub[0] == 0
    assert _same_partition(sub, truth)
    three = clustering.spectral_cluster(embeddings, DiarizationOptions(num_speakers=3))
    assert _same_partition(three, truth)
