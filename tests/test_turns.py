"""Utterances from speaker turns: words to the active speaker, unworded speech kept, overlaps."""

from dataclasses import dataclass

from annotator.transcript import Word
from annotator.utterances import (
    Segment,
    Span,
    SpeakerTurn,
    SplitRules,
    finish_spans,
    new_words,
    segments_to_spans,
    speaker_turns,
    turn_spans,
    unworded_parts,
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


def turns_of(diarization: FakeDiarization, words: list[Word]) -> list:
    return speaker_turns(diarization, words, word_speakers(words, diarization), join_gap=1.0)


def test_a_speaker_s_turns_join_across_short_pauses_and_take_their_words():
    diarization = FakeDiarization(
        [Turn(0.0, 2.0, 0), Turn(2.5, 4.0, 0), Turn(4.1, 4.2, 1), Turn(6.0, 7.0, 0)]
    )
    words = [word(0.1, 0.5, " one"), word(3.0, 3.5, " two"), word(6.2, 6.8, " three")]
    turns = turns_of(diarization, words)
    # The 0.5 s pause joins; the 2 s one does not; the 0.1 s turn without words is dropped.
    assert [(t.start, t.end, t.speaker) for t in turns] == [(0.0, 4.0, 0), (6.0, 7.0, 0)]
    assert [[w.word for w in t.words] for t in turns] == [[" one", " two"], [" three"]]
    # A pause in which someone else speaks is a hand-over, however short.
    answered = FakeDiarization([Turn(0.0, 2.0, 0), Turn(2.1, 2.4, 1), Turn(2.5, 4.0, 0)])
    assert [(t.start, t.end) for t in turns_of(answered, []) if t.speaker == 0] == [
        (0.0, 2.0),
        (2.5, 4.0),
    ]


def test_a_word_far_from_its_speaker_s_turns_is_a_turn_of_its_own():
    diarization = FakeDiarization([Turn(0.0, 1.0, 0), Turn(5.0, 6.0, 1)])
    words = [word(0.2, 0.6, " hi"), word(2.0, 2.4, " hm")]  # "hm" is nearest to speaker 0
    turns = turns_of(diarization, words)
    assert [(t.start, t.end, t.speaker) for t in turns] == [
        (0.0, 1.0, 0),
        (2.0, 2.4, 0),
        (5.0, 6.0, 1),
    ]
    assert turns[2].words == []


def test_unworded_stretches_are_decoded_again_and_short_pauses_are_not():
    turn = SpeakerTurn(0.0, 10.0, 0, [word(0.0, 2.0, " a"), word(2.5, 4.0, " b")])
    turn.add([word(7.0, 9.5, " c")])
    # 2.0-2.5 is a pause between words; 4.0-7.0 was never written; 9.5-10.0 is too short.
    assert unworded_parts(turn) == [(4.0, 7.0)]
    assert unworded_parts(SpeakerTurn(3.2, 3.6, 1)) == [(3.2, 3.6)]


def test_long_unworded_turns_are_decoded_in_whisper_windows():
    parts = unworded_parts(SpeakerTurn(0.0, 70.0, 0))
    assert len(parts) == 3 and all(end - start <= 30.0 for start, end in parts)
    assert parts[0][0] == 0.0 and parts[-1][1] == 70.0


def test_words_decoded_again_skip_what_the_other_voice_already_said():
    heard = [word(1.0, 1.4, " Okay."), word(1.5, 2.0, " so")]
    decoded = [word(1.05, 1.45, " okay"), word(1.6, 1.9, " yeah")]
    assert [w.word for w in new_words(decoded, heard)] == [" yeah"]


def test_a_turn_is_an_utterance_cut_only_when_too_long():
    words = [
        word(i * 1.0 + 0.5, i * 1.0 + 1.2, f" w{i}" + ("." if i == 5 else "")) for i in range(12)
    ]
    turn = SpeakerTurn(0.0, 13.0, 2, words)
    spans = turn_spans(turn, SplitRules(max_duration=8.0))
    assert [(s.start, s.end) for s in spans] == [(0.0, 6.2), (6.5, 13.0)]
    assert spans[0].text.endswith("w5.") and all(s.speaker == 2 for s in spans)
    (silent,) = turn_spans(SpeakerTurn(3.0, 3.5, 1))
    assert (silent.start, silent.end, silent.text, silent.words) == (3.0, 3.5, "", [])


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
