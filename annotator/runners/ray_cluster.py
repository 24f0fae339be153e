"""Run a batch's jobs on a Ray cluster: long-lived actors load the models once each and take
recordings one at a time until none are left.

The rules are a local run's: each actor runs `batch.run_job` (the per-output lock around the
write) with the same `Worker` code, so outputs are the same bytes and
two runs on one output folder never write the same file twice. Inputs and outputs must be on
storage every node sees. A recording whose worker dies is retried once on another worker, then
reported as failed. Ray is imported only here, and only when a batch asks for it.
"""

from __future__ import annotations

import logging
import os
import pickle
import secrets
import signal
import socket
import threading
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotator import batch
from annotator.batch import Job, JobResult
from annotator.runners.base import OnResult, OnStatus, SetupError
from annotator.runtime import set_runtime_environment
from annotator.worker import WorkerSettings

INSTALL_HINT = "--ray needs Ray: pip install 'meeting-annotator[ray]'"
ATTEMPTS = 2  # a recording whose worker dies is tried once more, on another worker
RESTARTS = 2  # Ray restarts a dead actor (reloading its models) this many times
CANCEL_GRACE = 5.0  # seconds a cancelled recording gets to stop at a stage boundary


class ClusterError(SetupError):
    """Ray is missing or the cluster cannot be reached: a usage error, said in one line."""


def require_ray() -> None:
    """Raise ClusterError with the install hint when Ray is not installed."""
    try:
        import ray  # noqa: F401
    except ImportError:
        raise ClusterError(INSTALL_HINT) from None


class BatchWorker:
    """One Ray worker process: the models, loaded once, and `run` for one job at a time."""

    def __init__(self, settings: WorkerSettings, force: bool) -> None:
        from annotator.asr import ModelLoadError
        from annotator.worker import Worker

        self.node = socket.gethostname()
        self.force = force
        self.worker: Worker | None = None
        self.problem = ""
        try:
            self.worker = Worker(settings)
        except (ModelLoadError, ValueError) as error:
            # Said by `ready`, so the driver reports it once as a usage error.
            self.problem = f"on Ray node {self.node}: {error}"

    def ready(self) -> str:
        """'' once the models are loaded, else why they could not load."""
        return self.problem

    def run(self, job: Job) -> tuple[JobResult, str]:
        """The job's result (as batch.run_job gives it) and the node that ran it."""
        try:
            with open(job.input, "rb"):
                pass
        except OSError as error:
            message = (
                f"cannot read it on Ray node {self.node} ({error.strerror}); inputs and outputs "
                "must be on storage every node sees"
            )
            return JobResult(job, batch.FAILED, message), self.node
        result = batch.run_job(job, self._process, self.force)
        if result.error is not None:
            result.error = _portable(result.error, self.node)
        return result, self.node

    def _process(self, job: Job) -> batch.Done:
        assert self.worker is not None  # `ready` reported the load problem already
        return self.worker.process(job, progress=_stop_if_cancelled)


def _stop_if_cancelled(stage: str) -> None:
    """Between stages, honour ray.cancel: Ray only flags a running actor task as cancelled."""
    import ray

    is_canceled = getattr(ray.get_runtime_context(), "is_canceled", None)  # newer Rays only
    if is_canceled is not None and is_canceled():
        raise KeyboardInterrupt  # the lock is released and no output is written


def _portable(error: BaseException, node: str) -> BaseException:
    """The error, with its traceback as a note (tracebacks do not travel), in a form that
    pickles back to the driver."""
    remote = "".join(traceback.format_exception(error)).rstrip()
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:  # noqa: BLE001  any exception type may come out of a library
        error = RuntimeError(f"{type(error).__name__}: {error}")
    error.add_note(f"raised on Ray node {node}:\n{remote}")
    return error


@dataclass
class _Attempt:
    index: int  # the job's place in the batch
    tries: int = 0
    avoid: int | None = None  # the worker that died on it, if one did


