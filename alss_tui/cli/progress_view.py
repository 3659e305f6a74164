"""Rich progress for a run in the foreground: one bar per phase, a line per round."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from alss_tui.cli.console import percent
from alss_tui.core import events as ev

PHASE_NAMES = {"encoder": "train the pool encoder", "features": "backbone features", "vae": "VAE",
               "encode": "encode pool", "propose": "select", "label": "label", "task": "train task model",
               "evaluate": "evaluate"}
ONCE = ("encoder", "features", "vae")  # phases of the run, not of a round


class ProgressView:
    def __init__(self, console: Console):
        self.console = console
        self.progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TimeRemainingColumn(), console=console, transient=True,
        )
        self._task = None
        self._run_id: str | None = None

    def __enter__(self) -> "ProgressView":
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.PhaseStarted):
            if self._task is not None:
                self.progress.remove_task(self._task)
            label = PHASE_NAMES.get(event.phase, event.phase)
            if event.phase not in ONCE:
                label = f"round {event.round}: {label}"
            self._task = self.progress.add_task(label, total=event.total or None)
        elif isinstance(event, ev.Progress) and self._task is not None:
            self.progress.update(self._task, completed=event.done, total=event.total)
        elif isinstance(event, ev.EpochEnded) and event.phase in ("vae", "encoder"):
            losses = ", ".join(f"{k} {v:.2f}" for k, v in event.losses.items())
            self.console.print(f"{'VAE' if event.phase == 'vae' else 'encoder'} epoch {event.epoch}: {losses}")
        elif isinstance(event, ev.LabelsRequested) and event.oracle == "human":
            self.console.print(f"round {event.round}: {event.count} candidates wait for your labels "
                               f"(alss-tui review {self._run_id or 'RUN_ID'})")
        elif isinstance(event, ev.RoundFinished):
            acc = percent(event.accuracy)
            self.console.print(f"round {event.round}: {event.labelled} labels, accuracy {acc + '%' if acc else 'n/a'} "
                               f"({event.seconds:.1f} s)")
        elif isinstance(event, ev.RunStarted):
            self._run_id = event.run_id
            what = "resumed" if event.resumed else "started"
            self.console.print(f"run [bold]{event.run_id}[/] {what}: pool {event.pool_size}, "
                               f"test {event.test_size}, {len(event.classes)} classes")
