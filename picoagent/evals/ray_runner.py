"""Runs of an eval on a Ray cluster: each (task, run) is a call on a worker actor.

Each worker is a Ray actor, one process, that loads the model once (`ModelSource`) and runs its
tasks one at a time with `run_one`, exactly as a thread would. The driver keeps every worker
busy with one task, writes each record as it comes back, and so streams into results.jsonl as
the thread runner does: a killed driver loses only the runs in flight, and Ray kills its
workers with it. A run's trace directory travels back with its record and is written under
the driver's results directory, so nothing stays on a worker's disk.

A worker that dies mid-task (killed, out of memory, its node lost) costs that run an `error`
record, which a resume retries; Ray restarts the worker for the tasks after it.

Ray is the optional `ray` extra: only this module imports it, and only `--ray` imports this.
"""

from __future__ import annotations

import math
import os
import socket
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from picoagent.errors import ConfigError
from picoagent.evals.runner import EvalOptions, Job, ModelSource, StartHook, make_record, run_one
from picoagent.evals.tasks import Task
from picoagent.tempdirs import owned_temp_dir, remove_temp_dir

LOCAL = "local"
# The driver's settings that a worker on another node would not have: its model server and
# key, and picoagent's own switches.
SHIPPED_ENV_PREFIXES = ("PICOAGENT_", "OPENAI_")
# A local instance keeps to what one eval needs: records and traces are small.
LOCAL_OBJECT_STORE_BYTES = 128 * 1024 * 1024
CONNECT_TIMEOUT_S = 5.0
# Times Ray restarts a worker whose process died; past that it gets no more tasks.
WORKER_RESTARTS = 3


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError("--ray needs the ray extra: pip install 'picoagent[ray]'") from None
    return ray


def _host_port(address: str) -> tuple[str, int] | None:
    host, _, port = address.removeprefix("ray://").rpartition(":")
    return (host or "127.0.0.1", int(port)) if port.isdigit() else None


def check_address(address: str) -> None:
    """One ConfigError line for an address that is malformed or whose head does not answer."""
    if address in (LOCAL, "auto"):
        return
    target = _host_port(address)
    if target is None:
        raise ConfigError(f"--ray takes no value (a local instance), local, auto, HOST:PORT or ray://HOST:PORT, not {address!r}")
    try:  # before Ray, which retries an unreachable head for a minute or more
        socket.create_connection(target, timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise ConfigError(f"cannot reach the Ray cluster at {address}: {exc.strerror or exc}") from None


def connect(ray: Any, address: str, cpus: float) -> None:
    """Start a local Ray instance on 127.0.0.1 (`local`), or join a cluster: `auto`, HOST:PORT
    of its head, or ray://HOST:PORT (Ray Client)."""
    quiet = {"log_to_driver": False, "logging_level": "ERROR", "configure_logging": False}
    if address == LOCAL:
        ray.init(address=LOCAL, _node_ip_address="127.0.0.1", include_dashboard=False, num_cpus=max(os.cpu_count() or 1, math.ceil(cpus)), object_store_memory=LOCAL_OBJECT_STORE_BYTES, **quiet)
        return
    try:
        ray.init(address=address, **quiet)
    except (ConnectionError, RuntimeError, TimeoutError, ValueError) as exc:
        from ray.exceptions import AuthenticationError

        if isinstance(exc.__cause__, AuthenticationError):
            raise ConfigError(f"the Ray cluster at {address} refused us: set RAY_AUTH_MODE=token and its token (RAY_AUTH_TOKEN, or ~/.ray/auth_token)") from None
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"cannot join the Ray cluster at {address}: {first}") from None


class EvalWorker:
    """One worker process: the model loaded once, then one (task, run) per call."""

    def __init__(self, models: ModelSource, options: EvalOptions):
        self.error: str | None = None
        try:
            self.model_for, self.options = models(), options.with_judge_loaded()
        except Exception as exc:  # reported once by `ready`, not as a crash per task
            self.error = str(exc) or type(exc).__name__

    def ready(self) -> str | None:
        """None, or why this worker cannot run tasks (its model did not load)."""
        return self.error

    def run(self, task: Task, run: int) -> tuple[dict[str, Any], dict[str, bytes]]:
        """The record, and the run's trace directory as {path relative to the runs dir: bytes}."""
        runs_dir = owned_temp_dir("picoagent-ray-runs-")
        try:
            record = run_one(task, run, self.model_for(task), self.options, runs_dir)
            files = {str(path.relative_to(runs_dir)): path.read_bytes() for path in runs_dir.rglob("*") if path.is_file()}
            if record["trace_path"]:
                record["trace_path"] = str(Path(record["trace_path"]).relative_to(runs_dir))
            return record, files
        finally:
            remove_temp_dir(runs_dir)


