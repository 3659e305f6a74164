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
from alss_tui.tui.widgets.candidate_card import CARD_HEIGHT, CARD_WIDTH, CandidateCard
from alss_tui.tui.widgets.pixel_image import to_pil

GUTTER = 1


class CandidateGrid(Widget):
    DEFAULT_CSS = """
    CandidateGrid {
        layout: grid;
        grid-gutter: 0 1;
        grid-columns: 29;
        grid-rows: 11;
        height: 1fr;
        width: 1fr;
    }
    """

    class PageShown(Message):
        """The grid (re)filled its cards: a new page, or a new page size."""

    def __init__(self, decision_of: Callable[[int], tuple[bool, int | None]], id: str | None = None) -> None:
        super().__init__(id=id)
        self.decision_of = decision_of
        self.review: ReviewRound | None = None
        self.cursor = 0
        self.page = -1
        self.columns = 1
        self.rows = 1
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
        self.refresh_page()

    def pictures(self, k: int) -> tuple:
        """PIL images of candidate k (the item, and the decoded hard sample if any), cached."""
        if k not in self._pictures:
            assert self.review is not None
            companion = self.review.companion(k)
            self._pictures[k] = (to_pil(self.review.image(k)), None if companion is None else to_pil(companion[0]))
        return self._pictures[k]

    async def on_resize(self) -> None:
        columns = max(1, (self.size.width + GUTTER) // (CARD_WIDTH + GUTTER))
        rows = max(1, self.size.height // CARD_HEIGHT)
        if (columns, rows) == (self.columns, self.rows) and self.cards():
            return
        self.columns, self.rows = columns, rows
        self.styles.grid_size_columns = columns
        have = self.cards()
        if len(have) < self.capacity:
            await self.mount_all([CandidateCard(slot) for slot in range(len(have), self.capacity)])
        else:
            for card in have[self.capacity:]:
                await card.remove()
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
