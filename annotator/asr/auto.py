"""`--whisper-model auto`: identify each recording's language, then transcribe English with the
bundled tiny.en (fast) and any other language with the multilingual base model.

Without the `[base]` extra nothing can identify a language: every recording goes to tiny.en,
and a transcript that does not read like English (its words' probabilities are low) comes back
with its language unknown and a one-line warning that says what to install.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import replace

from annotator.asr.errors import ModelLoadError
from annotator.asr.extra_models import BASE
from annotator.asr.language import (
    CONFIDENT,
    ENGLISH_MIN_WORD_PROBABILITY,
    LanguageDetector,
    first_speech,
    language_name,
    looks_english,
    mean_word_probability,
)
from annotator.asr.models import BASE_MODEL, BUNDLED_MODEL
from annotator.asr.result import AsrEngine, AsrResult, LanguageDetection
from annotator.media import Samples

AUTO_MODEL = "auto"
INSTALL_BASE = "pip install 'meeting-annotator[base]'"


class AutoEngine:
    """Chooses the model per recording from the language of its first speech."""

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

    def transcribe(self, audio: Samples, language: str | None = None) -> AsrResult:
        if language:
            return self._forced(audio, language)
        if self.detector is None or self.multilingual is None:
            return self._english_only(audio)
        detection = self.detector.detect(audio)
        if detection is None:  # no speech the VAD trusts: transcription will find little too
            return self._run(self.english, audio, "en", LanguageDetection("en", "assumed"))
        confident = (detection.probability or 0.0) >= CONFIDENT
        if confident and detection.language == "en":
            return self._run(self.english, audio, "en", detection)
        if self._understood_in_english(audio):
            # Whisper's detection on a few seconds of speech can name the wrong language (a
            # 2 s English command came out as Latin, p=0.79); English that tiny.en transcribes
            # with confident words is English.
            checked = LanguageDetection("en", "detected", None, f"{detection.model} + tiny.en")
            return self._run(self.english, audio, "en", checked)
        if confident:
            return self._run(self.multilingual, audio, detection.language, detection)
        # Unsure: let the multilingual model transcribe in whatever it settles on (Whisper's own
        # detection over its first 30 s window) and say so.
        result = self.multilingual.transcribe(audio, None)
        found = LanguageDetection(
            result.language, "detected", result.language_probability, detection.model
        )
        warning = (
            f"language uncertain: the first speech sounds most like "
            f"{language_name(detection.language)} ({detection.language}, "
            f"p={detection.probability:.2f}); transcribed as {language_name(result.language)} "
            f"({result.language}); pass --language CODE if that is wrong"
        )
        return replace(result, detection=found, model=self.multilingual.name, warnings=(warning,))

    def _understood_in_english(self, audio: Samples) -> bool:
        """tiny.en's word confidence on the first speech (the stretch detection listened to)."""
        sample = first_speech(audio)
        if sample.size == 0:
            return False
        segments = self.english.transcribe(sample, "en").segments
        return bool(segments) and looks_english(segments)

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
    whisper_model = getattr(multilingual, "model", None)
    if not _is_faster_whisper_model(whisper_model):
        # openai-whisper transcribes; detection still uses faster-whisper's base (CTranslate2).
        from annotator.asr.faster import FasterWhisperEngine
        from annotator.asr.models import resolve

        whisper_model = FasterWhisperEngine(
            resolve(BASE_MODEL), threads=threads, device=device
        ).model
    return AutoEngine(english, multilingual, LanguageDetector(whisper_model, BASE_MODEL))


def _is_faster_whisper_model(model: object) -> bool:
    from faster_whisper import WhisperModel

    return isinstance(model, WhisperModel)
