from __future__ import annotations

import io
import json

import pandas as pd
import pytest
import srt
import webvtt

from annotator.emotion.labels import LABELS
from annotator.export import FORMATS, format_for, writer_for
from annotator.transcript import (
    SCHEMA,
    Emotion,
    EmotionResult,
    FaceFrames,
    Source,
    Transcript,
    Utterance,
    Word,
)
from annotator.writer import atomic_write


def make_transcript(texts=("Good morning everyone.", 'Is it -->\nraining, "really"?')):
    scores = [0.1, 0.0, 0.6, 0.1, 0.1, 0.05, 0.05, 0.0]
    utterances = []
    for i, text in enumerate(texts):
        audio = EmotionResult.from_scores(scores)
        utterances.append(
            Utterance(
                id=i,
                start=1.0 + 4 * i,
                end=3.5 + 4 * i,
                text=text,
                words=[Word(1.0 + 4 * i, 1.5 + 4 * i, " Good", 0.9)],
                face_frames=FaceFrames(sampled=5, with_face=4),
                emotion=Emotion(audio.label, audio.confidence, audio.scores, audio=audio),
            )
        )
    return Transcript(
        source=Source("m.mp4", 10.0, True, True), models={"asr": "x"}, utterances=utterances
    )


def test_json_round_trip_keeps_everything():
    transcript = make_transcript()
    data = json.loads(writer_for("json").render(transcript))
    assert data["schema"] == SCHEMA and list(data)[0] == "schema"
    assert data["labels"] == list(LABELS)
    assert Transcript.from_dict(data) == transcript


def test_json_rejects_unknown_schema():
    with pytest.raises(ValueError, match="schema"):
        Transcript.from_dict({"schema": "other/9"})


def test_srt_parses_back_with_numbering_times_and_tags():
    transcript = make_transcript()
    cues = list(srt.parse(writer_for("srt").render(transcript)))
    assert [c.index for c in cues] == [1, 2]
    assert cues[0].start.total_seconds() == 1.0 and cues[1].end.total_seconds() == 7.5
    assert cues[0].content == "[happy 0.60] Good morning everyone."
    assert "-->" not in cues[1].content and "\n" not in cues[1].content


def test_vtt_parses_back_and_tags_can_be_turned_off():
    transcript = make_transcript()
    text = writer_for("vtt", emotion_tags=False).render(transcript)
    captions = webvtt.from_buffer(io.StringIO(text)).captions
    assert [(c.start, c.end) for c in captions] == [
        ("00:00:01.000", "00:00:03.500"),
        ("00:00:05.000", "00:00:07.500"),
    ]
    assert captions[0].text == "Good morning everyone."


def test_csv_has_one_row_per_utterance_and_every_score():
    transcript = make_transcript()
    frame = pd.read_csv(io.StringIO(writer_for("csv").render(transcript)))
    assert list(frame["text"]) == [u.text for u in transcript.utterances]
    assert frame.loc[0, "score_happy"] == 0.6 and frame.loc[0, "audio_emotion"] == "happy"
    assert frame.loc[0, "face_frames_with_face"] == 4


def test_empty_transcript_renders_in_every_format():
    empty = make_transcript(texts=())
    for fmt in FORMATS:
        assert isinstance(writer_for(fmt).render(empty), str)


def test_format_from_extension_or_flag():
    assert format_for("a/b.SRT") == "srt"
    assert format_for("a/b.txt", "vtt") == "vtt"
    assert format_for("a/b.TextGrid") == "textgrid" and format_for("a/b", "TextGrid") == "textgrid"
    with pytest.raises(ValueError, match="unsupported output format 'docx'"):
        format_for("a/b.docx")


def test_atomic_write_leaves_old_file_and_no_temp_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "out.json"
    target.write_text("old")

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("annotator.writer.os.fsync", disk_full)
    with pytest.raises(OSError, match="No space"):
        atomic_write(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]
