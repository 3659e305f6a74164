"""Rows of the Runs table: the registry checked against each run's lock. No textual."""

from __future__ import annotations

from dataclasses import dataclass

from alss_tui.store.registry import Registry, accuracy_split
from alss_tui.store.run_folder import RunFolder
from alss_tui.store.status import live_status


@dataclass(frozen=True)
class RunRow:
    id: str
    name: str
    dataset: str
    strategy: str
    oracle: str
    status: str
    round: int | None
    labelled: int | None
    budget: int | None
    accuracy: float | None
    best_accuracy: float | None
    created: float
    error: str | None
    split: str | None = None  # the split accuracy and best_accuracy are on ("test", "validation")
    suspects: int | None = None  # suspect labels waiting for a second look (None: not looked for)

    def matches(self, text: str) -> bool:
        """Every word of `text` appears in id, name, dataset, strategy, oracle or status."""
        hay = " ".join((self.id, self.name, self.dataset, self.strategy, self.oracle, self.status)).lower()
        return all(word in hay for word in text.lower().split())


SORT_KEYS = ("newest", "name", "status", "accuracy")


def load_rows(registry: Registry) -> list[RunRow]:
    rows = []
    for doc in registry.all():
        run_id = doc.get("id")
        if not run_id:
            continue
        rows.append(RunRow(
            id=run_id, name=str(doc.get("name", "")), dataset=str(doc.get("dataset", "")),
            strategy=str(doc.get("strategy", "")), oracle=str(doc.get("oracle", "")),
            status=live_status(RunFolder(registry.runs_dir / run_id), doc),
            round=doc.get("round"), labelled=doc.get("labelled"), budget=doc.get("budget"),
            accuracy=doc.get("accuracy"), best_accuracy=doc.get("best_accuracy"), split=accuracy_split(doc),
            created=float(doc.get("created") or 0.0), error=doc.get("error"), suspects=doc.get("suspects")))
    return rows


def arrange(rows: list[RunRow], text: str = "", sort: str = "newest") -> list[RunRow]:
    """Filter by words, then sort. Unknown sort keys fall back to newest first."""
    picked = [r for r in rows if r.matches(text)] if text.strip() else list(rows)
    if sort == "name":
        return sorted(picked, key=lambda r: (r.name.lower(), -r.created))
    if sort == "status":
        return sorted(picked, key=lambda r: (r.status, -r.created))
    if sort == "accuracy":
        # Validation runs, then test runs, each by accuracy: figures of two splits are not ranked together.
        order = {"validation": 0, "test": 1}
        return sorted(picked, key=lambda r: (order.get(r.split or "", 2), -(r.accuracy or 0.0), -r.created))
    return sorted(picked, key=lambda r: -r.created)


def age(seconds_ago: float) -> str:
    """Compact age: 45s, 12m, 3h, 5d."""
    s = max(0, int(seconds_ago))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h"
    return f"{s // 86400}d"

