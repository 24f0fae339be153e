"""The emotion stage: voice, face and text models on each utterance, fused into one verdict."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from annotator.emotion.encoder import WhisperEncoder
from annotator.emotion.fusion import (
    AudioEvidence,
    FaceEvidence,
    FusionResult,
    TextEvidence,
    adapt_priors,
    conversation_prior,
    fuse,
    loudness_db,
    sentiment,
)
from annotator.faces import UtteranceFaces
from annotator.media import SAMPLE_RATE
from annotator.options import PRIORS
from annotator.transcript import Emotion, EmotionResult

SHORT_UTTERANCE = 0.5  # seconds; shorter speech is scored but flagged as low-confidence
# A speaker needs this many utterances before their voice is judged against their own average
# (fewer give a noisy average; the normaliser also shrinks it toward the training statistics).
MIN_SPEAKER_UTTERANCES = 3
DEFAULT_HEAD, SPEAKER_HEAD = "default", "speaker-normalised"


@dataclass(frozen=True)
class Evidence:
    """What each branch says about one utterance (None: that branch has nothing to say)."""

    audio: AudioEvidence
    face: FaceEvidence | None
    text: TextEvidence | None
    voice_head: str  # which speech head scored it
    text_sentiment: dict[str, Any] | None = None  # the text model's own sentiment verdict


@dataclass(frozen=True)
class Tagged:
    emotion: Emotion | None
    sentiment: dict[str, Any] | None


class EmotionTagger:
    """Loads the shipped (or given) models once; tags the utterances of a recording."""

    def __init__(
        self,
        encoder: WhisperEncoder,
        speech_weights: Path | None = None,
        face_weights: Path | None = None,
        fusion_weights: Path | None = None,
        text: bool = True,
        prior: str = "adaptive",
        device: str = "cpu",
    ) -> None:
        """encoder: the Whisper encoder the speech model was trained on (the bundled tiny.en's;
        the pipeline shares transcription's model when it is that one). prior: "adaptive"
        (conversational prior re-estimated per recording), "conversation" (fixed) or "acted"
        (the models' own, balanced). device: where the torch models run ("cpu" or "cuda")."""
        from annotator.emotion.audio import SpeechEmotionModel
        from annotator.emotion.face import FaceEnsemble

        if prior not in PRIORS:
            raise ValueError(f"prior {prior!r}: choose one of {', '.join(PRIORS)}")
        self.speech = SpeechEmotionModel.load(speech_weights)
        self.encoder = encoder
        self.face = FaceEnsemble.load(face_weights, device=device)
        from annotator.emotion.text import TextEmotionModel

        self.text = TextEmotionModel.load(device=device) if text else None
        self.prior = prior
        # Conversations' label frequencies, from the text model's training dialogue (also when
        # the text branch itself is off).
        self.conversation = conversation_prior(
            self.text.prior if self.text is not None else TextEmotionModel.training_prior()
        )
        self.fusion: Callable[..., FusionResult | None] = fuse
        self.fusion_name = "calibrated late fusion (voice/face pool x text likelihood)"
        if fusion_weights is not None:
            from annotator.emotion.learned_fusion import LearnedFusion

            learned = LearnedFusion.load(fusion_weights)
            self.fusion, self.fusion_name = learned.fuse, learned.name

    @property
    def models(self) -> dict[str, str]:
        models = {
            "audio_emotion": self.speech.name,
            "face_emotion": self.face.name,
            "fusion": f"{self.fusion_name}; {self.prior} prior",
        }
        if self.text is not None:
            models["text_emotion"] = self.text.name
        return models

    def evidence(
        self,
        clips: Sequence[np.ndarray],
        faces: Sequence[UtteranceFaces | None],
        speakers: Sequence[Any] | None = None,
        texts: Sequence[str] | None = None,
    ) -> list[Evidence]:
        """What each model says about each utterance, with what the fusion weighs it by.

        speakers: who spoke each utterance (diarization, or one id for a one-speaker file):
        a speaker with enough utterances has their voice judged against their own average.
        texts: the words of each utterance, in order (the previous ones are its context);
        None when the text branch does not apply (no words, another language).
        """
        audio_probs, heads = self._voice(clips, speakers)
        face_probs = self._face_probabilities(faces)
        text_probs, text_sentiments = self._text_probabilities(texts, len(clips))
        result = []
        for i, clip in enumerate(clips):
            audio = AudioEvidence(
                np.asarray(audio_probs[i]), len(clip) / SAMPLE_RATE, loudness_db(clip)
            )
            found, face = faces[i], face_probs[i]
            seen = None
            if face is not None and found is not None and found.with_face:
                seen = FaceEvidence(
                    probabilities=face,
                    coverage=found.with_face / max(1, found.sampled),
                    face_size=float(np.mean([f.size for f in found.faces])),
                    confidence=float(np.mean([f.confidence for f in found.faces])),
                    frames=found.with_face,
                )
            words = None
            if text_probs[i] is not None and self.text is not None and texts is not None:
                words = TextEvidence(text_probs[i], self.text.prior, len(texts[i].split()))
            result.append(Evidence(audio, seen, words, heads[i], text_sentiments[i]))
        return result

    def tag(
        self,
        clips: Sequence[np.ndarray],
        faces: Sequence[UtteranceFaces | None],
        speakers: Sequence[Any] | None = None,
        texts: Sequence[str] | None = None,
    ) -> list[Tagged]:
        evidence = self.evidence(clips, faces, speakers, texts)
        fused = [self.fusion(e.audio, e.face, e.text) for e in evidence]
        scores = np.array([f.probabilities for f in fused]).reshape(len(fused), -1)
        if self.prior != "acted":
            scores, _ = adapt_priors(scores, self.conversation, adapt=self.prior == "adaptive")
        tagged = []
        for e, result, probabilities in zip(evidence, fused, scores, strict=True):
            best = EmotionResult.from_scores(probabilities)
            emotion = Emotion(
                label=best.label,
                confidence=best.confidence,
                scores=best.scores,
                weights=result.weights,
                audio=EmotionResult.from_scores(
                    e.audio.probabilities,
                    low_confidence=e.audio.duration < SHORT_UTTERANCE,
                    head=e.voice_head,
                ),
                face=EmotionResult.from_scores(e.face.probabilities, frames=e.face.frames)
                if e.face
                else None,
                text=EmotionResult.from_scores(e.text.probabilities, sentiment=e.text_sentiment)
                if e.text
                else None,
            )
            tagged.append(Tagged(emotion, sentiment(probabilities)))
        return tagged

    def _voice(
        self, clips: Sequence[np.ndarray], speakers: Sequence[Any] | None
    ) -> tuple[np.ndarray, list[str]]:
        """Voice probabilities (N, 8) and the head that gave each row."""
        if not clips:
            return np.zeros((0, 8)), []
        features = self.speech.features(clips, self.encoder)
        probabilities = self.speech.predict_features(features)
        heads = [DEFAULT_HEAD] * len(clips)
        if speakers is None or self.speech.speaker_head is None:
            return probabilities, heads
        ids = [str(s) for s in speakers]
        counts = {s: ids.count(s) for s in set(ids)}
        rows = [i for i, s in enumerate(ids) if counts[s] >= MIN_SPEAKER_UTTERANCES]
        if rows:
            probabilities[rows] = self.speech.predict_features(
                features[rows], [ids[i] for i in rows]
            )
            for i in rows:
                heads[i] = SPEAKER_HEAD
        return probabilities, heads

    def _text_probabilities(
        self, texts: Sequence[str] | None, n: int
    ) -> tuple[list[np.ndarray | None], list[dict[str, Any] | None]]:
        """The text model's emotion scores and sentiment per utterance (None without words)."""
        from annotator.emotion.text import SENTIMENTS

        emotions: list[np.ndarray | None] = [None] * n
        sentiments: list[dict[str, Any] | None] = [None] * n
        usable = [i for i, t in enumerate(texts or []) if t.strip()]
        if self.text is None or texts is None or not usable:
            return emotions, sentiments
        # The conversation so far, as many previous utterances as the model was trained with.
        turns = self.text.context_turns
        context = [list(texts[max(0, i - turns) : i]) for i in usable]
        prediction = self.text.predict([texts[i] for i in usable], context)
        for row, i in enumerate(usable):
            emotions[i] = prediction.emotion[row]
            scores = prediction.sentiment[row]
            sentiments[i] = {
                "label": SENTIMENTS[int(np.argmax(scores))],
                "scores": {s: round(float(v), 4) for s, v in zip(SENTIMENTS, scores, strict=True)},
            }
        return emotions, sentiments

    def _face_probabilities(
        self, faces: Sequence[UtteranceFaces | None]
    ) -> list[np.ndarray | None]:
        """One distribution per utterance with a face: frames weighted by confidence x size.

        All faces of the recording go through the network in one batched call.
        """
        from annotator.emotion.face import combine_frames

        aligned = [f.aligned for found in faces if found for f in found.faces]
        frame_probs = self.face.predict(aligned)
        result: list[np.ndarray | None] = []
        offset = 0
        for found in faces:
            if not found or not found.faces:
                result.append(None)
                continue
            count = len(found.faces)
            weights = np.array([f.confidence * f.size for f in found.faces])
            result.append(combine_frames(frame_probs[offset : offset + count], weights))
            offset += count
        return result
