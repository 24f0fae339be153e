"""Folders: discovery, mirrored outputs, a failing file in the middle, resume and --force."""

from __future__ import annotations

import os

import pytest
from helpers import meeting_turn

from annotator.batch import discover, plan_jobs
from annotator.cli import EXIT_FAILED, EXIT_OK, main


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