class RayRunner:
    """Runs jobs on the Ray cluster at `address` ('local' starts one on this machine)."""

    def __init__(self, settings: WorkerSettings, address: str, workers: int | None = None) -> None:
        self.settings, self.address, self.workers = settings, address, workers

    def run(
        self,
        jobs: Sequence[Job],
        force: bool,
        on_result: OnResult | None = None,
        on_status: OnStatus | None = None,
    ) -> list[JobResult]:
        """One result per job, in the jobs' order; `on_result` hears each as it comes,
        `on_status` a line of live counts. `workers` actors (default: one per CPU of the cluster,
        `--threads` CPUs each, at most one per recording). Raises ClusterError (no Ray, no
        cluster), SetupError (the models do not load on a worker) and KeyboardInterrupt (after
        cancelling what runs and stopping the workers)."""
        require_ray()
        jobs = list(jobs)
        results: dict[int, JobResult] = {}

        def finish(index: int, result: JobResult) -> None:
            results[index] = result
            if on_result:
                on_result(result)

        if jobs:
            with _connected(self.address):
                dispatch = _Dispatch(jobs, self.settings, force, self.workers, finish, on_status)
                dispatch.run(list(range(len(jobs))))
        return [results[index] for index in range(len(jobs))]


@contextmanager
def _connected(address: str) -> Iterator[None]:
    """Connected to the cluster for the block; a runtime this started is stopped after it.

    A process that already called ray.init (a library user) keeps its connection.
    """
    import ray

    if ray.is_initialized():
        yield
        return
    in_main = threading.current_thread() is threading.main_thread()
    sigterm = signal.getsignal(signal.SIGTERM) if in_main else None
    options: dict[str, Any] = {
        "logging_level": logging.ERROR,
        # Worker output would tear the progress display; it stays in Ray's session logs.
        "log_to_driver": False,
        # The native libraries' settings (annotator/runtime.py): workers get the same.
        "runtime_env": {"env_vars": {**set_runtime_environment(), **_same_arithmetic()}},
    }
    with ExitStack() as local:
        try:
            if address == "local":
                local.enter_context(_private_local_runtime(options))
            else:
                ray.init(address=address, **options)
        except Exception as error:  # noqa: BLE001  Ray raises many types for an unreachable cluster
            hint = ""
            if address.startswith("ray://") and "RAY_AUTH_MODE" not in os.environ:
                # Ray's client does not look for a cluster token on its own (Ray 2.60).
                hint = " (a cluster with token authentication also needs RAY_AUTH_MODE=token here)"
            message = f"cannot start Ray at {address!r}: {_first_line(error)}{hint}"
            raise ClusterError(message) from None
        if in_main:
            # ray.init installs its own SIGTERM handler; the caller's (an interrupt) stays.
            signal.signal(signal.SIGTERM, sigterm)
        try:
            yield
        finally:
            ray.shutdown()


def _same_arithmetic() -> dict[str, str]:
    """Ray gives each worker OMP_NUM_THREADS = its CPUs (often 1), and CTranslate2's int8
    kernels split their sums by that count, so Whisper's scores (and, near a tie, its words)
    differ from a plain run's in the last digits. Workers get the count a plain run here has."""
    return {"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS") or str(os.cpu_count() or 1)}


