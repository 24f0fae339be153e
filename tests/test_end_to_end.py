"""The real pipeline on the sample meetings, checked against their ground truth."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
import srt
import webvtt
from helpers import ffmpeg, meeting_turn, word_error_rate

from annotator.cli import main
from annotator.export import writer_for
from annotator.training.metrics import emotion_agreement
from annotator.transcript import Transcript


def annotate_to(tmp_path, recording, suffix: str, *extra: str):
    output = tmp_path / f"{recording.stem}.{suffix}"
    with pytest.raises(SystemExit) as exit_info:
        main([str(recording), "-o", str(output), "-q", *extra])
    assert exit_info.value.code == 0
    return output


@pytest.fixture(scope="module")
def meeting(samples, tmp_path_factory):
    path = annotate_to(tmp_path_factory.mktemp("meeting"), samples / "meeting.mp4", "json")
    truth = json.loads((samples / "meeting.truth.json").read_text())
    return json.loads(path.read_text()), truth


@pytest.fixture(scope="module")
def call(samples, tmp_path_factory):
    path = annotate_to(tmp_path_factory.mktemp("call"), samples / "call.flac", "json")
    truth = json.loads((samples / "call.truth.json").read_text())
    return json.loads(path.read_text()), truth


def full_text(utterances) -> str:
    return " ".join(u["text"] for u in utterances)


# Bounds measured on tiny.en (meeting 0.07 after spelling digits, call ~0.15) with
# some slack; a broken segmentation or decode gives far more.
@pytest.mark.parametrize(("name", "bound"), [("meeting", 0.2), ("call", 0.25)])
def test_text_matches_ground_truth(name, bound, request):
    output, truth = request.getfixturevalue(name)
    wer = word_error_rate(full_text(truth["utterances"]), full_text(output["utterances"]))
    assert wer < bound, wer


@pytest.mark.parametrize("name", ["meeting", "call"])
def test_every_true_utterance_is_overlapped_and_times_are_sane(name, request):
    output, truth = request.getfixturevalue(name)
    spans = [(u["start"], u["end"]) for u in output["utterances"]]
    assert all(start < end for start, end in spans)
    assert spans == sorted(spans)
    assert all(u["end"] <= output["source"]["duration"] + 0.01 for u in output["utterances"])
    for expected in truth["utterances"]:
        assert any(s < expected["end"] and e > expected["start"] for s, e in spans), expected
    for utterance in output["utterances"]:
        assert utterance["words"], utterance
        assert utterance["start"] <= utterance["words"][0]["start"]


def test_meeting_faces_found_in_most_frames(meeting):
    output, _ = meeting
    assert output["source"]["video"] is True
    counts = [u["face_frames"] for u in output["utterances"]]
    assert all(c["sampled"] >= 1 for c in counts)
    assert sum(c["with_face"] for c in counts) >= 0.9 * sum(c["sampled"] for c in counts)


def test_call_is_audio_only_with_no_faces(call):
    output, _ = call
    assert output["source"]["video"] is False
    assert all(u["face_frames"] is None for u in output["utterances"])


def test_meeting_json_renders_to_every_other_format(meeting):
    output, _ = meeting
    transcript = Transcript.from_dict(output)
    cues = list(srt.parse(writer_for("srt").render(transcript)))
    assert len(cues) == len(output["utterances"])
    assert cues[3].start.total_seconds() == pytest.approx(output["utterances"][3]["start"])
    vtt = webvtt.from_buffer(io.StringIO(writer_for("vtt").render(transcript)))
    assert len(vtt.captions) == len(output["utterances"])
    frame = pd.read_csv(io.StringIO(writer_for("csv").render(transcript)))
    assert list(frame["face_frames_sampled"]) == [
        u["face_frames"]["sampled"] for u in output["utterances"]
    ]


@pytest.fixture(scope="module")
def call_excerpt(samples, tmp_path_factory):
    """14 s of the call (two speakers), so each format's CLI run stays short."""
    path = tmp_path_factory.mktemp("excerpt") / "call_excerpt.wav"
    ffmpeg("-ss", "6", "-t", "14", "-i", str(samples / "call.flac"), str(path))
    return path


