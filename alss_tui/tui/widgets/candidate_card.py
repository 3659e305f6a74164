"""One candidate in the review grid: its image (and, for latent strategies, the
decoded hard sample that led to it), why it was picked, and the decision so far."""

from __future__ import annotations

from rich.markup import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from alss_tui.store.review import ReviewRound
from alss_tui.tui.widgets.pixel_image import PixelImage, to_pil

CARD_WIDTH = 29  # two 12-cell images, a gap, border and padding
CARD_HEIGHT = 11


def class_name(classes: tuple[str, ...], label: int | None) -> str:
    if label is None:
        return "?"
    return classes[label] if 0 <= label < len(classes) else str(label)


def why_picked(review: ReviewRound, k: int) -> str:
    """One short line: the seed's label and the latent distance, or the strategy's score."""
    c = review.candidates[k]
    parts = []
    if c.get("seed_label") is not None:
        parts.append(f"seed {class_name(review.classes, c['seed_label'])}")
    if c.get("distance") is not None:
        parts.append(f"d {c['distance']:.2f}")
    if not parts and c.get("score") is not None:
        parts.append(f"score {c['score']:.3f}")
    return " · ".join(parts) if parts else ("random pick" if review.round == 0 else review.strategy)


def decision_text(classes: tuple[str, ...], decided: bool, label: int | None) -> Text:
    if not decided:
        return Text("· undecided", style="dim")
    if label is None:
        return Text("✗ rejected", style="bold red")
    return Text(f"→ {class_name(classes, label)}", style="bold green")


class CandidateCard(Widget):
    DEFAULT_CSS = """
    CandidateCard {
        width: 29;
        height: 11;
        border: round $panel-lighten-2;
        padding: 0 1;
    }
    CandidateCard.-labelled { border: round $success; }
    CandidateCard.-rejected { border: round $error; }
    CandidateCard.-cursor { border: heavy $accent; background: $boost; }
    CandidateCard .card-images { height: 6; width: 100%; }
    CandidateCard .card-image { width: 12; height: 6; }
    CandidateCard .card-gap { width: 1; height: 6; }
    CandidateCard .card-caption { height: 3; width: 100%; }
    """

    class Clicked(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, slot: int) -> None:
        super().__init__(classes="candidate-card")
        self.slot = slot
        self.index: int | None = None  # candidate index shown, None when the slot is empty

    def compose(self) -> ComposeResult:
        with Horizontal(classes="card-images"):
            yield PixelImage(classes="card-image card-item")
            yield Static("", classes="card-gap")
            yield PixelImage(classes="card-image card-decoded")
        yield Static("", classes="card-caption")

    def show(self, review: ReviewRound | None, k: int | None, decided: bool = False,
             label: int | None = None, pictures: tuple | None = None) -> None:
        """Show candidate k of `review` (None: an empty slot)."""
        self.index = k
        self.display = k is not None
        if review is None or k is None:
            return
        item_pic, decoded_pic = pictures if pictures is not None else (to_pil(review.image(k)), None)
        self.query_one(".card-item").image = item_pic
        decoded = self.query_one(".card-decoded")
        decoded.image = decoded_pic
        decoded.display = decoded_pic is not None
        self.show_decision(review, decided, label)

    def show_decision(self, review: ReviewRound, decided: bool, label: int | None) -> None:
        k = self.index
        if k is None:
            return
        c = review.candidates[k]
        name = f"#{c['item']}" if c.get("kind") != "synthetic" else f"synthetic {c['item']}"
        pred = review.suggestion(k)
        head = Text(f"{name}", style="bold")
        if pred is not None:
            head.append(f"  pred {escape(class_name(review.classes, pred))}")
        caption = Text("\n").join([head, Text(why_picked(review, k), style="italic"),
                                    decision_text(review.classes, decided, label)])
        self.query_one(".card-caption", Static).update(caption)
        self.set_class(decided and label is not None, "-labelled")
        self.set_class(decided and label is None, "-rejected")

    def on_click(self) -> None:
        if self.index is not None:
            self.post_message(self.Clicked(self.index))
