"""One candidate in the review grid: its image (and, for latent strategies, the
decoded hard sample that led to it), why it was picked, and the decision so far."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from alss_tui.store.review import ReviewRound
from alss_tui.tui.review_pictures import CardPictures
from alss_tui.tui.widgets.pixel_image import PixelImage
from alss_tui.tui.widgets.text_line import TextLine

CARD_WIDTH = 29  # two 12-cell images, a gap, border and padding
CARD_HEIGHT = 11
COMPACT_WIDTH = 21  # two 8-cell images: for small terminals (80x24)
COMPACT_HEIGHT = 9
CAPTION_LINES = 3
FRAME = (4, 2)  # cells the border and padding take (across, down)


@dataclass(frozen=True)
class CardShape:
    """A card's size in cells, and the cells its images get inside it."""

    width: int = CARD_WIDTH
    height: int = CARD_HEIGHT

    def image_box(self, pair: bool, note: bool) -> tuple[int, int]:
        """Cells of one image: half the width (less a gap) when two share the card; a
        note line under the images takes a row."""
        inner = max(2, self.width - FRAME[0])
        rows = max(1, self.height - FRAME[1] - CAPTION_LINES - (1 if note else 0))
        return (max(1, (inner - 1) // 2) if pair else inner), rows


def class_name(classes: tuple[str, ...], label: int | None) -> str:
    if label is None:
        return "?"
    return classes[label] if 0 <= label < len(classes) else str(label)


def why_picked(review: ReviewRound, k: int) -> str:
    """One short line: the seed's label and the latent distance, or the strategy's score."""
    c = review.candidates[k]
    if c.get("given") is not None:  # a suspect label: what was given against what the model says
        return (f"given {class_name(review.classes, c['given'])} {100 * c.get('given_probability', 0):.0f}% · "
                f"model {class_name(review.classes, c.get('prediction'))} {100 * c.get('probability', 0):.0f}%")
    parts = []
    if c.get("seed_label") is not None:
        parts.append(f"seed {class_name(review.classes, c['seed_label'])}")
    if c.get("distance") is not None:
        parts.append(f"d {c['distance']:.2f}")
    if not parts and c.get("score") is not None:
        parts.append(f"score {c['score']:.3f}")
    return " · ".join(parts) if parts else ("random pick" if review.round == 0 else review.strategy)


def decision_text(classes: tuple[str, ...], decided: bool, label: int | None, given: int | None = None) -> Text:
    """`given`: a suspect's label so far (a decision equal to it keeps it)."""
    if not decided:
        return Text("· undecided", style="dim")
    if label is None:
        return Text("✗ rejected", style="bold red")
    if given is not None:
        return Text(f"✓ kept {class_name(classes, label)}" if label == given else
                    f"→ relabelled {class_name(classes, label)}", style="bold green")
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
    CandidateCard.-cursor { border: heavy $accent; }
    CandidateCard .card-images { height: 6; width: 100%; }
    CandidateCard .card-image { width: 12; height: 6; }
    CandidateCard .card-gap { width: 1; height: 6; }
    CandidateCard .card-caption { height: 3; width: 100%; }
    CandidateCard.-compact { width: 21; height: 9; }
    CandidateCard.-compact .card-images { height: 4; }
    CandidateCard.-compact .card-image { width: 8; height: 4; }
    CandidateCard.-compact .card-gap { height: 4; }
    """

    class Clicked(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, slot: int, review: ReviewRound | None = None, k: int | None = None,
                 decided: bool = False, label: int | None = None, pictures: CardPictures | None = None,
                 shape: CardShape = CardShape()) -> None:
        """A card in grid slot `slot`; with `review` and `k` it is composed showing that
        candidate (the first page is built ready, not filled after a first paint)."""
        super().__init__(classes="candidate-card")
        self.slot = slot
        self.index: int | None = None  # candidate index shown, None when the slot is empty
        self.shape = shape
        self.pictures: CardPictures | None = None  # what the card draws now
        self._sized: tuple | None = None  # (shape, image cells) the widgets are sized for
        self._initial = (review, k, decided, label, pictures)

    def compose(self) -> ComposeResult:
        review, k, decided, label, pictures = self._initial
        self._images = Horizontal(classes="card-images")
        self._item = PixelImage(classes="card-image card-item")
        self._gap = Static("", classes="card-gap")
        self._companion = PixelImage(classes="card-image card-decoded")
        self._note = TextLine("", classes="card-note")
        self.index = k if review is not None else None
        self.display = self.index is not None
        self._draw(pictures if self.index is not None else None)  # the first page is composed ready
        with self._images:
            yield self._item
            yield self._gap
            yield self._companion
        yield self._note
        yield TextLine(self._caption(review, k, decided, label) if self.index is not None else "",
                       classes="card-caption")
        if self.index is not None:
            self._set_decision_classes(decided, label)

    def show(self, review: ReviewRound | None, k: int | None, decided: bool = False,
             label: int | None = None, pictures: CardPictures | None = None) -> None:
        """Show candidate k of `review` (None: an empty slot)."""
        self.index = k
        self.display = k is not None
        if review is None or k is None:
            return
        self._draw(pictures)
        self.show_decision(review, decided, label)

    def set_shape(self, shape: CardShape) -> None:
        """A new size; the grid then shows the page again with pictures made for it."""
        self.shape = shape
        self.styles.width, self.styles.height = shape.width, shape.height

    def _draw(self, pictures: CardPictures | None) -> None:
        """Size the images and the note line for `pictures`, and hand them to the image widgets."""
        self.pictures = pictures
        pair = pictures is not None and pictures.companion is not None
        note = pictures.note if pictures is not None else None
        width, height = self.shape.image_box(pair, note is not None)
        if self._sized != (self.shape, width, height):  # most page turns keep every size
            self._sized = (self.shape, width, height)
            self.styles.width, self.styles.height = self.shape.width, self.shape.height
            self._images.styles.height = height
            self._gap.styles.height = height
            for widget in (self._item, self._companion):
                widget.styles.width, widget.styles.height = width, height
        self._item.image = pictures.item.image if pictures is not None else None
        self._companion.image = pictures.companion.image if pair else None
        self._companion.display = pair
        self._note.update(Text(note or "", style="yellow"))
        self._note.display = note is not None

    @staticmethod
    def _caption(review: ReviewRound, k: int, decided: bool, label: int | None) -> Text:
        c = review.candidates[k]
        name = f"#{c['item']}" if c.get("kind") != "synthetic" else f"synthetic {c['item']}"
        head = Text(f"{name}", style="bold")
        if c.get("prediction") is not None and c.get("given") is None:
            head.append(f"  pred {class_name(review.classes, c['prediction'])}")
        if c.get("suggestion") is not None:
            head.append(f"  fn {class_name(review.classes, c['suggestion'])}")
        return Text("\n").join([head, Text(why_picked(review, k), style="italic"),
                                 decision_text(review.classes, decided, label, c.get("given"))])

    def _set_decision_classes(self, decided: bool, label: int | None) -> None:
        self.set_class(decided and label is not None, "-labelled")
        self.set_class(decided and label is None, "-rejected")

    def show_decision(self, review: ReviewRound, decided: bool, label: int | None) -> None:
        if self.index is None:
            return
        self.query_one(".card-caption", TextLine).update(self._caption(review, self.index, decided, label))
        self._set_decision_classes(decided, label)

    def on_click(self) -> None:
        if self.index is not None:
            self.post_message(self.Clicked(self.index))
