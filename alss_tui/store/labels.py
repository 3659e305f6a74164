"""The label log (labels.jsonl): every decision a person makes, appended and fsynced.

One JSON object a line, never rewritten; a round's state is the fold of its lines:

    {"round": 3, "item": 17, "label": 4, "by": "keyboard", "at": ...}      item 17 is class 4
    {"round": 3, "item": 17, "label": null, "by": "keyboard", "at": ...}   item 17 rejected
    {"round": 3, "item": 17, "undo": true, "by": "keyboard", "at": ...}    take back the newest
                                                                           standing decision on 17
    {"round": 3, "submitted": true, "count": 42, "by": "keyboard", "at": ...}   the round is done
    {"round": "suspects", "item": 17, "label": 2, "by": "keyboard", "at": ...}   a second look at a
                                                                           labelled item: now class 2

Decisions of a round form a stack, so undo walks back through the whole round
(also after the screen was closed and reopened). The first submit line of a
round wins; lines for a round after its submit are ignored. Submitting holds an
exclusive flock on labels.lock, so two reviewers cannot both submit a round.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from alss_tui.errors import LabelError
from alss_tui.store.jsonl import JsonlWriter, read_all
from alss_tui.store.locks import flocked

LOCK_NAME = "labels.lock"
# The second looks at suspect labels are decisions of their own "round": never submitted, each
# applied by the runner before the next round trains (a relabel supersedes the item's label).
SUSPECTS = "suspects"


@dataclass(frozen=True)
class Decision:
    item: int
    label: int | None  # None: rejected (not useful, never labelled)
    by: str
    at: float


@dataclass
class RoundLabels:
    """The folded state of one round's decisions."""

    round: int
    stack: list[Decision] = field(default_factory=list)  # standing decisions, oldest first
    submitted: dict | None = None  # the winning submit line

    @property
    def is_submitted(self) -> bool:
        return self.submitted is not None

    def current(self) -> dict[int, int | None]:
        """item -> label (None = rejected) for every item with a standing decision."""
        out: dict[int, int | None] = {}
        for d in self.stack:
            out[d.item] = d.label
        return out

    def seconds_per_label(self, max_gap: float = 60.0) -> float | None:
        """Mean gap between consecutive decisions; a gap longer than `max_gap` (a break) counts as max_gap."""
        times = sorted(d.at for d in self.stack)
        if len(times) < 2:
            return None
        gaps = [min(b - a, max_gap) for a, b in zip(times, times[1:])]
        return sum(gaps) / len(gaps)

    def apply(self, record: dict) -> None:
        """Fold one line of this round into the state."""
        if self.submitted is not None:
            return
        if record.get("submitted"):
            self.submitted = record
            return
        item = record.get("item")
        if not isinstance(item, int) or isinstance(item, bool):
            return
        if record.get("undo"):
            for k in range(len(self.stack) - 1, -1, -1):
                if self.stack[k].item == item:
                    del self.stack[k]
                    break
            return
        label = record.get("label")
        if label is not None and (not isinstance(label, int) or isinstance(label, bool)):
            return
        self.stack.append(Decision(item, label, str(record.get("by", "")), float(record.get("at", 0.0))))


def fold_round(records: list[dict], round: int) -> RoundLabels:
    state = RoundLabels(round)
    for record in records:
        if record.get("round") == round:
            state.apply(record)
    return state


def fold_all(records: list[dict]) -> dict[int, RoundLabels]:
    rounds: dict[int, RoundLabels] = {}
    for record in records:
        r = record.get("round")
        if isinstance(r, int) and not isinstance(r, bool):
            rounds.setdefault(r, RoundLabels(r)).apply(record)
    return rounds


def submitted_decisions(path: Path) -> list[dict]:
    """Final decisions of every submitted round: rows {round, item, label, by, at}, by round then item.

    `label` is a class index or None (rejected). What `export` writes out.
    """
    records, _ = read_all(path)
    rows = []
    for r, state in sorted(fold_all(records).items()):
        if not state.is_submitted:
            continue
        last = {d.item: d for d in state.stack}
        for item in sorted(last):
            d = last[item]
            rows.append({"round": r, "item": item, "label": d.label, "by": d.by, "at": d.at})
    return rows


class LabelLog:
    """Reads and appends a run's labels.jsonl. Every append is fsynced before it returns."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.lock_path = self.path.with_name(LOCK_NAME)
        self._writer: JsonlWriter | None = None

    def _write(self, record: dict) -> None:
        if self._writer is None:
            self._writer = JsonlWriter(self.path, durable=True)
        self._writer.write(record)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def records(self) -> list[dict]:
        return read_all(self.path)[0]

    def round(self, round: int | str) -> RoundLabels:
        return fold_round(self.records(), round)

    def reviews(self) -> dict[int, int | None]:
        """item -> its label after a second look (the same label: kept; None: rejected)."""
        return self.round(SUSPECTS).current()

    def decide(self, round: int, item: int, label: int | None, by: str) -> Decision:
        decision = Decision(int(item), None if label is None else int(label), by, round_time())
        self._write({"round": round, "item": decision.item, "label": decision.label, "by": by, "at": decision.at})
        return decision

    def undo(self, round: int, item: int, by: str) -> None:
        self._write({"round": round, "item": int(item), "undo": True, "by": by, "at": round_time()})

    def submit(self, round: int, by: str, require_label: bool = False,
               decisions: dict[int, int | None] | None = None) -> RoundLabels:
        """Mark `round` submitted; raises LabelError if someone already did.

        `decisions` (item -> label or None) are appended first, under the same lock
        (a file of labels submits in one step). `require_label`: refuse a round with
        no labelled item (the first round: a model cannot be trained on nothing).
        """
        with flocked(self.lock_path):
            state = self.round(round)
            if state.is_submitted:
                who = state.submitted.get("by") or "another reviewer"
                when = time.strftime("%H:%M:%S", time.localtime(state.submitted.get("at", 0)))
                raise LabelError(f"round {round} was already submitted ({who}, {when})")
            if require_label and decisions is not None:
                merged = {**state.current(), **decisions}
                if not any(y is not None for y in merged.values()):
                    raise LabelError(f"round {round} has no labelled item; the first model needs at least one")
            for item, label in (decisions or {}).items():
                state.stack.append(self.decide(round, item, label, by))
            labelled = sum(1 for y in state.current().values() if y is not None)
            if require_label and labelled == 0:
                raise LabelError(f"round {round} has no labelled item; the first model needs at least one")
            record = {"round": round, "submitted": True, "count": len(state.current()), "by": by,
                      "at": round_time()}
            self._write(record)
            state.submitted = record
            return state

    def __enter__(self) -> "LabelLog":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def round_time() -> float:
    return round(time.time(), 3)
