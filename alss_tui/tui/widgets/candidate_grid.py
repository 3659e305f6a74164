"""The review grid: one page of candidate cards that fits the screen.

Only a page of cards exists, whatever the round size; moving past its edge turns
the page and the same cards show the next candidates. So opening a round of 256
costs what opening a round of 20 does, and a key press repaints at most a page.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.message import Message
from textual.widget import Widget

from alss_tui.store.review import ReviewRound
from alss_tui.tui.widgets.candidate_card import (
    CARD_HEIGHT, CARD_WIDTH, COMPACT_HEIGHT, COMPACT_WIDTH, CandidateCard,
)
from alss_tui.tui.widgets.pixel_image import to_pil

GUTTER = 1
MIN_REGULAR_CARDS = 6  # fewer full-size cards than this fit: use compact ones


class CandidateGrid(Widget):
    DEFAULT_CSS = """
    CandidateGrid {
        layout: grid;
        grid-gutter: 0 1;
        height: 1fr;
        width: 1fr;
    }
    """

    class PageShown(Message):
        """The grid (re)filled its cards: a new page, or a new page size."""

    def __init__(self, decision_of: Callable[[int], tuple[bool, int | None]], id: str | None = None,
                 reserve: tuple[int, int] = (0, 0)) -> None:
        """`reserve`: (columns, rows) of the screen the grid will not get; used to size the
        first page before layout, so opening does not mount the cards twice."""
        super().__init__(id=id)
        self.reserve = reserve
        self.decision_of = decision_of
        self.review: ReviewRound | None = None
        self.cursor = 0
        self.page = -1
        self.columns = 1
        self.rows = 1
        self.compact = False
        self._pictures: dict[int, tuple] = {}

    @property
    def capacity(self) -> int:
        return self.columns * self.rows

    @property
    def pages(self) -> int:
        n = len(self.review.candidates) if self.review else 0
        return max(1, -(-n // self.capacity))

    def cards(self) -> list[CandidateCard]:
        return list(self.query(CandidateCard))

    def set_review(self, review: ReviewRound, cursor: int = 0) -> None:
        self.review = review
        self._pictures.clear()
        self.cursor = cursor
        self.page = -1
        if self.is_mounted:
            self.refresh_page()

    def pictures(self, k: int) -> tuple:
        """PIL images of candidate k (the item, and the decoded hard sample if any), cached."""
        if k not in self._pictures:
            assert self.review is not None
            companion = self.review.companion(k)
            self._pictures[k] = (to_pil(self.review.image(k)), None if companion is None else to_pil(companion[0]))
        return self._pictures[k]

    @staticmethod
    def fit(width: int, height: int) -> tuple[int, int, bool]:
        """(columns, rows, compact) of cards for a grid of this size."""
        def count(w: int, h: int) -> tuple[int, int]:
            return max(1, (width + GUTTER) // (w + GUTTER)), max(1, height // h)

        columns, rows = count(CARD_WIDTH, CARD_HEIGHT)
        if columns * rows < MIN_REGULAR_CARDS:
            small = count(COMPACT_WIDTH, COMPACT_HEIGHT)
            if small[0] * small[1] > columns * rows:
                return small[0], small[1], True
        return columns, rows, False

    def _set_shape(self, columns: int, rows: int, compact: bool) -> None:
        self.columns, self.rows, self.compact = columns, rows, compact
        self.styles.grid_size_columns = columns
        self.styles.grid_columns = str(COMPACT_WIDTH if compact else CARD_WIDTH)
        self.styles.grid_rows = str(COMPACT_HEIGHT if compact else CARD_HEIGHT)

    def compose(self):
        """The first page, composed with its candidates when the review is already set."""
        self._set_shape(*self.fit(self.app.size.width - self.reserve[0], self.app.size.height - self.reserve[1]))
        n = len(self.review.candidates) if self.review is not None else 0
        self.page = self.cursor // self.capacity if self.review is not None else -1
        for slot in range(self.capacity):
            k = self.page * self.capacity + slot
            if k < n:
                card = CandidateCard(slot, self.review, k, *self.decision_of(k), pictures=self.pictures(k))
                card.set_class(k == self.cursor, "-cursor")
            else:
                card = CandidateCard(slot)
            yield card.set_class(self.compact, "-compact")

    async def on_resize(self) -> None:
        shape = self.fit(self.size.width, self.size.height)
        if shape == (self.columns, self.rows, self.compact) and self.cards():
            return
        self._set_shape(*shape)
        have = self.cards()
        if len(have) < self.capacity:
            await self.mount_all([CandidateCard(slot) for slot in range(len(have), self.capacity)])
        else:
            for card in have[self.capacity:]:
                await card.remove()
        for card in self.cards():
            card.set_class(self.compact, "-compact")
        self.page = -1
        self.refresh_page()

    def refresh_page(self) -> None:
        """Show the page holding the cursor; only re-fill the cards when the page changed."""
        if self.review is None:
            return
        page = self.cursor // self.capacity
        cards = self.cards()[: self.capacity]
        if page != self.page:
            self.page = page
            n = len(self.review.candidates)
            for slot, card in enumerate(cards):
                k = page * self.capacity + slot
                if k < n:
                    card.show(self.review, k, *self.decision_of(k), pictures=self.pictures(k))
                else:
                    card.show(None, None)
            self.post_message(self.PageShown())
        for card in cards:
            card.set_class(card.index == self.cursor, "-cursor")

    def move_cursor(self, k: int) -> None:
        self.cursor = k
        self.refresh_page()

    def refresh_candidate(self, k: int) -> None:
        """Repaint the decision of candidate k, if it is on this page."""
        if self.review is None:
            return
        for card in self.cards():
            if card.index == k:
                card.show_decision(self.review, *self.decision_of(k))
