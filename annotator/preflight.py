"""Checks that run before any model loads, so a bad input or an unwritable output fails in about
a second (model loading takes 7-10 s), with a line naming the path that is actually wrong."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from annotator.batch import Job, is_up_to_date
from annotator.media import MediaError, probe


def input_problem(path: Path) -> str | None:
    """Why `path` cannot be annotated (not media, empty, no audio stream, ...), or None.

    The same probe the pipeline runs first; decoding problems found later (a truncated file)
    are still reported by the pipeline.
    """
    try:
        info = probe(path)
    except MediaError as error:
        return str(error)
    if not info.has_audio:
        return "no audio stream (nothing to transcribe)"
    return None


def output_problem(path: Path, folder: bool = False) -> str | None:
    """Why the output `path` (a file, or with `folder` a folder of outputs) cannot be written,
    or None.

    Tried for real: a temporary file is made and removed in the folder that would receive the
    output, or in its nearest existing parent when the run would create the folders (which
    this leaves uncreated). Permission bits alone do not say it (root, read-only mounts, /proc).
    """
    target = Path(path)
    if folder:
        if target.exists() and not target.is_dir():
            return "exists and is not a folder"
        parent = target
    else:
        if target.is_dir():
            return "is a folder"
        parent = target.parent
    existing = parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"cannot create a folder below {existing}: it is a file (Not a directory)"
    try:
        handle, name = tempfile.mkstemp(dir=existing, prefix=".annotate-check-")
    except OSError as error:
        # /proc says "No such file or directory", a read-only mount "Read-only file system".
        return f"cannot write files in {existing} ({error.strerror or error})"
    os.close(handle)
    Path(name).unlink(missing_ok=True)
    return None


def first_problem(
    jobs: list[Job], output_folder: Path | None, save_clips: Path | None, force: bool
) -> tuple[Path, str] | None:
    """The first (path, problem) that would fail the run, checked before the models load: the
    single recording (a folder's recordings are probed as the batch reaches them, where one bad
    file does not stop the others), the output file or folder, and the --save-clips folder.
    None when nothing is to do (every output up to date) or nothing is wrong."""
    to_do = [job for job in jobs if force or not is_up_to_date(job)]
    if not to_do:
        return None
    if output_folder is None:
        (job,) = to_do
        if problem := input_problem(job.input):
            return job.input, problem
        if problem := output_problem(job.output):
            return job.output, problem
    elif problem := output_problem(output_folder, folder=True):
        return output_folder, problem
    if save_clips is not None and (problem := output_problem(save_clips, folder=True)):
        return save_clips, problem
    return None
