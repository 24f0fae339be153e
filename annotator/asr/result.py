"""What an ASR engine returns, and the interface every engine implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from annotator.utterances import Segment


@dataclass(frozen=True)
class AsrResult:
    segments: list[Segment]
    language: str | None
    language_probability: float | None = None


class AsrEngine(Protocol):
    name: str  # what the transcript's "models" records
    is_multilingual: bool

    def transcribe(self, audio: np.ndarray, language: str | None = None) -> AsrResult: ...
