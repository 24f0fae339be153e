"""`annotate live` and `annotate watch`: a stream annotated utterance by utterance, a folder
watched for finished recordings. Streams are fed as fast as they can be read (no real-time
latency is asserted on a shared machine; benchmarks/live.py measures it)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import REPO, ffmpeg, wait_until

from annotator.transcript import Transcript

MEETING_SECONDS = 16.0  # the first six turns of the sample meeting: four speakers


@pytest.fixture(scope="module")
def meeting_stream(samples, tmp_path_factory) -> bytes:
    """The start of the sample meeting as a Matroska stream, as `ffmpeg ... -f matroska -`
    sends it."""
    path = tmp_path_factory.mktemp("live") / "meeting.mkv"
    ffmpeg(
        "-t", str(MEETING_SECONDS), "-i", str(samples / "meeting.mp4"), "-f", "matroska", str(path)
    )
    return path.read_bytes()


def _records(path: Path) -> list[dict]:
    """Every line of a JSON Lines file, each one required to be a whole record."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    lines = text.split("\n")
    assert lines[-1] == "", "a record is always written whole, newline included"
    return [json.loads(line) for line in lines[:-1]]


# ---------------------------------------------------------------- the parts, without models


def test_online_speakers_keep_their_ids_and_merge_only_at_the_end():
    from annotator.live_speakers import OnlineSpeakers

    rng = np.random.default_rng(0)
    voices = rng.normal(size=(2, 192))
    voices /= np.linalg.norm(voices, axis=1, keepdims=True)

    def heard(voice: int) -> np.ndarray:
        vector = voices[voice] + rng.normal(scale=0.03, size=192)
        return vector / np.linalg.norm(vector)

    online = OnlineSpeakers()
    found = [online.assign(heard(v), 2.0) for v in (0, 1, 0, 0, 1)]
    assert found == [0, 1, 0, 0, 1]
    # A short utterance never starts a speaker: it takes the nearest one.
    assert online.assign(rng.normal(size=192) / 14, 0.3) in (0, 1)
    assert online.merges() == {}
    online.sums.append(voices[0] * 3)  # a third "speaker" that is the first one again
    online.counts.append(3)
    assert online.merges() == {2: 0}


def test_stretches_end_where_the_speaker_pauses(samples):
    from annotator.live_stream import History, Stretches
    from annotator.media import SAMPLE_RATE, decode_audio, probe

    audio = np.asarray(decode_audio(probe(samples / "meeting.mp4")).samples)
    audio = audio[: int(MEETING_SECONDS * SAMPLE_RATE)]
    history, stretches, found = History(), Stretches(), []
    block = SAMPLE_RATE // 10
    for start in range(0, len(audio), block):  # arriving 0.1 s at a time
        history.append(audio[start : start + block])
        found += stretches.finished(history, ended=False)
    found += stretches.finished(history, ended=True)
    truth = json.loads((samples / "meeting.truth.json").read_text())["utterances"]
    turns = [u for u in truth if u["end"] <= MEETING_SECONDS]
    # Each turn of the meeting is one stretch, finished without waiting for the next turn.
    assert len(found) == len(turns)
    for stretch, turn in zip(found, turns, strict=True):
        assert stretch.start / SAMPLE_RATE <= turn["start"] + 0.1
        assert stretch.end / SAMPLE_RATE >= turn["end"] - 0.1
        assert stretch.seconds < turn["end"] - turn["start"] + 1.5


def test_live_file_appends_whole_records(tmp_path):
    from annotator.live_output import LiveFile, live_format
    from annotator.transcript import Utterance, Word

    said = [
        Utterance(
            id=0,
            start=0.5,
            end=1.5,
            text="Hello there.",
            speaker="SPEAKER_1",
            words=[Word(0.5, 1.0, " Hello", 0.9), Word(1.0, 1.5, " there.", 0.8)],
        ),
        Utterance(id=1, start=2.0, end=2.5, text="Hi --> you", speaker="SPEAKER_2"),
    ]
    for name in ("out.jsonl", "out.srt", "out.vtt"):
        live = LiveFile(tmp_path / name, live_format(tmp_path / name))
        for utterance in said:
            live.append(utterance)
        live.close()
    records = _records(tmp_path / "out.jsonl")
    assert [r["text"] for r in records] == ["Hello there.", "Hi --> you"]
    assert records[0]["words"][1]["word"] == " there."
    srt = (tmp_path / "out.srt").read_text()
    assert srt.startswith("1\n00:00:00,500 --> 00:00:01,500\n[SPEAKER_1] Hello there.\n\n2\n")
    assert "Hi -> you" in srt
    vtt = (tmp_path / "out.vtt").read_text()
    assert vtt.startswith("WEBVTT\n\n00:00:00.500 --> 00:00:01.500\n<v SPEAKER_1>Hello there.")
    with pytest.raises(ValueError, match="jsonl, srt, vtt"):
        live_format(tmp_path / "out.json")


