"""The runner interface every implementation (local, processes, ray_cluster) shares."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from annotator.batch import Job, JobResult

OnResult = Callable[[JobResult], None]  # hears each job's result as it comes
OnStatus = Callable[[str], None]  # hears a short line about what runs now, for a progress display


class SetupError(RuntimeError):
    """The runner cannot start: said once, in one line (a usage error for the CLI)."""


class Runner(Protocol):
    def run(
        self,
        jobs: Sequence[Job],
        force: bool,
        on_result: OnResult | None = None,
        on_status: OnStatus | None = None,
    ) -> list[JobResult]:
        """Annotate every job; one result per job, in the jobs' order."""
        ...
