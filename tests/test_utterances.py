from annotator.transcript import Word
from annotator.utterances import Segment, SplitRules, segments_to_spans


def segments_to_utterances(*args) -> list[tuple]:
    """(start, end, text, words) per utterance: the spans without a speaker."""
    return [(s.start, s.end, s.text, s.words) for s in segments_to_spans(*args)]


def words(*specs: tuple[float, float, str]) -> tuple[Word, ...]:
    return tuple(Word(start, end, text, 0.9) for start, end, text in specs)


def test_short_segment_is_one_utterance():
    seg = Segment(0.0, 2.0, "Hello there.", words((0.0, 0.8, " Hello"), (0.9, 2.0, " there.")))
    assert segments_to_utterances([seg]) == [(0.0, 2.0, "Hello there.", list(seg.words))]


def test_long_silence_always_splits():
    seg = Segment(0, 5, "a b", words((0.0, 1.0, " yes"), (3.0, 5.0, " no")))
    result = segments_to_utterances([seg], SplitRules(long_silence=1.0))
    assert [(s, e, t) for s, e, t, _ in result] == [(0.0, 1.0, "yes"), (3.0, 5.0, "no")]


def test_long_utterance_splits_at_last_sentence_end_within_limit():
    spec = [(i * 1.0, i * 1.0 + 0.9, f" w{i}" + ("." if i in (3, 7) else "")) for i in range(20)]
    seg = Segment(0, 20, "", words(*spec))
    result = segments_to_utterances([seg], SplitRules(max_duration=10.0, long_silence=5.0))
    assert [u[2].split()[-1] for u in result][:1] == ["w7."]
    assert all(end - start <= 10.0 for start, end, _, _ in result)
    assert " ".join(u[2] for u in result) == " ".join(w.strip() for _, _, w in spec)


def test_long_utterance_without_sentence_end_splits_at_longest_pause():
    spec = [(0, 3, " a"), (3.1, 6, " b"), (6.8, 9, " c"), (9.1, 12, " d"), (12.1, 16, " e")]
    result = segments_to_utterances([Segment(0, 16, "", words(*spec))], SplitRules(10.0, 5.0))
    assert [u[2] for u in result] == ["a b", "c d e"]


def test_segment_without_words_keeps_its_text_and_empty_ones_are_dropped():
    result = segments_to_utterances([Segment(1, 2, " hi "), Segment(3, 4, "  ")])
    assert result == [(1, 2, "hi", [])]
