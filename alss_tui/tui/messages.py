"""Messages the App's workers post to the screens (threads never touch widgets)."""

from __future__ import annotations

from textual.message import Message

from alss_tui.tui.state.latent_view import LatentPicture
from alss_tui.tui.state.run_rows import RunRow
from alss_tui.tui.state.run_state import RunSnapshot


class RunsLoaded(Message):
    """A fresh read of the registry, posted only when it differs from the last one."""

    def __init__(self, rows: list[RunRow]) -> None:
        super().__init__()
        self.rows = rows


class RunUpdated(Message):
    """New events (or review files) for the followed run, coalesced to one per tick."""

    def __init__(self, snapshot: RunSnapshot, status: str, picture: LatentPicture | None,
                 map_changed: bool) -> None:
        super().__init__()
        self.snapshot = snapshot
        self.status = status
        self.picture = picture
        self.map_changed = map_changed


class ComparisonLoaded(Message):
    """Curves and config diff of the runs on the Compare screen, read off the UI thread."""

    def __init__(self, run_ids: list[str], curves: list, diff: list, problems: list[str]) -> None:
        super().__init__()
        self.run_ids = run_ids
        self.curves = curves
        self.diff = diff
        self.problems = problems