def _unpack(record: dict[str, Any], files: dict[str, bytes], runs_dir: Path) -> dict[str, Any]:
    """Write a worker's trace files under the driver's runs dir; the record points at them."""
    root = runs_dir.resolve()
    for name, data in files.items():
        path = (root / name).resolve()
        if not path.is_relative_to(root):  # a run id is ours, but a path from the network is checked
            raise ConfigError(f"a Ray worker sent a trace file outside the runs directory: {name}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    if record["trace_path"]:
        record["trace_path"] = str(root / record["trace_path"])
    return record


@dataclass
class RayRunner:
    """`workers` actors of `cpus_per_worker` CPUs each, on a local instance or the cluster at `address`."""

    address: str = LOCAL
    workers: int = 1
    cpus_per_worker: float = 1.0

    def __post_init__(self) -> None:  # a missing extra or a bad address fails before any work
        _import_ray()
        check_address(self.address)

    def run(
        self, jobs: list[Job], models: ModelSource, options: EvalOptions, runs_dir: Path, *, on_start: StartHook | None = None
    ) -> Iterator[tuple[Task, dict[str, Any]]]:
        if not jobs:
            return
        ray = _import_ray()
        from ray.exceptions import RayActorError, RayTaskError

        connect(ray, self.address, self.workers * self.cpus_per_worker)
        actors: list[Any] = []
        try:
            env = {key: value for key, value in os.environ.items() if key.startswith(SHIPPED_ENV_PREFIXES)}
            # Restarted when its process dies; the call in flight then fails and is recorded, never retried here.
            worker_class = ray.remote(num_cpus=self.cpus_per_worker, max_restarts=WORKER_RESTARTS, max_task_retries=0)(EvalWorker)
            actors = [worker_class.options(runtime_env={"env_vars": env}).remote(models, options) for _ in range(min(self.workers, len(jobs)))]
            try:
                problems = ray.get([actor.ready.remote() for actor in actors])
            except RayActorError as exc:
                raise ConfigError(f"a Ray worker failed to start: {str(exc).strip().splitlines()[0]}") from None
            if any(problems):
                raise ConfigError(f"a Ray worker could not load its model: {next(p for p in problems if p)}")
            queue = deque(jobs)
            deaths = [0] * len(actors)
            in_flight: dict[Any, tuple[int, Task, int]] = {}

            def submit(worker: int) -> None:
                task, run = queue.popleft()
                in_flight[actors[worker].run.remote(task, run)] = (worker, task, run)
                if on_start is not None:
                    on_start(task, run)

            for worker in range(len(actors)):
                submit(worker)
            while in_flight:
                [ref], _ = ray.wait(list(in_flight), num_returns=1)
                worker, task, run = in_flight.pop(ref)
                try:
                    record = _unpack(*ray.get(ref), runs_dir)
                except RayActorError as exc:
                    deaths[worker] += 1
                    record = make_record(task, run, error=f"harness: the Ray worker died mid-task ({type(exc).__name__}); a resume retries it")
                except RayTaskError as exc:  # run_one raised: a bug, or a record that would not pickle
                    record = make_record(task, run, error=f"harness: {str(exc).strip().splitlines()[-1]}")
                if queue and deaths[worker] <= WORKER_RESTARTS:
                    submit(worker)
                yield task, record
                if queue and not in_flight:
                    raise ConfigError(f"every Ray worker died {WORKER_RESTARTS + 1} times; {len(queue)} task runs were not started: run the same command again to resume")
        finally:
            for actor in actors:  # the runs in flight stop now; their tool processes die with them
                ray.kill(actor, no_restart=True)
            ray.shutdown()
