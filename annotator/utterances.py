"""Turn Whisper's segments into utterances: split long ones, never bridge a long silence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

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


class Span(NamedTuple):
    """One utterance: its time, text, words and (when diarized) its speaker index."""

    start: float
    end: float
    text: str
    words: list[Word]
    speaker: int | None = None


def segments_to_spans(
    segments: Sequence[Segment],
    rules: SplitRules = SplitRules(),
    word_speakers: Sequence[int] | None = None,
) -> list[Span]:
    """Utterances in time order; empty segments are dropped.

    `word_speakers[i]` is the speaker of the i-th word of all segments' words in order (as
    `annotator.speakers.diarize` returns for `[w for s in segments for w in s.words]`). With it,
    a run of words is also cut where the speaker changes, so every utterance has one speaker; a
    segment without words takes the speaker of the word nearest to it in time.
    """
    all_words = [w for s in segments for w in s.words]
    if word_speakers is not None and len(word_speakers) != len(all_words):
        raise ValueError(f"{len(word_speakers)} speakers for {len(all_words)} words")
    speaker_of = {id(w): s for w, s in zip(all_words, word_speakers or [], strict=False)}
    spans: list[Span] = []
    for segment in segments:
        words = [w for w in segment.words if w.word.strip()]
        if not words:
            if segment.text.strip():
                speaker = _nearest_speaker(segment, all_words, word_speakers)
                spans.append(Span(segment.start, segment.end, segment.text.strip(), [], speaker))
            continue
        runs = [words] if word_speakers is None else _speaker_runs(words, speaker_of)
        for run in runs:
            speaker = None if word_speakers is None else speaker_of[id(run[0])]
            for piece in _split_words(run, rules):
                spans.append(Span(piece[0].start, piece[-1].end, _text(piece), piece, speaker))
    return spans


def _speaker_runs(words: list[Word], speaker_of: dict[int, int]) -> list[list[Word]]:
    runs = [[words[0]]]
    for previous, word in zip(words, words[1:], strict=False):
        if speaker_of[id(word)] != speaker_of[id(previous)]:
            runs.append([word])
        else:
            runs[-1].append(word)
    return runs


def _nearest_speaker(
    segment: Segment, words: Sequence[Word], speakers: Sequence[int] | None
) -> int | None:
    if not speakers or not words:
        return None if speakers is None else 0
    middle = (segment.start + segment.end) / 2
    distances = [max(w.start - middle, middle - w.end, 0.0) for w in words]
    return speakers[distances.index(min(distances))]
