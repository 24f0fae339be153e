"""Reliability: interruptions, concurrent runs, no network, determinism, odd inputs, fuzzed writers.

Each test builds its own input from real speech (turns of the sample meeting) or ffmpeg's
generators.
"""

from __future__ import annotations

import io
import json
import signal
import socket
import subprocess
import sys
import time

import pandas as pd
import pytest
import srt
import webvtt
from helpers import REPO, ffmpeg, meeting_turn
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.cli import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, main
from annotator.export import _cue_text, writer_for
from annotator.transcript import Source, Transcript, Utterance

CLIPS = ["bin_blue", "bin_red", "lay_blue", "lay_blue_c", "lay_red"]


def cli(*args, **kwargs) -> subprocess.Popen:
    """`annotate` in its own process, as a user runs it."""
    command = [sys.executable, "-c", "from annotator.cli import main; main()", *map(str, args)]
    return subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs
    )


@pytest.fixture
def grid_folder(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in CLIPS:
        meeting_turn(name, folder, ".mpg")
    return folder


def outputs(folder):
    return sorted(p.name for p in folder.glob("*.json"))


def assert_all_complete(folder):
    assert not [p for p in folder.iterdir() if p.name.endswith(".part")]
    for path in folder.glob("*.json"):
        assert json.loads(path.read_text())["utterances"], path


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_batch_keeps_finished_outputs_and_resumes(grid_folder, tmp_path, signum):
    out = tmp_path / "out"
    process = cli(grid_folder, "-o", out, "-q")
    deadline = time.monotonic() + 120
    while len(outputs(out) if out.exists() else []) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert process.returncode == EXIT_INTERRUPTED, err
    assert "interrupted" in err and "Traceback" not in err
    finished = outputs(out)
    assert 2 <= len(finished) < len(CLIPS)
    assert_all_complete(out)

    process = cli(grid_folder, "-o", out)
    _, err = process.communicate(timeout=300)
    assert process.returncode == EXIT_OK, err
    expected = f"{len(CLIPS) - len(finished)} done, {len(finished)} up to date, 0 failed"
    assert expected in err
    assert len(outputs(out)) == len(CLIPS)


def test_two_runs_at_once_share_the_work_without_clobbering(grid_folder, tmp_path):
    out = tmp_path / "out"
    runs = [cli(grid_folder, "-o", out), cli(grid_folder, "-o", out)]
    reports = [run.communicate(timeout=300)[1] for run in runs]
    assert [run.returncode for run in runs] == [EXIT_OK, EXIT_OK], reports
    done = [int(report.split(" done,")[0].split()[-1]) for report in reports]
    assert sum(done) == len(CLIPS), reports  # each file annotated exactly once
    assert len(outputs(out)) == len(CLIPS)
    assert_all_complete(out)
    assert not list(out.glob(".*.lock"))


def test_runs_with_the_network_blocked_and_is_deterministic(tmp_path, monkeypatch, fresh_models):
    def refuse(*args, **kwargs):
        raise OSError("network blocked by test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    clip = meeting_turn("jacket_angry", tmp_path)
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    for output in (first, second):
        with pytest.raises(SystemExit) as exit_info:
            main([str(clip), "-o", str(output), "-q"])
        assert exit_info.value.code == EXIT_OK
    assert first.read_bytes() == second.read_bytes()


def make_odd_inputs(source, folder):
    """The same real speech in other codecs and containers, and at awkward places and lengths."""
    specs = {
        "vp9 opus.webm": ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-c:a", "libopus"],
        "mpeg1.mpg": ["-c:v", "mpeg1video", "-c:a", "mp2"],
        "sorenson.flv": ["-c:v", "flv", "-c:a", "libmp3lame", "-ar", "44100"],
        "aac only.m4a": ["-vn", "-c:a", "aac"],
        "vorbis.ogg": ["-vn", "-c:a", "libvorbis"],
        "réunion équipe 会议.mp4": ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"],
    }
    for name, codec_args in specs.items():
        ffmpeg("-i", str(source), *codec_args, str(folder / name))
    # 20 s of silence, then the sentence.
    ffmpeg(
        "-f", "lavfi", "-t", "20", "-i", "anullsrc=r=44100:cl=mono", "-i", str(source),
        "-filter_complex", "[1:a]aformat=channel_layouts=mono[s];[0:a][s]concat=n=2:v=0:a=1",
        str(folder / "late speech.wav"),
    )  # fmt: skip
    return list(specs) + ["late speech.wav"]


def test_odd_codecs_containers_and_names(tmp_path, capsys):
    folder = tmp_path / "odd"
    folder.mkdir()
    names = make_odd_inputs(meeting_turn("bin_blue", tmp_path), folder)
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_info:
        main([str(folder), "-o", str(out), "-q"])
    assert exit_info.value.code == EXIT_OK, capsys.readouterr().err
    for name in names:
        data = json.loads((out / name).with_suffix(".json").read_text())
        texts = " ".join(u["text"] for u in data["utterances"]).lower()
        assert "now" in texts, (name, texts)
        has_video = name.endswith((".webm", ".mpg", ".flv", ".mp4"))
        assert data["source"]["video"] is has_video
        if has_video:
            assert sum(u["face_frames"]["with_face"] for u in data["utterances"]) >= 1
    late = json.loads((out / "late speech.json").read_text())["utterances"]
    assert late[0]["start"] >= 19.5


def test_a_fifth_of_a_second_is_handled_cleanly(tmp_path, capsys):
    clip = tmp_path / "blip.wav"
    source = meeting_turn("bin_blue", tmp_path)
    ffmpeg("-ss", "0.8", "-t", "0.2", "-i", str(source), "-vn", str(clip))
    with pytest.raises(SystemExit) as exit_info:
        main([str(clip), "-o", str(tmp_path / "blip.json"), "-q"])
    err = capsys.readouterr().err
    # A fifth of a second is below what Whisper's voice filter keeps: one clear line, no output.
    assert exit_info.value.code == EXIT_FAILED, err
    assert "blip.wav: no speech found" in err and "Traceback" not in err
    assert not (tmp_path / "blip.json").exists()


# Text as people type it, plus everything that is special to subtitle and CSV formats.
awkward_text = st.lists(
    st.one_of(
        st.characters(blacklist_categories=("Cs",)),
        st.sampled_from(["\n", "\r\n", "-->", ",", '"', "<b>", "&amp;", "\u202e", "🙂", " "]),
    ),
    max_size=20,
).map("".join)


def transcript_of(texts):
    utterances = [
        Utterance(id=i, start=i * 2.5, end=i * 2.5 + 1.234, text=text)
        for i, text in enumerate(texts)
    ]
    return Transcript(Source("x.wav", 100.0, True, False), {}, utterances)


@settings(max_examples=60, deadline=None)
@given(st.lists(awkward_text, min_size=1, max_size=4))
def test_subtitles_parse_back_with_the_same_cues_and_times(texts):
    transcript = transcript_of(texts)
    expected = [_cue_text(u, True) for u in transcript.utterances]
    cues = list(srt.parse(writer_for("srt").render(transcript)))
    assert [c.content for c in cues] == expected
    assert [c.start.total_seconds() for c in cues] == [u.start for u in transcript.utterances]
    assert [c.end.total_seconds() for c in cues] == [u.end for u in transcript.utterances]
    captions = webvtt.from_buffer(io.StringIO(writer_for("vtt").render(transcript))).captions
    assert len(captions) == len(texts)
    assert [c.start_in_seconds for c in captions] == [int(u.start) for u in transcript.utterances]
    assert [c.raw_text for c in captions] == [
        t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for t in expected
    ]


@settings(max_examples=60, deadline=None)
@given(st.lists(awkward_text, min_size=1, max_size=4))
def test_csv_reads_back_identically(texts):
    transcript = transcript_of(texts)
    frame = pd.read_csv(
        io.StringIO(writer_for("csv").render(transcript)), keep_default_na=False, dtype=str
    )
    assert list(frame["text"]) == texts
    assert [float(x) for x in frame["end"]] == [u.end for u in transcript.utterances]
