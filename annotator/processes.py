"""`--jobs N` on one machine: N worker processes, each loading the models once, share a folder.

Each worker runs the same per-recording code as a single-process run (annotator.worker inside
batch.run_job), so the per-output locks, the up-to-date check and the atomic writes are the same,
and so are the outputs. Workers are fresh interpreters ("spawn"): the Whisper and torch thread
pools of the parent are never forked.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from annotator.batch import Job, JobResult, run_job
from annotator.worker import Worker, WorkerSettings

# The worker process's own loaded models: one per process, made by the pool's initializer.
_worker: Worker | None = None


def _start(settings: WorkerSettings) -> None:
    global _worker
    _worker = Worker(settings)


def _run(job: Job, force: bool) -> JobResult:
    assert _worker is not None  # the pool's initializer loaded it
    result = run_job(job, _worker.process, force)
    result.error = None if result.error is None else RuntimeError(str(result.error))
    return result


def run_jobs(
    jobs: Sequence[Job],
    settings: WorkerSettings,
    workers: int,
    force: bool = False,
    on_result: Callable[[JobResult], None] | None = None,
) -> list[JobResult]:
    """Results in the jobs' order; `on_result` as each finishes. Ctrl-C cancels what has not
    started; what was running stops at once (its output is never half-written)."""
    results: dict[int, JobResult] = {}
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        max_workers=max(1, min(workers, len(jobs))),
        mp_context=context,
        initializer=_start,
        initargs=(settings,),
    )
    try:
        pending: dict[Future[JobResult], int] = {
            pool.submit(_run, job, force): index for index, job in enumerate(jobs)
        }
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                index = pending.pop(future)
                results[index] = future.result()
                if on_result:
                    on_result(results[index])
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return [results[i] for i in range(len(jobs))]
