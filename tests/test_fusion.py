import numpy as np
import pytest

from annotator.emotion.fusion import (
    AudioEvidence,
    FaceEvidence,
    TextEvidence,
    adapt_priors,
    conversation_prior,
    fuse,
    loudness_db,
    sentiment,
    share_neutral_with_calm,
    summarize,
)
from annotator.emotion.labels import LABEL_INDEX, LABELS

HAPPY, CALM, NEUTRAL, ANGRY, SAD = (
    LABEL_INDEX[x] for x in ("happy", "calm", "neutral", "angry", "sad")
)


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


# --- the text branch and the conversational prior ----------------------------------------------

MELD_PRIOR = np.array([0.47, 0.0, 0.17, 0.07, 0.11, 0.03, 0.03, 0.12])


def words(index: int, peak: float = 0.8, count: int = 8) -> TextEvidence:
    probs = np.full(8, (1 - peak) / 6)
    probs[CALM] = 0.0
    probs[index] = peak
    return TextEvidence(probs / probs.sum(), MELD_PRIOR, count)


def test_each_branch_alone_is_returned_as_it_is():
    only_text = fuse(None, None, words(ANGRY))
    np.testing.assert_array_equal(only_text.probabilities, words(ANGRY).probabilities)
    assert only_text.weights == {"text": 1.0}
    both = fuse(voice(HAPPY), face(ANGRY))
    np.testing.assert_array_equal(
        fuse(voice(HAPPY), face(ANGRY), None).probabilities, both.probabilities
    )


def test_a_neutral_sentence_does_not_move_a_confident_voice():
    confident = AudioEvidence(one_hot_ish(ANGRY, 0.9), 3.0, -25.0)
    fused = fuse(confident, None, words(NEUTRAL, 0.85))
    assert LABELS[int(np.argmax(fused.probabilities))] == "angry"
    assert fused.probabilities[ANGRY] > 0.8


def test_emotional_words_tip_an_unsure_voice_and_neutral_words_weigh_little():
    unsure = AudioEvidence(np.array([0.1, 0.1, 0.1, 0.22, 0.26, 0.1, 0.06, 0.06]), 3.0, -25.0)
    assert LABELS[int(np.argmax(fuse(unsure, None).probabilities))] == "angry"
    tipped = fuse(unsure, None, words(SAD, 0.8))
    assert LABELS[int(np.argmax(tipped.probabilities))] == "sad"
    # The likelihood ratio of a neutral sentence is near 1 for every class: a small move.
    calm_words = fuse(unsure, None, words(NEUTRAL, 0.6))
    assert np.abs(calm_words.probabilities - fuse(unsure, None).probabilities).max() < 0.1
    # One word counts for less than a sentence.
    short = fuse(unsure, None, words(SAD, 0.8, count=1))
    assert short.weights["text"] < tipped.weights["text"]


def test_the_conversational_prior_favours_neutral_and_em_follows_the_recording():
    prior = conversation_prior(MELD_PRIOR)
    assert prior[NEUTRAL] == prior[CALM] and prior.sum() == pytest.approx(1.0)
    flat = np.full((4, 8), 1 / 8)
    shifted, used = adapt_priors(flat, prior, adapt=False)
    assert LABELS[int(np.argmax(shifted[0]))] in ("neutral", "calm")
    np.testing.assert_allclose(used, prior)
    # A recording full of clearly angry utterances pulls its own prior toward angry.
    angry = np.tile(one_hot_ish(ANGRY, 0.8), (40, 1))
    adapted, learnt = adapt_priors(angry, prior)
    assert learnt[ANGRY] > prior[ANGRY] and adapted[:, ANGRY].min() > 0.5
    np.testing.assert_allclose(adapted.sum(axis=1), 1.0)