@contextmanager
def _private_local_runtime(options: dict[str, Any]) -> Iterator[None]:
    """Start a Ray runtime on this machine (`--ray local`) that tries no network and writes
    nothing to the user's home (tests/test_network.py traces it); it runs until the block ends.
    Ray 2.60 otherwise:

    - finds "this machine's address" by connecting a UDP socket to a public DNS server and
      serves on the machine's network address: told to use the loopback address instead (the
      switch Ray itself uses on Windows and macOS);
    - probes cloud metadata addresses (169.254.169.254, metadata.google.internal) in its
      usage-statistics module even with RAY_USAGE_STATS_ENABLED=0, unless a cluster launcher
      config lies at ~/ray_bootstrap_config.yaml: its processes start with HOME at a temporary
      folder holding an empty one (the workers get the real HOME back);
    - saves a new token for the runtime in ~/.ray/auth_token: one in the environment instead,
      for as long as the runtime runs (the driver presents it too).
    """
    import tempfile

    import ray
    from ray._private import ray_constants

    saved = {name: os.environ.get(name) for name in (*_LOCAL_SETTINGS, "HOME")}
    loopback = ray_constants.ENABLE_RAY_CLUSTER
    options["runtime_env"]["env_vars"]["HOME"] = os.path.expanduser("~")
    users = {name: os.environ.get(name) for name in _USER_TOKEN_SETTINGS}
    own_token = not any(users.values())
    if own_token:
        os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(32)
    try:
        # Kept until the runtime stops: its usage-statistics module reads it after start-up.
        with tempfile.TemporaryDirectory(prefix="annotator-ray-") as folder:
            (Path(folder) / "ray_bootstrap_config.yaml").write_text("{}\n")
            try:
                os.environ.update(_LOCAL_SETTINGS)
                ray_constants.ENABLE_RAY_CLUSTER = False
                os.environ["HOME"] = folder
                ray.init(address="local", include_dashboard=False, **options)
            finally:
                ray_constants.ENABLE_RAY_CLUSTER = loopback
                for name, value in saved.items():
                    if value is None:
                        os.environ.pop(name, None)
                    else:
                        os.environ[name] = value
            yield
    finally:
        # ray.init also leaves RAY_AUTH_MODE=token behind: a later runtime started from this
        # process would then think the user set a token up and make none.
        for name, value in users.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# Read by Ray's processes when they start: the loopback address as this node's address.
_LOCAL_SETTINGS = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
# A user's own Ray token or authentication mode is used as it is.
_USER_TOKEN_SETTINGS = ("RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH", "RAY_AUTH_MODE")


