"""Suspect labels: confident learning on k-fold probabilities finds known flipped labels; a second
look is a new line in labels.jsonl that supersedes the old label (never rewriting it), and the
next round trains on it; a resumed run finds the same suspects."""

import json
from dataclasses import replace

import numpy as np
import pytest

from alss_tui.config import OracleConfig, SuspectsConfig
from alss_tui.core.events import LabelsCorrected, SuspectsFound
from alss_tui.core.suspects import confident_learning
from alss_tui.data.pool import Dataset, Split
from alss_tui.store.labels import SUSPECTS, LabelLog
from conftest import cli, tiny_config


def test_confident_learning_flags_confident_contradictions_largest_margin_first():
    probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3],   # labelled 0, agree
                      [0.1, 0.9], [0.2, 0.8],                # labelled 1, agree
                      [0.05, 0.95],                          # labelled 0, the model is sure it is a 1
                      [0.6, 0.4],                            # labelled 1: a 0 by a small margin
                      [0.45, 0.55]])                         # labelled 0, unsure: not confident enough
    given = np.array([0, 0, 0, 1, 1, 0, 1, 0])
    rows = confident_learning(probs, given)
    assert [r[0] for r in rows] == [5, 6]  # ranked by margin: 0.9, then 0.2
    assert rows[0][1] == 1 and rows[0][2] == pytest.approx(0.95) and rows[0][3] == pytest.approx(0.05)
    assert [r[0] for r in confident_learning(probs, given, threshold=0.5)] == [5]


