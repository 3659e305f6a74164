"""Where a bench's cells run: this process, N local worker processes, or a Ray cluster.

One interface (`tasks.Executor.run(plans, handler)`), three back ends. The
driver alone writes the store; executors only move tasks out and messages back.
"""

from __future__ import annotations

import os

from alss_tui.errors import ExecutorError

RAY_INSTALL_HINT = "--on ray needs Ray: pip install 'alss-tui[cluster]' (or pip install 'ray>=2.40')"


def default_cpus_per_run(jobs: int) -> int:
    """Share this machine's cores between the cells that run at once."""
    return max(1, (os.cpu_count() or 1) // max(1, jobs))


def make_executor(on: str = "local", jobs: int = 1, address: str | None = None,
                  cpus_per_run: float | None = None, gpus_per_run: float = 0.0):
    if on == "ray":
        try:
            from alss_tui.bench.executors.ray_backend import RayExecutor
        except ImportError as exc:
            if exc.name and exc.name.split(".")[0] != "ray":
                raise
            raise ExecutorError(RAY_INSTALL_HINT) from None
        cpus = cpus_per_run if cpus_per_run is not None else 1.0  # Ray's own default for a task
        local_cpus = None
        if address is None and jobs > 1:
            local_cpus = max(1, round(jobs * cpus))  # a local instance sized for --jobs cells
        return RayExecutor(address, cpus, gpus_per_run, local_cpus)
    if on != "local":
        raise ExecutorError(f"--on {on!r}: expected local or ray")
    if address is not None:
        raise ExecutorError("--address is for --on ray")
    if gpus_per_run:
        raise ExecutorError("--gpus-per-run is for --on ray (local workers share this machine's GPUs)")
    threads = int(cpus_per_run) if cpus_per_run is not None else default_cpus_per_run(jobs)
    if cpus_per_run is not None and threads != cpus_per_run:
        raise ExecutorError(f"--cpus-per-run {cpus_per_run}: a whole number of cores for local runs")
    if jobs <= 1:
        from alss_tui.bench.executors.sequential import SequentialExecutor

        return SequentialExecutor(max(1, threads))
    from alss_tui.bench.executors.process import ProcessExecutor

    return ProcessExecutor(jobs, max(1, threads))
