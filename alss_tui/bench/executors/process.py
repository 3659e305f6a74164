"""Up to N cells at once in worker processes on this machine (`--jobs N`).

Each worker is a long-lived spawned process with its own torch thread count,
talking to the driver over its own pipe. A pipe per worker, not one shared
queue: a worker killed with SIGKILL while writing to a shared queue would die
holding the queue's lock and wedge every other worker; a broken pipe only
loses that worker. The driver knows which task each worker holds, so a
worker that dies is replaced and its cell is run again from the newest
checkpoint the driver has (up to `max_retries` times, Ray's default of 3).
"""

from __future__ import annotations

import multiprocessing
import pickle
import signal
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait

from alss_tui.bench.executors import worker
from alss_tui.bench.executors.tasks import CellTask, GridHandler, SeedPlan, VaeTask

MAX_RETRIES = 3


def worker_main(conn: Connection, threads: int) -> None:
    """A worker's life: take a task from the driver, run it, send everything back; repeat."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # ctrl+c is the driver's: it stops the workers
    worker.set_threads(threads)
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        if isinstance(job, VaeTask):
            try:
                blob, seconds = worker.train_seed_vae(job)
                conn.send(("vae", job.seed, blob, seconds, None))
            except Exception as exc:
                conn.send(("vae", job.seed, None, 0.0, worker.one_line(exc)))
        else:
            cell, blob, checkpoint = job
            outcome = worker.run_cell(cell, blob, checkpoint,
                                      lambda messages: conn.send(("relay", cell.key, messages)))
            conn.send(("cell", cell.key, outcome))


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: Connection
    job: object = None  # what it is running: a VaeTask or a CellTask


class ProcessExecutor:
    def __init__(self, jobs: int, cpus_per_run: int, max_retries: int = MAX_RETRIES):
        self.slots = jobs
        self.cpus_per_run = cpus_per_run
        self.max_retries = max_retries

    def run(self, plans: list[SeedPlan], handler: GridHandler) -> None:
        ctx = multiprocessing.get_context("spawn")  # no fork of a driver that may hold torch threads
        blobs: dict[int, bytes] = {}
        waiting: dict[int, list[CellTask]] = {}  # seed -> cells waiting for its VAE
        ready: deque = deque()
        for plan in plans:
            if isinstance(plan.vae, VaeTask):
                ready.append(plan.vae)
                waiting[plan.seed] = list(plan.cells)
            else:
                blobs[plan.seed] = plan.vae
                ready.extend(plan.cells)
        attempts: dict[object, int] = {}
        workers: list[_Worker] = []

        def start_worker() -> _Worker:
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=worker_main, args=(child, self.cpus_per_run), daemon=True,
                               name="alss-bench-worker")
            proc.start()
            child.close()
            w = _Worker(proc, parent)
            workers.append(w)
            return w

        def give(w: _Worker, job) -> None:
            w.job = job
            if isinstance(job, VaeTask):
                w.conn.send(job)
            else:
                w.conn.send((job, blobs[job.seed], handler.checkpoint(job.key)))

        def handle(w: _Worker, msg) -> None:
            kind = msg[0]
            if kind == "relay":
                handler.relay(msg[1], msg[2])
                return
            w.job = None
            if kind == "vae":
                _, seed, blob, seconds, error = msg
                cells = waiting.pop(seed, [])
                if error is not None:
                    for cell in cells:
                        handler.cell_failed(cell.key, f"VAE of seed {seed}: {error}")
                    return
                blobs[seed] = blob
                handler.vae_finished(seed, blob, seconds)
                ready.extendleft(reversed(cells))  # this seed's cells before later seeds' VAEs
            else:
                _, key, outcome = msg
                if outcome.error is None:
                    handler.cell_finished(key)
                else:
                    handler.cell_failed(key, outcome.error, outcome.traceback)

        def lost(w: _Worker) -> None:
            """A worker died (killed, out of memory): run its task again, or give up on it."""
            workers.remove(w)
            w.conn.close()
            w.process.join(timeout=5)
            job = w.job
            if job is None:
                return
            key = job.key if isinstance(job, CellTask) else ("vae", job.seed)
            attempts[key] = attempts.get(key, 0) + 1
            if attempts[key] <= self.max_retries:
                ready.appendleft(job)
                return
            error = f"worker died {attempts[key]} times (last exit code {w.process.exitcode})"
            if isinstance(job, CellTask):
                handler.cell_failed(job.key, error)
            else:
                for cell in waiting.pop(job.seed, []):
                    handler.cell_failed(cell.key, f"VAE of seed {job.seed}: {error}")

        try:
            while True:
                idle = [w for w in workers if w.job is None]
                while ready and (idle or len(workers) < self.slots):
                    w = idle.pop() if idle else start_worker()
                    give(w, ready.popleft())
                busy = [w for w in workers if w.job is not None]
                if not busy:
                    break
                by_conn = {w.conn: w for w in busy}
                by_sentinel = {w.process.sentinel: w for w in busy}
                for obj in wait([*by_conn, *by_sentinel], timeout=1.0):
                    w = by_conn.get(obj) or by_sentinel.get(obj)
                    if w not in workers:
                        continue
                    dead = False
                    try:
                        while w.conn.poll():  # everything it sent before it died counts
                            handle(w, w.conn.recv())
                    except (EOFError, OSError, pickle.UnpicklingError):
                        dead = True
                    if dead or not w.process.is_alive():
                        lost(w)
        finally:
            for w in workers:
                if w.job is not None:  # interrupted: nobody waits for its result
                    w.process.kill()
                    continue
                try:
                    w.conn.send(None)
                except OSError:
                    pass
            deadline = time.monotonic() + 5.0  # a shared grace period, then the stragglers are killed
            for w in workers:
                w.process.join(timeout=max(0.0, deadline - time.monotonic()))
                if w.process.is_alive():
                    w.process.kill()
                    w.process.join()
