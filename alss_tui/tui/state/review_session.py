"""One person reviewing one round: the candidates, their decisions, the cursor.

Plain Python over the store (no widgets), so the Review screen stays a thin view
and the keyboard logic can be tested without a terminal. Every decision goes to
labels.jsonl (fsynced) before the session's state changes.
"""

from __future__ import annotations

from alss_tui.errors import LabelError
from alss_tui.store.labels import LabelLog, RoundLabels
from alss_tui.store.review import ReviewRound

BY = "keyboard"


class ReviewSession:
    def __init__(self, review: ReviewRound, log: LabelLog, read_only: bool = False):
        self.review = review
        self.log = log
        self.state: RoundLabels = log.round(review.round)
        self.read_only = read_only or self.state.is_submitted
        self.index = {item: k for k, item in enumerate(review.items)}
        self.cursor = 0

    # --- facts -------------------------------------------------------------------

    @property
    def round(self) -> int:
        return self.review.round

    @property
    def total(self) -> int:
        return len(self.review.candidates)

    @property
    def decisions(self) -> dict[int, int | None]:
        """item -> label (None: rejected) for the round's candidates with a standing decision."""
        return {i: y for i, y in self.state.current().items() if i in self.index}

    def decision_at(self, k: int) -> tuple[bool, int | None]:
        """(decided?, label) of candidate k."""
        d = self.decisions
        item = self.review.items[k]
        return (item in d, d.get(item))

    def counts(self) -> tuple[int, int, int]:
        """(done, labelled, rejected)."""
        d = self.decisions
        labelled = sum(1 for y in d.values() if y is not None)
        return len(d), labelled, len(d) - labelled

    def undecided(self) -> list[int]:
        d = self.decisions
        return [k for k, item in enumerate(self.review.items) if item not in d]

    # --- cursor -----------------------------------------------------------------

    def move_to(self, k: int) -> int:
        if self.total:
            self.cursor = max(0, min(self.total - 1, k))
        return self.cursor

    def advance(self) -> int:
        return self.move_to(self.cursor + 1)

    # --- decisions ------------------------------------------------------------------

    def _check_writable(self) -> None:
        if self.read_only:
            raise LabelError(f"round {self.round} is not open for labels (view only)")
        if not self.total:
            raise LabelError(f"round {self.round} has no candidates")

    def set_label(self, label: int | None) -> int:
        """Label (or, with None, reject) the candidate under the cursor; returns its index."""
        self._check_writable()
        if label is not None and not 0 <= label < len(self.review.classes):
            raise LabelError(f"no class {label} (classes 0-{len(self.review.classes) - 1})")
        k = self.cursor
        self.state.stack.append(self.log.decide(self.round, self.review.items[k], label, BY))
        return k

    def accept(self) -> int:
        suggestion = self.review.suggestion(self.cursor)
        if suggestion is None:
            raise LabelError("no suggestion for this image (the model has no prediction yet): pick a label")
        return self.set_label(suggestion)

    def accept_all(self) -> list[int]:
        """Accept the suggestion of every undecided candidate that has one; returns their indices."""
        self._check_writable()
        done = []
        for k in self.undecided():
            suggestion = self.review.suggestion(k)
            if suggestion is not None:
                self.state.stack.append(self.log.decide(self.round, self.review.items[k], suggestion, "accept-all"))
                done.append(k)
        return done

    def undo(self) -> int | None:
        """Take back the newest standing decision of the round; returns its candidate index."""
        self._check_writable()
        standing = [d for d in self.state.stack if d.item in self.index]
        if not standing:
            return None
        item = standing[-1].item
        self.log.undo(self.round, item, BY)
        for j in range(len(self.state.stack) - 1, -1, -1):
            if self.state.stack[j].item == item:
                del self.state.stack[j]
                break
        return self.move_to(self.index[item])

    def submit(self) -> RoundLabels:
        self._check_writable()
        try:
            state = self.log.submit(self.round, BY, require_label=self.round == 0)
        except LabelError:
            if self.log.round(self.round).is_submitted:
                self.read_only = True
            raise
        self.state = state
        self.read_only = True
        return state

    def seconds_per_label(self) -> float | None:
        return self.state.seconds_per_label()
