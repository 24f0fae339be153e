"""`--jobs N` on one machine: N worker processes, each loading the models once, share a folder.

Each worker runs the same per-recording code as a single-process run (annotator.worker inside
batch.run_job), so the per-output locks and the atomic writes are the same, and so are the
outputs. Workers are fresh interpreters ("spawn"): the Whisper and torch thread
pools of the parent are never forked.
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
import traceback
from collections.abc import Sequence

from annotator.batch import Job, JobResult, run_job
from annotator.runners.base import OnResult, OnStatus
from annotator.runners.local import InProcessRunner
from annotator.worker import Worker, WorkerSettings

# The worker process's own loaded models: one per process, made by the pool's initializer.
_worker: Worker | None = None


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _start(settings: WorkerSettings) -> None:
    global _worker
    # Stopping the pool sends SIGTERM: unwind like Ctrl-C, so a recording being written leaves
    # no temporary file and no lock behind.
    signal.signal(signal.SIGTERM, _interrupt)
    _worker = Worker(settings)


def _run(task: tuple[int, Job, bool]) -> tuple[int, JobResult]:
    index, job, force = task
    assert _worker is not None  # the pool's initializer loaded it
    try:
        result = run_job(job, _worker.process, force)
    except KeyboardInterrupt:
        # Ctrl-C or the pool stopping: the write and the lock are already undone; leave quietly
        # (the main process says "interrupted" once).
        sys.exit(130)
    if result.error is not None:
        # The exception itself may not survive pickling; its traceback, as text, does (--debug).
        text = "".join(traceback.format_exception(result.error)).rstrip()
        result.error = RuntimeError(text)
    return index, result


class ProcessRunner:
    """`workers` worker processes (at most one per job); a single job runs in this process."""

    def __init__(self, settings: WorkerSettings, workers: int) -> None:
        self.settings = settings
        self.workers = workers

    def run(
        self,
        jobs: Sequence[Job],
        force: bool,
        on_result: OnResult | None = None,
        on_status: OnStatus | None = None,
    ) -> list[JobResult]:
        """Results in the jobs' order; `on_result` as each finishes. Ctrl-C or SIGTERM stops
        every worker at once (outputs are written atomically: none is left half-written)."""
        local = InProcessRunner(self.settings)
        if min(self.workers, len(jobs)) <= 1:
            return local.run(jobs, force, on_result, on_status)
        # Load the models here first: a model that cannot load is said once (SetupError), not
        # by every worker. Each worker process then loads its own.
        local.load(on_status)
        del local
        if on_status:
            on_status(f"{min(self.workers, len(jobs))} worker processes")
        return _run_in_pool(jobs, self.settings, self.workers, force, on_result)


def _run_in_pool(
    jobs: Sequence[Job],
    settings: WorkerSettings,
    workers: int,
    force: bool,
    on_result: OnResult | None,
) -> list[JobResult]:
    results: dict[int, JobResult] = {}
    context = multiprocessing.get_context("spawn")
    pool = context.Pool(max(1, min(workers, len(jobs))), _start, (settings,))
    try:
        tasks = [(index, job, force) for index, job in enumerate(jobs)]
        for index, result in pool.imap_unordered(_run, tasks):
            results[index] = result
            if on_result:
                on_result(result)
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()
    return [results[i] for i in range(len(jobs))]
