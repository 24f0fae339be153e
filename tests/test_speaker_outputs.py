"""Speakers in every output: JSON, CSV, SRT and VTT carry them and real parsers read them
back; the CLI's speaker options reach the transcript; --no-diarize leaves outputs as before."""

from __future__ import annotations

import html
import io
import json

import pandas as pd
import pytest
import srt
import webvtt

from annotator.cli import main
from annotator.export import writer_for
from annotator.pipeline import speaker_summaries
from annotator.transcript import Emotion, EmotionResult, Source, Transcript, Utterance


def spoken(i: int, speaker: str | None, label_scores: list[float]) -> Utterance:
    fused = EmotionResult.from_scores(label_scores)
    return Utterance(
        id=i,
        start=2.0 * i,
        end=2.0 * i + 1.5,
        text=f"turn {i} --> <b>",
        speaker=speaker,
        emotion=Emotion(fused.label, fused.confidence, fused.scores),
    )


def two_speakers() -> Transcript:
    happy = [0.1, 0.0, 0.7, 0.05, 0.05, 0.05, 0.05, 0.0]
    sad = [0.1, 0.0, 0.05, 0.7, 0.05, 0.05, 0.05, 0.0]
    utterances = [
        spoken(0, "SPEAKER_1", happy),
        spoken(1, "SPEAKER_2", sad),
        spoken(2, "SPEAKER_1", sad),
    ]
    return Transcript(
        source=Source("m.wav", 8.0, True, False),
        models={},
        utterances=utterances,
        speakers=speaker_summaries(utterances, ("", "Dr. <Ann> O'Neil")),
    )


def test_speaker_summaries_count_time_utterances_and_emotions() -> None:
    speakers = two_speakers().speakers
    assert [s.id for s in speakers] == ["SPEAKER_1", "SPEAKER_2"]
    assert [s.name for s in speakers] == ["", "Dr. <Ann> O'Neil"]
    assert (speakers[0].utterances, speakers[0].speaking_time) == (2, 3.0)
    assert speakers[0].emotions["happy"] == 0.5 and speakers[0].emotions["sad"] == 0.5
    assert speakers[1].emotions["sad"] == 1.0


def test_every_format_carries_the_speaker_and_parses_back() -> None:
    transcript = two_speakers()
    data = json.loads(writer_for("json").render(transcript))
    assert [u["speaker"] for u in data["utterances"]] == [u.speaker for u in transcript.utterances]
    assert data["speakers"][1]["utterances"] == 1
    assert Transcript.from_dict(data) == transcript

    frame = pd.read_csv(io.StringIO(writer_for("csv").render(transcript)))
    assert list(frame["speaker_id"]) == ["SPEAKER_1", "SPEAKER_2", "SPEAKER_1"]
    assert list(frame["speaker"]) == ["SPEAKER_1", "Dr. <Ann> O'Neil", "SPEAKER_1"]

    cues = list(srt.parse(writer_for("srt").render(transcript)))
    assert cues[0].content.startswith("[SPEAKER_1] [happy")
    assert cues[1].content.startswith("[Dr. Ann O'Neil] [sad")  # no markup in a name

    vtt = webvtt.from_buffer(io.StringIO(writer_for("vtt").render(transcript)))
    assert [c.voice for c in vtt.captions] == ["SPEAKER_1", "Dr. Ann O'Neil", "SPEAKER_1"]
    assert "turn 0 -> <b>" in html.unescape(vtt.captions[0].text)  # "<b>" stays text


@pytest.fixture(scope="module")
def call_excerpt(samples):
    """The 30 s two-speaker call (real telephone speech)."""
    return samples / "call.flac"


def annotate(recording, output, *extra: str) -> dict:
    with pytest.raises(SystemExit) as exit_info:
        main([str(recording), "-o", str(output), "-q", *extra])
    assert exit_info.value.code == 0
    return json.loads(output.read_text()) if output.suffix == ".json" else {}


def test_the_call_has_two_speakers_and_names_map_in_order(call_excerpt, tmp_path) -> None:
    found = annotate(call_excerpt, tmp_path / "found.json")
    assert len(found["speakers"]) == 2
    assert {u["speaker"] for u in found["utterances"]} == {"SPEAKER_1", "SPEAKER_2"}
    assert found["models"]["diarization"]

    annotate(call_excerpt, tmp_path / "named.srt", "--speaker-names", "Ann,Bob")
    cues = list(srt.parse((tmp_path / "named.srt").read_text()))
    first = next(c for c in cues if c.content.startswith("["))
    assert first.content.startswith("[Ann]")
    assert {c.content.split("]")[0] for c in cues} == {"[Ann", "[Bob"}


def test_num_speakers_is_honoured(call_excerpt, tmp_path) -> None:
    three = annotate(call_excerpt, tmp_path / "three.json", "--num-speakers", "3")
    assert len(three["speakers"]) == 3
    assert three["options"]["num_speakers"] == 3
    one = annotate(call_excerpt, tmp_path / "one.json", "--num-speakers", "1")
    assert [s["id"] for s in one["speakers"]] == ["SPEAKER_1"]


def test_no_diarize_leaves_outputs_without_speakers(call_excerpt, tmp_path) -> None:
    plain = annotate(call_excerpt, tmp_path / "plain.json", "--no-diarize")
    assert plain["speakers"] == [] and all(u["speaker"] is None for u in plain["utterances"])
    assert "diarization" not in plain["models"]
    assert all(u["emotion"]["audio"]["head"] == "default" for u in plain["utterances"])
    annotate(call_excerpt, tmp_path / "plain.srt", "--no-diarize", "--no-emotion-tags")
    cues = list(srt.parse((tmp_path / "plain.srt").read_text()))
    assert not any(c.content.startswith("[") for c in cues)
