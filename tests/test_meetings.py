"""Real meetings end to end: the AMI excerpts (real design meetings, overlapping speech) and the
two-speaker call, through the whole default pipeline."""

from __future__ import annotations

AMI = "media/audio/ami-excerpts"


def reference_turns(shared, uri: str) -> list[tuple[float, float, str]]:
    turns = []
    for line in (shared / AMI / "train.rttm").read_text().splitlines():
        fields = line.split()
        if fields and fields[1] == uri:
            start, duration = float(fields[3]), float(fields[4])
            turns.append((start, start + duration, fields[7]))
    return turns


def test_overlapping_speech_gives_overlapping_utterances_of_two_speakers(shared, annotator):
    # trn08: four people, 18 s of the 30 s with two talking at once (reference turns).
    transcript = annotator.annotate(shared / AMI / "trn08.flac").transcript
    assert transcript.language == "en"
    overlapping = [u for u in transcript.utterances if u.overlap]
    pairs = {
        (a.speaker, b.speaker)
        for a in overlapping
        for b in overlapping
        if a.speaker != b.speaker and min(a.end, b.end) - max(a.start, b.start) > 0.1
    }
    assert pairs, "no two speakers' utterances overlap in time"
    assert len(transcript.speakers) >= 2


def test_a_few_short_remarks_are_a_transcript_not_an_error(shared, annotator):
    # trn01: four people say six short things (5.8 s of speech in 30 s, the longest 1.5 s).
    reference = reference_turns(shared, "trn01")
    transcript = annotator.annotate(shared / AMI / "trn01.flac").transcript
    assert transcript.utterances
    # Most of the reference turns are heard: an utterance covers their middle.
    heard = [
        any(u.start <= (s + e) / 2 <= u.end for u in transcript.utterances) for s, e, _ in reference
    ]
    assert sum(heard) >= len(reference) // 2
    for utterance in transcript.utterances:
        assert utterance.text == "".join(w.word for w in utterance.words).strip()


def test_an_utterance_without_words_still_gets_a_voice_emotion(shared, annotator):
    # trn02: one person, one 0.7 s remark.
    transcript = annotator.annotate(shared / AMI / "trn02.flac").transcript
    assert transcript.utterances
    for utterance in transcript.utterances:
        assert utterance.emotion is not None and utterance.emotion.audio is not None
        if not utterance.words:
            assert utterance.emotion.text is None
