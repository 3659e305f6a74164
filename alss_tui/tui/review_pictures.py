"""What a review card or the zoom draws: the candidate's original file (folder pools),
fitted into the cells it has, else the pixels saved with the round.

A picture is made for the exact cells it will fill, in the renderer's own samples
(a half block is 1 x 2 samples a cell, Kitty and Sixel draw the cell's screen
pixels), with the photo's aspect kept and the rest filled with the background:
the image widget then only copies it. Fitted pictures are kept in a bounded LRU,
and the pages beside the one shown are prepared on a worker thread, so turning a
page usually finds its pictures ready.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from alss_tui.store.review import ReviewRound
from alss_tui.tui.widgets.pixel_image import to_pil

CACHE_BYTES = 192 * 2**20  # fitted pictures kept; a full-terminal Sixel picture is a few MB


@dataclass(frozen=True)
class Grain:
    """How the renderer samples a cell: samples per cell (x, y), and a cell's screen pixels."""

    per_cell: tuple[int, int]
    cell_px: tuple[int, int]


@dataclass(frozen=True)
class Picture:
    image: Image.Image  # exactly the box's samples: cells x samples per cell
    content: tuple[int, int]  # samples the picture itself covers (the rest is background)
    from_file: bool  # drawn from the original file, not the saved pixels


@dataclass(frozen=True)
class CardPictures:
    item: Picture
    companion: Picture | None
    note: str | None  # one short line when an original file could not be drawn


class SourceUnavailable(Exception):
    """An original file that cannot be drawn; the message is the short reason."""


def fit(image: Image.Image, box: tuple[int, int], grain: Grain, fill: tuple[int, int, int]) -> Picture:
    """`image` as large as it fits in `box` cells keeping its aspect on screen, centred."""
    (w, h), (sx, sy), (cw, ch) = box, grain.per_cell, grain.cell_px
    canvas = (max(1, w * sx), max(1, h * sy))
    # Scale in screen pixels (cells are not square), then convert to the renderer's samples.
    scale = min(w * cw / image.width, h * ch / image.height)
    size = (min(canvas[0], max(1, round(image.width * scale * sx / cw))),
            min(canvas[1], max(1, round(image.height * scale * sy / ch))))
    shrinking = size[0] < image.width or size[1] < image.height
    fitted = image if size == image.size else image.resize(
        size, Image.Resampling.LANCZOS if shrinking else Image.Resampling.BICUBIC)
    if size == canvas:
        return Picture(fitted, size, False)
    out = Image.new("RGB", canvas, fill)
    out.paste(fitted, ((canvas[0] - size[0]) // 2, (canvas[1] - size[1]) // 2))
    return Picture(out, size, False)


def open_source(path: str, want: tuple[int, int]) -> Image.Image:
    """The file at `path` as RGB, upright; JPEGs decoded at the smallest scale still >= `want`."""
    try:
        with Image.open(path) as img:
            img.draft("RGB", want)
            img = ImageOps.exif_transpose(img)
            return img.convert("RGB")
    except FileNotFoundError:
        raise SourceUnavailable("file gone") from None
    except Exception:  # noqa: BLE001 - Pillow raises many types for broken files; any means "cannot draw"
        raise SourceUnavailable("unreadable") from None


def load(pixels: np.ndarray, source: str | None, want: tuple[int, int]) -> tuple[Image.Image, bool, str | None]:
    """(image, from the file?, note): the original file when there is one and it reads, else
    the saved pixels with a short note saying why."""
    if source is not None:
        try:
            return open_source(source, want), True, None
        except SourceUnavailable as why:
            return to_pil(pixels), False, f"⚠ {why}: {pixels.shape[-1]} px copy"
    return to_pil(pixels), False, None


def card_pictures(review: ReviewRound, k: int, box: Callable[[bool, bool], tuple[int, int]], grain: Grain,
                  fill: tuple[int, int, int]) -> CardPictures:
    """Candidate k's image and its companion (decoded hard sample, or SI's seed).

    `box(pair, note)`: the cells of one image when two share the card, with or without
    a note line under them.
    """
    companion = review.companion(k)
    pair = companion is not None
    w, h = box(pair, False)
    want = (w * grain.per_cell[0], h * grain.per_cell[1])
    item, item_file, note = load(review.image(k), review.source(k), want)
    other = None
    if companion is not None:
        other = load(companion[0], review.companion_source(k), want)
        if note is None and other[2] is not None:
            note = other[2].replace("⚠ ", "⚠ seed ", 1)
    cells = box(pair, note is not None)  # a note line takes a row from the images

    def picture(image: Image.Image, from_file: bool) -> Picture:
        fitted = fit(image, cells, grain, fill)
        return Picture(fitted.image, fitted.content, from_file)

    return CardPictures(picture(item, item_file), None if other is None else picture(*other[:2]), note)


class PictureCache:
    """A bounded LRU of made pictures, with a worker thread that makes pictures ahead."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._done: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._pending: dict[Hashable, Future] = {}
        self._bytes = 0
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None

    def __len__(self) -> int:
        return len(self._done)

    def get(self, key: Hashable, make: Callable[[], object]) -> object:
        with self._lock:
            if key in self._done:
                self._done.move_to_end(key)
                return self._done[key][0]
            pending = self._pending.get(key)
        if pending is not None:
            try:
                return pending.result()  # being made ahead: wait for it rather than make it twice
            except CancelledError:
                pass
        value = make()
        self._store(key, value)
        return value

    def prefetch(self, jobs: Iterable[tuple[Hashable, Callable[[], object]]]) -> None:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="review-pictures")
            for key, make in jobs:
                if key not in self._done and key not in self._pending:
                    self._pending[key] = self._executor.submit(self._make_ahead, key, make)

    def _make_ahead(self, key: Hashable, make: Callable[[], object]) -> object:
        try:
            value = make()
            self._store(key, value)
            return value
        finally:
            with self._lock:
                self._pending.pop(key, None)

    def _store(self, key: Hashable, value: object) -> None:
        size = _nbytes(value)
        with self._lock:
            if key in self._done:
                return
            self._done[key] = (value, size)
            self._bytes += size
            while self._bytes > self.max_bytes and len(self._done) > 1:
                _, (_, old) = self._done.popitem(last=False)
                self._bytes -= old

    def clear(self) -> None:
        with self._lock:
            for future in self._pending.values():
                future.cancel()
            self._pending.clear()
            self._done.clear()
            self._bytes = 0

    def close(self) -> None:
        self.clear()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


def _nbytes(value: object) -> int:
    pictures = [value.item, value.companion] if isinstance(value, CardPictures) else [value]
    return sum(p.image.width * p.image.height * 3 for p in pictures if isinstance(p, Picture))
