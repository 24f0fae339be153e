"""Which language a recording is spoken in, decided from evidence spread over its speech.

1. Windows: Silero VAD finds speech in up to `WINDOWS` regions spread evenly over the recording
   (a long recording is scanned only near each region's start); each window holds up to
   `WINDOW_SECONDS` of speech, silences left out, encoded as it is rather than padded to
   Whisper's 30 s (the encoder then costs a fraction of a window).
2. Aggregate: Whisper's language identification (multilingual base) gives each window a
   probability for every language; the mean log-probability per language over the windows
   (weighted by their speech), normalised, is the aggregate. A geometric mean, not a sum: the
   windows share speakers and microphones, so they are not independent evidence, and a sum
   would make a long recording look more certain than it is.
3. Comparison: when the aggregate's top language is below `SURE`, the same speech (a slice of
   every window, 30 s at most) is decoded greedily in the top two languages and in English
   (English by the English-only tiny.en, whose words fall apart on other languages; others by
   base), and the best decoding decides (annotator.asr.comparison). Non-native English,
   laughter and overlap can pull a window towards German or Welsh; decoded as German, that
   speech is nonsense with a low probability.

`benchmarks/languages.py` measures the decisions and their cost (docs/languages.md).
An English-only model (tiny.en) has no language tokens and cannot identify anything; what it can
tell is that it did not understand the speech, from its words' probabilities.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from annotator.asr.comparison import Window, comparison_speech, decide, decode
from annotator.asr.language_names import NAMES, language_name
from annotator.asr.result import Decoding, LanguageDetection, WindowVerdict
from annotator.media import SAMPLE_RATE, Samples
from annotator.utterances import Segment

__all__ = ["NAMES", "LanguageDetector", "language_name", "looks_english", "speech_windows"]

WINDOWS = 6  # windows of speech listened to, spread over the recording
WINDOW_SECONDS = 10.0  # speech per window
MIN_WINDOW_SECONDS = 2.0  # a shorter leftover is not a window of its own (unless it is all)
MIN_SPEECH_SECONDS = 0.5  # less than this is not enough to tell a language
REGION_SECONDS = 60.0  # a recording gets one region per minute, up to WINDOWS of them
VAD_BLOCK_SECONDS = 60.0  # a region is scanned block by block until it has enough speech
# Below this aggregate probability the top languages are decoded and compared. The AMI
# excerpts' aggregates are 0.80-0.99 English; synthetic German, Spanish, French and Italian
# 0.58-0.97 (benchmarks/languages.py).
SURE = 0.85
CANDIDATES = 2  # the aggregate's top languages compared (English is always added)
FLOOR = 1e-6  # a language's probability in a window is never taken as less (log of 0)
# tiny.en's mean word probability: 0.64-0.97 on 23 real English recordings (the samples and
# the project's test media; GRID's command grammar lowest), 0.00-0.52 on espeak-ng speech in 11
# other languages (benchmarks/languages.py). A heuristic with a thin margin on both sides, used
# only when no multilingual model is installed.
ENGLISH_MIN_WORD_PROBABILITY = 0.6


def _speech(audio: Samples, first: int, last: int, wanted: int) -> tuple[list[np.ndarray], float]:
    """Up to `wanted` samples of speech in [first, last), and where it starts (seconds)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(min_silence_duration_ms=700)  # as transcription splits speech
    step = int(VAD_BLOCK_SECONDS * SAMPLE_RATE)
    found: list[np.ndarray] = []
    start, total = -1.0, 0
    for begin in range(first, last, step):
        block = np.asarray(audio[begin : min(begin + step, last)], dtype=np.float32)
        for span in get_speech_timestamps(block, options):
            if start < 0:
                start = (begin + span["start"]) / SAMPLE_RATE
            found.append(block[span["start"] : span["end"]])
            total += span["end"] - span["start"]
        if total >= wanted:
            break
    return found, start


