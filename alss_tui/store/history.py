"""A run's history, from the one fold of its event log: rounds, labels and why they were picked.

The event log is the record; this is a read model for `show`, `export` and the
registry rebuild. A round logged twice (resume) counts once: see `run_fold`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from alss_tui.store.run_fold import RoundRecord, fold_log
from alss_tui.store.run_folder import RunFolder


@dataclass
class LabelRecord:
    item: int
    label: int | None  # None: rejected
    round: int
    strategy: str
    why: dict  # the candidate's reasons: seed, distance, losses, prediction, score
    # A second look at the label (a suspect reviewed): "kept", "relabelled" or "rejected"; and the
    # label first given when it changed.
    second_look: str = ""
    first_label: int | None = None


@dataclass
class RunHistory:
    run_id: str
    rounds: dict[int, RoundRecord] = field(default_factory=dict)  # finished rounds only
    labels: dict[int, LabelRecord] = field(default_factory=dict)
    classes: tuple[str, ...] = ()
    started: float | None = None
    last_event: float | None = None
    finished: bool = False
    finish_reason: str | None = None  # why it finished: budget, pool or stable
    error: str | None = None
    vae_seconds: float | None = None
    bad_lines: int = 0
    # The newest round whose candidates were proposed but never labelled (a run stopped at its gate).
    unlabelled_round: int | None = None

    @property
    def round_rows(self) -> list[dict]:
        """Finished rounds as plain rows (for tables, CSV and JSON)."""
        return [_row(self.rounds[k]) for k in sorted(self.rounds)]

    @property
    def last_round(self) -> dict | None:
        return _row(self.rounds[max(self.rounds)]) if self.rounds else None


def _row(r: RoundRecord) -> dict:
    return {"round": r.round, "labelled": r.labelled, "accuracy": r.accuracy, "split": r.split, "seconds": r.seconds,
            "phase_seconds": dict(r.phase_seconds), "selection_seconds": r.selection_seconds,
            "pseudo": r.pseudo, "pseudo_accuracy": r.pseudo_accuracy,
            "agreement": r.agreement, "agreement_mean": r.agreement_mean}


def _label_records(rounds: list[RoundRecord]) -> dict[int, LabelRecord]:
    out: dict[int, LabelRecord] = {}
    for r in rounds:
        why_by_item = {c.item: {k: v for k, v in dataclasses.asdict(c).items() if k not in ("item", "kind")}
                       for c in r.candidates}
        for item, label in zip(r.items, r.labels):
            out[item] = LabelRecord(item, label, r.round, r.strategy or "?", why_by_item.get(item, {}))
        for item, label in zip(r.corrected_items, r.corrected_labels):
            rec = out.get(item)
            if rec is None or rec.label is None:
                continue
            look = "kept" if label == rec.label else ("rejected" if label is None else "relabelled")
            first = rec.first_label if rec.first_label is not None else rec.label
            out[item] = dataclasses.replace(rec, label=label, second_look=look,
                                            first_label=first if look != "kept" else rec.first_label)
    return out


def load_history(folder: RunFolder) -> RunHistory:
    fold, bad_json = fold_log(folder.events_path)
    return RunHistory(
        folder.run_id,
        rounds={r.round: r for r in fold.finished_rounds()},
        labels=_label_records(fold.ordered()),
        classes=fold.classes,
        started=fold.started,
        last_event=fold.last_event,
        finished=fold.finished,
        finish_reason=fold.finish_reason,
        error=fold.error,
        vae_seconds=fold.vae_seconds,
        bad_lines=bad_json + fold.skipped,
        unlabelled_round=next((r.round for r in reversed(fold.ordered())
                               if r.selection_seconds is not None and r.added is None), None),
    )