@pytest.mark.parametrize("suffix", ["csv", "srt", "vtt"])
def test_cli_writes_each_format(call_excerpt, tmp_path, suffix):
    output = annotate_to(tmp_path, call_excerpt, suffix)
    text = output.read_text()
    if suffix == "csv":
        frame = pd.read_csv(output)
        assert len(frame) >= 2 and frame["emotion"].notna().all()
    elif suffix == "srt":
        cues = list(srt.parse(text))
        assert len(cues) >= 2 and all(c.content.startswith("[") for c in cues)
    else:
        assert text.startswith("WEBVTT") and len(webvtt.read(str(output)).captions) >= 2


def test_save_clips_writes_audio_and_face_crops(tmp_path):
    clip = meeting_turn("jacket_happy", tmp_path)
    annotate_to(tmp_path, clip, "json", "--save-clips", str(tmp_path / "clips"))
    written = sorted(p.name for p in (tmp_path / "clips" / clip.stem).iterdir())
    assert "utt_0000.wav" in written
    assert any(name.startswith("utt_0000_face_") and name.endswith(".png") for name in written)


def test_meeting_utterances_carry_fused_voice_face_and_text_emotion(meeting):
    output, truth = meeting
    assert {"audio_emotion", "face_emotion", "text_emotion", "fusion"} <= set(output["models"])
    for utterance in output["utterances"]:
        emotion = utterance["emotion"]
        for result in (emotion, emotion["audio"], emotion["face"], emotion["text"]):
            assert sum(result["scores"].values()) == pytest.approx(1.0, abs=2e-3)
            assert result["label"] == max(result["scores"], key=result["scores"].get)
        assert emotion["face"]["frames"] == utterance["face_frames"]["with_face"]
        assert emotion["face"]["scores"]["calm"] == 0.0  # the face model has no calm
        assert emotion["text"]["scores"]["calm"] == 0.0  # nor has the text model
        assert emotion["text"]["sentiment"]["label"] in ("positive", "neutral", "negative")
        assert set(emotion["weights"]) == {"audio", "face", "text"}
        assert utterance["sentiment"]["label"] in ("positive", "neutral", "negative")
    shares = output["summary"]["emotion_share"]
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-3)


def test_meeting_fused_emotion_agrees_with_the_truth(meeting):
    """The sample meeting's acted emotions (meeting.truth.json): 16 of 19 turns fused right when
    measured (benchmarks/emotion_truth.py); a regression in any branch or the fusion drops it."""
    output, truth = meeting
    result = emotion_agreement(output, truth)
    right, judged = result["fused"]
    assert judged == 19
    assert right >= 14, result["rows"]


def test_call_has_voice_and_text_emotion_but_no_face(call):
    output, _ = call
    for utterance in output["utterances"]:
        emotion = utterance["emotion"]
        assert emotion["face"] is None and set(emotion["weights"]) == {"audio", "text"}
        assert emotion["audio"] is not None and emotion["text"] is not None


def test_with_only_the_voice_the_fused_scores_are_the_voices(call_excerpt, tmp_path):
    # No face (audio file), no words (--no-text-emotion), no prior shift (acted): nothing
    # but the voice model is left, and the fused verdict must be exactly its verdict.
    output = annotate_to(tmp_path, call_excerpt, "json", "--no-text-emotion", "--prior", "acted")
    for utterance in json.loads(output.read_text())["utterances"]:
        emotion = utterance["emotion"]
        assert emotion["face"] is None and emotion["text"] is None
        assert emotion["weights"] == {"audio": 1.0}
        assert emotion["scores"] == emotion["audio"]["scores"]


def test_subtitles_show_the_fused_label(meeting):
    output, _ = meeting
    transcript = Transcript.from_dict(output)
    first = list(srt.parse(writer_for("srt").render(transcript)))[0].content
    utterance = output["utterances"][0]
    emotion = utterance["emotion"]
    label = f"[{emotion['label']} {emotion['confidence']:.2f}] "
    assert first.startswith(f"[{utterance['speaker']}] {label}")
