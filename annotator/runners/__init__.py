"""Who annotates a batch's recordings: this process, worker processes here, or Ray workers.

Every runner has one method, `run(jobs, force, on_result, on_status)`, and the same rules: each
job goes through `batch.run_job` (the per-output lock, atomic writes, one-line failures) with
the same `worker.Worker` code, so every runner writes the same bytes. `run_batch` decides once
which outputs are already up to date and hands only the rest to a runner; results come back in
the jobs' order. A runner raises SetupError when it cannot start at all (models that do not
load, Ray missing or unreachable): one usage error, not a failure per file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from annotator.batch import SKIPPED, UP_TO_DATE, Job, JobResult, is_up_to_date
from annotator.runners.base import OnResult, OnStatus, Runner, SetupError

if TYPE_CHECKING:  # the worker module loads the pipeline: only a runner that runs needs it
    from annotator.worker import WorkerSettings

__all__ = ["OnResult", "OnStatus", "Runner", "SetupError", "make_runner", "run_batch"]


def run_batch(
    jobs: Sequence[Job],
    runner: Runner,
    force: bool = False,
    on_result: OnResult | None = None,
    on_status: OnStatus | None = None,
) -> list[JobResult]:
    """Every job's result in the jobs' order: up-to-date outputs are skipped here (unless
    `force`), the rest go to `runner` (which is not started when nothing is left to do)."""
    results: list[JobResult | None] = [None] * len(jobs)
    todo: list[int] = []
    for index, job in enumerate(jobs):
        if not force and is_up_to_date(job):
            results[index] = JobResult(job, SKIPPED, UP_TO_DATE)
            if on_result:
                on_result(results[index])
        else:
            todo.append(index)
    if todo:
        ran = runner.run([jobs[i] for i in todo], force, on_result, on_status)
        for index, result in zip(todo, ran, strict=True):
            results[index] = result
    return [result for result in results if result is not None]


def make_runner(
    settings: WorkerSettings, workers: int | None = None, ray_address: str | None = None
) -> Runner:
    """The runner for `--jobs` and `--ray`: Ray workers at `ray_address`, else `workers` worker
    processes here (more than one), else this process. Raises SetupError when Ray is asked for
    and not installed."""
    if ray_address is not None:
        from annotator.runners.ray_cluster import RayRunner, require_ray

        require_ray()
        return RayRunner(settings, ray_address, workers)
    if (workers or 1) > 1:
        from annotator.runners.processes import ProcessRunner

        return ProcessRunner(settings, workers or 1)
    from annotator.runners.local import InProcessRunner

    return InProcessRunner(settings)
