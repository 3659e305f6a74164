"""`?`: the keys of the screen underneath and of the app, from their own bindings."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

KEY_NAMES = {"question_mark": "?", "slash": "/", "space": "space", "escape": "esc", "enter": "enter",
             "left_square_bracket": "[", "right_square_bracket": "]", "backspace": "backspace",
             "plus": "+", "minus": "-", "equals_sign": "="}


def key_label(key: str) -> str:
    return ", ".join(KEY_NAMES.get(k.strip(), k.strip()) for k in key.split(","))


def binding_rows(screen: Screen, app_bindings: list) -> list[tuple[str, str]]:
    rows = []
    for binding in [*getattr(screen, "BINDINGS", []), *app_bindings]:
        if isinstance(binding, Binding):
            rows.append((key_label(binding.key), binding.description or binding.action))
    return rows


class HelpDialog(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "close", "Close")]

    def __init__(self, under: Screen):
        super().__init__(id="help-dialog")
        self.under = under

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            title = getattr(self.under, "HELP_TITLE", type(self.under).__name__.removesuffix("Screen"))
            yield Static(f"[b]Keys: {title}[/]  (esc to close)", id="help-title")
            table = DataTable(id="help-table", cursor_type="none", show_cursor=False)
            table.add_columns("key", "does")
            table.add_rows(binding_rows(self.under, self.app.BINDINGS))
            yield table

    def action_close(self) -> None:
        self.dismiss(None)
