"""Many recordings in one run: find them, map them to outputs, say what is done, keep going.

A failing file is recorded and the batch moves on; an output that is complete and newer than
its input is skipped, so an interrupted batch resumes where it stopped. Which runner does the
work (this process, worker processes, Ray) is annotator.runners's business.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from annotator.media import MEDIA_EXTENSIONS, MediaError


@dataclass(frozen=True)
class Job:
    input: Path
    output: Path


# A job's outcome: written, already up to date, being written by another run, or not written.
DONE, SKIPPED, BUSY, FAILED = "done", "skipped", "busy", "failed"
UP_TO_DATE = "output is up to date"


@dataclass(frozen=True)
class SpeakerSummary:
    """One speaker of a finished recording: what a summary of the batch shows about them."""

    speaker: str  # the name given for the speaker, else its id
    utterances: int
    speaking_time: float  # seconds
    emotion_share: dict[str, float] = field(default_factory=dict)  # share of speaking time


@dataclass(frozen=True)
class Done:
    """What processing a recording reports: the data behind a summary, no display text."""

    utterances: int
    emotion_share: dict[str, float] = field(default_factory=dict)  # the whole recording's
    speakers: tuple[SpeakerSummary, ...] = ()
    warnings: tuple[str, ...] = ()  # one line each about the recording (e.g. not English)


@dataclass
class JobResult:
    job: Job
    status: str  # DONE, SKIPPED (up to date), BUSY (another run has it) or FAILED
    message: str = ""  # why it was skipped, left or failed
    done: Done | None = None  # what was produced, when status is DONE
    seconds: float = 0.0
    error: BaseException | None = None  # the unexpected exception, for --debug


def is_media(path: Path) -> bool:
    return path.suffix.lower() in MEDIA_EXTENSIONS


def discover(root: Path) -> tuple[list[Path], list[str]]:
    """Media files below `root` in a stable order, and one line per folder that could not be read.

    Symlinked folders are not followed, so a symlink loop cannot trap the walk.
    """
    problems: list[str] = []

    def report(error: OSError) -> None:
        problems.append(f"{error.filename}: cannot read folder ({error.strerror})")

    found = []
    for folder, subfolders, files in os.walk(root, onerror=report):
        subfolders.sort()
        for name in sorted(files):
            path = Path(folder) / name
            if is_media(path):
                found.append(path)
    return found, problems


def plan_jobs(files: Iterable[Path], root: Path, out_dir: Path, fmt: str) -> list[Job]:
    """OUT/<path relative to root, extension replaced by the format's>.

    Two inputs that differ only by extension (talk.mp4, talk.wav) would share an output, so
    those keep their extension instead: talk.mp4.json, talk.wav.json.
    """
    files = list(files)
    relative = [f.relative_to(root) for f in files]
    stems = [r.with_suffix("") for r in relative]
    clashes = {s for s in stems if stems.count(s) > 1}
    jobs = []
    for file, rel, stem in zip(files, relative, stems, strict=True):
        name = f"{rel.name}.{fmt}" if stem in clashes else f"{stem.name}.{fmt}"
        jobs.append(Job(input=file, output=out_dir / rel.parent / name))
    return jobs


def is_up_to_date(job: Job) -> bool:
    """The output exists, is not empty, and is newer than its input.

    Outputs are written atomically, so an existing one is complete.
    """
    try:
        output = job.output.stat()
        return output.st_size > 0 and output.st_mtime >= job.input.stat().st_mtime
    except OSError:
        return False


@contextmanager
def claim(output: Path) -> Iterator[bool]:
    """Hold an exclusive lock on `output` while it is produced; False if another run holds it.

    Two runs over the same folder then never work on the same file at once. The lock is an
    flock on a hidden file beside the output, released by the kernel even if the run dies.
    """
    output.parent.mkdir(parents=True, exist_ok=True)
    lock_path = output.parent / f".{output.name}.lock"
    with open(lock_path, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            lock_path.unlink(missing_ok=True)


def run_job(job: Job, process: Callable[[Job], Done], force: bool = False) -> JobResult:
    """One job, timed: claimed and processed. Every runner (annotator.runners) runs each job
    through this, so every runner locks and reports failures the same way.

    MediaError and OSError become one-line failures; anything else is a bug, still recorded as a
    failure (named as internal) so that the batch goes on. KeyboardInterrupt (and SystemExit)
    stop the batch.
    """
    started = time.perf_counter()
    result = _run_one(job, process, force)
    result.seconds = time.perf_counter() - started
    return result


def _run_one(job: Job, process: Callable[[Job], Done], force: bool) -> JobResult:
    try:
        with claim(job.output) as claimed:
            if not claimed:
                return JobResult(job, BUSY, "another run is working on it")
            # Another run may have finished it while this one was busy with earlier files (the
            # batch's own check was made before it started).
            if not force and is_up_to_date(job):
                return JobResult(job, SKIPPED, UP_TO_DATE)
            return JobResult(job, DONE, done=process(job))
    except (MediaError, OSError) as error:
        return JobResult(job, FAILED, _one_line(error), error=error)
    except Exception as error:  # noqa: BLE001  one broken file never stops the batch
        message = f"internal error: {type(error).__name__}: {_one_line(error)}"
        return JobResult(job, FAILED, message, error=error)


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    if isinstance(error, OSError) and error.strerror:
        text = error.strerror + (f": {error.filename}" if error.filename else "")
    return text or type(error).__name__
