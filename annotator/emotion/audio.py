"""Speech-emotion inference: Whisper encoder states -> pooled statistics -> linear head.

The weights are one small `.npz` (plain arrays plus a JSON metadata string, loaded with
`allow_pickle=False`), so loading them never runs pickled code and inference needs only numpy.

Two heads can live in one weights file:
- the default head reads one clip at a time and needs nothing but the audio;
- the optional speaker-normalised head expects features standardised per speaker (each speaker's
  own mean/std over their clips, shrunk toward the training statistics when they have few clips).
  It is used only when the caller passes `speaker_ids` (one speaker per file, or diarization),
  because in a meeting the speaker is not known unless something tells us.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from annotator.emotion.encoder import WhisperEncoder
from annotator.emotion.labels import LABELS
from annotator.emotion.probability import softmax

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
DEFAULT_WEIGHTS = WEIGHTS_DIR / "speech_emotion.npz"
FORMAT = "annotator.speech_emotion/1"


@dataclass(frozen=True)
class FeatureRecipe:
    """How one clip becomes one feature vector; training and inference share it exactly."""

    # librosa-style trim of leading/trailing silence quieter than peak - top_db; None = no trim.
    trim_top_db: float | None = None
    # Statistics over encoder states, concatenated in this order.
    statistics: tuple[str, ...] = ("mean", "std")
    # Which encoder layers to pool (0 = the convolutional front end, n = the last layer, before
    # the final layer norm), concatenated in this order; None = the last layer after the final
    # norm, as CTranslate2 returns it (the first model's recipe).
    layers: tuple[int, ...] | None = None
    # Append the prosodic / voice-quality functionals (annotator.emotion.prosody).
    prosody: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "trim_top_db": self.trim_top_db,
            "statistics": list(self.statistics),
            "layers": None if self.layers is None else list(self.layers),
            "prosody": self.prosody,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureRecipe:
        layers = data.get("layers")
        return cls(
            data.get("trim_top_db"),
            tuple(data.get("statistics", ("mean", "std"))),
            None if layers is None else tuple(int(i) for i in layers),
            bool(data.get("prosody", False)),
        )


def trim_silence(audio: np.ndarray, top_db: float) -> np.ndarray:
    """Cut leading/trailing frames quieter than the clip's peak minus top_db (never empties)."""
    import librosa

    trimmed, _ = librosa.effects.trim(audio, top_db=top_db, frame_length=400, hop_length=160)
    return trimmed if trimmed.size >= 1600 else audio


def pool_states(states: np.ndarray, statistics: Sequence[str] = ("mean", "std")) -> np.ndarray:
    """(frames, dim) encoder states -> one vector of concatenated per-dimension statistics."""
    states = np.asarray(states, dtype=np.float64)
    parts = []
    for name in statistics:
        if name == "mean":
            parts.append(states.mean(axis=0))
        elif name == "std":
            parts.append(states.std(axis=0))
        elif name == "max":
            parts.append(states.max(axis=0))
        elif name == "min":
            parts.append(states.min(axis=0))
        elif name == "absdelta":
            # Mean absolute frame-to-frame change: how fast the voice moves, a rate cue.
            diffs = np.diff(states, axis=0) if len(states) > 1 else np.zeros_like(states)
            parts.append(np.abs(diffs).mean(axis=0))
        else:
            raise ValueError(f"unknown statistic {name!r}")
    return np.concatenate(parts).astype(np.float32)


def clip_features(audio: np.ndarray, encoder: WhisperEncoder, recipe: FeatureRecipe) -> np.ndarray:
    """One clip (16 kHz mono float32) -> its pooled feature vector."""
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    if recipe.trim_top_db is not None and audio.size:
        audio = trim_silence(audio, recipe.trim_top_db)
    if recipe.layers is None:
        parts = [pool_states(encoder.encode(audio), recipe.statistics)]
    else:
        # Layers above the highest one used are never computed.
        states = encoder.encode_layers(audio, max(recipe.layers))
        parts = [pool_states(states[layer], recipe.statistics) for layer in recipe.layers]
    if recipe.prosody:
        from annotator.emotion import prosody

        parts.append(prosody.functionals(audio))
    return np.concatenate(parts).astype(np.float32)


