"""Fixed-size text that repaints without a layout pass.

Static.update() asks for a new layout (its size may change). The review's
captions and status lines have fixed sizes, and re-laying out a page of images
on every key press is what made it feel slow; this widget only repaints itself.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget


class TextLine(Widget):
    DEFAULT_CSS = """
    TextLine { height: 1; width: 1fr; }
    """

    def __init__(self, text: str | Text = "", *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._text = text

    @property
    def text(self) -> str:
        return self._text.plain if isinstance(self._text, Text) else str(self._text)

    def render(self) -> Text:
        return self._text if isinstance(self._text, Text) else Text(self._text)

    def update(self, text: str | Text) -> None:
        if text != self._text:
            self._text = text
            self.refresh()
