"""Folder pools in the review: cards and zoom draw the original file at the size they have,
+ and - trade cards per page for card size, a missing file falls back to the saved pixels."""

import json
import os
import signal

import numpy as np
import pytest
from PIL import Image

from alss_tui.tui.dialogs.help import binding_rows
from alss_tui.tui.dialogs.zoom import ZoomDialog
from alss_tui.tui.review_pictures import Grain, PictureCache, fit
from alss_tui.tui.screens.review import ReviewScreen
from alss_tui.tui.widgets.candidate_grid import LAYOUTS, PHOTO_SAMPLES, PHOTOS

from review_helpers import drive_review, make_waiting_run, review_app

NPZ_SIDE = 16  # the training-size pixels saved with the round


def photo(kind: int, k: int, size=(128, 128)) -> Image.Image:
    """A class-0 photo has a bright disc, a class-1 photo a bright bar, on a tinted ground."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w]
    ground = np.stack([np.full((h, w), 40 + 9 * k), 30 + 60 * xx / w, 30 + 60 * yy / h], axis=-1)
    shape = ((xx - w / 2) ** 2 + (yy - h / 2) ** 2 < (min(w, h) / 4) ** 2) if kind == 0 else (abs(xx - w / 2) < w / 10)
    ground[shape] = (230, 220, 120 + 5 * k)
    return Image.fromarray(ground.astype(np.uint8))


def photo_round(home, tmp_path, n=20, suffix=".jpg", run_id=None, size=(128, 128), strategy="snn"):
    """A waiting round whose candidates are files of a folder pool (saved pixels: 16 px); a latent
    strategy (snn) shows each beside its decoded hard sample, another (margin-sub) alone."""
    folder = make_waiting_run(home, n=n, side=NPZ_SIDE, channels=3, classes=("disc", "bar"), run_id=run_id,
                              strategy=strategy)
    photos = tmp_path / "photos"
    photos.mkdir(exist_ok=True)
    json_path, _ = folder.review_paths(1)
    doc = json.loads(json_path.read_text())
    for k, cand in enumerate(doc["candidates"]):
        path = photos / f"{k % 2}-{k:03d}{suffix}"
        photo(k % 2, k, size).save(path)
        cand["path"] = str(path)
    json_path.write_text(json.dumps(doc))
    return folder, doc["candidates"]


@pytest.fixture
def half_blocks(monkeypatch):
    """The renderer of tmux and plain SSH (tests have no terminal to ask for graphics)."""
    monkeypatch.setenv("ALSS_IMAGES", "cells")


def cursor_card(grid):
    (card,) = [c for c in grid.cards() if c.has_class("-cursor")]
    assert card.index == grid.cursor
    return card


@pytest.mark.slow
def test_cards_draw_the_original_larger_as_the_layout_key_trades_cards_for_size(home, tmp_path, half_blocks):
    folder, _ = photo_round(home, tmp_path, n=20, size=(160, 128))

    async def scenario(app, pilot):
        grid = app.screen.grid
        assert grid.card_layout == PHOTOS and grid.capacity == 1  # on 130 x 40, two images a card: one card
        await pilot.press("minus", "minus", "minus")  # to the most cards a page
        await pilot.pause()
        await pilot.press("right", "right", "down")  # candidate 6 of a 4 x 3 page
        assert (grid.columns, grid.rows) == (4, 3) and grid.cursor == 6
        seen = []
        for step in range(len(LAYOUTS)):
            card = cursor_card(grid)
            assert card.index == 6 and grid.page == 6 // grid.capacity  # the same candidate, its page
            assert sum(1 for c in grid.cards() if c.display) == min(grid.capacity, 20 - grid.page * grid.capacity)
            pictures = card.pictures
            assert pictures.item.from_file and pictures.note is None
            widget = card.query_one(".card-item")
            # Half blocks: 1 x 2 samples a cell, made for the exact cells the image has.
            assert pictures.item.image.size == (widget.size.width, 2 * widget.size.height)
            w, h = pictures.item.content
            assert abs(w / h - 160 / 128) < 0.1  # the photo's aspect, not squashed to the box
            seen.append((grid.capacity, pictures.item.content))
            await pilot.press("plus")
            await pilot.pause()
        assert [c for c, _ in seen] == [12, 6, 2, 1]
        sizes = [s for _, s in seen]
        assert all(b[0] > a[0] and b[1] > a[1] for a, b in zip(sizes, sizes[1:])), sizes
        assert sizes[-1][0] > 3 * NPZ_SIDE  # far more detail than the training pixels
        await pilot.press("minus", "minus", "minus")
        await pilot.pause()
        assert grid.capacity == 12 and cursor_card(grid).index == 6
        await pilot.press("minus")  # already the most cards a page: nothing changes
        await pilot.pause()
        assert grid.capacity == 12 and grid.cursor == 6

    drive_review(home, folder.run_id, scenario)


def _image_samples(card) -> tuple[int, int]:
    """The samples (half blocks: 1 x 2 a cell) of the box the card's photo is drawn in."""
    widget = card.query_one(".card-item")
    return widget.size.width, 2 * widget.size.height


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["margin-sub", "snn"])
def test_photos_open_with_cards_of_48_pixels_on_a_160x48_terminal(home, tmp_path, half_blocks, strategy):
    """The first layout of a folder pool: the most cards a page with every photo at least 48 x 48
    pixels; - gives more (smaller) cards, + larger ones, and back."""
    folder, _ = photo_round(home, tmp_path, n=40, strategy=strategy)

    async def scenario(app, pilot):
        grid = app.screen.grid
        assert grid.card_layout == PHOTOS
        shown = [c for c in grid.cards() if c.display]
        assert len(shown) == grid.capacity
        for card in shown:
            w, h = _image_samples(card)
            assert w >= PHOTO_SAMPLES and h >= PHOTO_SAMPLES, (w, h)
            pw, ph = card.pictures.item.content  # the square photo as drawn
            assert pw >= PHOTO_SAMPLES and ph >= PHOTO_SAMPLES, (pw, ph)
        first = grid.capacity
        # One card more a row or a page would not leave 48 pixels: it is the most that does.
        assert grid.photo_fit(*grid.size) == (grid.columns, grid.rows)
        await pilot.press("minus")
        await pilot.pause()
        assert grid.capacity > first
        assert min(min(_image_samples(c)) for c in grid.cards() if c.display) < PHOTO_SAMPLES
        await pilot.press("plus")
        await pilot.pause()
        assert grid.capacity == first and grid.card_layout == PHOTOS
        if strategy == "margin-sub":
            await pilot.press("plus")
            await pilot.pause()
            assert grid.capacity < first
        return first

    first = drive_review(home, folder.run_id, scenario, size=(160, 48))
    # On 160 x 48, photos alone: three cards of 48 x 78 pixels a page (not 20 of 25 x 24); each
    # beside its decoded hard sample: one card, since two 48-pixel images need 101 columns.
    assert first == (3 if strategy == "margin-sub" else 1)


