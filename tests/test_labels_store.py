"""The label log: append-only decisions, undo as a newer line, one submit per round."""

import json
import threading

import pytest

from alss_tui.errors import LabelError
from alss_tui.store.labels import LabelLog, fold_round, submitted_decisions


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_decisions_fold_with_undo_walking_back_through_the_round(tmp_path):
    path = tmp_path / "labels.jsonl"
    with LabelLog(path) as log:
        log.decide(2, 10, 3, "keyboard")
        log.decide(2, 11, None, "keyboard")  # reject
        log.decide(2, 10, 5, "keyboard")  # relabel
        log.decide(3, 10, 7, "keyboard")  # another round: kept apart
        assert log.round(2).current() == {10: 5, 11: None}
        log.undo(2, 10, "keyboard")  # back to the first label of 10
        assert log.round(2).current() == {10: 3, 11: None}
        log.undo(2, 10, "keyboard")
        log.undo(2, 11, "keyboard")
        assert log.round(2).current() == {}
        assert log.round(3).current() == {10: 7}
    records = lines(path)
    assert len(records) == 7  # nothing rewritten, every act is a line
    assert all({"round", "item", "by", "at"} <= set(r) for r in records)
    assert records[1]["label"] is None


def test_submit_once_then_lines_for_the_round_are_ignored(tmp_path):
    path = tmp_path / "labels.jsonl"
    first, second = LabelLog(path), LabelLog(path)
    first.decide(1, 4, 2, "keyboard")
    state = first.submit(1, "keyboard")
    assert state.is_submitted and state.current() == {4: 2}
    second.decide(1, 4, 9, "late")  # written, but after the submit: does not count
    with pytest.raises(LabelError, match="round 1 was already submitted"):
        second.submit(1, "other")
    assert first.round(1).current() == {4: 2}
    assert submitted_decisions(path) == [{"round": 1, "item": 4, "label": 2, "by": "keyboard",
                                          "at": state.stack[0].at}]


def test_two_reviewers_racing_to_submit_only_one_wins(tmp_path):
    path = tmp_path / "labels.jsonl"
    LabelLog(path).decide(0, 1, 1, "keyboard")
    outcomes = []
    barrier = threading.Barrier(4)

    def submit(who):
        barrier.wait()
        try:
            LabelLog(path).submit(0, who)
            outcomes.append("ok")
        except LabelError:
            outcomes.append("refused")

    threads = [threading.Thread(target=submit, args=(f"r{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "refused", "refused", "refused"]
    assert sum(1 for r in lines(path) if r.get("submitted")) == 1


def test_first_round_needs_a_label_and_file_decisions_submit_in_one_step(tmp_path):
    path = tmp_path / "labels.jsonl"
    log = LabelLog(path)
    with pytest.raises(LabelError, match="no labelled item"):
        log.submit(0, "file", require_label=True, decisions={5: None})
    assert not path.exists() or path.read_text() == ""  # refused before anything was written
    state = log.submit(0, "file", require_label=True, decisions={5: None, 6: 2})
    assert state.current() == {5: None, 6: 2}
    assert fold_round(lines(path), 0).is_submitted


def test_seconds_per_label_caps_breaks(tmp_path):
    from alss_tui.store.labels import Decision, RoundLabels

    state = RoundLabels(1, [Decision(1, 1, "k", 100.0), Decision(2, 1, "k", 102.0), Decision(3, 1, "k", 1000.0)])
    assert state.seconds_per_label(max_gap=60) == pytest.approx((2 + 60) / 2)
