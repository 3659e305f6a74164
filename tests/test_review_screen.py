"""The Review screen driven by the keyboard (Pilot), on a run folder waiting for labels."""

import json

import pytest

from alss_tui.store.labels import LabelLog
from alss_tui.store.registry import Registry
from alss_tui.tui.dialogs.confirm import ConfirmDialog
from alss_tui.tui.dialogs.label_picker import LabelPicker, matching
from alss_tui.tui.dialogs.zoom import ZoomDialog
from alss_tui.tui.screens.review import ReviewScreen

from review_helpers import drive_review, make_waiting_run, review_app, write_round


def decisions(folder, round):
    return LabelLog(folder.labels_path).round(round)


def status_text(screen):
    return str(screen.query_one("#review-status").render())


@pytest.mark.slow
def test_label_reject_undo_and_submit_with_the_keyboard(home):
    folder = make_waiting_run(home, n=6)

    async def scenario(app, pilot):
        screen = app.screen
        assert isinstance(screen, ReviewScreen) and screen.session.round == 1
        await pilot.press("3")  # candidate 0 -> class 3, cursor moves on
        await pilot.press("x")  # candidate 1 rejected
        await pilot.press("a")  # candidate 2: the model's suggestion (prediction 3)
        await pilot.press("space")  # candidate 3 skipped
        await pilot.press("7")  # candidate 4 -> 7
        assert decisions(folder, 1).current() == {100: 3, 107: None, 114: 3, 128: 7}
        assert "4/6 done" in status_text(screen)
        await pilot.press("backspace")  # undo 4 -> 7
        await pilot.press("backspace")  # undo the accept on 2
        assert decisions(folder, 1).current() == {100: 3, 107: None}
        assert screen.session.cursor == 2  # the cursor follows the undo
        await pilot.press("5")  # 2 -> 5
        await pilot.press("left", "left", "left")  # back to 0 (clamped at the start)
        assert screen.session.cursor == 0
        await pilot.press("right", "right", "right", "right", "1", "2")  # 4 -> 1, 5 -> 2
        await pilot.press("enter")  # candidate 3 is still undecided: confirm first
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await pilot.pause()
        assert app.screen is screen and screen.session.read_only
        await pilot.press("9")  # after the submit: nothing is written
        assert "submitted" in str(screen.query_one("#review-title").render())

    drive_review(home, folder.run_id, scenario)
    state = decisions(folder, 1)
    assert state.is_submitted
    assert state.current() == {100: 3, 107: None, 114: 5, 128: 1, 135: 2}
    lines = [json.loads(x) for x in folder.labels_path.read_text().splitlines()]
    assert sum(1 for x in lines if x.get("undo")) == 2 and lines[-1]["submitted"] is True


def test_reopening_shows_every_decision_and_undo_reaches_back(home):
    folder = make_waiting_run(home, n=4)
    log = LabelLog(folder.labels_path)
    log.decide(1, 100, 2, "keyboard")
    log.decide(1, 107, None, "keyboard")

    async def scenario(app, pilot):
        screen = app.screen
        assert screen.session.decisions == {100: 2, 107: None}
        assert screen.session.cursor == 2  # first undecided
        assert "2/4 done" in status_text(screen)
        await pilot.press("backspace")  # undoes the reject made before the reopen
        assert screen.session.decisions == {100: 2} and screen.session.cursor == 1

    drive_review(home, folder.run_id[:4], scenario)  # a prefix is enough


@pytest.mark.slow
def test_accept_all_after_confirm_and_zoom(home):
    folder = make_waiting_run(home, n=5)

    async def scenario(app, pilot):
        screen = app.screen
        await pilot.press("x")
        await pilot.press("A")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")  # declined: nothing changes
        await pilot.pause()
        assert decisions(folder, 1).current() == {100: None}
        await pilot.press("A", "y")
        await pilot.pause()
        assert decisions(folder, 1).current() == {100: None, 107: 2, 114: 3, 121: 4, 128: 5}
        await pilot.press("z")
        await pilot.pause()
        assert isinstance(app.screen, ZoomDialog)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("enter")  # everything decided: submits without asking
        await pilot.pause()
        assert screen.session.read_only

    drive_review(home, folder.run_id, scenario)
    assert decisions(folder, 1).is_submitted


@pytest.mark.slow
def test_many_classes_use_the_type_to_filter_picker(home):
    classes = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
               "apple", "aquarium_fish")
    assert matching(classes, "a")[:2] == [0, 1]  # names starting with the text come first
    assert matching(classes, "fish") == [11]
    folder = make_waiting_run(home, n=3, classes=classes, channels=3)

    async def scenario(app, pilot):
        await pilot.press("slash")
        await pilot.pause()
        assert isinstance(app.screen, LabelPicker)
        await pilot.press(*"aqua", "enter")
        await pilot.pause()
        await pilot.press("1")  # ambiguous with 12 classes: opens the picker with "1" typed
        await pilot.pause()
        assert isinstance(app.screen, LabelPicker)
        await pilot.press("1", "enter")  # "11" -> aquarium_fish by number
        await pilot.pause()
        await pilot.press("slash", "escape")  # cancelled: no decision
        await pilot.pause()

    drive_review(home, folder.run_id, scenario)
    assert decisions(folder, 1).current() == {100: 11, 107: 11}


