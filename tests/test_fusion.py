import numpy as np
import pytest

from annotator.emotion.fusion import (
    AudioEvidence,
    FaceEvidence,
    fuse,
    loudness_db,
    sentiment,
    share_neutral_with_calm,
    summarize,
)
from annotator.emotion.labels import LABEL_INDEX, LABELS

HAPPY, CALM, NEUTRAL, ANGRY = (LABEL_INDEX[x] for x in ("happy", "calm", "neutral", "angry"))


def one_hot_ish(index: int, peak: float = 0.72) -> np.ndarray:
    probs = np.full(8, (1 - peak) / 7)
    probs[index] = peak
    return probs


def voice(index=HAPPY, duration=3.0, loudness=-25.0):
    return AudioEvidence(one_hot_ish(index), duration, loudness)


def face(index=ANGRY, coverage=1.0, size=120.0, confidence=0.9):
    probs = one_hot_ish(index)
    probs[CALM] = 0.0
    return FaceEvidence(probs / probs.sum(), coverage, size, confidence)


def test_missing_modality_equals_the_other_side():
    assert fuse(None, None) is None
    audio_only = fuse(voice(), None)
    np.testing.assert_array_equal(audio_only.probabilities, voice().probabilities)
    assert audio_only.weights == {"audio": 1.0}
    face_only = fuse(None, face())
    np.testing.assert_array_equal(face_only.probabilities, face().probabilities)
    assert face_only.probabilities[CALM] == 0.0


def test_fused_scores_sum_to_one_and_weights_follow_reliability():
    clear = fuse(voice(HAPPY), face(ANGRY))
    assert clear.probabilities.sum() == pytest.approx(1.0)
    assert sum(clear.weights.values()) == pytest.approx(1.0)
    barely_seen = fuse(voice(HAPPY), face(ANGRY, coverage=0.1))
    short_voice = fuse(voice(HAPPY, duration=0.3), face(ANGRY))
    assert barely_seen.weights["face"] < clear.weights["face"] < short_voice.weights["face"]
    assert LABELS[int(np.argmax(barely_seen.probabilities))] == "happy"
    assert LABELS[int(np.argmax(short_voice.probabilities))] == "angry"


def test_face_neutral_is_split_with_calm_as_the_voice_does_without_new_evidence():
    face_probs = face(NEUTRAL).probabilities
    audio = np.zeros(8)
    audio[CALM], audio[NEUTRAL] = 0.3, 0.1
    split = share_neutral_with_calm(face_probs, audio)
    assert split[CALM] == pytest.approx(0.75 * face_probs[NEUTRAL])
    assert split.sum() == pytest.approx(1.0)
    np.testing.assert_array_equal(share_neutral_with_calm(face_probs, None), face_probs)


def test_sentiment_and_valence_come_from_the_scores():
    assert sentiment(one_hot_ish(HAPPY, 0.9))["label"] == "positive"
    assert sentiment(one_hot_ish(ANGRY, 0.9))["label"] == "negative"
    assert sentiment(one_hot_ish(NEUTRAL, 0.9))["label"] == "neutral"
    assert sentiment(one_hot_ish(ANGRY, 0.9))["arousal"] > 0.5


def test_summary_is_share_of_speaking_time():
    summary = summarize([(3.0, "happy"), (1.0, "sad"), (2.0, None)])
    assert summary["speaking_time"] == 4.0
    assert summary["emotion_share"]["happy"] == 0.75 and summary["dominant"] == "happy"


def test_loudness_of_full_scale_sine_is_about_minus_3_db():
    t = np.arange(16000) / 16000
    assert loudness_db(np.sin(2 * np.pi * 440 * t)) == pytest.approx(-3.01, abs=0.05)
    assert loudness_db(np.zeros(10)) == -200.0
