"""Folders: discovery, mirrored outputs, a failing file in the middle, resume and --force."""

from __future__ import annotations

import os

import pytest
from helpers import meeting_turn

from annotator.batch import DONE, SKIPPED, Done, Job, JobResult, discover, plan_jobs, run_job
from annotator.cli import EXIT_FAILED, EXIT_OK, main
from annotator.runners import run_batch


def run_cli(capsys, *args):
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in args])
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out + captured.err


def test_discover_is_case_insensitive_sorted_and_survives_symlink_loops(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "Talk.MP4").write_bytes(b"x")
    (tmp_path / "a.wav").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "b" / "loop").symlink_to(tmp_path, target_is_directory=True)
    found, problems = discover(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["a.wav", "b/Talk.MP4"]
    assert problems == []


def test_outputs_mirror_folders_and_same_stem_inputs_do_not_collide(tmp_path):
    files = [tmp_path / "x" / "talk.mp4", tmp_path / "x" / "talk.wav", tmp_path / "y.flac"]
    jobs = plan_jobs(files, tmp_path, tmp_path / "out", "srt")
    assert [j.output.relative_to(tmp_path / "out").as_posix() for j in jobs] == [
        "x/talk.mp4.srt",
        "x/talk.wav.srt",
        "y.srt",
    ]


class Recorder:
    """A runner that writes each output itself: what run_batch hands it, and in what order."""

    def __init__(self) -> None:
        self.calls: list[list[Job]] = []

    def run(self, jobs, force, on_result=None, on_status=None):
        self.calls.append(list(jobs))

        def write(job: Job) -> Done:
            job.output.write_text("{}")
            return Done(utterances=1)

        results = [run_job(job, write, force) for job in reversed(jobs)]  # finish out of order
        for result in results:
            if on_result:
                on_result(result)
        return results[::-1]


def make_jobs(folder, count: int) -> list[Job]:
    jobs = []
    for index in range(count):
        source = folder / f"in{index}.wav"
        source.write_bytes(b"x")
        jobs.append(Job(source, folder / "out" / f"in{index}.json"))
    return jobs


def test_run_batch_decides_what_is_up_to_date_once_and_keeps_the_jobs_order(tmp_path):
    jobs = make_jobs(tmp_path, 4)
    runner, heard = Recorder(), []
    first = run_batch(jobs, runner, on_result=heard.append)
    assert [r.job for r in first] == jobs and {r.status for r in first} == {DONE}
    assert runner.calls == [jobs] and len(heard) == 4
    assert first[0].done == Done(utterances=1) and first[0].message == ""

    os.utime(jobs[2].output, (0, 0))  # an input newer than its output: only that one is redone
    again = run_batch(jobs, runner)
    assert [r.status for r in again] == [SKIPPED, SKIPPED, DONE, SKIPPED]
    assert runner.calls[-1] == [jobs[2]] and [r.job for r in again] == jobs

    calls = len(runner.calls)
    assert {r.status for r in run_batch(jobs, runner)} == {SKIPPED}
    assert len(runner.calls) == calls  # nothing to do: the runner is not started
    assert [r.status for r in run_batch(jobs, runner, force=True)] == [DONE] * 4


def test_a_result_carries_data_not_display_text(tmp_path):
    (job,) = make_jobs(tmp_path, 1)
    done = Done(3, {"happy": 0.75, "sad": 0.25}, warnings=("not English",))
    result = run_job(job, lambda job: done)
    assert isinstance(result, JobResult) and result.done is done and result.seconds >= 0


def test_batch_with_broken_file_then_resume_then_force(tmp_path, capsys):
    recordings = tmp_path / "in"
    (recordings / "day1").mkdir(parents=True)
    meeting_turn("bin_blue", tmp_path, ".mpg").rename(recordings / "day1" / "a.mpg")
    (recordings / "day1" / "b_broken.mp4").write_bytes(b"\x00" * 1000)
    meeting_turn("lay_blue", tmp_path, ".mpg").rename(recordings / "c.mpg")
    out = tmp_path / "out"

    code, text = run_cli(capsys, recordings, "-o", out)
    assert code == EXIT_FAILED
    assert "b_broken.mp4" in text and "2 done, 0 up to date, 1 failed" in text
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.json")) == [
        "c.json",
        "day1/a.json",
    ]
    assert not list(out.rglob("*.part"))

    (recordings / "day1" / "b_broken.mp4").unlink()
    finished = out / "c.json"
    before = finished.stat().st_mtime_ns
    code, text = run_cli(capsys, recordings, "-o", out)
    assert code == EXIT_OK and "0 done, 2 up to date, 0 failed" in text
    assert finished.stat().st_mtime_ns == before

    os.utime(recordings / "c.mpg")  # a newer input is redone
    code, text = run_cli(capsys, recordings, "-o", out, "-q")
    assert code == EXIT_OK and finished.stat().st_mtime_ns > before

    code, text = run_cli(capsys, recordings, "-o", out, "--force")
    assert code == EXIT_OK and "2 done, 0 up to date, 0 failed" in text


def test_jobs_2_writes_what_jobs_1_writes(tmp_path, capsys):
    recordings = tmp_path / "in"
    recordings.mkdir()
    for name in ("bin_blue", "lay_blue", "jacket_happy"):
        meeting_turn(name, recordings)
    one, two = tmp_path / "one", tmp_path / "two"
    code, _ = run_cli(capsys, recordings, "-o", one, "-q", "--jobs", "1")
    assert code == EXIT_OK
    code, text = run_cli(capsys, recordings, "-o", two, "--jobs", "2")
    assert code == EXIT_OK and "3 done, 0 up to date, 0 failed" in text
    names = sorted(p.name for p in one.iterdir())
    assert names == sorted(p.name for p in two.iterdir()) and len(names) == 3
    for name in names:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    code, text = run_cli(capsys, recordings, "-o", two, "--jobs", "2")  # resumes: nothing to do
    assert code == EXIT_OK and "0 done, 3 up to date, 0 failed" in text


def test_the_summary_renders_the_results_data(tmp_path):
    from rich.console import Console

    from annotator.batch import FAILED, SpeakerSummary
    from annotator.batch_table import shares_text, summary_line, summary_table

    jobs = make_jobs(tmp_path, 3)
    speaker = SpeakerSummary("Ann", 2, 3.25, {"sad": 0.2, "happy": 0.8})
    done = Done(2, {"neutral": 0.5, "happy": 0.3, "sad": 0.15, "angry": 0.05}, (speaker,))
    results = [
        JobResult(jobs[0], DONE, done=done, seconds=1.0),
        JobResult(jobs[1], SKIPPED, "output is up to date"),
        JobResult(jobs[2], FAILED, "not a media file"),
    ]
    assert summary_line(results) == "1 done, 1 up to date, 1 failed"
    assert shares_text(done.emotion_share) == "neutral 50%, happy 30%, sad 15%"
    console = Console(width=200, record=True)
    console.print(summary_table(results))
    text = console.export_text()
    assert "Ann (3.2 s speaking)" in text and "happy 80%, sad 20%" in text
