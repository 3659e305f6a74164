"""The review grid: one page of candidate cards that fits the screen.

Only a page of cards exists, whatever the round size; moving past its edge turns
the page and the same cards show the next candidates. So opening a round of 256
costs what opening a round of 20 does, and a key press repaints at most a page.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.color import Color
from textual.message import Message
from textual.widget import Widget

from alss_tui.store.review import ReviewRound
from alss_tui.tui.review_pictures import CardPictures, Grain, PictureCache, card_pictures
from alss_tui.tui.widgets.candidate_card import (
    CARD_HEIGHT, CARD_WIDTH, COMPACT_HEIGHT, COMPACT_WIDTH, CandidateCard, CardShape,
)
from alss_tui.tui.widgets.pixel_image import CELL_PIXELS, samples_per_cell

GUTTER = 1
MIN_REGULAR_CARDS = 6  # fewer full-size cards than this fit: use compact ones
# Cards per page, from many small to one large: None fits as many standard cards as the
# screen holds (compact ones on a small screen); (columns, rows) stretch cards to fill it.
LAYOUTS: tuple[tuple[int, int] | None, ...] = (None, (3, 2), (2, 1), (1, 1))
# Photos (a folder pool's files) open with the most cards a page that still gives each image
# at least this many of the renderer's samples across and down: at the standard size a
# 160 x 48 terminal shows 20 cards of about 24 x 24 half-block pixels, too small to tell two
# similar classes apart without first finding `+`.
PHOTO_SAMPLES = 48
PHOTOS = "photos"  # the layout that fits PHOTO_SAMPLES to the grid's size, wherever it sits


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
        self.card_layout: tuple[int, int] | str | None = None  # an entry of LAYOUTS, or PHOTOS
        self.card_shape = CardShape()
        self.grain = Grain(samples_per_cell(), CELL_PIXELS)
        self.picture_cache = PictureCache()
        self._generation = 0  # a new review: pictures made for the old one never match

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
        if self.review is None or self.photos(review) != self.photos(self.review):
            self.card_layout = PHOTOS if self.photos(review) else None  # a person's choice stays otherwise
        self.review = review
        self._generation += 1
        self.picture_cache.clear()
        self.cursor = cursor
        self.page = -1
        if self.is_mounted:
            self.refresh_page()

    def on_unmount(self) -> None:
        self.picture_cache.close()

    # --- pictures -----------------------------------------------------------------

    def _fill(self) -> tuple[int, int, int]:
        """The colour behind the cards, for the margins of a picture that does not fill its box."""
        color = Color.parse(self.app.theme_variables.get("background", "#000000"))
        return color.r, color.g, color.b

    def _picture_job(self, k: int, fill: tuple[int, int, int]):
        review, shape, grain = self.review, self.card_shape, self.grain
        assert review is not None
        return ((self._generation, k, shape, grain),
                lambda: card_pictures(review, k, shape.image_box, grain, fill))

    def pictures(self, k: int) -> CardPictures:
        """What candidate k's card draws at the current card size (made once, then cached)."""
        return self.picture_cache.get(*self._picture_job(k, self._fill()))

    def _prefetch_around(self, page: int) -> None:
        """Make the pages either side of `page` on the worker thread, the next one first."""
        if self.review is None or page != self.page:
            return  # moved on already
        n = len(self.review.candidates)
        ks = [k for p in (page + 1, page - 1) if 0 <= p < self.pages
              for k in range(p * self.capacity, min(n, (p + 1) * self.capacity))]
        fill = self._fill()
        self.picture_cache.prefetch(self._picture_job(k, fill) for k in ks)

    # --- layout -------------------------------------------------------------------

    @staticmethod
    def photos(review: ReviewRound | None) -> bool:
        """The candidates are files of a folder pool (drawn from the file at the card's size)."""
        return review is not None and any(c.get("path") for c in review.candidates)

    @staticmethod
    def stretched(width: int, height: int, columns: int, rows: int) -> CardShape:
        """The card of a (columns, rows) layout stretched over a grid of this size."""
        return CardShape(max(COMPACT_WIDTH, (width - GUTTER * (columns - 1)) // columns),
                         max(COMPACT_HEIGHT, height // rows))

    def image_samples(self, shape: CardShape) -> tuple[int, int]:
        """The renderer's samples (across, down) of one image box of a card of this shape."""
        pair = self.review is not None and bool(self.review.candidates) and self.review.companion(0) is not None
        w, h = shape.image_box(pair, False)
        return w * self.grain.per_cell[0], h * self.grain.per_cell[1]

    def _big_enough(self, shape: CardShape) -> bool:
        return min(self.image_samples(shape)) >= PHOTO_SAMPLES

    def photo_fit(self, width: int, height: int) -> tuple[int, int] | None:
        """The most cards a page, fewer than the standard grid's, each image box at least
        PHOTO_SAMPLES samples across and down (ties: the larger box); None when the standard
        grid already gives that (a graphics terminal draws a cell's every pixel) or when not
        even one card gets it."""
        columns, rows, compact = self.fit(width, height)
        if self._big_enough(CardShape(COMPACT_WIDTH, COMPACT_HEIGHT) if compact else CardShape()):
            return None
        best, best_key = None, None
        for columns in range(1, max(1, width // COMPACT_WIDTH) + 1):
            for rows in range(1, max(1, height // COMPACT_HEIGHT) + 1):
                shape = self.stretched(width, height, columns, rows)
                if not self._big_enough(shape):
                    continue
                key = (columns * rows, min(self.image_samples(shape)))
                if best_key is None or key > best_key:
                    best, best_key = (columns, rows), key
        return best

    def layouts(self, width: int, height: int) -> list[tuple[int, int] | str | None]:
        """The layouts + and - step through at this size, most cards first. For photos the
        photo fit takes its place by cards a page (a fixed layout of as many cards gives way)."""
        if not self.photos(self.review):
            return list(LAYOUTS)
        fit = self.photo_fit(width, height)
        if fit is None:
            return list(LAYOUTS)
        count = fit[0] * fit[1]
        fixed = [(layout, layout[0] * layout[1]) for layout in LAYOUTS[1:] if layout[0] * layout[1] != count]
        ordered = sorted([*fixed, (PHOTOS, count)], key=lambda pair: -pair[1])
        return [None, *(layout for layout, _ in ordered)]

    @property
    def layout_index(self) -> int:
        """Where the current layout is in the list + and - step through (at the grid's size)."""
        options = self.layouts(*self._grid_size())
        return options.index(self.card_layout) if self.card_layout in options else 0

    def _grid_size(self) -> tuple[int, int]:
        if self.size.width and self.size.height:
            return self.size.width, self.size.height
        return self.app.size.width - self.reserve[0], self.app.size.height - self.reserve[1]

    @staticmethod
    def fit(width: int, height: int) -> tuple[int, int, bool]:
        """(columns, rows, compact) of standard cards for a grid of this size."""
        def count(w: int, h: int) -> tuple[int, int]:
            return max(1, (width + GUTTER) // (w + GUTTER)), max(1, height // h)

        columns, rows = count(CARD_WIDTH, CARD_HEIGHT)
        if columns * rows < MIN_REGULAR_CARDS:
            small = count(COMPACT_WIDTH, COMPACT_HEIGHT)
            if small[0] * small[1] > columns * rows:
                return small[0], small[1], True
        return columns, rows, False

    def shape_for(self, width: int, height: int) -> tuple[int, int, bool, CardShape]:
        """(columns, rows, compact, card shape) of the current layout in a grid of this size."""
        chosen = self.card_layout
        if chosen == PHOTOS:
            chosen = self.photo_fit(width, height)  # None: no card gets that here; the standard grid
        if chosen is None:
            columns, rows, compact = self.fit(width, height)
            return columns, rows, compact, (CardShape(COMPACT_WIDTH, COMPACT_HEIGHT) if compact else CardShape())
        columns, rows = chosen
        return columns, rows, False, self.stretched(width, height, columns, rows)

    def _set_shape(self, columns: int, rows: int, compact: bool, shape: CardShape) -> None:
        self.columns, self.rows, self.compact, self.card_shape = columns, rows, compact, shape
        self.styles.grid_size_columns = columns
        self.styles.grid_columns = str(shape.width)
        self.styles.grid_rows = str(shape.height)

    def compose(self):
        """The first page, composed with its candidates when the review is already set."""
        self._set_shape(*self.shape_for(self.app.size.width - self.reserve[0],
                                        self.app.size.height - self.reserve[1]))
        n = len(self.review.candidates) if self.review is not None else 0
        self.page = self.cursor // self.capacity if self.review is not None else -1
        for slot in range(self.capacity):
            k = self.page * self.capacity + slot
            if k < n:
                card = CandidateCard(slot, self.review, k, *self.decision_of(k), pictures=self.pictures(k),
                                     shape=self.card_shape)
                card.set_class(k == self.cursor, "-cursor")
            else:
                card = CandidateCard(slot, shape=self.card_shape)
            yield card.set_class(self.compact, "-compact")
        if self.review is not None:
            self.call_after_refresh(self._prefetch_around, self.page)

    async def on_resize(self) -> None:
        await self.relayout()

    async def set_layout(self, layout: int) -> bool:
        """Switch to the layout at index `layout` of `layouts()` (clamped); False when it
        was already the layout."""
        options = self.layouts(*self._grid_size())
        layout = max(0, min(len(options) - 1, layout))
        if layout == self.layout_index:
            return False
        self.card_layout = options[layout]
        await self.relayout()
        return True

    async def relayout(self) -> None:
        """Fit the current layout to the grid's size; the page is the one holding the cursor."""
        shape = self.shape_for(self.size.width, self.size.height)
        if shape == (self.columns, self.rows, self.compact, self.card_shape) and self.cards():
            return
        self._set_shape(*shape)
        have = self.cards()
        if len(have) < self.capacity:
            await self.mount_all([CandidateCard(slot, shape=self.card_shape)
                                  for slot in range(len(have), self.capacity)])
        else:
            for card in have[self.capacity:]:
                await card.remove()
        for card in self.cards():
            card.set_class(self.compact, "-compact")
            card.set_shape(self.card_shape)
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
            # After the paint: the worker then does not compete with this page for the CPU.
            self.call_after_refresh(self._prefetch_around, page)
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