@pytest.mark.slow
def test_the_zoom_draws_the_original_at_the_terminals_size(home, tmp_path, half_blocks):
    folder, candidates = photo_round(home, tmp_path, n=3)

    async def scenario(app, pilot):
        await pilot.press("z")
        await pilot.pause()
        zoom = app.screen
        assert isinstance(zoom, ZoomDialog)
        item = zoom.pictures.item
        assert item.from_file and item.content[1] > 3 * NPZ_SIDE
        assert item.image.size == (zoom.query_one("#zoom-item").size.width, 2 * zoom.query_one("#zoom-item").size.height)
        assert candidates[0]["path"] in str(zoom.query_one(".zoom-details").render())

    drive_review(home, folder.run_id, scenario, size=(130, 50))


@pytest.mark.slow
def test_a_missing_or_unreadable_file_falls_back_to_the_saved_pixels_with_a_note(home, tmp_path, half_blocks):
    folder, candidates = photo_round(home, tmp_path, n=6)
    (tmp_path / "photos" / candidates[1]["path"].rsplit("/", 1)[1]).unlink()
    with open(candidates[2]["path"], "wb") as fh:
        fh.write(b"\xff\xd8 not a jpeg after all")

    async def scenario(app, pilot):
        await pilot.press("minus", "minus", "minus")  # from the one-card photo layout to the most cards
        await pilot.pause()
        cards = {c.index: c for c in app.screen.grid.cards()}
        notes = {k: c.query_one(".card-note") for k, c in cards.items()}
        assert [k for k, line in notes.items() if line.display] == [1, 2]
        assert notes[1].text == f"⚠ file gone: {NPZ_SIDE} px copy"
        assert notes[2].text == f"⚠ unreadable: {NPZ_SIDE} px copy"
        for k in (1, 2):
            pictures = cards[k].pictures
            assert not pictures.item.from_file
            # The saved pixels, as large as the image's cells less the note's row.
            assert pictures.item.image.size == (cards[k].query_one(".card-item").size.width,
                                                2 * cards[k].query_one(".card-item").size.height)
            assert cards[k].region.height == cards[0].region.height  # the card keeps its size
        assert cards[0].pictures.item.from_file and cards[0].pictures.note is None
        await pilot.press("right", "z")
        await pilot.pause()
        assert isinstance(app.screen, ZoomDialog) and app.screen.pictures.note == f"⚠ file gone: {NPZ_SIDE} px copy"
        assert "file gone" in str(app.screen.query_one("#zoom-item-title").render())
        await pilot.press("escape", "1")  # labelling goes on as usual
        await pilot.pause()
        return app.screen.session.decisions

    assert drive_review(home, folder.run_id, scenario) == {107: 1}


