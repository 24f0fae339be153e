"""Late fusion of the voice, face and text verdicts into one emotion per utterance, and what
derives from the eight scores: sentiment, valence / arousal, and a recording's summary.

Every model outputs calibrated probabilities (temperature scaling, stored with its weights), so
the vectors mean the same thing and can be combined:
- voice and face, two views of how something is said, are mixed by a weighted average (a linear
  opinion pool) whose weights say how far each can be trusted for *this* utterance: the voice by
  its duration and loudness, the face by how often it was seen, how large and how clearly;
- the words are independent evidence about the same emotion, so they multiply in as a
  likelihood ratio: the text model's probabilities divided by its training prior (MELD, about
  half neutral), tempered by an exponent that grows with the number of words. A neutral sentence
  is then close to its prior (a ratio near 1) and barely moves a voice verdict, while clearly
  emotional words do;
- acted corpora (what the voice and face models learnt from) are balanced across emotions, real
  conversations are mostly neutral: `adapt_priors` shifts a recording's scores from the acted
  prior to a conversational one, re-estimated for the recording by EM (Saerens et al., 2002).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from annotator.emotion.labels import LABEL_INDEX, LABELS

CALM, NEUTRAL = LABEL_INDEX["calm"], LABEL_INDEX["neutral"]

# Where each class sits on Russell's circumplex (valence, arousal in -1..1). Approximate
# positions after Russell (1980) and the RAVDESS authors' dimensional ratings; stated here so a
# user can read (and change) the mapping that produces `valence`, `arousal` and `sentiment`.
CIRCUMPLEX: dict[str, tuple[float, float]] = {
    "neutral": (0.0, 0.0),
    "calm": (0.4, -0.6),
    "happy": (0.8, 0.5),
    "sad": (-0.7, -0.4),
    "angry": (-0.6, 0.8),
    "fearful": (-0.6, 0.7),
    "disgust": (-0.7, 0.3),
    "surprised": (0.2, 0.8),
}
SENTIMENT_THRESHOLD = 0.15  # |valence| below this reads as neutral sentiment


@dataclass(frozen=True)
class AudioEvidence:
    probabilities: np.ndarray  # (8,) calibrated, LABELS order
    duration: float  # seconds of speech
    loudness_db: float  # RMS level in dBFS


@dataclass(frozen=True)
class FaceEvidence:
    probabilities: np.ndarray  # (8,) calibrated, LABELS order, calm = 0 (the face model has none)
    coverage: float  # sampled frames with the speaker's face / frames sampled
    face_size: float  # mean side of the face box in pixels
    confidence: float  # mean detection confidence, 0..1
    frames: int = 0  # frames that contributed


@dataclass(frozen=True)
class TextEvidence:
    probabilities: np.ndarray  # (8,) calibrated, LABELS order, calm = 0 (no text corpus has it)
    prior: np.ndarray  # (8,) label frequencies of the text model's training data, calm = 0
    words: int  # how many words the utterance has


@dataclass(frozen=True)
class FusionResult:
    probabilities: np.ndarray
    weights: dict[str, float]  # normalised weight of each side present


def _ramp(value: float, low: float, high: float) -> float:
    return float(np.clip((value - low) / (high - low), 0.0, 1.0))


def audio_reliability(evidence: AudioEvidence) -> float:
    """Short or faint speech carries little prosody: full trust from 2 s and -35 dBFS."""
    duration = _ramp(evidence.duration, 0.0, 2.0)
    loudness = _ramp(evidence.loudness_db, -55.0, -35.0)
    return max(duration * loudness, 1e-3)


def face_reliability(evidence: FaceEvidence) -> float:
    """A face seen in few frames, small (the model sees 48x48) or unclear counts for less."""
    size = _ramp(evidence.face_size, 24.0, 64.0)
    return max(evidence.coverage * size * evidence.confidence, 1e-3)


# The most the words can weigh: the exponent of a long utterance's likelihood ratio. Below 1
# because the text model learnt from a TV series' dialogue, not from meetings.
TEXT_WEIGHT = 0.6


def text_reliability(evidence: TextEvidence) -> float:
    """A word or two says little about emotion; full weight from six words."""
    return TEXT_WEIGHT * _ramp(evidence.words, 0.0, 6.0)


def text_likelihood(evidence: TextEvidence, weight: float) -> np.ndarray:
    """(probabilities / prior) ** weight over LABELS; calm takes neutral's ratio, since a text
    model's "neutral" means "neutral or calm"."""
    probabilities = np.asarray(evidence.probabilities, float)
    prior = np.asarray(evidence.prior, float)
    ratio = np.ones(len(LABELS))
    known = prior > 0
    ratio[known] = np.maximum(probabilities[known], 1e-6) / prior[known]
    ratio[CALM] = ratio[NEUTRAL]
    return ratio**weight


def loudness_db(samples: np.ndarray) -> float:
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if samples.size else 0.0
    return 20.0 * np.log10(max(rms, 1e-10))


