"""Keep the run's registry document in step with its events (a few writes a round)."""

from __future__ import annotations

import os

from alss_tui.core import events as ev
from alss_tui.store.registry import Registry


class RegistrySync:
    def __init__(self, registry: Registry, run_id: str):
        self.registry = registry
        self.run_id = run_id

    def __call__(self, event: ev.Event) -> None:
        update = self.registry.upsert
        if isinstance(event, ev.RunStarted):
            update(self.run_id, status="running", pid=os.getpid(), error=None, pool_size=event.pool_size)
        elif isinstance(event, ev.LabelsRequested) and event.oracle == "human":
            update(self.run_id, status="awaiting-labels", waiting_round=event.round)
        elif isinstance(event, ev.LabelsApplied):
            update(self.run_id, status="running", waiting_round=None)
        elif isinstance(event, ev.RoundFinished):
            acc = event.accuracy if event.accuracy == event.accuracy else None  # NaN: nothing held out
            update(self.run_id, round=event.round, labelled=event.labelled, accuracy=acc,
                   split=event.split if acc is not None else None)
        elif isinstance(event, ev.SuspectsFound):
            update(self.run_id, suspects=len(event.items))
        elif isinstance(event, ev.AgreementMeasured):
            update(self.run_id, agreement=event.kappa, agreement_mean=event.mean)
        elif isinstance(event, ev.RunFinished):
            update(self.run_id, status="finished", pid=None, stopped=event.reason)
        elif isinstance(event, ev.RunFailed):
            update(self.run_id, status="failed", error=event.error, pid=None)