def speech_windows(
    audio: Samples, windows: int = WINDOWS, seconds: float = WINDOW_SECONDS
) -> list[Window]:
    """Windows of speech spread over the recording: one region per minute (at most `windows`),
    each giving `windows // regions` windows of up to `seconds` of speech from its start."""
    length = len(audio)
    regions = min(windows, max(1, math.ceil(length / (REGION_SECONDS * SAMPLE_RATE))))
    per_region = max(1, windows // regions)
    size = int(seconds * SAMPLE_RATE)
    found: list[Window] = []
    for region in range(regions):
        pieces, start = _speech(
            audio, region * length // regions, (region + 1) * length // regions, per_region * size
        )
        if not pieces:
            continue
        speech = np.concatenate(pieces)[: per_region * size]
        for offset in range(0, len(speech), size):
            window = speech[offset : offset + size]
            if len(window) >= MIN_WINDOW_SECONDS * SAMPLE_RATE or offset == 0:
                # The start of the region's speech: later windows are marked from there too
                # (their exact position is spread over the silences left out).
                found.append(Window(round(start + offset / SAMPLE_RATE, 2), window))
    if sum(len(w.samples) for w in found) < MIN_SPEECH_SECONDS * SAMPLE_RATE:
        return []
    return [w for w in found if len(w.samples) >= MIN_SPEECH_SECONDS * SAMPLE_RATE]


class LanguageDetector:
    """Whisper's language identification over windows of speech (multilingual faster-whisper
    model), with a decoding comparison when the top languages are close."""

    def __init__(self, model, name: str, english=None, english_name: str = "tiny.en") -> None:
        if not model.model.is_multilingual:
            raise ValueError(f"{name} is English-only: it cannot identify languages")
        self.model = model  # a faster_whisper.WhisperModel, shared with transcription
        self.name = name
        # An English-only faster_whisper.WhisperModel (tiny.en) decodes the English candidate;
        # without one, base decodes English too.
        self.english = english
        self.english_name = english_name

    def detect(self, audio: Samples) -> LanguageDetection | None:
        """The recording's language and the evidence for it; None when there is too little
        speech to tell."""
        windows = speech_windows(audio)
        if not windows:
            return None
        verdicts, aggregate = self.identify(windows)
        top, probability = aggregate[0]
        detection = LanguageDetection(
            top, "detected", probability, self.name, tuple(verdicts), tuple(aggregate[:3])
        )
        if probability >= SURE:
            return detection
        candidates = [language for language, _ in aggregate[:CANDIDATES]]
        if "en" not in candidates:
            candidates.append("en")
        decodings = self.decodings(comparison_speech(windows), candidates)
        # Decodings that say nothing clear leave it to the identifier, among the languages
        # that did not loop (a loop would be the transcript too).
        working = {d.language for d in decodings if d.accepted}
        fallback = next((c for c, _ in aggregate if c in working), top)
        language = decide(decodings) or fallback
        models = sorted({d.model for d in decodings}, key=lambda m: m != self.name)
        return LanguageDetection(
            language,
            "detected",
            round(dict(aggregate).get(language, 0.0), 4),
            " + ".join(models),
            detection.windows,
            detection.aggregate,
            decodings,
        )

    def identify(
        self, windows: Sequence[Window]
    ) -> tuple[list[WindowVerdict], list[tuple[str, float]]]:
        """Each window's verdict, and every language's aggregate probability, most probable
        first."""
        verdicts: list[WindowVerdict] = []
        total: dict[str, float] = {}
        weights = 0.0
        for window in windows:
            probabilities = self.probabilities(window.samples)
            best = max(probabilities, key=probabilities.__getitem__)
            seconds = len(window.samples) / SAMPLE_RATE
            verdicts.append(
                WindowVerdict(window.start, round(seconds, 2), best, round(probabilities[best], 4))
            )
            weight = min(1.0, seconds / WINDOW_SECONDS)  # a short window says less
            weights += weight
            for language, p in probabilities.items():
                total[language] = total.get(language, 0.0) + weight * math.log(max(p, FLOOR))
        languages = list(total)
        mean = np.array([total[language] / weights for language in languages])
        posterior = np.exp(mean - mean.max())
        posterior /= posterior.sum()
        ranked = sorted(zip(languages, posterior.tolist(), strict=True), key=lambda x: -x[1])
        return verdicts, [(language, round(p, 4)) for language, p in ranked]

    def decodings(self, speech: np.ndarray, languages: Sequence[str]) -> tuple[Decoding, ...]:
        """`speech` decoded in each language: English by the English-only model when there is
        one, the others by the multilingual model on one encoding of the speech."""
        english = "en" in languages and self.english is not None
        others = [language for language in languages if not (english and language == "en")]
        found = dict(decode(self.model, self.name, speech, others))
        if english:
            found.update(decode(self.english, self.english_name, speech, ["en"]))
        return tuple(found[language] for language in languages)

    def probabilities(self, speech: np.ndarray) -> dict[str, float]:
        """Every language's probability for `speech` (already without silences)."""
        features = self.model.feature_extractor(speech)
        encoded = self.model.encode(features)
        ranked = self.model.model.detect_language(encoded)[0]  # [("<|de|>", 0.96), ...]
        return {token[2:-2]: float(p) for token, p in ranked}


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
