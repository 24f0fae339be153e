"""Which language a recording is spoken in: Whisper's own language identification on the first
speech the voice-activity filter finds, with a multilingual model.

Only the first `seconds` of speech are read, and they are encoded as they are instead of padded
to Whisper's 30 s window: the encoder then costs a fraction of a window (measured by
`benchmarks/languages.py`, which also compares the answers with the padded 30 s window's).
An English-only model (tiny.en) has no language tokens and cannot identify anything; what it can
tell is that it did not understand the speech, from its words' probabilities.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from annotator.asr.result import LanguageDetection
from annotator.media import SAMPLE_RATE, Samples
from annotator.utterances import Segment

DETECT_SECONDS = 15.0  # speech read for detection
MIN_SPEECH_SECONDS = 0.5  # less than this is not enough to tell a language
VAD_BLOCK_SECONDS = 60.0  # the VAD scans the recording block by block until it has enough speech
CONFIDENT = 0.5  # below this the detected language is reported as uncertain
# tiny.en's mean word probability: 0.64-0.97 on 23 real English recordings (the samples and
# the project's test media; GRID's command grammar lowest), 0.00-0.52 on espeak-ng speech in 11
# other languages (benchmarks/languages.py). A heuristic with a thin margin on both sides.
ENGLISH_MIN_WORD_PROBABILITY = 0.6

NAMES = {
    "en": "English",
    "zh": "Chinese",
    "de": "German",
    "es": "Spanish",
    "ru": "Russian",
    "ko": "Korean",
    "fr": "French",
    "ja": "Japanese",
    "pt": "Portuguese",
    "tr": "Turkish",
    "pl": "Polish",
    "ca": "Catalan",
    "nl": "Dutch",
    "ar": "Arabic",
    "sv": "Swedish",
    "it": "Italian",
    "id": "Indonesian",
    "hi": "Hindi",
    "fi": "Finnish",
    "vi": "Vietnamese",
    "he": "Hebrew",
    "uk": "Ukrainian",
    "el": "Greek",
    "ms": "Malay",
    "cs": "Czech",
    "ro": "Romanian",
    "da": "Danish",
    "hu": "Hungarian",
    "ta": "Tamil",
    "no": "Norwegian",
    "th": "Thai",
    "ur": "Urdu",
    "hr": "Croatian",
    "bg": "Bulgarian",
    "lt": "Lithuanian",
    "la": "Latin",
    "mi": "Maori",
    "ml": "Malayalam",
    "cy": "Welsh",
    "sk": "Slovak",
    "te": "Telugu",
    "fa": "Persian",
    "lv": "Latvian",
    "bn": "Bengali",
    "sr": "Serbian",
    "az": "Azerbaijani",
    "sl": "Slovenian",
    "kn": "Kannada",
    "et": "Estonian",
    "mk": "Macedonian",
    "br": "Breton",
    "eu": "Basque",
    "is": "Icelandic",
    "hy": "Armenian",
    "ne": "Nepali",
    "mn": "Mongolian",
    "bs": "Bosnian",
    "kk": "Kazakh",
    "sq": "Albanian",
    "sw": "Swahili",
    "gl": "Galician",
    "mr": "Marathi",
    "pa": "Punjabi",
    "si": "Sinhala",
    "km": "Khmer",
    "sn": "Shona",
    "yo": "Yoruba",
    "so": "Somali",
    "af": "Afrikaans",
    "oc": "Occitan",
    "ka": "Georgian",
    "be": "Belarusian",
    "tg": "Tajik",
    "sd": "Sindhi",
    "gu": "Gujarati",
    "am": "Amharic",
    "yi": "Yiddish",
    "lo": "Lao",
    "uz": "Uzbek",
    "fo": "Faroese",
    "ht": "Haitian Creole",
    "ps": "Pashto",
    "tk": "Turkmen",
    "nn": "Nynorsk",
    "mt": "Maltese",
    "sa": "Sanskrit",
    "lb": "Luxembourgish",
    "my": "Myanmar",
    "bo": "Tibetan",
    "tl": "Tagalog",
    "mg": "Malagasy",
    "as": "Assamese",
    "tt": "Tatar",
    "haw": "Hawaiian",
    "ln": "Lingala",
    "ha": "Hausa",
    "ba": "Bashkir",
    "jw": "Javanese",
    "su": "Sundanese",
    "yue": "Cantonese",
}


def language_name(code: str | None) -> str:
    return NAMES.get(code or "", code or "unknown")


def first_speech(audio: Samples, seconds: float = DETECT_SECONDS) -> np.ndarray:
    """Up to `seconds` of the speech Silero VAD finds, from the start, silences left out.

    Scans block by block so that a long recording costs no more than its first speech.
    """
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(min_silence_duration_ms=700)  # as transcription splits speech
    wanted, step = int(seconds * SAMPLE_RATE), int(VAD_BLOCK_SECONDS * SAMPLE_RATE)
    pieces: list[np.ndarray] = []
    found = 0
    for begin in range(0, len(audio), step):
        block = audio[begin : begin + step]
        for span in get_speech_timestamps(block, options):
            pieces.append(block[span["start"] : span["end"]])
            found += span["end"] - span["start"]
        if found >= wanted:
            break
    if not pieces:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(pieces)[:wanted]


class LanguageDetector:
    """Whisper's language identification with a multilingual faster-whisper model."""

    def __init__(self, model, name: str, seconds: float = DETECT_SECONDS) -> None:
        if not model.model.is_multilingual:
            raise ValueError(f"{name} is English-only: it cannot identify languages")
        self.model = model  # a faster_whisper.WhisperModel, shared with transcription
        self.name = name
        self.seconds = seconds

    def detect(self, audio: Samples) -> LanguageDetection | None:
        """The most probable language of the first speech; None when there is too little."""
        speech = first_speech(audio, self.seconds)
        if len(speech) < MIN_SPEECH_SECONDS * SAMPLE_RATE:
            return None
        return self.detect_speech(speech)

    def detect_speech(self, speech: np.ndarray) -> LanguageDetection:
        """The most probable language of `speech` (already without silences)."""
        features = self.model.feature_extractor(speech)
        encoded = self.model.encode(features)
        ranked = self.model.model.detect_language(encoded)[0]  # [("<|de|>", 0.96), ...]
        token, probability = ranked[0]
        return LanguageDetection(
            language=token[2:-2],
            method="detected",
            probability=round(float(probability), 4),
            model=self.name,
        )


def mean_word_probability(segments: Sequence[Segment]) -> float | None:
    probabilities = [word.probability for segment in segments for word in segment.words]
    return float(np.mean(probabilities)) if probabilities else None


def looks_english(segments: Sequence[Segment]) -> bool:
    """Whether an English-only model's transcript reads like English it understood.

    No words at all is not evidence against English (silence, noise)."""
    mean = mean_word_probability(segments)
    return mean is None or mean >= ENGLISH_MIN_WORD_PROBABILITY


def detection_of(result, multilingual: bool, forced: str | None, model: str) -> LanguageDetection:
    """How the language of a transcription by a single model was found (engines that do not
    say so themselves): forced, detected by the model itself, or assumed by an English-only one.
    """
    if forced:
        return LanguageDetection(forced, "forced", None, None)
    if multilingual:
        return LanguageDetection(result.language, "detected", result.language_probability, model)
    return LanguageDetection(result.language or "en", "assumed", None, None)
