"""The one fold of the event log: rounds after a resume, damaged lines, and every reader agreeing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from alss_tui.bench.summarize import run_curve
from alss_tui.store.history import load_history
from alss_tui.store.jsonl import dumps_line, read_all
from alss_tui.store.run_fold import RunFold, fold_events, fold_log
from alss_tui.store.run_folder import RunFolder
from alss_tui.tui.state.comparison import accuracy_curve
from alss_tui.tui.state.run_state import RunState
from tui_helpers import FIXTURE_RUN


def _records() -> list[dict]:
    """The recorded run, its LabelsApplied completed with the answers (it predates them in the log)."""
    records, bad = read_all(FIXTURE_RUN / "events.jsonl")
    assert not bad
    proposed = {}
    for r in records:
        if r["type"] == "CandidatesProposed":
            proposed[r["round"]] = [c["item"] for c in r["candidates"]]
        elif r["type"] == "LabelsApplied":
            r["items"] = proposed[r["round"]]
            r["labels"] = [i % 10 for i in r["items"]]
    return records


def _round_records(records: list[dict], round_no: int) -> list[dict]:
    return [dict(r) for r in records if r.get("round") == round_no and r["type"] != "EpochEnded"]


def _resumed(records: list[dict], accuracy: float) -> list[dict]:
    """The log of a run that crashed after round 4 finished, before its checkpoint, and was resumed."""
    again = _round_records(records, 4)
    for r in again:
        if r["type"] in ("Evaluated", "RoundFinished"):
            r["accuracy"] = accuracy
    started = dict(records[0], resumed=True)
    return records[:-1] + [started] + again + records[-1:]


def test_the_recorded_run_folds_into_five_finished_rounds():
    fold = fold_events(_records())
    assert [r.round for r in fold.finished_rounds()] == [0, 1, 2, 3, 4]
    assert [r.labelled for r in fold.finished_rounds()] == [40, 65, 90, 115, 140]
    first, second = fold.rounds[0], fold.rounds[1]
    assert first.strategy == "initial" and second.strategy == "snn"
    assert second.proposed == len(second.items) == 25 and second.added == 25
    assert second.selection_seconds is not None and second.forward_passes > 0
    assert all(r.evaluated_on == "test" and r.accuracy is not None and len(r.recall) == 10 for r in fold.ordered())
    assert fold.finished and fold.error is None and fold.classes == tuple("0123456789")
    assert fold.vae_seconds is not None and 0 < fold.vae_seconds < 60
    assert fold.started < fold.last_event and fold.skipped == 0


def test_a_round_repeated_after_a_resume_counts_once_and_its_last_attempt_wins():
    fold = fold_events(_resumed(_records(), 0.5))
    assert [r.round for r in fold.finished_rounds()] == [0, 1, 2, 3, 4]
    assert fold.rounds[4].accuracy == 0.5 and fold.finished


def test_a_repeated_proposal_starts_the_round_afresh():
    records = _records()
    proposal = next(r for r in records if r["type"] == "CandidatesProposed" and r["round"] == 4)
    fold = fold_events(records)
    assert fold.rounds[4].added == 25 and fold.rounds[4].finished
    fold.add_records([dict(records[0], resumed=True), proposal])  # resumed: round 4 proposed again, not labelled yet
    again = fold.rounds[4]
    assert again.proposed == 25 and again.added is None and not again.finished and not again.evaluated
    assert [r.round for r in fold.finished_rounds()] == [0, 1, 2, 3] and not fold.finished


def test_feeding_the_log_in_pieces_gives_the_same_fold():
    records = _resumed(_records(), 0.5)
    whole = fold_events(records)
    for cut in (1, 7, len(records) // 2, len(records) - 1):
        pieces = RunFold()
        pieces.add_records(records[:cut])
        pieces.add_records(records[cut:])
        assert pieces.rounds == whole.rounds and pieces.vae_seconds == whole.vae_seconds


def test_records_that_are_not_events_are_counted_not_fatal():
    fold = fold_events([
        {"type": "Nope"}, {"no": "type"},
        {"type": "RoundFinished", "round": "3", "labelled": 1, "accuracy": 0.5, "seconds": 1.0},
        {"type": "CandidatesProposed", "round": 1, "strategy": "snn", "seconds": 0.1,
         "candidates": [{"item": 1, "colour": "red"}]},
        {"type": "CandidatesProposed", "round": 1, "strategy": "snn", "seconds": 0.1, "candidates": [7]},
        {"type": "RoundFinished", "round": 2, "labelled": 60, "accuracy": None, "seconds": 1.0},
    ])
    assert fold.skipped == 5
    assert [(r.round, r.labelled, r.accuracy) for r in fold.finished_rounds()] == [(2, 60, None)]


def test_a_round_knows_which_split_scored_it():
    scored = [dict(r) for r in _records() if r["type"] in ("Evaluated", "RoundFinished")]
    for r in scored:
        if r["type"] == "Evaluated":
            r["split"] = "validation"
    fold = fold_events(scored)
    assert {r.evaluated_on for r in fold.ordered()} == {"validation"}
    assert len(fold.finished_rounds()) == 5


def test_a_torn_line_and_a_garbage_line_are_skipped(tmp_path):
    records = _records()
    path = tmp_path / "events.jsonl"
    lines = [dumps_line(r) for r in records]
    path.write_text("".join(lines[:-1]) + "not json at all\n" + lines[-1] + lines[0][:40])  # torn tail
    fold, bad_json = fold_log(path)
    assert bad_json == 1 and fold.skipped == 0
    assert [r.round for r in fold.finished_rounds()] == [0, 1, 2, 3, 4] and fold.finished


@pytest.fixture
def resumed_run(tmp_path) -> Path:
    """The recorded run, with round 4 logged twice (the second time at another accuracy)."""
    dest = tmp_path / "resumed"
    shutil.copytree(FIXTURE_RUN, dest)
    (dest / "events.jsonl").write_text("".join(dumps_line(r) for r in _resumed(_records(), 0.875)))
    return dest


def test_history_bench_report_compare_and_monitor_agree_on_one_log(resumed_run):
    folder = RunFolder(resumed_run)
    history = load_history(folder)
    from_history = [(r["labelled"], r["accuracy"]) for r in history.round_rows]

    curve = run_curve(folder)
    from_bench = list(zip(curve["labelled"], curve["accuracy"]))

    compare, _ = accuracy_curve(folder)
    from_compare = [(int(x), y) for x, y in zip(compare.xs, compare.ys)]

    state = RunState("resumed")
    state.apply_records(read_all(folder.events_path)[0])
    snap = state.snapshot()
    from_monitor = [(r.labelled, r.accuracy) for r in snap.rounds if r.finished]
    monitor_curve = [(int(x), y) for x, y in zip(snap.accuracy.xs, snap.accuracy.ys)]

    assert len(from_history) == 5 and from_history[-1] == (140, 0.875)
    assert from_history == from_bench == from_compare == from_monitor == monitor_curve
    assert len(curve["selection_seconds"]) == 4  # mining rounds only, round 4 once
    assert len(history.labels) == 140 and {r.strategy for r in history.labels.values()} == {"initial", "snn"}
    by_round: dict[int, set[int]] = {}
    for rec in history.labels.values():
        by_round.setdefault(rec.round, set()).add(rec.item)
    assert {k: set(v) for k, v in state.labelled_items.items()} == by_round  # the latent map's labelled points
    assert json.dumps(history.round_rows)  # plain rows: tables, CSV and JSON take them as they are
