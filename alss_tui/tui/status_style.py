"""How a run status looks, the same on every screen."""

from __future__ import annotations

from rich.text import Text

STATUS_STYLES = {
    "running": "bold green", "starting": "green", "awaiting-labels": "bold yellow",
    "crashed": "bold red", "failed": "red", "finished": "cyan", "created": "dim",
}


def status_text(status: str) -> Text:
    return Text(status, style=STATUS_STYLES.get(status, ""))
