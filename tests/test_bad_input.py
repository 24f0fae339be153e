"""Each bad input gets one clear line naming the file, a meaningful exit code, and no output."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import time

import pytest
from helpers import ffmpeg

from annotator.cli import EXIT_FAILED, EXIT_USAGE, main
from annotator.media import MediaError, probe


def run_cli(capsys, *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in args])
    return exit_info.value.code, capsys.readouterr().err


def assert_one_line_error(stderr: str, name: str, problem: str) -> None:
    errors = [line for line in stderr.splitlines() if line.startswith("annotate: error:")]
    assert len(errors) == 1, stderr
    assert name in errors[0] and re.search(problem, errors[0]), errors[0]
    assert "Traceback" not in stderr


def make_bad_inputs(folder):
    """name -> (path, expected problem text)."""
    cases = {}
    (folder / "empty.mp4").write_bytes(b"")
    cases["zero-byte"] = (folder / "empty.mp4", "empty file")
    (folder / "random.mp4").write_bytes(os.urandom(4096))
    cases["random bytes"] = (folder / "random.mp4", "corrupt|not a media file|no audio or video")
    (folder / "notes.wav").write_text("these are my meeting notes, not audio\n" * 20)
    cases["text as wav"] = (folder / "notes.wav", "not a media file")
    ffmpeg("-f", "lavfi", "-i", "testsrc=duration=2:size=160x120:rate=10", str(folder / "mute.mp4"))
    cases["video without audio"] = (folder / "mute.mp4", "no audio stream")
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "4", str(folder / "silence.wav"))
    cases["silent"] = (folder / "silence.wav", "no speech found")
    whole = folder / "whole.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc=duration=3:size=160x120:rate=10",
        "-f", "lavfi", "-i", "sine=frequency=440:duration=3", "-shortest", str(whole),
    )  # fmt: skip
    data = whole.read_bytes()
    (folder / "truncated.mp4").write_bytes(data[: len(data) // 2])
    whole.unlink()
    cases["truncated"] = (folder / "truncated.mp4", "truncated or corrupt")
    return cases


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory):
    return make_bad_inputs(tmp_path_factory.mktemp("bad"))


@pytest.mark.parametrize(
    "case",
    ["zero-byte", "random bytes", "text as wav", "video without audio", "silent", "truncated"],
)
def test_bad_file_gets_one_line_and_no_output(case, bad_inputs, capsys, tmp_path):
    path, problem = bad_inputs[case]
    output = tmp_path / "out.json"
    code, err = run_cli(capsys, path, "-o", output, "-q")
    assert code == EXIT_FAILED
    assert_one_line_error(err, path.name, problem)
    assert list(tmp_path.iterdir()) == []


def test_probe_reports_streams_of_real_media(bad_inputs):
    info = probe(bad_inputs["video without audio"][0])
    assert (info.has_video, info.has_audio, info.width, info.height) == (True, False, 160, 120)
    assert info.duration == pytest.approx(2.0, abs=0.1)
    with pytest.raises(MediaError, match="file not found"):
        probe(bad_inputs["silent"][0].with_name("nope.wav"))


def test_missing_path_is_a_usage_error(capsys, tmp_path):
    code, err = run_cli(capsys, tmp_path / "nope.mp4")
    assert code == EXIT_USAGE
    assert_one_line_error(err, "nope.mp4", "no such file")


def test_folder_without_media_is_a_usage_error(capsys, tmp_path):
    (tmp_path / "readme.txt").write_text("hi")
    code, err = run_cli(capsys, tmp_path)
    assert code == EXIT_USAGE
    assert_one_line_error(err, str(tmp_path), "no audio or video files")


def test_unsupported_format_is_a_usage_error(capsys, bad_inputs, tmp_path):
    code, err = run_cli(capsys, bad_inputs["silent"][0], "-o", tmp_path / "out.docx")
    assert code == EXIT_USAGE
    assert_one_line_error(err, "out.docx", "unsupported output format")


HEAVY_MODULES = ("torch", "faster_whisper", "ctranslate2", "onnxruntime", "cv2")


def run_cli_process(*args) -> tuple[int, str, list[str], float]:
    """`annotate ARGS` in a fresh interpreter: exit code, stderr, the heavy libraries it had
    imported by the end (none means no model was loaded), and its wall-clock seconds."""
    script = (
        "import sys\n"
        "from annotator.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "finally:\n"
        f"    print(sorted(m for m in {HEAVY_MODULES!r} if m in sys.modules))\n"
    )
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True
    )
    imported = ast.literal_eval(result.stdout.strip().splitlines()[-1])
    return result.returncode, result.stderr, imported, time.monotonic() - start


@pytest.mark.parametrize("case", ["text as wav", "zero-byte", "video without audio"])
def test_bad_input_fails_fast_before_any_model_loads(case, bad_inputs, tmp_path):
    path, problem = bad_inputs[case]
    code, err, imported, seconds = run_cli_process(path, "-o", tmp_path / "out.json")
    assert code == EXIT_FAILED
    assert_one_line_error(err, path.name, problem)
    assert imported == [] and seconds < 5  # about 1 s here; loading the models takes 7-10 s
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "output, problem",
    [
        ("/proc/annotate-test/x.json", "cannot write files in /proc"),  # unwritable, even as root
        ("{blocker}/call.json", "Not a directory"),  # below a file
    ],
)
def test_unwritable_output_fails_fast_naming_the_output(output, problem, samples, tmp_path):
    blocker = tmp_path / "report.txt"
    blocker.write_text("a file, not a folder")
    target = output.format(blocker=blocker)
    code, err, imported, seconds = run_cli_process(samples / "call.flac", "-o", target)
    assert code == EXIT_FAILED
    assert_one_line_error(err, target, problem)
    assert "call.flac" not in err  # the input is fine: the line names the output
    assert imported == [] and seconds < 5
    assert blocker.read_text() == "a file, not a folder"


def test_unwritable_output_folder_and_clips_folder_fail_fast(samples, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(samples / "call.flac", folder)
    code, err, imported, seconds = run_cli_process(folder, "-o", "/proc/annotate-out")
    assert code == EXIT_FAILED and imported == [] and seconds < 5
    assert_one_line_error(err, "/proc/annotate-out", "cannot write files in /proc")
    code, err, imported, _ = run_cli_process(
        samples / "call.flac", "-o", tmp_path / "c.json", "--save-clips", "/proc/clips"
    )
    assert code == EXIT_FAILED and imported == []
    assert_one_line_error(err, "/proc/clips", "cannot write files in /proc")
    assert not (tmp_path / "c.json").exists()


@pytest.mark.skipif(os.geteuid() == 0 and shutil.which("setpriv") is None, reason="needs non-root")
def test_unwritable_output_folder(capsys, tmp_path, samples):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root)")
        code, err = run_cli(capsys, samples / "call.flac", "-o", locked / "call.json", "-q")
        assert code == EXIT_FAILED
        assert_one_line_error(err, "locked/call.json", "Permission denied")
    finally:
        locked.chmod(0o700)
