"""Every cell as a Ray task on a cluster (`--on ray --address HOST:PORT`), or on a local Ray instance.

Imported only for `--on ray`: it imports ray at the top.

- Each seed's VAE is a task; its result (bytes in Ray's object store) is an
  argument of every cell task of that seed, so Ray starts those cells when
  the VAE is ready and ships it to whichever node runs them.
- Cells send their messages to a `Relay` actor pinned to the driver's node,
  in batches (a few a second, a checkpoint at once); the driver drains it.
  An actor rather than ray.util.queue.Queue because a retried task must fetch
  the newest checkpoint: the relay keeps it per cell as it passes through, so a
  worker killed mid-cell is rerun by Ray (`max_retries`) and resumes from there.
- Resources are Ray's own: `num_cpus=--cpus-per-run`, `num_gpus=--gpus-per-run`
  (fractions allowed); application errors are not retried (they end the cell
  `failed`), lost workers are, up to `max_retries` times (Ray's default, 3).
"""

from __future__ import annotations

import math
import os
import socket
import time

import ray

from alss_tui.errors import ExecutorError
from alss_tui.bench.executors import worker
from alss_tui.bench.executors.tasks import (
    CellOutcome, CellTask, FileWritten, GridHandler, Message, SeedPlan, VaeTask,
)

MAX_RETRIES = 3
CONNECT_TIMEOUT = 10.0  # seconds to reach a cluster's address before giving up
LOCAL_OBJECT_STORE = 256 * 1024**2  # a local instance needs little: VAEs and checkpoints are megabytes
FLUSH_SECONDS = 0.25


@ray.remote(num_cpus=0)
class Relay:
    """Per-cell message streams from the workers, and each cell's newest checkpoint."""

    def __init__(self):
        self.buffer: list[tuple[str, list]] = []
        self.checkpoints: dict[str, tuple[str, bytes]] = {}
        self.files: dict[str, dict[str, bytes]] = {}

    def put(self, key: str, messages: list) -> None:
        self.buffer.append((key, messages))
        for m in messages:
            if isinstance(m, FileWritten) and m.path.startswith("checkpoints/"):
                if m.path == "checkpoints/latest":
                    tag = m.data.decode()
                    data = self.files.get(key, {}).pop(f"checkpoints/{tag}.pt", None)
                    if data is not None:
                        self.checkpoints[key] = (tag, data)
                        self.files.pop(key, None)
                else:
                    self.files.setdefault(key, {})[m.path] = m.data

    def drain(self) -> list[tuple[str, list]]:
        out, self.buffer = self.buffer, []
        return out

    def set_checkpoint(self, key: str, checkpoint: tuple[str, bytes] | None) -> None:
        if checkpoint is not None:
            self.checkpoints[key] = checkpoint

    def checkpoint(self, key: str) -> tuple[str, bytes] | None:
        return self.checkpoints.get(key)

    def forget(self, key: str) -> None:
        self.checkpoints.pop(key, None)
        self.files.pop(key, None)


class _BatchSender:
    """Sends a cell's messages to the relay a few times a second; at most one batch in flight."""

    def __init__(self, relay, key: str):
        self.relay, self.key = relay, key
        self.buffer: list[Message] = []
        self.last = time.monotonic()
        self.in_flight = None

    def __call__(self, messages: list[Message]) -> None:
        self.buffer.extend(messages)
        urgent = any(isinstance(m, FileWritten) for m in messages)  # a checkpoint: the driver should hold it now
        if urgent or time.monotonic() - self.last >= FLUSH_SECONDS:
            self.flush()

    def flush(self, wait: bool = False) -> None:
        if self.in_flight is not None:
            ray.get(self.in_flight)
            self.in_flight = None
        if self.buffer:
            self.in_flight = self.relay.put.remote(self.key, self.buffer)
            self.buffer = []
        self.last = time.monotonic()
        if wait and self.in_flight is not None:
            ray.get(self.in_flight)
            self.in_flight = None


@ray.remote
def _vae_task(task: VaeTask, threads: int) -> tuple[bytes | None, float, str | None]:
    worker.set_threads(threads)
    try:
        blob, seconds = worker.train_seed_vae(task)
        return blob, seconds, None
    except Exception as exc:
        return None, 0.0, worker.one_line(exc)


@ray.remote
def _cell_task(task: CellTask, vae: tuple[bytes | None, float, str | None], relay, threads: int) -> CellOutcome:
    blob, _, error = vae
    if error is not None:
        return CellOutcome(f"VAE of seed {task.seed}: {error}")
    worker.set_threads(threads)
    sender = _BatchSender(relay, task.key)
    outcome = worker.run_cell(task, blob, ray.get(relay.checkpoint.remote(task.key)), sender)
    sender.flush(wait=True)  # every message is with the relay before the driver hears the task ended
    return outcome


