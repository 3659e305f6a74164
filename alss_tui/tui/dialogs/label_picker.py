"""Pick a class by typing part of its name (for datasets with many classes)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option


def matching(classes: tuple[str, ...], text: str) -> list[int]:
    """Class indices whose name (or number) contains `text`; names starting with it first."""
    t = text.strip().lower()
    if not t:
        return list(range(len(classes)))
    hits = [i for i, name in enumerate(classes) if t in name.lower() or t == str(i)]
    return sorted(hits, key=lambda i: (not classes[i].lower().startswith(t), i))


class LabelPicker(ModalScreen[int | None]):
    DEFAULT_CSS = """
    LabelPicker { align: center middle; }
    LabelPicker > Vertical {
        width: 48; height: auto; max-height: 24; padding: 0 1;
        border: thick $accent; background: $surface;
    }
    LabelPicker OptionList { height: auto; max-height: 16; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "cancel"),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
    ]

    def __init__(self, classes: tuple[str, ...], initial: str = "") -> None:
        super().__init__()
        self.class_names = classes
        self.initial = initial

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Input(value=self.initial, placeholder="type to filter classes", id="picker-filter",
                        select_on_focus=False)
            yield OptionList(id="picker-options")

    def on_mount(self) -> None:
        self._fill(self.initial)
        self.query_one(Input).focus()

    def _fill(self, text: str) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(f"{i}  {name}", id=str(i)) for i, name in
                             ((i, self.class_names[i]) for i in matching(self.class_names, text))])
        if options.option_count:
            options.highlighted = 0

    @on(Input.Changed)
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted)
    def _choose_highlighted(self) -> None:
        options = self.query_one(OptionList)
        option = options.highlighted_option
        if option is not None:
            self.dismiss(int(option.id))

    @on(OptionList.OptionSelected)
    def _choose(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id))

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            current = options.highlighted or 0
            options.highlighted = max(0, min(options.option_count - 1, current + step))

    def action_cancel(self) -> None:
        self.dismiss(None)