def test_the_keys_dialog_lists_the_layout_keys():
    rows = dict(binding_rows(ReviewScreen, []))
    assert rows["+, ="] == "bigger cards" and rows["-"] == "more cards"


def test_fit_keeps_the_aspect_on_screen_and_fills_the_box():
    wide = Image.new("RGB", (200, 100), (255, 0, 0))
    half_blocks = Grain((1, 2), (10, 20))
    picture = fit(wide, (20, 10), half_blocks, (0, 0, 0))
    assert picture.image.size == (20, 20) and picture.content == (20, 10)
    assert picture.image.getpixel((10, 10)) == (255, 0, 0) and picture.image.getpixel((10, 0)) == (0, 0, 0)
    sixel = Grain((10, 20), (10, 20))
    picture = fit(wide, (20, 10), sixel, (0, 0, 0))
    assert picture.image.size == (200, 200) and picture.content == (200, 100)


def test_the_picture_cache_makes_each_picture_once_and_stays_bounded():
    cache = PictureCache(max_bytes=3 * 10 * 10 * 3)
    made = []

    def maker(key):
        def make():
            made.append(key)
            return fit(Image.new("RGB", (10, 10)), (10, 5), Grain((1, 2), (10, 20)), (0, 0, 0))
        return make

    cache.prefetch((k, maker(k)) for k in range(3))
    first = [cache.get(k, maker(k)) for k in range(3)]  # waits for the worker when it is still at it
    assert [cache.get(k, maker(k)) for k in range(3)] == first and sorted(made) == [0, 1, 2]
    cache.get(3, maker(3))
    assert len(cache) == 3  # the oldest went
    cache.get(0, maker(0))
    assert made.count(0) == 2
    cache.close()


def test_review_screen_larger_cards_snapshot(snap_compare, home, tmp_path):
    """Two cards a page, drawn from the original files (PNG: lossless, the same pixels everywhere)."""
    folder, _ = photo_round(home, tmp_path, n=5, suffix=".png", run_id="5eed0002")
    app = review_app(home, folder.run_id)

    async def run_before(pilot):
        await pilot.pause()
        await pilot.press("right", "plus", "plus")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_review_screen_photo_layout_snapshot(snap_compare, home, tmp_path, half_blocks):
    """The first layout of a folder pool on a 160 x 48 terminal: every photo at least 48 x 48 pixels."""
    folder, _ = photo_round(home, tmp_path, n=7, suffix=".png", run_id="5eed0003", strategy="margin-sub")
    app = review_app(home, folder.run_id)

    async def run_before(pilot):
        await pilot.pause()
        grid = app.screen.grid
        assert grid.card_layout == PHOTOS and all(min(_image_samples(c)) >= PHOTO_SAMPLES
                                             for c in grid.cards() if c.display)

    assert snap_compare(app, terminal_size=(160, 48), run_before=run_before)


