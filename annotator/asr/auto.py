"""`--whisper-model auto`: identify each recording's language, then transcribe English with the
bundled tiny.en (fast) and any other language with the multilingual base model.

Without the `[base]` extra nothing can identify a language: every recording goes to tiny.en,
and a transcript that does not read like English (its words' probabilities are low) comes back
with its language unknown and a one-line warning that says what to install.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from annotator.asr.comparison import GOOD_LOGPROB
from annotator.asr.errors import ModelLoadError
from annotator.asr.extra_models import BASE
from annotator.asr.language import (
    ENGLISH_MIN_WORD_PROBABILITY,
    LanguageDetector,
    language_name,
    looks_english,
    mean_word_probability,
)
from annotator.asr.models import BASE_MODEL, BUNDLED_MODEL
from annotator.asr.result import AsrEngine, AsrResult, LanguageDetection
from annotator.media import Samples
from annotator.utterances import Segment

AUTO_MODEL = "auto"
INSTALL_BASE = "pip install 'meeting-annotator[base]'"


class AutoEngine:
    """Chooses the model per recording from its language (see annotator.asr.language)."""

    def __init__(
        self,
        english: AsrEngine,
        multilingual: AsrEngine | None = None,
        detector: LanguageDetector | None = None,
    ) -> None:
        self.english = english  # an English-only model: tiny.en
        self.multilingual = multilingual
        self.detector = detector
        self.is_multilingual = multilingual is not None
        self.name = (
            f"auto ({english.name} for English, {multilingual.name} otherwise)"
            if multilingual is not None
            else f"auto ({english.name}; no multilingual model installed)"
        )

    def bundled_model(self) -> Any | None:
        """The English model's WhisperModel when it is the bundled tiny.en, else None."""
        return self.english.bundled_model()

    def transcribe(self, audio: Samples, language: str | None = None) -> AsrResult:
        if language:
            return self._forced(audio, language)
        if self.detector is None or self.multilingual is None:
            return self._english_only(audio)
        detection = self.detector.detect(audio)
        if detection is None:  # no speech the VAD trusts: transcription will find little too
            return self._run(self.english, audio, "en", LanguageDetection("en", "assumed"))
        engine = self.english if detection.language == "en" else self.multilingual
        result = self._run(engine, audio, detection.language, detection)
        warning = uncertainty(detection)
        return replace(result, warnings=(warning,)) if warning else result

    def transcribe_region(self, audio: np.ndarray, language: str | None) -> list[Segment]:
        """A short stretch of speech decoded on its own (see FasterWhisperEngine's): English by
        tiny.en, any other (or unknown) language by the multilingual model when installed."""
        if language == "en" or self.multilingual is None:
            return self.english.transcribe_region(audio, "en")
        return self.multilingual.transcribe_region(audio, language)

    def _forced(self, audio: Samples, language: str) -> AsrResult:
        if language == "en" or self.multilingual is None:
            if language != "en":  # Annotator refuses this at load; kept for direct callers
                raise ModelLoadError(f"--language {language} needs {INSTALL_BASE}")
            engine = self.english
        else:
            engine = self.multilingual
        return self._run(engine, audio, language, LanguageDetection(language, "forced"))

    def _english_only(self, audio: Samples) -> AsrResult:
        result = self.english.transcribe(audio, "en")
        if looks_english(result.segments):
            detection = LanguageDetection("en", "assumed")
            return replace(result, detection=detection, model=self.english.name)
        mean = mean_word_probability(result.segments) or 0.0
        warning = (
            f"speech does not sound like English (tiny.en's mean word probability {mean:.2f}, "
            f"English scores above {ENGLISH_MIN_WORD_PROBABILITY}) and no installed model can "
            f"identify its language; tiny.en transcribes English only: {INSTALL_BASE}"
        )
        return replace(
            result,
            language=None,
            language_probability=None,
            detection=LanguageDetection(None, "unidentified"),
            model=self.english.name,
            warnings=(warning,),
        )

    @staticmethod
    def _run(
        engine: AsrEngine, audio: Samples, language: str, detection: LanguageDetection
    ) -> AsrResult:
        result = engine.transcribe(audio, language)
        return replace(
            result,
            language=language,
            language_probability=detection.probability,
            detection=detection,
            model=engine.name,
        )


def uncertainty(detection: LanguageDetection) -> str | None:
    """A one-line warning when the decision rests on weak evidence: the top languages were
    close and no decoding of the speech went well (none without a loop, or the best one's
    average token log-probability below -1, where Whisper itself would retry)."""
    if not detection.comparison:
        return None
    accepted = [d for d in detection.comparison if d.accepted]
    best = max((d.avg_logprob or -math.inf for d in accepted), default=-math.inf)
    if best >= GOOD_LOGPROB:
        return None
    heard = ", ".join(f"{language_name(c)} ({c}) p={p:.2f}" for c, p in detection.aggregate[:2])
    return (
        f"language uncertain: the speech sounds most like {heard}, and decoding it in either "
        f"or in English went badly; transcribed as {language_name(detection.language)} "
        f"({detection.language}); pass --language CODE if that is wrong"
    )


def base_installed() -> bool:
    """Whether the `[base]` extra's packages are installed (not whether they are intact:
    a broken install still fails loudly when the model is loaded)."""
    return all(importlib.util.find_spec(package) is not None for package in BASE.packages)


def load_auto(
    engine: str,
    threads: int,
    load: Callable[[str, str, int, str], AsrEngine],
    device: str = "cpu",
) -> AutoEngine:
    """tiny.en, and base with its language detector when the `[base]` extra is installed.

    `load(engine, model, threads, device)` loads one engine (annotator.asr.load_engine)."""
    english = load(engine, BUNDLED_MODEL, threads, device)
    if not base_installed():
        return AutoEngine(english)
    multilingual = load(engine, BASE_MODEL, threads, device)
    # Detection and the decoding comparison run on faster-whisper (CTranslate2) models: the
    # engines' own when they are faster-whisper, else loaded for it (openai-whisper transcribes).
    detector = LanguageDetector(
        _faster_model(multilingual, BASE_MODEL, threads, device),
        BASE_MODEL,
        _faster_model(english, BUNDLED_MODEL, threads, device),
        BUNDLED_MODEL,
    )
    return AutoEngine(english, multilingual, detector)


def _faster_model(engine: AsrEngine, model: str, threads: int, device: str):
    """The engine's faster_whisper.WhisperModel, or the same model loaded in faster-whisper."""
    whisper_model = getattr(engine, "model", None)
    if _is_faster_whisper_model(whisper_model):
        return whisper_model
    from annotator.asr.faster import FasterWhisperEngine
    from annotator.asr.models import resolve

    return FasterWhisperEngine(resolve(model), threads=threads, device=device).model


def _is_faster_whisper_model(model: object) -> bool:
    from faster_whisper import WhisperModel

    return isinstance(model, WhisperModel)
