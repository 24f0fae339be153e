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


def test_a_short_remark_alone_is_a_transcript_with_a_voice(shared, annotator):
    # trn02: one person says one thing, 0.7 s, in 30 s of a meeting room.
    ((start, end, _),) = reference_turns(shared, "trn02")
    transcript = annotator.annotate(shared / AMI / "trn02.flac").transcript
    assert transcript.utterances
    assert any(u.start <= (start + end) / 2 <= u.end for u in transcript.utterances)
    for utterance in transcript.utterances:
        assert utterance.text == "".join(w.word for w in utterance.words).strip()
        assert utterance.emotion is not None and utterance.emotion.audio is not None
        if not utterance.words:
            assert utterance.emotion.text is None