@ray.remote(num_cpus=0)
def _empty_task() -> None:
    return None


def check_reachable(address: str) -> None:
    """An address that does not answer is one line after a few seconds, not a hang."""
    if address == "auto":
        return
    hostport = address.removeprefix("ray://")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise ExecutorError(f"--address {address!r}: expected HOST:PORT (e.g. 10.0.0.5:6379), ray://HOST:PORT or auto")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT).close()
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise ExecutorError(f"cannot reach the Ray cluster at {address}: {reason} "
                            "(is `ray start --head` running there?)") from None


def connect(address: str | None, local_cpus: int | None) -> bool:
    """Join the cluster at `address`, or start a local instance; True when we started it."""
    if ray.is_initialized():
        return False
    common = dict(log_to_driver=False, configure_logging=False)
    if address is None:
        ray.init(num_cpus=local_cpus, include_dashboard=False, object_store_memory=LOCAL_OBJECT_STORE, **common)
        return True
    check_reachable(address)
    try:
        ray.init(address=address, **common)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise ExecutorError(f"cannot join the Ray cluster at {address}: {first[:200]}") from None
    return False


def task_overhead(rounds: int = 50) -> float:
    """Seconds for one empty task's round trip (submit, schedule, run, get), averaged."""
    ray.get(_empty_task.remote())  # the first one starts a worker
    start = time.perf_counter()
    for _ in range(rounds):
        ray.get(_empty_task.remote())
    return (time.perf_counter() - start) / rounds


class RayExecutor:
    def __init__(self, address: str | None, cpus_per_run: float = 1.0, gpus_per_run: float = 0.0,
                 local_cpus: int | None = None, max_retries: int = MAX_RETRIES):
        self.address = address
        self.cpus_per_run = cpus_per_run
        self.gpus_per_run = gpus_per_run
        self.local_cpus = local_cpus
        self.max_retries = max_retries
        self.slots = max(1, int((local_cpus or os.cpu_count() or 1) // max(cpus_per_run, 1e-9)))

    def _options(self) -> dict:
        opts = {"num_cpus": self.cpus_per_run, "max_retries": self.max_retries, "retry_exceptions": False}
        if self.gpus_per_run:
            opts["num_gpus"] = self.gpus_per_run
        return opts

    def run(self, plans: list[SeedPlan], handler: GridHandler) -> None:
        import contextlib
        import sys

        # Ray prints its notices (a worker died, a task is retried) to stdout from a thread of its
        # own; they belong with the progress lines on stderr, not in `--json` output.
        with contextlib.redirect_stdout(sys.stderr):
            self._run(plans, handler)

    def _run(self, plans: list[SeedPlan], handler: GridHandler) -> None:
        started = connect(self.address, self.local_cpus)
        if not started:
            total = ray.cluster_resources().get("CPU", 0)
            self.slots = max(1, int(total // max(self.cpus_per_run, 1e-9)))
        threads = max(1, math.ceil(self.cpus_per_run))
        try:
            node = ray.get_runtime_context().get_node_id()
            from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

            # The relay lives and dies with the driver's node, not on a worker that may be lost.
            relay = Relay.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=True)).remote()
            pending: dict = {}
            for plan in plans:
                if isinstance(plan.vae, VaeTask):
                    vae_ref = _vae_task.options(**self._options()).remote(plan.vae, threads)
                    pending[vae_ref] = ("vae", plan.seed)
                else:
                    vae_ref = ray.put((plan.vae, 0.0, None))
                for cell in plan.cells:
                    ray.get(relay.set_checkpoint.remote(cell.key, handler.checkpoint(cell.key)))
                    ref = _cell_task.options(**self._options()).remote(cell, vae_ref, relay, threads)
                    pending[ref] = ("cell", cell.key)
            while pending:
                done, _ = ray.wait(list(pending), num_returns=len(pending), timeout=FLUSH_SECONDS)
                for key, messages in ray.get(relay.drain.remote()):
                    handler.relay(key, messages)
                for ref in done:
                    kind, what = pending.pop(ref)
                    try:
                        result = ray.get(ref)
                    except ray.exceptions.RayError as exc:  # retries exhausted, node lost, cancelled
                        result = exc
                    if kind == "vae":
                        if not isinstance(result, Exception) and result[2] is None:
                            handler.vae_finished(what, result[0], result[1])
                        continue  # a failed VAE fails its cells, which say so
                    if isinstance(result, Exception):
                        handler.cell_failed(what, f"lost on the cluster: {worker.one_line(result)[:300]}")
                    elif result.error is None:
                        handler.cell_finished(what)
                    else:
                        handler.cell_failed(what, result.error, result.traceback)
                    relay.forget.remote(what)
        finally:
            if started:
                ray.shutdown()
