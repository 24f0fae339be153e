"""What an ASR engine returns, and the interface every engine implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from annotator.media import Samples
from annotator.utterances import Segment


@dataclass(frozen=True)
class LanguageDetection:
    """How a recording's language was found, as the transcript's `language_detection` records it.

    method: "detected" (a multilingual model listened to the first speech), "forced"
    (--language), or "assumed" (an English-only model, which cannot tell).
    """

    language: str | None
    method: str
    probability: float | None = None  # the detector's probability for `language`
    model: str | None = None  # the model that detected it

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.method, "probability": self.probability, "model": self.model}


@dataclass(frozen=True)
class AsrResult:
    segments: list[Segment]
    language: str | None  # None: not known (e.g. speech an English-only model could not read)
    language_probability: float | None = None
    detection: LanguageDetection | None = None  # None: the engine did not say how
    model: str | None = None  # the model that transcribed, when an engine chooses per recording
    warnings: tuple[str, ...] = ()  # one line each, for the user (e.g. speech is not English)


class AsrEngine(Protocol):
    name: str  # what the transcript's "models" records
    is_multilingual: bool

    def transcribe(self, audio: Samples, language: str | None = None) -> AsrResult:
        """audio: 16 kHz mono float32, an array or the pipeline's SampleFile."""
        ...

    def transcribe_region(self, audio: Any, language: str | None) -> list[Segment]:
        """A short stretch of speech (0.2-30 s, a float32 array) decoded on its own: no VAD
        filter, no previous text, word timestamps; times are from the stretch's start."""
        ...
