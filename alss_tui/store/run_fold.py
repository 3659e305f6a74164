"""The one fold of a run's event log into per-round records.

Every reader of events.jsonl that wants rounds (history for `show` and `export`,
the bench report, Compare, the Monitor) goes through `RunFold`, so they all
agree on what a round was.

The rule for a round seen more than once: its latest attempt wins. A resumed
run repeats the round it was in from the round's proposal (checkpoints are
written between rounds), so a `CandidatesProposed` for a round starts that
round's record afresh, and within an attempt a later event overwrites what an
earlier one said (`Evaluated` and `RoundFinished` both carry the accuracy).

The fold is incremental: the Monitor feeds it the lines it tails, the others a
whole file. Records that are not events (unknown type, missing or mistyped
fields) are counted in `skipped`, never fatal.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from alss_tui.core import events as ev
from alss_tui.store.jsonl import JsonlReader, finite_or_none


@dataclass
class RoundRecord:
    """What the log says about one round (its latest attempt)."""

    round: int
    # CandidatesProposed
    strategy: str = ""  # "initial" for round 0
    candidates: tuple[ev.Candidate, ...] = ()
    selection_seconds: float | None = None  # None: not proposed yet
    forward_passes: int = 0
    backward_passes: int = 0
    # LabelsApplied
    added: int | None = None
    rejected: int | None = None
    class_counts: dict[str, int] = field(default_factory=dict)
    items: tuple[int, ...] = ()  # aligned with labels: class index, or None = rejected
    labels: tuple[int | None, ...] = ()
    # LabelsApplied, Evaluated and RoundFinished
    labelled: int | None = None
    accuracy: float | None = None  # held-out accuracy; None when nothing is held out
    # PseudoLabelled: unlabelled items the round trained on with a guessed class (never labels)
    pseudo: int | None = None
    pseudo_accuracy: float | None = None
    # Evaluated
    evaluated_on: str | None = None  # the held-out split scored ("test", or "validation" when tuning)
    recall: tuple[float, ...] = ()
    # LabelsCorrected: second looks at earlier labels, applied before this round trained
    corrected_items: tuple[int, ...] = ()
    corrected_labels: tuple[int | None, ...] = ()
    # SuspectsFound: labels queued for a second look after this round (None: not looked for)
    suspects: int | None = None
    # AgreementMeasured: the stopping signal (kappa against the previous round; its window mean)
    agreement: float | None = None
    agreement_mean: float | None = None
    stable: bool = False
    # RoundFinished: the round's figures are final
    finished: bool = False
    seconds: float | None = None
    phase_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def evaluated(self) -> bool:
        return self.evaluated_on is not None

    @property
    def split(self) -> str | None:
        """The split `accuracy` is on: what the round said, else test (older logs); None without one."""
        if self.accuracy is None:
            return None
        return self.evaluated_on or "test"

    @property
    def proposed(self) -> int:
        return len(self.candidates)

    def copy(self) -> "RoundRecord":
        """A copy that later events folded into this record do not change."""
        return dataclasses.replace(self, class_counts=dict(self.class_counts), phase_seconds=dict(self.phase_seconds))


def _valid(event: ev.Event) -> bool:
    """Rounds must be whole numbers: a mistyped one would break every sort downstream."""
    round_no = getattr(event, "round", 0)
    return isinstance(round_no, int) and not isinstance(round_no, bool) and round_no >= 0


class RunFold:
    """Rounds and run-level facts folded from events, in log order."""

    def __init__(self) -> None:
        self.rounds: dict[int, RoundRecord] = {}
        self.classes: tuple[str, ...] = ()
        self.pool_size: int | None = None
        self.started: float | None = None  # wall clock of the first event
        self.last_event: float | None = None
        self.finished = False
        self.error: str | None = None
        self.finish_reason: str | None = None  # RunFinished.reason: budget, pool or stable
        self.suspects: ev.SuspectsFound | None = None  # the newest queue of suspect labels
        self.vae_seconds: float | None = None  # VAE training, from its phase start to encoding's
        self.skipped = 0  # records that were not events
        self._vae_started: float | None = None

    # --- feeding -------------------------------------------------------------------

    def add_records(self, records: Iterable[dict]) -> list[ev.Event]:
        """Fold raw JSON records (as read from the log); returns the events among them, in order."""
        events = []
        for record in records:
            try:
                event = ev.event_from_dict(record)
            except (ValueError, TypeError):  # unknown type, or a candidate that is not one
                self.skipped += 1
                continue
            if not _valid(event):
                self.skipped += 1
                continue
            t = record.get("t")
            self.add(event, t if isinstance(t, (int, float)) and not isinstance(t, bool) else None)
            events.append(event)
        return events

    def add(self, e: ev.Event, t: float | None = None) -> None:
        """Fold one event; `t` is its wall-clock stamp when the log has one."""
        if t is not None:
            self.started = t if self.started is None else self.started
            self.last_event = t
        if isinstance(e, ev.RunStarted):
            self.classes, self.pool_size = tuple(e.classes), e.pool_size
            self.finished, self.error, self.finish_reason = False, None, None
        elif isinstance(e, ev.PhaseStarted):
            self._phase_started(e, t)
        elif isinstance(e, ev.CandidatesProposed):
            self.rounds[e.round] = RoundRecord(e.round, e.strategy, tuple(e.candidates), e.seconds,
                                               e.forward_passes, e.backward_passes)
        elif isinstance(e, ev.LabelsApplied):
            r = self._round(e.round)
            r.added, r.rejected, r.labelled = e.added, e.rejected, e.labelled
            r.class_counts = dict(e.class_counts)
            r.items, r.labels = tuple(e.items), tuple(e.labels)
        elif isinstance(e, ev.PseudoLabelled):
            r = self._round(e.round)
            r.pseudo, r.pseudo_accuracy = e.count, finite_or_none(e.accuracy) if e.accuracy is not None else None
        elif isinstance(e, ev.Evaluated):
            r = self._round(e.round)
            r.evaluated_on, r.labelled, r.accuracy = e.split, e.labelled, finite_or_none(e.accuracy)
            r.recall = tuple(e.per_class_recall or ())
        elif isinstance(e, ev.RoundFinished):
            r = self._round(e.round)
            r.finished, r.labelled, r.accuracy = True, e.labelled, finite_or_none(e.accuracy)
            r.seconds, r.phase_seconds = e.seconds, dict(e.phase_seconds or {})
            if e.split is not None:
                r.evaluated_on = e.split
        elif isinstance(e, ev.LabelsCorrected):
            r = self._round(e.round)
            r.corrected_items, r.corrected_labels = tuple(e.items), tuple(e.labels)
        elif isinstance(e, ev.SuspectsFound):
            self._round(e.round).suspects = len(e.items)
            self.suspects = e
        elif isinstance(e, ev.AgreementMeasured):
            r = self._round(e.round)
            r.agreement, r.agreement_mean = finite_or_none(e.kappa), finite_or_none(e.mean)
            r.stable = bool(e.stable)
        elif isinstance(e, ev.RunFinished):
            self.finished, self.finish_reason = True, e.reason
        elif isinstance(e, ev.RunFailed):
            self.error = e.error

    def _round(self, round_no: int) -> RoundRecord:
        return self.rounds.setdefault(round_no, RoundRecord(round_no))

    def _phase_started(self, e: ev.PhaseStarted, t: float | None) -> None:
        if e.phase == "vae":
            self._vae_started = t
        elif e.phase == "encode" and self._vae_started is not None and t is not None:
            self.vae_seconds = t - self._vae_started

    # --- reading ---------------------------------------------------------------------

    def ordered(self) -> list[RoundRecord]:
        """Every round the log has begun, in round order."""
        return [self.rounds[k] for k in sorted(self.rounds)]

    def finished_rounds(self) -> list[RoundRecord]:
        """Rounds with a RoundFinished (a round cut short by a crash has none), in round order."""
        return [r for r in self.ordered() if r.finished]


def fold_events(records: Iterable[dict], fold: RunFold | None = None) -> RunFold:
    """Fold `records` into `fold` (a new one when not given) and return it."""
    fold = RunFold() if fold is None else fold
    fold.add_records(records)
    return fold


def fold_log(path: Path) -> tuple[RunFold, int]:
    """A whole events.jsonl folded; also returns the count of lines that were not JSON.

    A line cut short by a crash is not read at all (readers take whole lines only).
    """
    reader = JsonlReader(path)
    fold = fold_events(reader.read_new())
    return fold, len(reader.bad_lines)
