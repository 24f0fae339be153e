"""Utterances from speaker turns: words to the active speaker, unworded speech kept, overlaps."""

from dataclasses import dataclass

from annotator.transcript import Word
from annotator.utterances import (
    Region,
    Segment,
    Span,
    finish_spans,
    region_span,
    segments_to_spans,
    unworded_regions,
    word_speakers,
)


@dataclass(frozen=True)
class Turn:
    start: float
    end: float
    speaker: int


@dataclass
class FakeDiarization:
    """Turns only; the most active speaker over a span is the one whose turns cover most of it
    (the real diarizer answers from frame-level activity)."""

    turns: list[Turn]

    def speaker_at(self, start: float, end: float) -> int | None:
        cover: dict[int, float] = {}
        for t in self.turns:
            shared = min(end, t.end) - max(start, t.start)
            if shared > 0:
                cover[t.speaker] = cover.get(t.speaker, 0.0) + shared
        return max(cover, key=cover.get) if cover else None


def word(start: float, end: float, text: str) -> Word:
    return Word(start, end, text, 0.9)


def test_each_word_goes_to_the_speaker_active_over_it_and_gaps_to_the_nearest_turn():
    diarization = FakeDiarization([Turn(0, 2, 0), Turn(2, 4, 1)])
    words = [word(0.2, 0.6, " a"), word(2.5, 3.0, " b"), word(5.0, 5.5, " c")]
    assert word_speakers(words, diarization) == [0, 1, 1]


def test_a_turn_without_words_becomes_a_region_and_a_worded_turn_does_not():
    diarization = FakeDiarization([Turn(0.0, 3.0, 0), Turn(3.2, 3.6, 1), Turn(4.0, 4.1, 1)])
    spans = [Span(0.1, 2.9, "hello there", [], 0)]
    # The 0.1 s turn is too short to be speech; the 0.4 s answer is a turn of its own.
    assert unworded_regions(diarization, spans) == [Region(3.2, 3.6, 1)]


def test_a_long_unworded_stretch_inside_a_turn_is_decoded_again():
    diarization = FakeDiarization([Turn(0.0, 10.0, 0)])
    spans = [Span(0.0, 2.0, "a", [], 0), Span(2.5, 4.0, "b", [], 0), Span(7.0, 9.5, "c", [], 0)]
    # 2.0-2.5 is a pause between words; 4.0-7.0 was never written; 9.5-10.0 is too short.
    assert unworded_regions(diarization, spans) == [Region(4.0, 7.0, 0)]


def test_long_regions_are_cut_to_whisper_windows():
    regions = unworded_regions(FakeDiarization([Turn(0.0, 70.0, 0)]), [])
    assert len(regions) == 3 and all(r.end - r.start <= 30.0 for r in regions)
    assert regions[0].start == 0.0 and regions[-1].end == 70.0


def test_a_region_drops_words_already_heard_from_the_other_voice():
    heard = [word(1.0, 1.4, " Okay."), word(1.5, 2.0, " so")]
    decoded = [word(1.05, 1.45, " okay"), word(1.6, 1.9, " yeah")]
    span = region_span(Region(1.0, 2.0, 1), decoded, heard)
    assert span.text == "yeah" and [w.word for w in span.words] == [" yeah"]
    assert (span.start, span.end, span.speaker) == (1.0, 2.0, 1)
    empty = region_span(Region(3.0, 3.4, 1), [], heard)
    assert (empty.text, empty.words) == ("", [])


def test_overlapping_speakers_are_flagged_and_renumbered_by_first_appearance():
    spans = [
        Span(2.0, 5.0, "second", [], 7),
        Span(0.0, 2.5, "first", [], 3),
        Span(6.0, 7.0, "alone", [], 3),
        Span(6.95, 8.0, "touching", [], 7),  # shares 0.05 s: a hand-over, not an overlap
    ]
    ordered, overlap = finish_spans(spans)
    assert [(s.text, s.speaker) for s in ordered] == [
        ("first", 0),
        ("second", 1),
        ("alone", 0),
        ("touching", 1),
    ]
    assert overlap == [True, True, False, False]


def test_words_split_where_the_active_speaker_changes():
    words = (word(0.0, 0.5, " yes"), word(0.6, 1.0, " no"), word(1.1, 1.5, " maybe"))
    diarization = FakeDiarization([Turn(0, 0.55, 0), Turn(0.55, 2, 1)])
    segments = [Segment(0.0, 1.5, "yes no maybe", words)]
    spans = segments_to_spans(segments, word_speakers=word_speakers(words, diarization))
    assert [(s.text, s.speaker) for s in spans] == [("yes", 0), ("no maybe", 1)]
