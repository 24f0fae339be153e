"""`annotate watch FOLDER`: annotate each recording that lands in a folder once it is complete.

A recorder (or a copy) writes a file over minutes; it is annotated once its size and time of
change have stayed the same for `settle` seconds. Each settled file is one job of a batch
(annotator.batch, annotator.runners): the same per-output lock, the same up-to-date check, so
two watchers, or a watcher and a folder run, never annotate a file twice, and a restarted
watcher resumes where it stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from annotator.batch import JobResult, discover, plan_jobs
from annotator.runners import OnResult, OnStatus, Runner, run_batch

SETTLE = 5.0  # seconds a file must stay unchanged before it counts as complete
POLL = 1.0  # seconds between two looks at the folder


@dataclass
class Settling:
    """When each file was last seen to change: (size, mtime) and the time that was seen."""

    seen: dict[Path, tuple[tuple[int, float], float]] = field(default_factory=dict)
    handled: dict[Path, tuple[int, float]] = field(default_factory=dict)  # state annotated

    def settled(self, files: list[Path], settle: float, now: float) -> list[Path]:
        """The files unchanged for `settle` seconds and not yet handled in this state."""
        ready = []
        for path in files:
            try:
                stat = path.stat()
            except OSError:  # removed between the listing and now
                continue
            state = (stat.st_size, stat.st_mtime)
            previous = self.seen.get(path)
            if previous is None or previous[0] != state:
                self.seen[path] = (state, now)
                continue
            if stat.st_size and now - previous[1] >= settle and self.handled.get(path) != state:
                ready.append(path)
        return ready


def watch(
    folder: Path,
    out_dir: Path,
    extension: str,
    runner: Runner,
    settle: float = SETTLE,
    poll: float = POLL,
    force: bool = False,
    on_result: OnResult | None = None,
    on_status: OnStatus | None = None,
    stop: Callable[[list[JobResult]], bool] | None = None,
) -> list[JobResult]:
    """Watch `folder` until interrupted (or `stop(results so far)` is true), annotating each
    recording once it has settled; the results of every job run."""
    settling = Settling()
    results: list[JobResult] = []
    while not (stop and stop(results)):
        files, _ = discover(folder)
        ready = settling.settled(files, settle, time.monotonic())
        if ready:
            jobs = plan_jobs(ready, folder, out_dir, extension)
            for path, result in zip(
                ready, run_batch(jobs, runner, force, on_result, on_status), strict=True
            ):
                stat = path.stat()
                settling.handled[path] = (stat.st_size, stat.st_mtime)
                results.append(result)
            continue
        time.sleep(poll)
    return results