# ---------------------------------------------------------------- the command, in this process


def test_live_annotates_a_stream_with_speakers_and_emotions(meeting_stream, tmp_path, capsys):
    from annotator.cli import main

    source = tmp_path / "meeting.mkv"
    source.write_bytes(meeting_stream)
    out = tmp_path / "live.jsonl"
    with pytest.raises(SystemExit) as exited:
        main(
            [
                "live",
                str(source),
                "-o",
                str(out),
                "--final",
                str(tmp_path / "final.json"),
                "--final",
                str(tmp_path / "final.srt"),
            ]
        )
    assert exited.value.code == 0, capsys.readouterr().err
    records = _records(out)
    # Six turns, four people: the GRID speakers' sentences and the CREMA-D actor's.
    assert 5 <= len(records) <= 8
    text = " ".join(r["text"] for r in records).lower()
    assert "forget" in text and "kids are talking" in text
    assert all(r["emotion"]["label"] for r in records)
    speakers = [r["speaker"] for r in records]
    assert len(set(speakers)) >= 3
    assert speakers[0] == "SPEAKER_1" and speakers[1] == "SPEAKER_2"  # numbered as they come
    final = Transcript.from_dict(json.loads((tmp_path / "final.json").read_text()))
    assert [u.text for u in final.utterances] == [r["text"] for r in records]
    assert final.language == "en" and final.summary and final.speakers
    assert abs(final.source.duration - MEETING_SECONDS) < 0.5
    assert (tmp_path / "final.srt").read_text().startswith("1\n00:00:00")


def test_a_broken_stream_is_one_line_and_a_failure(tmp_path, capsys):
    from annotator.cli import main

    junk = tmp_path / "junk.mkv"
    junk.write_bytes(os.urandom(20_000))
    with pytest.raises(SystemExit) as exited:
        main(["live", str(junk), "-o", str(tmp_path / "out.jsonl"), "-q"])
    assert exited.value.code == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert len(errors) == 1 and str(junk) in errors[0], errors


def test_live_refuses_an_output_it_cannot_grow(tmp_path, capsys):
    from annotator.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["live", "-", "-o", str(tmp_path / "out.html")])
    assert exited.value.code == 2
    assert "jsonl, srt, vtt" in capsys.readouterr().err


# ---------------------------------------------------------------- a real stream on stdin


def _start_live(tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    out = tmp_path / "live.jsonl"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "annotator.cli", "live", "-", "-o", str(out), "--language", "en"],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    return process, out


def _feed(process: subprocess.Popen, data: bytes) -> None:
    assert process.stdin is not None
    process.stdin.write(data)
    process.stdin.flush()


