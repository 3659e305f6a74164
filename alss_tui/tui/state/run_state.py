"""Fold a run's event records into what the monitor shows. Pure: no textual, no I/O.

The follower thread owns one RunState, feeds it new lines of events.jsonl and
hands the screen a `snapshot()`: plain copies, already down-sampled.
After a resume the log can hold a round twice; the later record wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from alss_tui.core import events as ev
from alss_tui.store.jsonl import finite_or_none
from alss_tui.tui.state.downsample import minmax_downsample

PLOT_BUCKETS = 200  # points per curve handed to a plot (a plot is < 200 cells wide)


@dataclass
class RoundRow:
    round: int
    strategy: str = ""
    proposed: int = 0
    added: int | None = None
    rejected: int | None = None
    labelled: int | None = None
    accuracy: float | None = None
    class_counts: dict[str, int] = field(default_factory=dict)
    seconds: float | None = None
    finished: bool = False


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


class RunState:
    def __init__(self, run_id: str):
        self.run_id = run_id
        self.version = 0
        self.curves_version = 0
        self.classes: tuple[str, ...] = ()
        self.pool_size: int | None = None
        self.phase = "waiting"
        self.phase_round: int | None = None
        self.done = 0
        self.total = 0
        self.vae: dict[int, dict[str, float]] = {}  # epoch -> losses (a resumed VAE overwrites)
        self.task: dict[tuple[int, int], float] = {}  # (round, epoch) -> loss
        self.evaluated: dict[int, tuple[int, float]] = {}  # round -> (labelled, accuracy)
        self.rounds: dict[int, RoundRow] = {}
        self.labelled_items: dict[int, tuple[int, ...]] = {}  # round -> pool items that got a label
        self.finished = False
        self.error: str | None = None
        self.skipped = 0  # records that were not events

    def _row(self, round_no: int) -> RoundRow:
        return self.rounds.setdefault(round_no, RoundRow(round_no))

    def apply_records(self, records: list[dict]) -> bool:
        """Apply raw JSON records; returns True if anything changed."""
        changed = False
        for record in records:
            try:
                event = ev.event_from_dict(record)
            except ValueError:
                self.skipped += 1
                continue
            self.apply(event)
            changed = True
        return changed

    def apply(self, e: ev.Event) -> None:
        self.version += 1
        if isinstance(e, ev.RunStarted):
            self.classes, self.pool_size = tuple(e.classes), e.pool_size
            self.finished, self.error = False, None
            self.phase = "starting"
        elif isinstance(e, ev.PhaseStarted):
            self.phase, self.phase_round, self.done, self.total = e.phase, e.round, 0, e.total
        elif isinstance(e, ev.Progress):
            self.phase, self.phase_round, self.done, self.total = e.phase, e.round, e.done, e.total
        elif isinstance(e, ev.EpochEnded):
            self.curves_version += 1
            if e.phase == "vae":
                self.vae[e.epoch] = {k: v for k, v in e.losses.items() if finite_or_none(v) is not None}
            elif e.phase == "task" and finite_or_none(e.losses.get("loss")) is not None:
                self.task[(e.round, e.epoch)] = e.losses["loss"]
        elif isinstance(e, ev.Evaluated):
            self.curves_version += 1
            self.evaluated[e.round] = (e.labelled, e.accuracy)
            row = self._row(e.round)
            row.labelled, row.accuracy = e.labelled, finite_or_none(e.accuracy)
        elif isinstance(e, ev.CandidatesProposed):
            row = self._row(e.round)
            row.strategy, row.proposed = e.strategy, len(e.candidates)
        elif isinstance(e, ev.LabelsRequested):
            self.phase, self.phase_round, self.done, self.total = "label", e.round, 0, e.count
        elif isinstance(e, ev.LabelsApplied):
            row = self._row(e.round)
            row.added, row.rejected, row.labelled = e.added, e.rejected, e.labelled
            row.class_counts = dict(e.class_counts)
            if e.items:
                self.labelled_items[e.round] = tuple(i for i, lab in zip(e.items, e.labels)
                                                     if lab is not None and i >= 0)
        elif isinstance(e, ev.RoundFinished):
            row = self._row(e.round)
            row.labelled, row.accuracy, row.seconds, row.finished = e.labelled, finite_or_none(e.accuracy), e.seconds, True
        elif isinstance(e, ev.RunFinished):
            self.finished, self.phase, self.phase_round = True, "finished", None
        elif isinstance(e, ev.RunFailed):
            self.error, self.phase, self.phase_round = e.error, "failed", None

    def snapshot(self, buckets: int = PLOT_BUCKETS) -> RunSnapshot:
        def curve(xs: list[float], ys: list[float]) -> Curve:
            dx, dy = minmax_downsample(xs, ys, buckets)
            return Curve(tuple(dx), tuple(dy))

        epochs = sorted(self.vae)
        names = sorted({k for losses in self.vae.values() for k in losses})
        vae = {name: curve([ep for ep in epochs if name in self.vae[ep]],
                           [self.vae[ep][name] for ep in epochs if name in self.vae[ep]]) for name in names}
        task_keys = sorted(self.task)
        task = curve(list(range(1, len(task_keys) + 1)), [self.task[k] for k in task_keys])
        acc_points = sorted((lab, acc) for lab, acc in self.evaluated.values() if finite_or_none(acc) is not None)
        accuracy = Curve(tuple(float(p[0]) for p in acc_points), tuple(p[1] for p in acc_points))
        rounds = tuple(RoundRow(**vars(self.rounds[k])) for k in sorted(self.rounds))
        return RunSnapshot(self.run_id, self.version, self.classes, self.pool_size, self.phase, self.phase_round,
                           self.done, self.total, vae, task, accuracy, rounds, self.finished, self.error,
                           self.curves_version)
