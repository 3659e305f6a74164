"""Which runs just started waiting for a person's labels (for the dashboard's bell). No textual."""

from __future__ import annotations

from alss_tui.tui.state.run_rows import RunRow

WAITING = "awaiting-labels"


def newly_waiting(previous: list[RunRow] | None, rows: list[RunRow]) -> list[RunRow]:
    """Runs waiting for labels now that were not waiting in `previous` (None: the first look,
    where nothing is new: the Runs table already shows what waits)."""
    if previous is None:
        return []
    before = {r.id: r.status for r in previous}
    return [r for r in rows if r.status == WAITING and before.get(r.id) != WAITING]
