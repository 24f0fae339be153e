"""What the tier formats (ELAN .eaf, Praat TextGrid) share: each speaker's utterances and words
laid out as tiers, in the format's time units, with no two intervals of a tier at once.

A tier holds one interval at a time and neither ELAN nor Praat shows an interval of no length,
while a transcript may have both: Whisper gives some words no length, two utterances of one
speaker may overlap, and rounding to the format's units can make neighbours touch. So:
- an interval of no length gets MIN_LENGTH;
- one that starts at most NUDGE before the previous interval of its tier ends starts where that
  one ends (a rounding or alignment wobble, not speech at once);
- one that overlaps more goes to another tier of the same speaker, "SPEAKER_1 (2)", so that
  nothing is lost or moved by more than NUDGE.
Overlapping speech of different speakers needs none of this: each speaker has tiers of their own.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from annotator.transcript import Emotion, EmotionResult, Transcript, Utterance, Word

MIN_LENGTH = 0.001  # seconds
NUDGE = 0.010  # seconds
NO_WORDS = "…"  # the text of an utterance heard but with no words recognised
# The fused label and the three branches, each a tier of its own: (attribute, tier suffix).
EMOTION_TIERS = (
    (None, "emotion"),
    ("audio", "voice emotion"),
    ("face", "face emotion"),
    ("text", "text emotion"),
)


def one_line(text: str) -> str:
    """`text` as one line with single spaces and no control characters.

    Tier formats keep an annotation on one line (Praat's readers are line based), and XML 1.0
    cannot hold most control characters at all, so both go; everything else stays as typed.
    """
    kept = "".join(
        c
        for c in text
        # Whitespace stays (to become one space); \ufffe and \uffff are not XML characters.
        if c.isspace() or (unicodedata.category(c) != "Cc" and c not in "\ufffe\uffff")
    )
    return " ".join(kept.split())


def speaker_label(transcript: Transcript, utterance: Utterance) -> str | None:
    """The speaker as one line: the name given (cleaned by one_line), else the id; None when
    the utterance has no speaker."""
    return one_line(transcript.speaker_name(utterance) or "") or utterance.speaker


def utterance_text(utterance: Utterance) -> str:
    return one_line(utterance.text) or NO_WORDS


def label_text(result: Emotion | EmotionResult | None) -> str | None:
    """'happy 0.82': the label and its confidence, as the subtitles' tags print them."""
    if result is None:
        return None
    return f"{result.label} {result.confidence:.2f}"


def emotion_values(utterance: Utterance) -> dict[str, str | None]:
    """Each emotion tier's value for `utterance` ({suffix: 'happy 0.82' or None})."""
    emotion = utterance.emotion
    values: dict[str, str | None] = {}
    for attribute, suffix in EMOTION_TIERS:
        if emotion is None:
            values[suffix] = None
        elif attribute is None:
            values[suffix] = label_text(emotion)
        else:
            values[suffix] = label_text(getattr(emotion, attribute))
    return values


@dataclass
class Span:
    """One interval of a tier in the format's units (ticks)."""

    start: int
    end: int
    text: str
    utterance: Utterance


@dataclass
class Row:
    """One tier of a speaker: its name and its spans, in time order, none overlapping."""

    name: str
    spans: list[Span] = field(default_factory=list)


@dataclass
class SpeakerTiers:
    """Everything one speaker said, laid out: utterance rows and word rows."""

    name: str  # as shown (the name given, else SPEAKER_n); the participant in ELAN
    utterances: list[Row]
    words: list[Row]


def layout(spans: list[Span], name: str, ticks_per_second: int) -> list[Row]:
    """Spans sorted into as few rows as needed (the module's rules), named `name`, `name (2)`..."""
    shortest = max(1, round(MIN_LENGTH * ticks_per_second))
    nudge = round(NUDGE * ticks_per_second)
    rows: list[Row] = []
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        for row in rows:
            if row.spans[-1].end - span.start <= nudge:
                break
        else:
            row = Row(name if not rows else f"{name} ({len(rows) + 1})")
            rows.append(row)
        start = max(span.start, row.spans[-1].end) if row.spans else span.start
        row.spans.append(Span(start, max(span.end, start + shortest), span.text, span.utterance))
    return rows


def speaker_tiers(transcript: Transcript, ticks_per_second: int) -> list[SpeakerTiers]:
    """One entry per speaker, in the transcript's speaker order, then first appearance.

    Utterances without a speaker belong to "transcript" when nobody has one (not diarized), to
    "unknown" otherwise.
    """
    diarized = any(u.speaker for u in transcript.utterances)
    order = [s.id for s in transcript.speakers]
    by_speaker: dict[str | None, list[Utterance]] = {key: [] for key in order}
    for u in transcript.utterances:
        by_speaker.setdefault(u.speaker, []).append(u)
    names = _unique_names(transcript, [key for key, said in by_speaker.items() if said], diarized)

    def ticks(seconds: float) -> int:
        return max(0, round(seconds * ticks_per_second))

    result = []
    for key, name in names.items():
        said = by_speaker[key]
        spans = [Span(ticks(u.start), ticks(u.end), utterance_text(u), u) for u in said]
        words = [
            Span(ticks(w.start), ticks(w.end), one_line(w.word), u) for u in said for w in _words(u)
        ]
        result.append(
            SpeakerTiers(
                name=name,
                utterances=layout(spans, name, ticks_per_second),
                words=layout(words, f"{name} words", ticks_per_second),
            )
        )
    return result


def _words(utterance: Utterance) -> list[Word]:
    return [w for w in utterance.words if one_line(w.word)]


def _unique_names(
    transcript: Transcript, keys: list[str | None], diarized: bool
) -> dict[str | None, str]:
    """Each speaker's tier name: the name shown to readers, made unique (two speakers given the
    same name keep their ids beside it)."""
    shown: dict[str | None, str] = {}
    for key in keys:
        if key is None:
            shown[key] = "unknown" if diarized else "transcript"
        else:
            named = next((s.name for s in transcript.speakers if s.id == key and s.name), None)
            shown[key] = one_line(named or key) or key
    counts = {name: list(shown.values()).count(name) for name in shown.values()}
    return {
        key: f"{name} ({key})" if counts[name] > 1 and key is not None else name
        for key, name in shown.items()
    }


def unique(name: str, used: set[str]) -> str:
    """`name`, or `name #2`, `name #3`... if a tier already has it (a speaker may be given a name
    like another tier's), and mark it used: tier names identify tiers in both formats."""
    candidate, number = name, 1
    while candidate in used:
        number += 1
        candidate = f"{name} #{number}"
    used.add(candidate)
    return candidate