def share_neutral_with_calm(face: np.ndarray, audio: np.ndarray | None) -> np.ndarray:
    """Give the face's "neutral" mass to neutral and calm in the voice's proportion.

    A face model trained without "calm" cannot tell a calm face from a neutral one; its
    "neutral" means "neutral or calm". Splitting it as the voice does adds no evidence either
    way; without a voice the face keeps calm at 0, as the face model said.
    """
    face = np.array(face, dtype=float)
    if audio is None:
        return face
    pair = audio[NEUTRAL] + audio[CALM]
    calm_share = audio[CALM] / pair if pair > 0 else 0.5
    mass = face[NEUTRAL] + face[CALM]
    face[CALM], face[NEUTRAL] = mass * calm_share, mass * (1 - calm_share)
    return face


def fuse(
    audio: AudioEvidence | None, face: FaceEvidence | None, text: TextEvidence | None = None
) -> FusionResult | None:
    """The fused distribution; with one branch only it equals that branch exactly.

    `weights`: the share of voice and face in their pool, and the exponent the text's
    likelihood ratio got (0 when the words carried no weight).
    """
    pooled = _pool(audio, face)
    if text is None:
        return pooled
    if pooled is None:
        return FusionResult(np.asarray(text.probabilities, float), {"text": 1.0})
    weight = text_reliability(text)
    combined = pooled.probabilities * text_likelihood(text, weight)
    return FusionResult(combined / combined.sum(), {**pooled.weights, "text": round(weight, 4)})


def _pool(audio: AudioEvidence | None, face: FaceEvidence | None) -> FusionResult | None:
    if audio is None and face is None:
        return None
    if face is None:
        return FusionResult(np.asarray(audio.probabilities, float), {"audio": 1.0})
    if audio is None:
        return FusionResult(np.asarray(face.probabilities, float), {"face": 1.0})
    w_audio, w_face = audio_reliability(audio), face_reliability(face)
    total = w_audio + w_face
    w_audio, w_face = w_audio / total, w_face / total
    face_probs = share_neutral_with_calm(face.probabilities, audio.probabilities)
    mixed = w_audio * np.asarray(audio.probabilities, float) + w_face * face_probs
    return FusionResult(mixed / mixed.sum(), {"audio": round(w_audio, 4), "face": round(w_face, 4)})


# RAVDESS's label frequencies (neutral has no strong intensity, so half the clips of the others):
# the prior the voice model's scores carry, and close enough to the face model's balanced use.
ACTED_PRIOR = np.array([1.0, 2, 2, 2, 2, 2, 2, 2]) / 15.0


def conversation_prior(text_prior: np.ndarray) -> np.ndarray:
    """A conversational prior over LABELS from a text corpus's frequencies (calm = 0 there):
    the neutral mass is shared between neutral and calm, which conversations do not tell apart."""
    prior = np.asarray(text_prior, float).copy()
    prior[NEUTRAL] = prior[CALM] = (prior[NEUTRAL] + prior[CALM]) / 2
    return prior / prior.sum()


def adapt_priors(
    probabilities: np.ndarray,
    start: np.ndarray,
    trained: np.ndarray = ACTED_PRIOR,
    adapt: bool = True,
    strength: float = 10.0,
    iterations: int = 20,
) -> tuple[np.ndarray, np.ndarray]:
    """Scores (N, 8) re-weighted from the `trained` prior to one suited to this recording, and
    that prior.

    Without `adapt` the prior is `start`. With it, EM (Saerens, Latinne & Decaestecker, 2002)
    re-estimates the recording's prior from its own adjusted scores, `start` acting as
    `strength` pseudo-utterances so that a short recording cannot collapse onto one label.
    """
    probabilities = np.asarray(probabilities, float)
    if len(probabilities) == 0:
        return probabilities, np.asarray(start, float)
    prior = np.asarray(start, float)

    def shifted(target: np.ndarray) -> np.ndarray:
        weighted = probabilities * (target / trained)
        return weighted / weighted.sum(axis=1, keepdims=True)

    for _ in range(iterations if adapt else 0):
        prior = (shifted(prior).sum(axis=0) + strength * start) / (len(probabilities) + strength)
    return shifted(prior), prior


def valence_arousal(probabilities: Sequence[float]) -> tuple[float, float]:
    coordinates = np.array([CIRCUMPLEX[label] for label in LABELS])
    valence, arousal = np.asarray(probabilities, float) @ coordinates
    return float(valence), float(arousal)


def sentiment(probabilities: Sequence[float]) -> dict[str, float | str]:
    """positive / neutral / negative from the expected valence of the eight scores."""
    valence, arousal = valence_arousal(probabilities)
    if valence > SENTIMENT_THRESHOLD:
        label = "positive"
    elif valence < -SENTIMENT_THRESHOLD:
        label = "negative"
    else:
        label = "neutral"
    return {
        "label": label,
        "score": round(valence, 4),
        "valence": round(valence, 4),
        "arousal": round(arousal, 4),
    }


def summarize(spans: Sequence[tuple[float, str | None]]) -> dict[str, object]:
    """Share of speaking time per fused label, from (duration, label) per utterance."""
    total = sum(duration for duration, label in spans if label is not None)
    shares = {label: 0.0 for label in LABELS}
    for duration, label in spans:
        if label is not None and total > 0:
            shares[label] += duration / total
    dominant = max(shares, key=shares.__getitem__) if total > 0 else None
    return {
        "speaking_time": round(total, 3),
        "emotion_share": {label: round(share, 4) for label, share in shares.items()},
        "dominant": dominant,
    }
