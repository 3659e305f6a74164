"""A minimal app around the Review screen, for `alss-tui review` and tests."""

from __future__ import annotations

from pathlib import Path

from textual.app import App

from alss_tui.tui.screens.review import ReviewScreen


class ReviewApp(App):
    TITLE = "alss-tui review"

    def __init__(self, home: Path, run_id: str, round: int | None = None) -> None:
        super().__init__()
        self.home = home
        self.run_id = run_id
        self.round = round

    def on_mount(self) -> None:
        self.push_screen(ReviewScreen(self.home, self.run_id, self.round), lambda _: self.exit())
