"""One candidate large, with everything known about why it was picked."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from alss_tui.store.review import ReviewRound
from alss_tui.tui.widgets.candidate_card import class_name
from alss_tui.tui.widgets.pixel_image import PixelImage, to_pil


def details(review: ReviewRound, k: int) -> Text:
    c = review.candidates[k]
    rows = [("item", f"{c['item']}" + (" (synthetic: the decoded image itself)" if c.get("kind") == "synthetic" else ""))]
    if c.get("path"):
        rows.append(("file", c["path"]))
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
        synthetic = self.review.candidates[self.k].get("kind") == "synthetic"
        with Vertical():
            with Horizontal(classes="zoom-images"):
                with Vertical(classes="zoom-pane"):
                    yield PixelImage(classes="zoom-image", id="zoom-item")
                    yield Static("synthetic image to label" if synthetic else "image to label",
                                 classes="zoom-title")
                if companion is not None:
                    with Vertical(classes="zoom-pane"):
                        yield PixelImage(classes="zoom-image", id="zoom-companion")
                        yield Static(companion[1], classes="zoom-title")
            yield Static(details(self.review, self.k), classes="zoom-details")

    def on_mount(self) -> None:
        # As large as the terminal allows beside the details: two images across, square pixels.
        panes = len(self.query(".zoom-image"))
        side = min(40, (self.app.size.width - 6) // panes - 2, 2 * (self.app.size.height - 14))
        for widget in self.query(".zoom-image, .zoom-title"):
            widget.styles.width = max(8, side)
        for widget in self.query(".zoom-image"):
            widget.styles.height = max(4, side // 2)
        self.query_one("#zoom-item").image = to_pil(self.review.image(self.k))
        companion = self.review.companion(self.k)
        if companion is not None:
            self.query_one("#zoom-companion").image = to_pil(companion[0])

    def action_close(self) -> None:
        self.dismiss(None)