def hand_made(n_per_class=60, side=8, seed=0):
    """Three classes anyone can tell apart: a bright band at the top, middle or bottom."""
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for k in range(3):
        for _ in range(n_per_class):
            img = rng.integers(0, 40, (1, side, side))
            img[0, k * side // 3:(k + 1) * side // 3] += 200
            images.append(img)
            labels.append(k)
    images = np.clip(np.stack(images), 0, 255).astype(np.uint8)
    labels = np.array(labels, dtype=np.int64)
    test = Split(images[::10].copy(), labels[::10].copy())
    return Dataset("hand-made", images, labels, test, ("top", "middle", "bottom"))


def _engine(cfg, data):
    from alss_tui.core.engine import Engine

    engine = Engine(cfg, data)
    list(engine.prepare_representation())
    list(engine.fit_vae())
    return engine


def _label(engine, r, answers):
    list(engine.propose(r))
    list(engine.apply_labels(r, {c.item: int(answers[c.item]) for c in engine.pending.candidates}))
    list(engine.train_task(r))


@pytest.mark.slow
def test_suspects_on_a_hand_made_pool_are_the_flipped_labels():
    data = hand_made()
    cfg = replace(tiny_config(initial=90, budget=120), oracle=OracleConfig(flip=0.1),
                  suspects=SuspectsConfig(folds=3, steps=150))
    from alss_tui.runner.oracle import wrong_answers

    answers = wrong_answers(data.pool_truth, 0.1, 0, 3)
    engine = _engine(cfg, data)
    _label(engine, 0, answers)
    found = [e for e in engine.find_suspects(0) if isinstance(e, SuspectsFound)][0]
    labelled = engine.pool.labelled_indices
    flipped = {int(i) for i in labelled if answers[i] != data.pool_truth[i]}
    assert len(flipped) >= 5
    # Nothing answered right is queued, and the flipped labels are (one that the fold models are
    # less sure of may stay under confident learning's per-class bar).
    assert set(found.items) <= flipped
    assert len(found.items) >= len(flipped) - 1
    assert all(s == data.pool_truth[i] for i, s in zip(found.items, found.suggested))
    margins = [p - q for p, q in zip(found.probability, found.given_probability)]
    assert margins == sorted(margins, reverse=True) and min(margins) >= cfg.suspects.threshold
    # Fixing them: the next round trains on the corrected labels, and they are never queued again.
    events = list(engine.correct_labels(1, {i: int(data.pool_truth[i]) for i in found.items}))
    assert isinstance(events[0], LabelsCorrected) and events[0].previous == tuple(int(answers[i]) for i in sorted(found.items))
    assert all(engine.pool.labels[i] == data.pool_truth[i] for i in found.items)
    again = [e for e in engine.find_suspects(1) if isinstance(e, SuspectsFound)][0]
    assert not set(again.items) & set(found.items)


@pytest.mark.slow
def test_a_resumed_engine_finds_the_suspects_an_uninterrupted_one_does():
    data = hand_made(seed=1)
    cfg = replace(tiny_config(initial=60, per_round=30, budget=120), oracle=OracleConfig(flip=0.1),
                  suspects=SuspectsConfig(steps=60))
    from alss_tui.runner.oracle import wrong_answers

    answers = wrong_answers(data.pool_truth, 0.1, 0, 3)
    straight = _engine(cfg, data)
    first = _engine(cfg, data)
    for engine in (straight, first):
        _label(engine, 0, answers)
        list(engine.find_suspects(0))
        list(engine.finish_round(0, 0.0, {}))
    state = first.state_dict()
    from alss_tui.core.engine import Engine

    resumed = Engine(cfg, data)
    resumed.load_state_dict(state)
    assert [s.item for s in resumed.suspects] == [s.item for s in straight.suspects]
    results = []
    for engine in (straight, resumed):
        _label(engine, 1, answers)
        results.append([e for e in engine.find_suspects(1) if isinstance(e, SuspectsFound)][0])
    assert results[0] == results[1]
    # Finding suspects draws nothing from the run's own generators: the model trained the same.
    assert all(np.array_equal(a, b) for a, b in zip(straight.model.state_dict().values(),
                                                     resumed.model.state_dict().values()))


@pytest.mark.slow
def test_a_second_look_supersedes_without_rewriting_and_the_next_round_trains_on_it(home):
    """A person's run, in process: round 0 with a wrong label, the queue, a relabel, round 1."""
    from alss_tui.runner.execute import execute
    from alss_tui.runner.human import AwaitingLabels
    from alss_tui.store.history import load_history
    from alss_tui.store.registry import Registry
    from alss_tui.store.review import load_suspects, open_suspects
    from alss_tui.store.run_ops import create_run, export_run

    registry = Registry(home)
    cfg = replace(tiny_config(initial=60, per_round=20, budget=100), oracle=OracleConfig(kind="human"),
                  suspects=SuspectsConfig(steps=150, threshold=0.0))
    folder = create_run(home, cfg)
    with pytest.raises(AwaitingLabels):
        execute(folder, registry=registry)
    review = json.loads(folder.review_paths(0)[0].read_text())
    from alss_tui.data.loaders import load_dataset

    truth = load_dataset(cfg.data).pool_truth
    items = [c["item"] for c in review["candidates"]]
    wrong = items[:4]  # four slips of the hand
    answers = {i: int((truth[i] + 1) % 10) if i in wrong else int(truth[i]) for i in items}
    with LabelLog(folder.labels_path) as log:
        log.submit(0, "keyboard", decisions=answers)
    with pytest.raises(AwaitingLabels):
        execute(folder, resume=True, registry=registry)
    queue = load_suspects(folder)
    assert queue is not None and queue.round == SUSPECTS
    queued = [c["item"] for c in queue.candidates]
    caught = [i for i in queued if i in wrong]
    assert caught, f"none of the slips {wrong} in the queue {queued}"
    assert open_suspects(folder) == len(queued) and registry.get(folder.run_id)["suspects"] == len(queued)
    target = caught[0]
    with LabelLog(folder.labels_path) as log:
        log.decide(SUSPECTS, target, int(truth[target]), "keyboard")
    lines = [json.loads(x) for x in folder.labels_path.read_text().splitlines()]
    assert {"round": 0, "item": target, "label": answers[target]}.items() <= next(
        x for x in lines if x.get("item") == target and x["round"] == 0).items()  # the old line stays
    assert open_suspects(folder) == len(queued) - 1
    shown = cli("show", folder.run_id, "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["suspects_open"] == len(queued) - 1
    with LabelLog(folder.labels_path) as log:
        log.submit(1, "keyboard", decisions={c["item"]: int(truth[c["item"]])
                                             for c in json.loads(folder.review_paths(1)[0].read_text())["candidates"]})
    with pytest.raises(AwaitingLabels):
        execute(folder, resume=True, registry=registry)
    events = [json.loads(x) for x in folder.events_path.read_text().splitlines()]
    corrected = [e for e in events if e["type"] == "LabelsCorrected"]
    assert len(corrected) == 1 and corrected[0]["round"] == 1
    assert corrected[0]["items"] == [target] and corrected[0]["labels"] == [int(truth[target])]
    kinds = [(e["type"], e.get("round"), e.get("phase")) for e in events]
    assert kinds.index(("LabelsCorrected", 1, None)) < kinds.index(("PhaseStarted", 1, "task"))  # trained on it
    record = load_history(folder).labels[target]
    assert (record.label, record.second_look, record.first_label) == (int(truth[target]), "relabelled",
                                                                     answers[target])
    out = export_run(folder, home / "export")
    rows = (home / "export" / "labels.csv").read_text().splitlines()
    assert out and rows[0].endswith("second_look,first_label")
    assert any(r.startswith(f"{target},") and "relabelled" in r for r in rows[1:])


@pytest.mark.slow
def test_the_review_screen_opens_the_queue_with_s_and_the_labelling_keys_decide(home):
    from alss_tui.store.registry import Registry
    from alss_tui.store.review import open_suspects
    from alss_tui.tui.screens.review import ReviewScreen
    from alss_tui.tui.widgets.candidate_card import CandidateCard

    from review_helpers import drive_review, make_waiting_run

    folder = make_waiting_run(home, n=6)
    queue = [{"item": 40 + k, "kind": "pool", "given": k, "prediction": k + 5, "probability": 0.9,
              "given_probability": 0.05} for k in range(3)]
    folder.write_suspects({"round": 0, "strategy": "suspects", "classes": list("0123456789"), "candidates": queue},
                          {"items": np.array([40, 41, 42], dtype=np.int64),
                           "images": np.zeros((3, 1, 8, 8), np.uint8)})
    assert open_suspects(folder) == 3

    async def scenario(app, pilot):
        screen = app.screen
        assert isinstance(screen, ReviewScreen) and screen.session.round == 1
        await pilot.press("s")
        assert screen.session.round == SUSPECTS
        assert "suspect labels" in str(screen.query_one("#review-title").render())
        card = str(CandidateCard._caption(screen.session.review, 0, False, None))
        await pilot.press("0")  # item 40 was given 0: kept
        await pilot.press("a")  # item 41: the model's class, 6
        await pilot.press("x")  # item 42: rejected
        await pilot.press("enter")  # no submit for second looks
        await pilot.press("escape")  # back to the round, not closed
        assert app.screen is screen and screen.session.round == 1
        return card

    card = drive_review(home, folder.run_id, scenario)
    assert "given 0 5% · model 5 90%" in card  # the given label beside the model's, with probabilities
    lines = [json.loads(x) for x in folder.labels_path.read_text().splitlines()]
    assert [(x["round"], x["item"], x["label"]) for x in lines] == [(SUSPECTS, 40, 0), (SUSPECTS, 41, 6),
                                                                   (SUSPECTS, 42, None)]
    assert LabelLog(folder.labels_path).reviews() == {40: 0, 41: 6, 42: None}
    assert open_suspects(folder) == 0 and Registry(home).get(folder.run_id)["suspects"] == 0
