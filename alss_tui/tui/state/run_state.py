"""Fold a run's event records into what the monitor shows. Pure: no textual, no I/O.

The follower thread owns one RunState, feeds it new lines of events.jsonl and
hands the screen a `snapshot()`: plain copies, already down-sampled.
Rounds come from the store's one fold of the log (`RunFold`), so the Monitor
agrees with `show`, Compare and the bench report, also after a resume; this
adds what only the Monitor shows: the phase, progress and loss curves.
"""

from __future__ import annotations

from dataclasses import dataclass

from alss_tui.core import events as ev
from alss_tui.store.jsonl import finite_or_none
from alss_tui.store.run_fold import RoundRecord, RunFold
from alss_tui.tui.state.downsample import minmax_downsample

PLOT_BUCKETS = 200  # points per curve handed to a plot (a plot is < 200 cells wide)
# What each phase is called on screen (the Monitor, and the Review while it waits for a round).
PHASE_NAMES = {"decode": "decoding the image folder", "encoder": "training the pool encoder",
               "features": "computing the backbone's features", "vae": "training the VAE", "encode": "encoding the pool", "propose": "picking candidates",
               "label": "labelling", "task": "training the classifier", "evaluate": "evaluating",
               "starting": "starting", "waiting": "waiting for the runner", "finished": "finished",
               "failed": "failed"}


RoundRow = RoundRecord  # a row of the Monitor's rounds table is the fold's round record


@dataclass(frozen=True)
class Curve:
    xs: tuple[float, ...]
    ys: tuple[float, ...]


@dataclass(frozen=True)
class RunSnapshot:
    run_id: str
    version: int
    classes: tuple[str, ...]
    pool_size: int | None
    phase: str
    phase_round: int | None
    done: int
    total: int
    vae: dict[str, Curve]  # by loss name, x = epoch
    task_loss: Curve  # x = running epoch count over all rounds
    accuracy: Curve  # x = labelled count, one point per evaluated round
    rounds: tuple[RoundRow, ...]
    finished: bool
    error: str | None
    curves_version: int
    split: str | None = None  # the held-out split the accuracies are on (None until a round is scored)
    # The stopping signal: kappa against the previous round's predictions, x = labelled count.
    agreement: Curve = Curve((), ())


class RunState:
    def __init__(self, run_id: str):
        self.run_id = run_id
        self.version = 0
        self.curves_version = 0
        self.fold = RunFold()
        self.phase = "waiting"
        self.phase_round: int | None = None
        self.done = 0
        self.total = 0
        self.vae: dict[int, dict[str, float]] = {}  # epoch -> losses (a resumed VAE overwrites)
        self.task: dict[tuple[int, int], float] = {}  # (round, epoch) -> loss
        self.encoder: dict[int, float] = {}  # epoch -> contrastive loss of the pool encoder

    @property
    def skipped(self) -> int:
        """Records that were not events."""
        return self.fold.skipped

    @property
    def labelled_items(self) -> dict[int, tuple[int, ...]]:
        """Round -> pool items that got a label (rounds whose LabelsApplied lists its items)."""
        return {r.round: tuple(i for i, lab in zip(r.items, r.labels) if lab is not None and i >= 0)
                for r in self.fold.ordered() if r.items}

    def apply_records(self, records: list[dict]) -> bool:
        """Apply raw JSON records; returns True if anything changed."""
        events = self.fold.add_records(records)
        for event in events:
            self._follow(event)
        return bool(events)

    def apply(self, e: ev.Event) -> None:
        self.fold.add(e)
        self._follow(e)

    def _follow(self, e: ev.Event) -> None:
        """The Monitor's own view of an event the fold has taken: phase, progress, curves."""
        self.version += 1
        if isinstance(e, ev.RunStarted):
            self.phase = "starting"
        elif isinstance(e, ev.PhaseStarted):
            self.phase, self.phase_round, self.done, self.total = e.phase, e.round, 0, e.total
        elif isinstance(e, ev.Progress):
            self.phase, self.phase_round, self.done, self.total = e.phase, e.round, e.done, e.total
        elif isinstance(e, ev.EpochEnded):
            self.curves_version += 1
            if e.phase == "vae":
                self.vae[e.epoch] = {k: v for k, v in e.losses.items() if finite_or_none(v) is not None}
            elif e.phase == "encoder" and finite_or_none(e.losses.get("loss")) is not None:
                self.encoder[e.epoch] = e.losses["loss"]
            elif e.phase == "task" and finite_or_none(e.losses.get("loss")) is not None:
                self.task[(e.round, e.epoch)] = e.losses["loss"]
        elif isinstance(e, (ev.Evaluated, ev.AgreementMeasured)):
            self.curves_version += 1
        elif isinstance(e, ev.LabelsRequested):
            self.phase, self.phase_round, self.done, self.total = "label", e.round, 0, e.count
        elif isinstance(e, ev.RunFinished):
            self.phase, self.phase_round = "finished", None
        elif isinstance(e, ev.RunFailed):
            self.phase, self.phase_round = "failed", None

    def snapshot(self, buckets: int = PLOT_BUCKETS) -> RunSnapshot:
        def curve(xs: list[float], ys: list[float]) -> Curve:
            dx, dy = minmax_downsample(xs, ys, buckets)
            return Curve(tuple(dx), tuple(dy))

        epochs = sorted(self.vae)
        names = sorted({k for losses in self.vae.values() for k in losses})
        vae = {name: curve([ep for ep in epochs if name in self.vae[ep]],
                           [self.vae[ep][name] for ep in epochs if name in self.vae[ep]]) for name in names}
        if self.encoder:  # the pool encoder trains before the VAE: its loss shares the plot
            vae["encoder"] = curve(sorted(self.encoder), [self.encoder[ep] for ep in sorted(self.encoder)])
        task_keys = sorted(self.task)
        task = curve(list(range(1, len(task_keys) + 1)), [self.task[k] for k in task_keys])
        fold = self.fold
        acc_points = sorted((r.labelled, r.accuracy) for r in fold.ordered()
                            if r.evaluated and r.accuracy is not None and r.labelled is not None)
        accuracy = Curve(tuple(float(p[0]) for p in acc_points), tuple(p[1] for p in acc_points))
        kappa_points = sorted((r.labelled, r.agreement) for r in fold.ordered()
                              if r.agreement is not None and r.labelled is not None)
        agreement = Curve(tuple(float(p[0]) for p in kappa_points), tuple(p[1] for p in kappa_points))
        rounds = tuple(r.copy() for r in fold.ordered())
        split = next((r.split for r in reversed(rounds) if r.split), None)
        return RunSnapshot(self.run_id, self.version, fold.classes, fold.pool_size, self.phase, self.phase_round,
                           self.done, self.total, vae, task, accuracy, rounds, fold.finished, fold.error,
                           self.curves_version, split, agreement)
