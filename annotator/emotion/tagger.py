"""The emotion stage: voice and face models on each utterance's clips, fused into one verdict."""

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
    fuse,
    loudness_db,
    sentiment,
)
from annotator.faces import UtteranceFaces
from annotator.media import SAMPLE_RATE
from annotator.transcript import Emotion, EmotionResult

SHORT_UTTERANCE = 0.5  # seconds; shorter speech is scored but flagged as low-confidence


@dataclass(frozen=True)
class Tagged:
    emotion: Emotion | None
    sentiment: dict[str, Any] | None


class EmotionTagger:
    """Loads the shipped (or given) speech and face models once; tags utterances."""

    def __init__(
        self,
        encoder: WhisperEncoder,
        speech_weights: Path | None = None,
        face_weights: Path | None = None,
        fusion_weights: Path | None = None,
    ) -> None:
        """encoder: the Whisper encoder the speech model was trained on (the bundled tiny.en's;
        the pipeline shares transcription's model when it is that one)."""
        from annotator.emotion.audio import SpeechEmotionModel
        from annotator.emotion.face import FaceEmotionModel

        self.speech = SpeechEmotionModel.load(speech_weights)
        self.encoder = encoder
        self.face = FaceEmotionModel.load(face_weights)
        self.fusion: Callable[[AudioEvidence, FaceEvidence | None], FusionResult] = fuse
        self.fusion_name = "calibrated late fusion (reliability-weighted pool)"
        if fusion_weights is not None:
            from annotator.emotion.learned_fusion import LearnedFusion

            learned = LearnedFusion.load(fusion_weights)
            self.fusion, self.fusion_name = learned.fuse, learned.name

    @property
    def models(self) -> dict[str, str]:
        return {
            "audio_emotion": self.speech.name,
            "face_emotion": self.face.name,
            "fusion": self.fusion_name,
        }

    def evidence(
        self,
        clips: Sequence[np.ndarray],
        faces: Sequence[UtteranceFaces | None],
        single_speaker: bool = False,
    ) -> list[tuple[AudioEvidence, FaceEvidence | None]]:
        """What each model says about each utterance, with what the fusion weighs it by.

        single_speaker: the recording has one speaker, so the voice features can be
        standardised over all its utterances (the speaker-normalised head).
        """
        speakers = [0] * len(clips) if single_speaker else None
        audio_probs = self.speech.predict(clips, self.encoder, speakers) if clips else []
        face_probs = self._face_probabilities(faces)
        result = []
        for clip, probs, found, face in zip(clips, audio_probs, faces, face_probs, strict=True):
            audio = AudioEvidence(np.asarray(probs), len(clip) / SAMPLE_RATE, loudness_db(clip))
            seen = None
            if face is not None and found is not None and found.with_face:
                seen = FaceEvidence(
                    probabilities=face,
                    coverage=found.with_face / max(1, found.sampled),
                    face_size=float(np.mean([f.size for f in found.faces])),
                    confidence=float(np.mean([f.confidence for f in found.faces])),
                    frames=found.with_face,
                )
            result.append((audio, seen))
        return result

    def tag(
        self,
        clips: Sequence[np.ndarray],
        faces: Sequence[UtteranceFaces | None],
        single_speaker: bool = False,
    ) -> list[Tagged]:
        tagged = []
        for audio, face in self.evidence(clips, faces, single_speaker):
            fused = self.fusion(audio, face)
            best = EmotionResult.from_scores(fused.probabilities)
            emotion = Emotion(
                label=best.label,
                confidence=best.confidence,
                scores=best.scores,
                weights=fused.weights,
                audio=EmotionResult.from_scores(
                    audio.probabilities, low_confidence=audio.duration < SHORT_UTTERANCE
                ),
                face=EmotionResult.from_scores(face.probabilities, frames=face.frames)
                if face
                else None,
            )
            tagged.append(Tagged(emotion, sentiment(fused.probabilities)))
        return tagged

    def _face_probabilities(
        self, faces: Sequence[UtteranceFaces | None]
    ) -> list[np.ndarray | None]:
        """One distribution per utterance with a face: frames weighted by confidence x size.

        All crops of the recording go through the network in one batched call.
        """
        from annotator.emotion.face import combine_frames

        crops = [f.crop for found in faces if found for f in found.faces]
        frame_probs = self.face.predict(crops)
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