@dataclass
class LinearHead:
    """Standardise -> affine -> logits; probabilities = softmax(logits / temperature)."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # (classes, dim)
    intercept: np.ndarray  # (classes,)
    temperature: float = 1.0

    def logits(self, features: np.ndarray) -> np.ndarray:
        standardised = (np.asarray(features, dtype=np.float64) - self.mean) / self.scale
        return standardised @ self.coef.T + self.intercept

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        return softmax(self.logits(features), self.temperature)

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {
            f"{prefix}mean": self.mean,
            f"{prefix}scale": self.scale,
            f"{prefix}coef": self.coef,
            f"{prefix}intercept": self.intercept,
            f"{prefix}temperature": np.array(self.temperature),
        }

    @classmethod
    def from_arrays(cls, arrays: Any, prefix: str) -> LinearHead:
        return cls(
            mean=np.asarray(arrays[f"{prefix}mean"], dtype=np.float64),
            scale=np.asarray(arrays[f"{prefix}scale"], dtype=np.float64),
            coef=np.asarray(arrays[f"{prefix}coef"], dtype=np.float64),
            intercept=np.asarray(arrays[f"{prefix}intercept"], dtype=np.float64),
            temperature=float(arrays[f"{prefix}temperature"]),
        )


@dataclass
class SpeakerNormaliser:
    """Per-speaker standardisation of pooled features, shrunk toward the recording, then toward
    the training statistics.

    The recording's statistics (every clip passed in one call: all its speakers) are first
    blended with the training corpus's as (N * recording + shrinkage * global) / (N + shrinkage);
    each speaker's own mean/variance is then blended with the recording's the same way with their
    n clips. A speaker with one or two utterances is standardised like the room they speak in
    (its microphone, its level), not like the studio the model was trained in; a speaker with
    sixty is essentially standardised on their own.
    """

    global_mean: np.ndarray
    global_var: np.ndarray
    shrinkage: float = 10.0

    def _blend(self, rows: np.ndarray, mean: np.ndarray, var: np.ndarray) -> tuple[Any, Any]:
        n = float(len(rows))
        weight = self.shrinkage
        return (
            (n * rows.mean(axis=0) + weight * mean) / (n + weight),
            (n * rows.var(axis=0) + weight * var) / (n + weight),
        )

    def __call__(self, features: np.ndarray, speaker_ids: Sequence[Any]) -> np.ndarray:
        features = np.asarray(features, dtype=np.float64)
        speakers = np.asarray([str(s) for s in speaker_ids])
        if len(speakers) != len(features):
            raise ValueError("speaker_ids must have one entry per clip")
        out = np.empty_like(features)
        if not len(features):
            return out
        room_mean, room_var = self._blend(features, self.global_mean, self.global_var)
        for speaker in np.unique(speakers):
            rows = speakers == speaker
            mean, var = self._blend(features[rows], room_mean, room_var)
            out[rows] = (features[rows] - mean) / np.sqrt(var + 1e-8)
        return out


@dataclass
class SpeechEmotionModel:
    """Eight-class speech-emotion model; scores are in LABELS order and calibrated."""

    recipe: FeatureRecipe
    head: LinearHead
    speaker_head: LinearHead | None = None
    normaliser: SpeakerNormaliser | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path | None = None) -> SpeechEmotionModel:
        path = Path(path) if path is not None else DEFAULT_WEIGHTS
        with np.load(path, allow_pickle=False) as arrays:
            metadata = json.loads(str(arrays["metadata"]))
            if metadata.get("format") != FORMAT:
                raise ValueError(f"{path}: not a speech-emotion weights file ({FORMAT})")
            if tuple(metadata["labels"]) != LABELS:
                raise ValueError(f"{path}: trained for labels {metadata['labels']}")
            head = LinearHead.from_arrays(arrays, "head_")
            speaker_head = normaliser = None
            if "speaker_head_coef" in arrays:
                speaker_head = LinearHead.from_arrays(arrays, "speaker_head_")
                normaliser = SpeakerNormaliser(
                    np.asarray(arrays["norm_global_mean"], dtype=np.float64),
                    np.asarray(arrays["norm_global_var"], dtype=np.float64),
                    float(arrays["norm_shrinkage"]),
                )
        recipe = FeatureRecipe.from_dict(metadata["recipe"])
        return cls(recipe, head, speaker_head, normaliser, metadata)

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_suffix(".npz")  # np.savez would append it anyway
        path.parent.mkdir(parents=True, exist_ok=True)
        metadata = {**self.metadata, "format": FORMAT, "labels": list(LABELS)}
        metadata["recipe"] = self.recipe.to_dict()
        arrays = self.head.arrays("head_")
        if self.speaker_head is not None and self.normaliser is not None:
            arrays |= self.speaker_head.arrays("speaker_head_")
            arrays |= {
                "norm_global_mean": self.normaliser.global_mean,
                "norm_global_var": self.normaliser.global_var,
                "norm_shrinkage": np.array(self.normaliser.shrinkage),
            }
        np.savez(path, metadata=np.array(json.dumps(metadata, sort_keys=True)), **arrays)
        return path

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", "speech-emotion"))

    def features(self, clips: Sequence[np.ndarray], encoder: WhisperEncoder) -> np.ndarray:
        dim = self.head.mean.shape[0]
        if not clips:
            return np.zeros((0, dim), dtype=np.float32)
        return np.stack([clip_features(clip, encoder, self.recipe) for clip in clips])

    def predict_features(
        self, features: np.ndarray, speaker_ids: Sequence[Any] | None = None
    ) -> np.ndarray:
        """Probabilities (N, 8) from pooled features (see `features`)."""
        features = np.asarray(features, dtype=np.float64)
        if len(features) == 0:
            return np.zeros((0, len(LABELS)))
        if speaker_ids is None:
            return self.head.probabilities(features)
        if self.speaker_head is None or self.normaliser is None:
            raise ValueError("these weights have no speaker-normalised head; omit speaker_ids")
        return self.speaker_head.probabilities(self.normaliser(features, speaker_ids))

    def predict(
        self,
        clips: Sequence[np.ndarray],
        encoder: WhisperEncoder,
        speaker_ids: Sequence[Any] | None = None,
    ) -> np.ndarray:
        """Calibrated probabilities (N, 8) in LABELS order for 16 kHz mono float32 clips.

        speaker_ids (optional, one per clip): switch to the speaker-normalised head, which
        standardises each speaker's features over all of that speaker's clips in this call, so
        pass every utterance of a recording at once.
        """
        return self.predict_features(self.features(clips, encoder), speaker_ids)
