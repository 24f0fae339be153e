"""The plain run: this process loads the models once and annotates the jobs one after another."""

from __future__ import annotations

from collections.abc import Sequence

from annotator.batch import Done, Job, JobResult, run_job
from annotator.runners.base import OnResult, OnStatus, SetupError
from annotator.worker import Worker, WorkerSettings


class InProcessRunner:
    """Loads the models on its first run (or takes a loaded Worker) and keeps them."""

    def __init__(self, settings: WorkerSettings, worker: Worker | None = None) -> None:
        self.settings = settings
        self.worker = worker

    def load(self, on_status: OnStatus | None = None) -> Worker:
        """The loaded worker; SetupError (said once) for models that cannot load."""
        from annotator.asr import ModelLoadError

        if self.worker is None:
            if on_status:
                on_status("loading models")
            try:
                self.worker = Worker(self.settings)
            except (ModelLoadError, ValueError) as error:
                raise SetupError(str(error)) from error
        return self.worker

    def run(
        self,
        jobs: Sequence[Job],
        force: bool,
        on_result: OnResult | None = None,
        on_status: OnStatus | None = None,
    ) -> list[JobResult]:
        worker = self.load(on_status)
        results = []
        for job in jobs:

            def process(job: Job) -> Done:
                def on_stage(name: str) -> None:
                    if on_status:
                        on_status(f"{job.input.name}: {name}")

                return worker.process(job, progress=on_stage)

            result = run_job(job, process, force)
            results.append(result)
            if on_result:
                on_result(result)
        return results
