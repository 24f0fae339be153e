"""Whisper's encoder as a feature extractor for speech emotion.

Transcription already loads a CTranslate2 Whisper model; this wrapper reuses that model (and its
log-mel front end) so the emotion stage costs one extra encoder pass per utterance and no second
copy of the weights. Clips are encoded at their real length: Whisper's encoder accepts any number
of frames up to 30 s, and padding a 3 s utterance to 30 s would both cost 10x the time and dilute
the pooled statistics with states computed over silence.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from annotator.media import SAMPLE_RATE

# Whisper's positional table covers 1500 encoder states = 3000 mel frames = 30 s.
MAX_FRAMES = 3000
# The two stride-1/stride-2 convolutions need a few frames; 0.1 s keeps every state meaningful.
MIN_SAMPLES = SAMPLE_RATE // 10


class WhisperEncoder:
    """Last-layer encoder states of a CTranslate2 Whisper model for one mono 16 kHz clip."""

    def __init__(
        self,
        ct2_model: Any,
        feature_extractor: Any,
        name: str = "whisper",
        model_dir: str | Path | None = None,
    ) -> None:
        # ct2_model is a ctranslate2.models.Whisper (faster_whisper.WhisperModel(...).model);
        # feature_extractor a faster_whisper FeatureExtractor with the model's mel count.
        # model_dir: the folder the weights came from, read again (lazily) when a recipe needs
        # every layer's states (`encode_layers`); None for the bundled tiny.en.
        self.model = ct2_model
        self.feature_extractor = feature_extractor
        self.name = name
        self.model_dir = Path(model_dir) if model_dir is not None else None
        self._layers: Any = None

    @classmethod
    def from_whisper_model(
        cls, whisper_model: Any, name: str = "whisper", model_dir: str | Path | None = None
    ) -> WhisperEncoder:
        """Share the model that transcription loaded (a faster_whisper.WhisperModel)."""
        return cls(whisper_model.model, whisper_model.feature_extractor, name, model_dir)

    def encode_layers(self, audio: np.ndarray, upto: int | None = None) -> np.ndarray:
        """Layer states (upto + 1 or n_layers + 1, frames, dim) for one clip (torch, float32; see
        annotator/emotion/layer_encoder.py). The weights are read from the model folder on
        first use: the bundled tiny.en's unless the encoder was made from another folder."""
        if self._layers is None:
            from annotator.emotion.layer_encoder import LayerEncoder

            if self.model_dir is None:
                from annotator.asr.models import bundled_model_dir

                self.model_dir = bundled_model_dir()
            self._layers = LayerEncoder.from_model_dir(self.model_dir, self.name)
        return self._layers.encode(self.features(audio), upto)

    @classmethod
    def from_model_dir(
        cls,
        path: str | Path,
        threads: int = 0,
        compute_type: str = "int8",
        name: str = "whisper",
        device: str = "cpu",
    ) -> WhisperEncoder:
        """Load a faster-whisper model folder (for the speech model: the bundled tiny.en).
        On a GPU it runs in float16 (int8 is the CPU's fast type)."""
        from faster_whisper import WhisperModel

        if device == "cuda":
            compute_type = "float16"
        whisper = WhisperModel(
            str(path), device=device, compute_type=compute_type, cpu_threads=threads
        )
        return cls.from_whisper_model(whisper, name=name, model_dir=path)

    def features(self, audio: np.ndarray) -> np.ndarray:
        """Log-mel features (n_mels, frames), computed exactly as transcription computes them."""
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        if audio.size < MIN_SAMPLES:
            audio = np.pad(audio, (0, MIN_SAMPLES - audio.size))
        return self.feature_extractor(audio)

    def encode(self, audio: np.ndarray) -> np.ndarray:
        """Encoder states (frames, dim) as float32; one state per 20 ms of audio."""
        import ctranslate2

        mel = self.features(audio)
        # Long inputs go through in <=30 s windows whose states are concatenated: each window
        # sees only its own context, which is fine for pooled statistics.
        chunks = []
        for start in range(0, mel.shape[1], MAX_FRAMES):
            window = mel[:, start : start + MAX_FRAMES]
            if window.shape[1] % 2:
                # The stride-2 convolution halves the frame count; an even count keeps exactly
                # one state per two frames.
                window = np.pad(window, ((0, 0), (0, 1)), mode="edge")
            if window.shape[1] < 4:
                continue
            storage = ctranslate2.StorageView.from_array(np.ascontiguousarray(window[None]))
            states = self.model.encode(storage, to_cpu=True)
            chunks.append(np.asarray(states, dtype=np.float32)[0])
        return np.concatenate(chunks, axis=0)


def bundled_encoder(threads: int = 0, device: str = "cpu") -> WhisperEncoder:
    """The encoder the shipped speech-emotion model was trained on: the bundled tiny.en's.

    Loaded on its own when transcription uses another model or engine; when it uses the
    bundled tiny.en through faster-whisper, share that model instead (`from_whisper_model`).
    """
    from annotator.asr.models import BUNDLED_MODEL, bundled_model_dir

    return WhisperEncoder.from_model_dir(
        bundled_model_dir(), threads=threads, name=BUNDLED_MODEL, device=device
    )