@pytest.mark.slow  # a second subprocess loading every model; the Ctrl-C test covers the start
def test_utterances_come_out_while_the_stream_still_runs(meeting_stream, tmp_path):
    process, out = _start_live(tmp_path)
    try:
        _feed(process, meeting_stream[: len(meeting_stream) * 2 // 3])
        # The stream is still open (two thirds sent): utterances are already written.
        assert wait_until(lambda: out.exists() and out.stat().st_size > 0, timeout=240)
        during = _records(out)
        assert during and process.poll() is None
        _feed(process, meeting_stream[len(meeting_stream) * 2 // 3 :])
        process.stdin.close()
        process.wait(timeout=240)
        stderr = process.stderr.read()
    finally:
        process.kill()
    assert process.returncode == 0, stderr.decode()
    after = _records(out)
    assert len(after) > len(during) and after[: len(during)] == during  # nothing rewritten
    final = Transcript.from_dict(json.loads(out.with_suffix(".json").read_text()))
    assert len(final.utterances) == len(after)


def test_ctrl_c_mid_stream_leaves_a_valid_partial_transcript(meeting_stream, tmp_path):
    process, out = _start_live(tmp_path)
    try:
        _feed(process, meeting_stream[: len(meeting_stream) // 2])
        # Utterances are written while the stream still runs (half of it sent, still open).
        assert wait_until(lambda: out.exists() and out.stat().st_size > 0, timeout=240)
        assert process.poll() is None
        process.send_signal(signal.SIGINT)
        process.wait(timeout=120)
        stderr = process.stderr.read()
    finally:
        process.kill()
    assert process.returncode == 130, stderr.decode()
    assert "interrupted" in stderr.decode()
    written = _records(out)
    final = Transcript.from_dict(json.loads(out.with_suffix(".json").read_text()))
    assert 1 <= len(final.utterances) == len(written)
    assert final.source.duration < MEETING_SECONDS


# ---------------------------------------------------------------- annotate watch


def test_watch_annotates_a_slowly_copied_recording_once(samples, tmp_path):
    from helpers import meeting_turn

    from annotator.options import Options
    from annotator.runners.local import InProcessRunner
    from annotator.watch import watch
    from annotator.worker import WorkerSettings

    recording = meeting_turn("bin_blue", tmp_path)
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    data = recording.read_bytes()
    copied = threading.Event()

    def copy_slowly() -> None:  # as a recorder writes: a piece every 0.3 s for about 2 s
        with open(inbox / "talk.mp4", "wb") as file:
            for start in range(0, len(data), len(data) // 6 + 1):
                file.write(data[start : start + len(data) // 6 + 1])
                file.flush()
                time.sleep(0.3)
        copied.set()

    done_at: list[float] = []

    def stop(results: list) -> bool:  # a few more looks after the first result: no second run
        if results and not done_at:
            done_at.append(time.monotonic())
        return bool(done_at) and time.monotonic() - done_at[0] > 2.5

    copier = threading.Thread(target=copy_slowly)
    copier.start()
    runner = InProcessRunner(WorkerSettings(Options(), "json"))
    results = watch(inbox, out, "json", runner, settle=1.0, poll=0.2, stop=stop)
    copier.join()
    assert copied.is_set()
    assert [r.status for r in results] == ["done"]
    transcript = Transcript.from_dict(json.loads((out / "talk.json").read_text()))
    assert "blue" in " ".join(u.text for u in transcript.utterances).lower()
    # The whole file was annotated: the transcript covers its full length.
    assert transcript.source.duration > 1.8


def test_the_live_view_shows_the_last_utterances():
    import io

    from rich.console import Console

    from annotator.live_output import VIEW_LINES, LiveView
    from annotator.transcript import Utterance

    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100, color_system=None)
    with LiveView(console) as view:
        for i in range(VIEW_LINES + 3):
            view.add(
                Utterance(
                    id=i, start=i * 2.0, end=i * 2.0 + 1, text=f"line {i}", speaker="SPEAKER_1"
                )
            )
        view.tick(95.0, 12.0)
    shown = screen.getvalue()
    assert f"line {VIEW_LINES + 2}" in shown and "SPEAKER_1" in shown
    assert "stream 01:35, 12 s waiting" in shown
    assert len(view.recent) == VIEW_LINES  # the oldest scrolled away


@pytest.mark.slow  # waits for ffmpeg's timeout on a file that stopped growing (about 20 s)
def test_follow_reads_a_file_while_it_grows(meeting_stream, tmp_path, capsys):
    from annotator.cli import main

    growing, out = tmp_path / "recording.mkv", tmp_path / "live.jsonl"
    growing.write_bytes(meeting_stream[: len(meeting_stream) // 4])
    lines_while_growing: list[int] = []

    def record() -> None:  # the rest arrives as a recorder writes it
        time.sleep(3)
        with open(growing, "ab") as file:
            for part in range(1, 4):
                size = len(meeting_stream)
                file.write(meeting_stream[size * part // 4 : size * (part + 1) // 4])
                file.flush()
                time.sleep(1.5)
        lines_while_growing.append(out.read_text().count("\n") if out.exists() else 0)

    recorder = threading.Thread(target=record)
    recorder.start()
    with pytest.raises(SystemExit) as exited:
        main(["live", str(growing), "--follow", "-o", str(out), "-q"])
    recorder.join()
    assert exited.value.code == 0, capsys.readouterr().err
    records = _records(out)
    assert len(records) >= 5 and lines_while_growing[0] < len(records)
    assert "kids are talking" in " ".join(r["text"] for r in records).lower()


def test_watch_command_annotates_what_lands_and_stops_at_its_limit(samples, tmp_path, capsys):
    from helpers import meeting_turn

    from annotator.cli import main

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    meeting_turn("lay_red", inbox)
    with pytest.raises(SystemExit) as exited:
        main(["watch", str(inbox), "-o", str(tmp_path / "out"), "--settle", "0.5", "--limit", "1"])
    assert exited.value.code == 0, capsys.readouterr().err
    transcript = Transcript.from_dict(json.loads((tmp_path / "out" / "lay_red.json").read_text()))
    assert "red" in " ".join(u.text for u in transcript.utterances).lower()
