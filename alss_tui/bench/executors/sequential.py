"""Every cell in this process, one after another (the default, `--jobs 1`)."""

from __future__ import annotations

from alss_tui.bench.executors import worker
from alss_tui.bench.executors.tasks import GridHandler, SeedPlan, VaeTask


class SequentialExecutor:
    slots = 1
    in_process = True  # the driver's own process: a dataset it loaded is reused

    def __init__(self, cpus_per_run: int):
        self.cpus_per_run = cpus_per_run

    def run(self, plans: list[SeedPlan], handler: GridHandler) -> None:
        worker.set_threads(self.cpus_per_run)
        for plan in plans:
            blob = plan.vae
            if isinstance(blob, VaeTask):
                try:
                    blob, seconds = worker.train_seed_vae(blob)
                except Exception as exc:  # every cell of this seed fails; the other seeds go on
                    for cell in plan.cells:
                        handler.cell_failed(cell.key, f"VAE of seed {plan.seed}: {worker.one_line(exc)}")
                    continue
                handler.vae_finished(plan.seed, blob, seconds)
            for cell in plan.cells:
                outcome = worker.run_cell(cell, blob, handler.checkpoint(cell.key),
                                          lambda messages, key=cell.key: handler.relay(key, messages))
                if outcome.error is None:
                    handler.cell_finished(cell.key)
                else:
                    handler.cell_failed(cell.key, outcome.error, outcome.traceback)