def test_synthetic_candidates_are_labelled_like_pool_images(home):
    folder = make_waiting_run(home, n=3, synthetic=True, strategy="si")

    async def scenario(app, pilot):
        screen = app.screen
        hint = str(screen.query_one("#review-hint").render())
        assert "seed it came from" in hint
        await pilot.press("4", "x", "a", "enter")
        await pilot.pause()

    drive_review(home, folder.run_id, scenario)
    state = decisions(folder, 1)
    assert state.is_submitted and state.current() == {-1: 4, -2: None, -3: 3}


@pytest.mark.slow
def test_the_default_strategys_candidates_show_their_score_and_stand_alone(home):
    """entropy-sub (like the default, margin-sub) picks pool images by uncertainty: no seed, no decoded image."""
    folder = make_waiting_run(home, n=3, strategy="entropy-sub")

    async def scenario(app, pilot):
        screen = app.screen
        assert "strategy entropy-sub" in str(screen.query_one("#review-title").render())
        assert str(screen.query_one("#review-hint").render()).startswith("classes: 0 0, 1 1")
        cards = screen.grid.cards()
        assert not any(card.query_one(".card-decoded").display for card in cards)
        captions = [str(card.query_one(".card-caption").render()) for card in cards]
        assert "score 2.000" in captions[0] and "score 1.990" in captions[1]
        assert not any("seed" in c for c in captions)
        await pilot.press("z")
        await pilot.pause()
        assert isinstance(app.screen, ZoomDialog) and len(app.screen.query(".zoom-image")) == 1
        await pilot.press("escape", "a", "x", "7", "enter")  # accept = the model's prediction
        await pilot.pause()

    drive_review(home, folder.run_id, scenario)
    state = decisions(folder, 1)
    assert state.is_submitted and state.current() == {100: 1, 107: None, 114: 7}


def test_a_round_submitted_elsewhere_turns_view_only_and_the_next_round_opens(home):
    folder = make_waiting_run(home, n=3)

    async def scenario(app, pilot):
        screen = app.screen
        await pilot.press("2")
        LabelLog(folder.labels_path).submit(1, "other-dashboard")  # the other reviewer wins
        screen._poll()
        assert screen.session.read_only
        await pilot.press("enter")  # nothing to submit any more
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmDialog)
        write_round(folder, 2, 4)  # the runner proposes the next round
        screen._poll()
        await pilot.pause()
        assert screen.session.round == 2 and not screen.session.read_only
        assert "0/4 done" in status_text(screen)

    drive_review(home, folder.run_id, scenario)
    lines = [json.loads(x) for x in folder.labels_path.read_text().splitlines()]
    assert [x["by"] for x in lines if x.get("submitted")] == ["other-dashboard"]


@pytest.mark.slow
def test_a_run_without_a_person_opens_view_only(home):
    folder = make_waiting_run(home, n=3, oracle="simulated")

    async def scenario(app, pilot):
        screen = app.screen
        assert screen.session.read_only
        await pilot.press("3", "x", "enter")
        await pilot.pause()
        assert "view only" in str(screen.query_one("#review-title").render())

    drive_review(home, folder.run_id, scenario)
    assert not folder.labels_path.read_text()


def test_a_big_round_pages_through_with_one_page_of_cards(home):
    folder = make_waiting_run(home, n=100)

    async def scenario(app, pilot):
        screen = app.screen
        grid = screen.grid
        cards = len(grid.cards())
        assert cards == grid.capacity < 100
        await pilot.press("pagedown")
        await pilot.pause()
        assert grid.page == 1 and screen.session.cursor == grid.capacity
        assert len(grid.cards()) == cards  # the same cards, new candidates
        assert f"page 2/{grid.pages}" in status_text(screen)

    drive_review(home, folder.run_id, scenario)


@pytest.mark.slow
def test_review_screen_snapshot(snap_compare, home):
    """The grid, captions, decisions and counter as a person sees them (grey-shade images:
    a test has no terminal to ask for graphics). Update with --snapshot-update after a
    deliberate change, and look at the SVG first."""
    folder = make_waiting_run(home, n=9, run_id="5eed0001")
    folder.labels_path.write_text(  # two decisions 4 s apart: a fixed pace on the counter
        '{"round":1,"item":100,"label":3,"by":"keyboard","at":1000.0}\n'
        '{"round":1,"item":107,"label":null,"by":"keyboard","at":1004.0}\n')
    app = review_app(home, folder.run_id)

    async def run_before(pilot):
        await pilot.pause()
        await pilot.press("right")

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_a_small_terminal_gets_compact_cards(home):
    folder = make_waiting_run(home, n=20)

    async def scenario(app, pilot):
        grid = app.screen.grid
        assert grid.compact and (grid.columns, grid.rows) == (3, 2)
        assert all(card.has_class("-compact") for card in grid.cards())
        assert all(card.region.width == 21 for card in grid.cards())

    drive_review(home, folder.run_id, scenario, size=(80, 24))


def test_the_title_shows_the_models_accuracy_as_a_percentage(home):
    folder = make_waiting_run(home, n=3)
    Registry(home).upsert(folder.run_id, accuracy=0.8421)

    async def scenario(app, pilot):
        title = str(app.screen.query_one("#review-title").render())
        assert "3 candidates · model 84.2% test · waiting for your labels" in title

    drive_review(home, folder.run_id, scenario)
