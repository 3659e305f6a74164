"""`alss-tui label --from CSV` and `alss-tui review` at the command line; the image fallback in tmux."""

import shutil
import subprocess
import sys
import time

import pytest

from alss_tui.store.labels import LabelLog
from alss_tui.store.registry import Registry
from conftest import REPO, cli
from review_helpers import make_waiting_run


def write_csv(tmp_path, text):
    path = tmp_path / "labels.csv"
    path.write_text(text)
    return path


def one_line_error(result, message):
    assert result.returncode == 1, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_label_from_csv_submits_the_waiting_round(home, tmp_path):
    folder = make_waiting_run(home, n=4)
    # Its runner died while the person labelled (the registry says running, nobody holds the
    # lock): the labels go in, and the command says how to continue. A run stopped at the gate
    # (awaiting-labels) would get a runner started instead.
    Registry(home).upsert(folder.run_id, status="running")
    csv = write_csv(tmp_path, "index,label\n100,3\n107,reject\n114,\n")
    result = cli("label", folder.run_id, "--from", str(csv))
    assert result.returncode == 0, result.stderr
    assert "round 1 submitted: 1 labelled, 2 rejected, 1 left unlabelled" in result.stdout
    assert f"alss-tui run --resume {folder.run_id}` continues it" in result.stdout  # no runner holds the lock
    state = LabelLog(folder.labels_path).round(1)
    assert state.is_submitted and state.current() == {100: 3, 107: None, 114: None}
    one_line_error(cli("label", folder.run_id, "--from", str(csv)), "has no round waiting for labels")


@pytest.mark.parametrize("text, message", [
    ("index,label\n100,3\n999,1\n", "item 999 is not a candidate of round 1"),
    ("index,label\n100,giraffe\n", "unknown class 'giraffe'"),
    ("index,label\nabc,1\n", "is not a whole number"),
])
def test_label_rejects_bad_files_and_writes_nothing(home, tmp_path, text, message):
    folder = make_waiting_run(home, n=3)
    one_line_error(cli("label", folder.run_id, "--from", str(write_csv(tmp_path, text))), message)
    assert folder.labels_path.read_text() == ""


def test_label_names_the_run_that_does_not_take_labels_from_a_person(home, tmp_path):
    folder = make_waiting_run(home, n=3, oracle="simulated")
    one_line_error(cli("label", folder.run_id, "--from", str(write_csv(tmp_path, "100,1\n"))),
                   "takes its labels from oracle.kind = 'simulated'")
    one_line_error(cli("label", "nope", "--from", str(write_csv(tmp_path, "100,1\n"))), "no run matches 'nope'")


def test_review_of_an_unknown_run_is_one_line(home):
    one_line_error(cli("review", "zzzz"), "no run matches 'zzzz'")
    one_line_error(cli("review", "zzzz", "--images", "png"), "--images: must be one of")


CELLS = 4 * 2 * 12 * 6  # 4 cards in a row at 130 columns, two 12x6-cell images each


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_character_cell_images_render_in_tmux(home):
    """The coloured half-block fallback, in a real terminal (tmux), read back with capture-pane."""
    folder = make_waiting_run(home, n=4)
    session = f"alss-review-{folder.run_id}"
    # COLUMNS/LINES inherited from a test runner would pin the app to their size, not the pane's.
    command = (f"cd {REPO} && env -u COLUMNS -u LINES ALSS_HOME={home} {sys.executable} -m alss_tui review "
               f"{folder.run_id} --images cells")
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "130", "-y", "36", command], check=True)
    try:
        screen = ""
        for _ in range(100):
            time.sleep(0.2)
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-e", "-t", session],
                                    capture_output=True, text=True).stdout
            # Wait for everything asserted below: a capture can land between two paints.
            if all(t in screen for t in ("round 1", "#100", "#121", "pred 1")) and screen.count("▀") >= CELLS:
                break
        assert "round 1" in screen and "#100" in screen and "pred 1" in screen
        assert screen.count("▀") >= CELLS
        assert "\x1b[38;" in screen and "\x1b[48;" in screen  # foreground + background colours per cell
        subprocess.run(["tmux", "send-keys", "-t", session, "7"], check=True)
        for _ in range(50):
            time.sleep(0.2)
            if LabelLog(folder.labels_path).round(1).current():
                break
        assert LabelLog(folder.labels_path).round(1).current() == {100: 7}
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
