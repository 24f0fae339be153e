"""Turn Whisper's segments into utterances: split long ones, never bridge a long silence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from annotator.transcript import Word

SENTENCE_END = (".", "?", "!", "…")


@dataclass(frozen=True)
class Segment:
    """A stretch of recognised speech as an ASR engine returns it."""

    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class SplitRules:
    max_duration: float = 15.0  # longer utterances are split at a sentence end or a pause
    long_silence: float = 1.0  # a pause this long always ends an utterance


def _text(words: Sequence[Word]) -> str:
    return "".join(w.word for w in words).strip()


def _best_cut(words: Sequence[Word], max_duration: float) -> int:
    """Index of the first word of the second part when `words` must be cut in two.

    Prefer the last sentence end that keeps the first part within the limit; otherwise the
    longest pause within the limit; the cut always leaves at least one word on each side.
    """
    start = words[0].start
    within = [i for i in range(1, len(words)) if words[i - 1].end - start <= max_duration]
    candidates = within or [1]
    sentence_cuts = [i for i in candidates if words[i - 1].word.strip().endswith(SENTENCE_END)]
    if sentence_cuts:
        return sentence_cuts[-1]
    return max(candidates, key=lambda i: (words[i].start - words[i - 1].end, i))


def _split_words(words: Sequence[Word], rules: SplitRules) -> list[list[Word]]:
    runs: list[list[Word]] = [[words[0]]]
    for previous, word in zip(words, words[1:], strict=False):
        if word.start - previous.end >= rules.long_silence:
            runs.append([word])
        else:
            runs[-1].append(word)
    pieces: list[list[Word]] = []
    while runs:
        run = runs.pop(0)
        if len(run) > 1 and run[-1].end - run[0].start > rules.max_duration:
            cut = _best_cut(run, rules.max_duration)
            runs[0:0] = [run[:cut], run[cut:]]
        else:
            pieces.append(run)
    return pieces


def segments_to_utterances(
    segments: Sequence[Segment], rules: SplitRules = SplitRules()
) -> list[tuple[float, float, str, list[Word]]]:
    """(start, end, text, words) per utterance, in time order; empty segments are dropped."""
    utterances: list[tuple[float, float, str, list[Word]]] = []
    for segment in segments:
        words = [w for w in segment.words if w.word.strip()]
        if not words:
            if segment.text.strip():
                utterances.append((segment.start, segment.end, segment.text.strip(), []))
            continue
        for piece in _split_words(words, rules):
            utterances.append((piece[0].start, piece[-1].end, _text(piece), piece))
    return utterances
