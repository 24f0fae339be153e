"""What an ASR engine returns, and the interface every engine implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from annotator.media import Samples
from annotator.utterances import Segment


@dataclass(frozen=True)
class WindowVerdict:
    """What the language identifier heard in one window of speech."""

    start: float  # seconds into the recording where the window's speech begins
    seconds: float  # of speech in the window
    language: str
    probability: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "seconds": self.seconds,
            "language": self.language,
            "probability": self.probability,
        }


@dataclass(frozen=True)
class Decoding:
    """The same speech decoded in one candidate language: how well it went."""

    language: str
    model: str
    avg_logprob: float | None  # per token; None: no tokens at all
    compression_ratio: float  # above 2.4 the text repeats itself (Whisper's own threshold)
    no_speech_prob: float
    tokens: int
    loops: bool  # repeats itself or fills the token budget for this much speech
    text: str  # the start of the text, for a reader of the evidence

    @property
    def accepted(self) -> bool:
        """A decoding worth comparing: some tokens, no loop."""
        return self.avg_logprob is not None and not self.loops and self.compression_ratio <= 2.4

    def as_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "model": self.model,
            "avg_logprob": self.avg_logprob,
            "compression_ratio": self.compression_ratio,
            "no_speech_prob": self.no_speech_prob,
            "tokens": self.tokens,
            "loops": self.loops,
            "accepted": self.accepted,
            "text": self.text,
        }


@dataclass(frozen=True)
class LanguageDetection:
    """How a recording's language was found, as the transcript's `language_detection` records it.

    method: "detected" (a multilingual model listened to windows of the recording's speech and,
    when two languages were close, decoded the speech in each), "forced" (--language), or
    "assumed" (an English-only model, which cannot tell).
    """

    language: str | None
    method: str
    probability: float | None = None  # the aggregate probability of `language`
    model: str | None = None  # the model(s) that decided it
    windows: tuple[WindowVerdict, ...] = ()  # one verdict per window of speech
    aggregate: tuple[tuple[str, float], ...] = ()  # the most probable languages over all windows
    comparison: tuple[Decoding, ...] = ()  # the decodings compared, when languages were close

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "method": self.method,
            "probability": self.probability,
            "model": self.model,
        }
        if self.windows:
            found["windows"] = [w.as_dict() for w in self.windows]
        if self.aggregate:
            found["aggregate"] = dict(self.aggregate)
        if self.comparison:
            found["comparison"] = [d.as_dict() for d in self.comparison]
        return found


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

    def bundled_model(self) -> Any | None:
        """faster-whisper's model of the bundled tiny.en when this engine holds it (the voice
        model reads that encoder too and shares it), else None."""
        ...

    def transcribe(self, audio: Samples, language: str | None = None) -> AsrResult:
        """audio: 16 kHz mono float32, an array or the pipeline's SampleFile."""
        ...

    def transcribe_region(self, audio: Any, language: str | None) -> list[Segment]:
        """A short stretch of speech (0.2-30 s, a float32 array) decoded on its own: no VAD
        filter, no previous text, word timestamps; times are from the stretch's start."""
        ...
