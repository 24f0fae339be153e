"""Folders on Ray (--ray): the same outputs as a local run, a killed worker, resume, no extra.

Every Ray runtime here is a local one on this machine (`--ray local`, which the run stops
again); inputs are turns of the sample meeting.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import REPO, meeting_turn

from annotator.batch import Job
from annotator.cli import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, main

needs_ray = pytest.mark.skipif(
    importlib.util.find_spec("ray") is None,
    reason="Ray is not installed (pip install 'meeting-annotator[ray]')",
)

CLIPS = ["bin_blue", "bin_red", "lay_blue", "lay_blue_c", "lay_red", "jacket_happy"]
# The text-emotion branch is not what these tests are about; leaving it out keeps them short.
LIGHT = ["--no-text-emotion"]


def run_cli(capsys, *args) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in args])
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out + captured.err


def cli(*args) -> subprocess.Popen:
    """`annotate` in its own process, as a user runs it."""
    command = [sys.executable, "-c", "from annotator.cli import main; main()", *map(str, args)]
    return subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def folder_of(tmp_path: Path, names: list[str]) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in names:
        meeting_turn(name, folder, ".mpg")
    return folder


def outputs(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.json")) if folder.exists() else []


def assert_clean(folder: Path) -> None:
    """Only complete outputs: no temporary or lock files left behind."""
    leftovers = [p.name for p in folder.iterdir() if p.name.endswith((".part", ".lock"))]
    assert not leftovers
    for path in folder.glob("*.json"):
        assert json.loads(path.read_text())["utterances"], path


def busy_workers() -> list[int]:
    """Ray worker processes in the middle of a recording (Ray names them by the running task)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "cmdline").read_bytes().startswith(
                b"ray::BatchWorker.run"
            ):
                found.append(int(entry.name))
        except OSError:
            continue  # gone meanwhile
    return found


def test_without_ray_installed_one_line_with_the_install_hint(tmp_path, capsys, monkeypatch):
    folder = folder_of(tmp_path, ["bin_blue"])
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    code, text = run_cli(capsys, folder, "-o", tmp_path / "out", "--ray", "local")
    assert code == EXIT_USAGE
    assert text.strip() == "annotate: error: --ray needs Ray: pip install 'meeting-annotator[ray]'"
    assert not (tmp_path / "out").exists()


def test_jobs_below_one_is_a_usage_error(tmp_path, capsys):
    folder = folder_of(tmp_path, ["bin_blue"])
    code, text = run_cli(capsys, folder, "-o", tmp_path / "out", "--jobs", "0")
    assert code == EXIT_USAGE and "--jobs 0" in text


@needs_ray
def test_a_worker_that_cannot_read_an_input_says_so_in_one_line(tmp_path):
    from annotator.options import Options
    from annotator.runners.ray_cluster import BatchWorker
    from annotator.worker import WorkerSettings

    # Transcription only: the smallest set of models that still makes a real worker.
    settings = WorkerSettings(Options(emotion=False, diarize=False), "json")
    worker = BatchWorker(settings, force=False)
    assert worker.ready() == ""
    job = Job(tmp_path / "elsewhere" / "talk.mp4", tmp_path / "out" / "talk.json")
    result, node = worker.run(job)
    assert result.status == "failed"
    assert result.message == (
        f"cannot read it on Ray node {node} (No such file or directory); inputs and outputs "
        "must be on storage every node sees"
    )
    assert "\n" not in result.message
    assert not (tmp_path / "out").exists()


@needs_ray
def test_ray_local_writes_the_same_bytes_as_a_local_run(tmp_path, capsys):
    folder = folder_of(tmp_path, CLIPS[:3])
    local, on_ray = tmp_path / "local", tmp_path / "ray"
    code, text = run_cli(capsys, folder, "-o", local, "-q", *LIGHT)
    assert code == EXIT_OK, text
    code, text = run_cli(capsys, folder, "-o", on_ray, "--ray", "local", "--jobs", "2", *LIGHT)
    assert code == EXIT_OK, text
    assert "3 done, 0 up to date, 0 failed" in text
    assert outputs(on_ray) == outputs(local) == ["bin_blue.json", "bin_red.json", "lay_blue.json"]
    for name in outputs(local):
        assert (on_ray / name).read_bytes() == (local / name).read_bytes(), name
    assert_clean(on_ray)


@needs_ray
@pytest.mark.slow
def test_a_killed_worker_does_not_lose_the_batch(tmp_path):
    folder = folder_of(tmp_path, CLIPS)
    out = tmp_path / "out"
    run = cli(folder, "-o", out, "--ray", "local", "--jobs", "2", *LIGHT)
    deadline = time.monotonic() + 240
    killed = None
    while killed is None and time.monotonic() < deadline and run.poll() is None:
        busy = busy_workers()
        if busy:
            killed = busy[0]
            finished_before = len(outputs(out))
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.05)
    assert killed is not None, "no worker was seen at work"
    _, err = run.communicate(timeout=300)
    assert run.returncode == EXIT_OK, err
    assert finished_before < len(CLIPS)
    # Each recording done exactly once: the retried one counts once, nothing twice or lost.
    assert f"{len(CLIPS)} done, 0 up to date, 0 failed" in err
    assert outputs(out) == sorted(f"{name}.json" for name in CLIPS)
    assert_clean(out)


@needs_ray
@pytest.mark.slow
def test_an_interrupted_ray_run_resumes_with_only_the_rest(tmp_path):
    folder = folder_of(tmp_path, CLIPS)
    out = tmp_path / "out"
    run = cli(folder, "-o", out, "-q", "--ray", "local", "--jobs", "2", *LIGHT)
    deadline = time.monotonic() + 240
    while len(outputs(out)) < 2 and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.05)
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=120)
    assert run.returncode == EXIT_INTERRUPTED, err
    assert "interrupted" in err and "Traceback" not in err
    finished = outputs(out)
    assert 2 <= len(finished) < len(CLIPS)
    assert_clean(out)

    run = cli(folder, "-o", out, "--ray", "local", "--jobs", "2", *LIGHT)
    _, err = run.communicate(timeout=300)
    assert run.returncode == EXIT_OK, err
    expected = f"{len(CLIPS) - len(finished)} done, {len(finished)} up to date, 0 failed"
    assert expected in err
    assert len(outputs(out)) == len(CLIPS)
    assert_clean(out)
