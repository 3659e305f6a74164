"""Progress events at a rate a reader can follow, from any loop (no torch here)."""

from __future__ import annotations

import time

from alss_tui.core.events import Progress

PROGRESS_INTERVAL = 0.25  # seconds: at most ~4 Progress events a second


class ProgressThrottle:
    """Emit a Progress event only when enough time passed, or at the end."""

    def __init__(self, phase: str, round: int, total: int):
        self.phase, self.round, self.total = phase, round, total
        self._last = time.monotonic()

    def __call__(self, done: int) -> Progress | None:
        now = time.monotonic()
        if done >= self.total or now - self._last >= PROGRESS_INTERVAL:
            self._last = now
            return Progress(self.phase, self.round, done, self.total)
        return None
