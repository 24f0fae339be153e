"""Turn Whisper's segments into utterances: split long ones, never bridge a long silence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

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
    `annotator.diarization.diarize_words` returns for `[w for s in segments for w in s.words]`).
    With it, a run of words is also cut where the speaker changes, so every utterance has one
    speaker; a segment without words takes the speaker of the word nearest to it in time.
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


# ---------------------------------------------------------------- utterances from speaker turns
#
# With a diarizer, the speaker turns (speech activity per speaker, from a segmentation model)
# say who speaks when, and Whisper's words say what was said. Every word goes to the speaker
# whose activity covers it, and into that speaker's turn; an utterance is a speaker's turn (cut
# where it grows too long), so the transcript's timeline is the diarizer's. Speech of a turn
# that no word covers (a short answer, a backchannel, the second voice of an overlap) is decoded
# again on its own, and the turn stays an utterance even when that finds no words.

MIN_REGION = 0.25  # seconds: a shorter turn with no words is a click or a breath, not a turn
# Seconds: a speaker's pause shorter than this, with nobody else speaking, stays inside the turn.
# Joining at 0.5 s or at 1 s scores alike on the AMI excerpts (DER of the joined turns); at 1 s
# the composed meetings' hand-overs between two people the diarizer confuses became one turn.
JOIN_GAP = 0.5
# Seconds: a stretch this long inside a worded turn is decoded again. Each stretch costs a
# Whisper window (0.5-0.8 s of CPU with tiny.en); at 1 s the 10-minute benchmark recording had
# 20 such stretches, mostly pauses around words, and decoding them cost 63 % of transcription.
MIN_UNWORDED = 2.0
MAX_REGION = 30.0  # seconds: Whisper's window; a longer stretch is decoded in parts
OVERLAP_MIN = 0.1  # seconds two speakers' utterances must share to count as overlapping


class Turns(Protocol):
    """What the diarizer returns (annotator.diarization.Diarization), as far as it is read here."""

    turns: Sequence[Any]  # each with .start, .end (seconds) and .speaker (0-based int)

    def speaker_at(self, start: float, end: float) -> int | None: ...


@dataclass
class SpeakerTurn:
    """One speaker's stretch of speech (the diarizer's turns of that speaker joined across short
    pauses) and the words heard in it, in time order."""

    start: float
    end: float
    speaker: int
    words: list[Word] = field(default_factory=list)

    def add(self, words: Sequence[Word]) -> None:
        self.words = sorted([*self.words, *words], key=lambda w: (w.start, w.end))
        if self.words:
            self.start = min(self.start, self.words[0].start)
            self.end = max(self.end, self.words[-1].end)


def word_speakers(words: Sequence[Word], diarization: Turns) -> list[int]:
    """The speaker of each word: the most active one over the word's time, else the speaker of
    the turn nearest to it (a word can fall in a gap the segmentation left)."""
    turns = list(diarization.turns)
    speakers = []
    for word in words:
        speaker = diarization.speaker_at(word.start, word.end)
        if speaker is None:
            speaker = _nearest(turns, word).speaker if turns else 0
        speakers.append(speaker)
    return speakers


def _distance(turn: Any, word: Word) -> float:
    middle = (word.start + word.end) / 2
    return max(turn.start - middle, middle - turn.end, 0.0)


def _nearest(turns: Sequence[Any], word: Word) -> Any:
    return min(turns, key=lambda t: _distance(t, word))


def speaker_turns(
    diarization: Turns,
    words: Sequence[Word],
    speakers: Sequence[int],
    join_gap: float = JOIN_GAP,
    min_region: float = MIN_REGION,
) -> list[SpeakerTurn]:
    """Each speaker's turns joined across pauses shorter than `join_gap` in which nobody else
    speaks, every word in the
    nearest turn of its speaker (a turn of its own when none is within `join_gap`); turns without
    words shorter than `min_region` are left out."""
    joined: list[SpeakerTurn] = []
    for turn in sorted(diarization.turns, key=lambda t: (t.speaker, t.start)):
        last = joined[-1] if joined else None
        if (
            last
            and last.speaker == turn.speaker
            and turn.start - last.end < join_gap
            and not _someone_else(diarization.turns, turn.speaker, last.end, turn.start)
        ):
            last.end = max(last.end, float(turn.end))
        else:
            joined.append(SpeakerTurn(float(turn.start), float(turn.end), int(turn.speaker)))
    by_speaker: dict[int, list[SpeakerTurn]] = {}
    for turn in joined:
        by_speaker.setdefault(turn.speaker, []).append(turn)
    heard = sorted(
        ((w, s) for w, s in zip(words, speakers, strict=True) if w.word.strip()),
        key=lambda pair: pair[0].start,
    )
    for word, speaker in heard:
        own = by_speaker.setdefault(speaker, [])
        turn = _nearest(own, word) if own else None
        if turn is None or _distance(turn, word) >= join_gap:
            turn = SpeakerTurn(word.start, word.end, speaker)
            own.append(turn)
            joined.append(turn)
        turn.add([word])
    kept = [t for t in joined if t.words or t.end - t.start >= min_region]
    return sorted(kept, key=lambda t: (t.start, t.speaker))


def _someone_else(turns: Sequence[Any], speaker: int, start: float, end: float) -> bool:
    """Whether another speaker talks between `start` and `end` (then a pause is a hand-over)."""
    return any(t.speaker != speaker and t.start < end and t.end > start for t in turns)


def unworded_parts(
    turn: SpeakerTurn, min_unworded: float = MIN_UNWORDED, longest: float = MAX_REGION
) -> list[tuple[float, float]]:
    """The stretches of a turn no word covers, to decode again: the whole turn when it has no
    words, else each stretch of at least `min_unworded` seconds (a shorter one is the pause
    between two words); none longer than `longest` (Whisper's window)."""
    covered = [(w.start, w.end) for w in turn.words]
    shortest = min_unworded if covered else 0.0
    parts = []
    cursor = turn.start
    for start, end in [*covered, (turn.end, turn.end)]:
        if start - cursor >= max(shortest, 1e-3):
            parts.extend(_at_most(cursor, min(start, turn.end), longest))
        cursor = max(cursor, end)
    return parts


def _at_most(start: float, end: float, longest: float) -> list[tuple[float, float]]:
    count = max(1, int(-(-(end - start) // longest)))
    step = (end - start) / count
    return [(start + i * step, start + (i + 1) * step) for i in range(count)]


def new_words(decoded: Sequence[Word], heard: Sequence[Word]) -> list[Word]:
    """Words decoded again that no utterance has yet: decoding an overlap again can hear the
    louder voice a second time, at the same time and with the same text."""
    return [w for w in decoded if w.word.strip() and not any(_same_word(w, h) for h in heard)]


def turn_spans(turn: SpeakerTurn, rules: SplitRules = SplitRules()) -> list[Span]:
    """A turn's utterances: the whole turn, or parts of it cut at sentence ends or pauses when
    it is longer than `rules.max_duration`; the first and last keep the turn's own bounds."""
    if not turn.words:
        return [Span(turn.start, turn.end, "", [], turn.speaker)]
    pieces = _split_words(turn.words, rules)
    spans = []
    for i, piece in enumerate(pieces):
        start = turn.start if i == 0 else piece[0].start
        end = turn.end if i == len(pieces) - 1 else piece[-1].end
        spans.append(Span(start, end, _text(piece), piece, turn.speaker))
    return spans


def _same_word(a: Word, b: Word) -> bool:
    shared = min(a.end, b.end) - max(a.start, b.start)
    return shared > 0 and _normal(a.word) == _normal(b.word)


def _normal(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def finish_spans(spans: Sequence[Span]) -> tuple[list[Span], list[bool]]:
    """Spans in time order with speakers renumbered by first appearance, and for each whether
    another speaker's span shares at least OVERLAP_MIN seconds with it."""
    ordered = sorted(spans, key=lambda s: (s.start, s.end))
    numbers: dict[int, int] = {}
    for span in ordered:
        if span.speaker is not None:
            numbers.setdefault(span.speaker, len(numbers))
    ordered = [s if s.speaker is None else s._replace(speaker=numbers[s.speaker]) for s in ordered]
    overlap = [False] * len(ordered)
    for i, a in enumerate(ordered):
        for j in range(i + 1, len(ordered)):
            b = ordered[j]
            if b.start >= a.end:
                break
            if a.speaker != b.speaker and min(a.end, b.end) - b.start >= OVERLAP_MIN:
                overlap[i] = overlap[j] = True
    return ordered, overlap
