"""One candidate large, with everything known about why it was picked."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.color import Color
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from alss_tui.store.review import ReviewRound
from alss_tui.tui.widgets.candidate_card import class_name
from alss_tui.tui.review_pictures import Grain, card_pictures
from alss_tui.tui.widgets.pixel_image import CELL_PIXELS, PixelImage, samples_per_cell


def details(review: ReviewRound, k: int) -> Text:
    c = review.candidates[k]
    rows = [("item", f"{c['item']}" + (" (synthetic: the decoded image itself)" if c.get("kind") == "synthetic" else ""))]
    if c.get("path"):
        rows.append(("file", c["path"]))
    if c.get("seed_path") and c.get("kind") == "synthetic":
        rows.append(("seed file", c["seed_path"]))
    if c.get("seed_index") is not None:
        where = f"pool #{c['seed_index']}" if c["seed_index"] >= 0 else f"synthetic #{-c['seed_index']}"
        rows.append(("seed", f"{where}, labelled {class_name(review.classes, c.get('seed_label'))}"))
    if c.get("distance") is not None:
        rows.append(("latent distance", f"{c['distance']:.4f}"))
    if c.get("loss_before") is not None and c.get("loss_after") is not None:
        rows.append(("task loss", f"{c['loss_before']:.3f} -> {c['loss_after']:.3f} (ascent)"))
    if c.get("prediction") is not None:
        rows.append(("model predicts", class_name(review.classes, c["prediction"])))
    if c.get("suggestion") is not None:
        rows.append(("function says", class_name(review.classes, c["suggestion"])))
    if c.get("score") is not None:
        rows.append(("score", f"{c['score']:.4f}"))
    rows.append(("picked by", "initial random subset" if review.round == 0 else review.strategy))
    out = Text()
    for key, value in rows:
        out.append(f"{key:>16}  ", style="bold")
        out.append(f"{value}\n")
    return out


class ZoomDialog(ModalScreen[None]):
    DEFAULT_CSS = """
    ZoomDialog { align: center middle; }
    ZoomDialog > Vertical {
        width: auto; height: auto; padding: 0 1;
        border: thick $accent; background: $surface;
    }
    ZoomDialog .zoom-images { width: auto; height: auto; }
    ZoomDialog .zoom-pane { width: auto; height: auto; margin: 0 1; }
    ZoomDialog .zoom-image { width: 40; height: 20; }
    ZoomDialog .zoom-title { width: 40; text-align: center; color: $text-muted; }
    ZoomDialog .zoom-details { width: auto; height: auto; }
    """
    BINDINGS = [Binding("escape,z,q", "close", "close")]

    def __init__(self, review: ReviewRound, k: int) -> None:
        super().__init__()
        self.review = review
        self.k = k

    def compose(self) -> ComposeResult:
        companion = self.review.companion(self.k)
        with Vertical():
            with Horizontal(classes="zoom-images"):
                with Vertical(classes="zoom-pane"):
                    yield PixelImage(classes="zoom-image", id="zoom-item")
                    yield Static(self._item_title(), classes="zoom-title", id="zoom-item-title")
                if companion is not None:
                    with Vertical(classes="zoom-pane"):
                        yield PixelImage(classes="zoom-image", id="zoom-companion")
                        yield Static(companion[1], classes="zoom-title")
            yield Static(details(self.review, self.k), classes="zoom-details")

    def on_mount(self) -> None:
        # As large as the terminal allows above the details, one or two images across; a
        # folder pool's original file is drawn at that size, not the training pixels.
        panes = len(self.query(".zoom-image"))
        width = max(8, (self.app.size.width - 4) // panes - 2)
        details_lines = str(self.query_one(".zoom-details", Static).render()).count("\n") + 1
        height = max(4, self.app.size.height - details_lines - 4)

        def box(pair: bool, note: bool) -> tuple[int, int]:
            return width, height - (1 if note else 0)

        color = Color.parse(self.app.theme_variables.get("surface", "#000000"))
        self.pictures = card_pictures(self.review, self.k, box, Grain(samples_per_cell(), CELL_PIXELS),
                                      (color.r, color.g, color.b))
        cells = box(True, self.pictures.note is not None)
        for widget in self.query(".zoom-image, .zoom-title"):
            widget.styles.width = cells[0]
        for widget in self.query(".zoom-image"):
            widget.styles.height = cells[1]
        self.query_one("#zoom-item").image = self.pictures.item.image
        if self.pictures.note is not None:  # the note goes under the title, in the row it took
            title = self.query_one("#zoom-item-title", Static)
            title.styles.height = 2
            title.update(Text.assemble(self._item_title(), "\n", (self.pictures.note, "yellow")))
        if self.pictures.companion is not None:
            self.query_one("#zoom-companion").image = self.pictures.companion.image

    def _item_title(self) -> str:
        synthetic = self.review.candidates[self.k].get("kind") == "synthetic"
        return "synthetic image to label" if synthetic else "image to label"

    def action_close(self) -> None:
        self.dismiss(None)