class _Dispatch:
    """Hands jobs to idle actors one at a time, retries a dead worker's job on another one."""

    def __init__(
        self,
        jobs: list[Job],
        settings: WorkerSettings,
        force: bool,
        workers: int | None,
        finish: Callable[[int, JobResult], None],
        on_status: Callable[[str], None] | None,
    ) -> None:
        self.jobs, self.settings, self.force, self.workers = jobs, settings, force, workers
        self.finish, self.on_status = finish, on_status
        self.actors: dict[int, Any] = {}  # live actors by number
        self.deaths: dict[int, int] = {}
        self.starting: dict[Any, int] = {}  # ready() calls in flight -> actor
        self.idle: list[int] = []
        self.running: dict[Any, tuple[int, _Attempt]] = {}  # run() calls in flight
        self.queue: deque[_Attempt] = deque()
        self.done = self.failed = 0

    def run(self, todo: list[int]) -> None:
        import ray

        self.queue.extend(_Attempt(index) for index in todo)
        cpus = max(1, self.settings.options.threads)
        count = self.workers or max(1, int(ray.cluster_resources().get("CPU", 1) // cpus))
        remote = ray.remote(num_cpus=cpus, max_restarts=RESTARTS, max_task_retries=0)(BatchWorker)
        for number in range(min(count, len(todo))):
            self.actors[number] = remote.remote(self.settings, self.force)
            self.deaths[number] = 0
            self.starting[self.actors[number].ready.remote()] = number
        self.status()
        try:
            self.loop()
        except BaseException:
            self.stop()
            raise

    def loop(self) -> None:
        import ray

        while self.queue or self.running:
            self.dispatch()
            if not self.running and not self.starting:
                # Every worker is gone for good: what is left cannot run here.
                while self.queue:
                    attempt = self.queue.popleft()
                    self.failure(attempt, "not run: every Ray worker died")
                break
            # A timeout keeps Ctrl-C and SIGTERM handled promptly while waiting.
            ready, _ = ray.wait([*self.running, *self.starting], num_returns=1, timeout=0.5)
            for ref in ready:
                if ref in self.starting:
                    self.started(ref)
                else:
                    self.returned(ref)

    def dispatch(self) -> None:
        for number in list(self.idle):
            # A retried job goes to another worker than the one that died on it, unless that
            # one is the only worker left.
            attempt = next((a for a in self.queue if a.avoid != number), None)
            if attempt is None and len(self.actors) == 1 and self.queue:
                attempt = self.queue[0]
            if attempt is None:
                continue
            self.queue.remove(attempt)
            self.idle.remove(number)
            attempt.tries += 1
            ref = self.actors[number].run.remote(self.jobs[attempt.index])
            self.running[ref] = (number, attempt)

    def started(self, ref: Any) -> None:
        import ray

        number = self.starting.pop(ref)
        try:
            problem = ray.get(ref)
        except ray.exceptions.RayError:
            self.died(number)
            return
        if problem:
            raise SetupError(problem)
        self.idle.append(number)
        self.status()

    def returned(self, ref: Any) -> None:
        import ray

        number, attempt = self.running.pop(ref)
        job = self.jobs[attempt.index]
        try:
            result, node = ray.get(ref)
        except (
            ray.exceptions.RayActorError,
            ray.exceptions.WorkerCrashedError,
            ray.exceptions.NodeDiedError,
            ray.exceptions.ObjectLostError,
            ray.exceptions.OutOfMemoryError,
        ) as error:
            self.died(number)
            if attempt.tries < ATTEMPTS:
                attempt.avoid = number
                self.queue.appendleft(attempt)
                self.status()
            else:
                self.failure(attempt, f"its Ray worker died on each try ({_first_line(error)})")
            return
        except ray.exceptions.RayError as error:
            self.idle.append(number)
            self.failure(attempt, f"internal error: {_first_line(error)}")
            return
        self.idle.append(number)
        if result.status == batch.DONE and not job.output.exists():
            result.status = batch.FAILED
            result.message = (
                f"written on Ray node {node} but not visible here; inputs and outputs must be "
                "on storage every node sees"
            )
        self.done += result.status == batch.DONE
        self.failed += result.status == batch.FAILED
        self.finish(attempt.index, result)
        self.status()

    def died(self, number: int) -> None:
        """A worker process died: Ray restarts it a few times, then it is gone."""
        self.deaths[number] += 1
        if number in self.idle:
            self.idle.remove(number)
        if self.deaths[number] > RESTARTS:
            self.actors.pop(number, None)
        else:
            self.starting[self.actors[number].ready.remote()] = number
        self.status()

    def failure(self, attempt: _Attempt, message: str) -> None:
        self.failed += 1
        self.finish(attempt.index, JobResult(self.jobs[attempt.index], batch.FAILED, message))
        self.status()

    def status(self) -> None:
        if self.on_status:
            remaining = len(self.queue) + len(self.running)
            ready = len(self.actors) - len(self.starting)
            self.on_status(
                f"{self.done} done, {self.failed} failed, {remaining} left; "
                f"{ready}/{len(self.actors)} workers"
            )

    def stop(self) -> None:
        """Cancel what runs, give it a moment to stop cleanly, then stop every worker.

        An output is written atomically, so a worker stopped mid-recording leaves none; a lock
        or temporary file left by a killed worker is cleared once its lock is free again.
        """
        import ray

        for ref in self.running:
            ray.cancel(ref)
        if self.running:
            ray.wait(list(self.running), num_returns=len(self.running), timeout=CANCEL_GRACE)
        for actor in self.actors.values():
            ray.kill(actor, no_restart=True)
        if self.running:
            ray.wait(list(self.running), num_returns=len(self.running), timeout=CANCEL_GRACE)
        for _, attempt in self.running.values():
            _clear_leftovers(self.jobs[attempt.index])


def _clear_leftovers(job: Job) -> None:
    """Remove the temporary files of `job`'s output that a killed worker left, unless another
    run is working on that output now."""
    try:
        with batch.claim(job.output) as claimed:
            if claimed:
                for part in job.output.parent.glob(f".{job.output.name}.*.part"):
                    part.unlink(missing_ok=True)
    except OSError:
        pass  # best effort: a stale temporary file is hidden and never read as an output


def _first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return (lines[0] if lines else type(error).__name__)[:200]