@pytest.mark.slow
def test_a_folder_run_records_each_candidates_file_and_the_review_draws_it(home, tmp_path, half_blocks):
    """A real runner on a folder of 128 px JPEGs (two classes), a person labelling: every
    candidate's file (and an SNN seed's) is in the round's review, drawn larger than the
    16 px the models train on."""
    from conftest import cli
    from test_human_loop import label_csv, start_runner, the_run_id, wait_until, waiting_round, write_config

    root = tmp_path / "pets"
    for kind, name in enumerate(("disc", "bar")):
        (root / name).mkdir(parents=True)
        for k in range(14):
            photo(kind, k).save(root / name / f"{k:02d}.jpg", quality=90)
    data = f'dataset = "folder"\ndata_root = {json.dumps(str(root))}\nimage_size = {NPZ_SIDE}'
    proc = start_runner(str(write_config(tmp_path, data=data, initial=6, per_round=4, budget=10)))
    try:
        run_id = wait_until(lambda: the_run_id(home), proc=proc)
        folder_path = home / "runs" / run_id
        # The runner exits at each label gate; the submit starts a new one, so the waits follow the registry.
        wait_until(lambda: waiting_round(home, run_id) == 0)
        r0 = json.loads((folder_path / "review" / "r000.json").read_text())
        assert all(c["path"].startswith(str(root)) and (root / c["path"]).is_file() for c in r0["candidates"])
        rows = [(c["item"], "disc" if "/disc/" in c["path"] else "bar") for c in r0["candidates"]]
        assert cli("label", run_id, "--from", str(label_csv(tmp_path, "r0.csv", rows))).returncode == 0
        wait_until(lambda: waiting_round(home, run_id) == 1)
        r1 = json.loads((folder_path / "review" / "r001.json").read_text())
        labelled = {c["path"] for c in r0["candidates"]}
        assert all(c["seed_path"] in labelled for c in r1["candidates"])  # SNN's seeds: labelled pool items
        assert all(c["path"].startswith(str(root)) for c in r1["candidates"])

        async def look(app, pilot):
            grid = app.screen.grid
            assert app.screen.session.round == 1
            await pilot.press("plus", "plus", "plus")  # one card a page
            await pilot.pause()
            card = cursor_card(grid)
            item = card.pictures.item
            assert item.from_file and min(item.content) > 2 * NPZ_SIDE
            assert not card.pictures.companion.from_file  # the decoded hard sample has no file
            return item.content

        drive_review(home, run_id, look)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.mark.slow
@pytest.mark.parametrize("renderer", ["kitty", "sixel"])
def test_graphics_terminals_get_the_originals_pixels_at_the_cards_size(home, tmp_path, monkeypatch, renderer):
    from alss_tui.tui.widgets.pixel_image import CELL_PIXELS

    monkeypatch.setenv("ALSS_IMAGES", renderer)
    folder, _ = photo_round(home, tmp_path, n=4)

    async def scenario(app, pilot):
        grid = app.screen.grid
        sizes = []
        for _ in range(2):
            card = cursor_card(grid)
            widget = card.query_one(".card-item")
            item = card.pictures.item
            assert item.from_file
            # One picture sample per screen pixel of the cells the image has: nothing left to rescale.
            assert item.image.size == (widget.size.width * CELL_PIXELS[0], widget.size.height * CELL_PIXELS[1])
            sizes.append(item.content)
            await pilot.press("plus", "plus", "plus")
            await pilot.pause()
        assert sizes[1][0] > sizes[0][0] > 100  # 128 px files: a 12 x 6 cell image already draws ~120 px

    drive_review(home, folder.run_id, scenario)


def test_si_draws_the_seeds_file_beside_the_synthetic_image(home, tmp_path, half_blocks):
    folder = make_waiting_run(home, n=3, side=NPZ_SIDE, channels=3, synthetic=True, strategy="si")
    json_path, _ = folder.review_paths(1)
    doc = json.loads(json_path.read_text())
    for k, cand in enumerate(doc["candidates"]):
        cand["seed_path"] = str(tmp_path / f"seed{k}.png")
        photo(k % 2, k).save(cand["seed_path"])
    json_path.write_text(json.dumps(doc))

    async def scenario(app, pilot):
        card = cursor_card(app.screen.grid)
        assert not card.pictures.item.from_file  # the synthetic image exists only as pixels
        assert card.pictures.companion.from_file and card.pictures.note is None
        await pilot.press("z")
        await pilot.pause()
        assert app.screen.pictures.companion.from_file
        assert f"seed file  {doc['candidates'][0]['seed_path']}" in str(app.screen.query_one(".zoom-details").render())

    drive_review(home, folder.run_id, scenario, size=(80, 24))
