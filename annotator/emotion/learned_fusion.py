"""A learned fusion head (`--fusion learned --fusion-weights FILE`): logistic regression over
both branches' log-scores and reliabilities, trained by `annotate train multimodal`.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from annotator.emotion.fusion import (
    AudioEvidence,
    FaceEvidence,
    FusionResult,
    audio_reliability,
    face_reliability,
)
from annotator.emotion.labels import LABELS
from annotator.emotion.probability import softmax

FORMAT = "annotator.learned-fusion/1"


def head_features(audio: AudioEvidence, face: FaceEvidence | None) -> np.ndarray:
    """What the learned head sees: both sides' log-scores, their reliabilities, and whether a
    face was there at all (a missing face is zeros plus that flag, never invented scores)."""
    log_audio = np.log(np.clip(audio.probabilities, 1e-4, 1.0))
    if face is None:
        log_face, present, face_weight = np.zeros(len(LABELS)), 0.0, 0.0
    else:
        log_face = np.log(np.clip(face.probabilities, 1e-4, 1.0))
        present, face_weight = 1.0, face_reliability(face)
    extra = [present, face_weight, audio_reliability(audio)]
    return np.concatenate([log_audio, log_face, extra])


@dataclass
class LearnedFusion:
    """A multinomial logistic-regression head over `head_features`."""

    coef: np.ndarray  # (8, F); rows of classes absent from training are zero
    intercept: np.ndarray  # (8,); absent classes get -inf, i.e. probability 0
    metadata: dict

    @property
    def name(self) -> str:
        return f"learned fusion head ({self.metadata.get('data', 'user data')})"

    def fuse(
        self, audio: AudioEvidence, face: FaceEvidence | None, text: object = None
    ) -> FusionResult:
        """The head's verdict from voice and face; the words are not among its inputs (it is
        trained on labelled audio-video clips, which come without transcripts)."""
        logits = self.coef @ head_features(audio, face) + self.intercept
        return FusionResult(softmax(logits), {"learned": 1.0})

    def save(self, path: Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            np.savez(
                handle,
                coef=self.coef,
                intercept=self.intercept,
                metadata=np.array(json.dumps({**self.metadata, "format": FORMAT})),
            )

    @classmethod
    def load(cls, path: Path) -> LearnedFusion:
        try:
            with np.load(path, allow_pickle=False) as arrays:
                metadata = json.loads(str(arrays["metadata"]))
                if metadata.get("format") == FORMAT:
                    return cls(arrays["coef"], arrays["intercept"], metadata)
        except (OSError, KeyError, ValueError, zipfile.BadZipFile):
            pass
        raise ValueError(f"{path}: not a learned-fusion weights file ({FORMAT})")
