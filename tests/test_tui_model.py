"""The dashboard's pure parts: down-sampling, folding events, the form model, run rows."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alss_tui.config import RunConfig, apply_overrides
from alss_tui.store.jsonl import read_all
from alss_tui.tui.state.comparison import accuracy_curve, config_diff
from alss_tui.tui.state.config_form import field_specs, initial_values, parse_form
from alss_tui.tui.state.downsample import minmax_downsample
from alss_tui.tui.state.latent_view import LatentView, thin
from alss_tui.tui.state.run_rows import RunRow, age, arrange
from alss_tui.tui.state.run_state import RunState
from alss_tui.store.run_folder import RunFolder
from tui_helpers import FIXTURE_RUN


# --- down-sampling ---------------------------------------------------------------------

def test_short_curves_pass_through():
    assert minmax_downsample([1, 2, 3], [3, 1, 2], 10) == ([1, 2, 3], [3, 1, 2])


def test_a_spike_survives_downsampling():
    n = 100_000
    ys = [1.0] * n
    ys[54_321] = 50.0
    ys[77_777] = -3.0
    xs, out = minmax_downsample(list(range(n)), ys, 100)
    assert len(out) <= 200
    assert max(out) == 50.0 and min(out) == -3.0
    assert xs[out.index(50.0)] == 54_321
    assert xs == sorted(xs)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=0, max_size=400), st.integers(1, 50))
def test_downsampling_keeps_extremes_and_order(ys, buckets):
    xs = list(range(len(ys)))
    dx, dy = minmax_downsample(xs, ys, buckets)
    assert len(dy) <= max(len(ys), 2 * buckets) and len(dx) == len(dy)
    assert dx == sorted(dx) and len(set(dx)) == len(dx)
    if ys:
        assert max(dy) == max(ys) and min(dy) == min(ys)
    assert all(ys[x] == y for x, y in zip(dx, dy))


def test_downsampling_refuses_bad_input():
    with pytest.raises(ValueError):
        minmax_downsample([1, 2], [1], 5)
    with pytest.raises(ValueError):
        minmax_downsample([1], [1], 0)


# --- folding events --------------------------------------------------------------------

def _fixture_records() -> list[dict]:
    records, bad = read_all(FIXTURE_RUN / "events.jsonl")
    assert not bad
    return records


def test_the_recorded_run_folds_into_rounds_and_curves():
    state = RunState("6783ca48")
    assert state.apply_records(_fixture_records())
    snap = state.snapshot()
    assert [r.round for r in snap.rounds] == [0, 1, 2, 3, 4]
    assert [r.labelled for r in snap.rounds] == [40, 65, 90, 115, 140]
    assert snap.rounds[1].strategy == "snn" and snap.rounds[0].strategy == "initial"
    assert sum(snap.rounds[1].class_counts.values()) == snap.rounds[1].added == 25
    assert snap.finished and snap.phase == "finished"
    assert set(snap.vae) == {"loss", "recon", "kl"} and snap.vae["recon"].xs == (1.0, 2.0, 3.0)
    assert snap.accuracy.xs == (40.0, 65.0, 90.0, 115.0, 140.0)
    assert len(snap.task_loss.ys) == 50  # 10 task epochs in each of 5 rounds


def test_a_resumed_round_counts_once_and_the_last_record_wins():
    records = _fixture_records()
    again = [dict(r) for r in records if r.get("round") == 4 and r["type"] in ("Evaluated", "RoundFinished")]
    for r in again:
        r["accuracy"] = 0.5
    state = RunState("x")
    state.apply_records(records + again)
    snap = state.snapshot()
    assert [r.round for r in snap.rounds] == [0, 1, 2, 3, 4]
    assert snap.rounds[-1].accuracy == 0.5
    assert snap.accuracy.xs.count(140.0) == 1 and snap.accuracy.ys[-1] == 0.5


def test_unknown_records_are_counted_not_fatal():
    state = RunState("x")
    assert not state.apply_records([{"type": "Nope"}, {"no": "type"}])
    assert state.skipped == 2
    state.apply_records([{"type": "RunFailed", "error": "out of memory", "t": 1.0}])
    assert state.snapshot().error == "out of memory" and state.snapshot().phase == "failed"


def test_progress_moves_the_phase():
    state = RunState("x")
    state.apply_records([{"type": "PhaseStarted", "phase": "task", "round": 2, "total": 300},
                         {"type": "Progress", "phase": "task", "round": 2, "done": 120, "total": 300}])
    snap = state.snapshot()
    assert (snap.phase, snap.phase_round, snap.done, snap.total) == ("task", 2, 120, 300)


# --- the latent map ----------------------------------------------------------------------

def test_latent_view_reads_map_and_rounds(tmp_path):
    view = LatentView(RunFolder(FIXTURE_RUN))
    assert view.poll() and not view.poll()  # files are read once
    latest = view.picture()
    assert latest.rounds == (0, 1, 2, 3, 4) and latest.current.round == 4
    assert len(latest.labelled_xy) == 115  # items proposed in rounds 0-3
    assert latest.current.seed_xy.shape == latest.current.ascended_xy.shape == (25, 2)
    first = view.picture(0)
    assert first.current.round == 0 and len(first.labelled_xy) == 0 and first.current.seed_xy is None


def test_the_map_counts_only_items_that_got_a_label():
    view = LatentView(RunFolder(FIXTURE_RUN))
    view.poll()
    proposed0 = view.picture(0).current.items
    labelled = {0: tuple(int(i) for i in proposed0[:10])}  # say the person rejected the rest
    picture = view.picture(1, labelled)
    assert len(picture.labelled_xy) == 10
    assert (picture.labelled_xy == view.pool_xy[proposed0[:10]]).all()


def test_labels_applied_items_are_kept_by_round():
    state = RunState("x")
    state.apply_records([{"type": "LabelsApplied", "round": 2, "added": 2, "rejected": 1, "labelled": 9,
                          "items": [5, 6, 7], "labels": [1, None, 3]}])
    assert state.labelled_items == {2: (5, 7)}


def test_latent_view_waits_for_the_map(tmp_path):
    view = LatentView(RunFolder(tmp_path))
    assert not view.poll() and view.picture() is None


def test_thin_is_deterministic_and_bounded():
    import numpy as np

    xy = np.arange(10_000, dtype=np.float32).reshape(-1, 2)
    assert len(thin(xy, 1000)) <= 1000 and (thin(xy, 1000) == thin(xy, 1000)).all()


# --- the New run form model -----------------------------------------------------------

def test_the_form_covers_every_config_field():
    keys = {s.key for s in field_specs()}
    assert {"name", "seed", "data.dataset", "data.data_root", "vae.latent_dim", "vae.epochs", "vae.beta",
            "task.steps", "sampling.strategy", "sampling.initial", "sampling.per_round", "sampling.budget",
            "sampling.ascent_step_size", "sampling.ascent_steps", "oracle.kind"} <= keys
    assert len({s.dom_id for s in field_specs()}) == len(keys)


def test_defaults_parse_back_to_the_default_config():
    cfg, errors = parse_form(initial_values(RunConfig()))
    assert errors == {} and cfg == RunConfig()


def test_form_errors_name_their_field():
    values = initial_values(RunConfig())
    values.update({"vae.epochs": "ten", "vae.beta": "x"})
    cfg, errors = parse_form(values)
    assert cfg is None and errors == {"vae.epochs": "expected a whole number", "vae.beta": "expected a number"}
    values.update({"vae.epochs": "10", "vae.beta": "1", "sampling.budget": "20"})
    cfg, errors = parse_form(values)
    assert cfg is None and set(errors) == {"sampling.budget"} and "sampling.initial" in errors["sampling.budget"]


def test_every_bad_field_gets_its_message_at_once():
    values = initial_values(RunConfig())
    values.update({"name": " ", "seed": "-1", "vae.lr": "0", "sampling.initial": "500"})
    cfg, errors = parse_form(values)
    assert cfg is None
    assert set(errors) == {"name", "seed", "vae.lr", "sampling.budget"}
    assert errors["seed"] == "must be >= 0"


def test_strategy_choices_come_from_the_engine():
    from alss_tui.core.strategies import STRATEGY_NAMES

    spec = next(s for s in field_specs() if s.key == "sampling.strategy")
    assert tuple(v for _, v in spec.choices) == STRATEGY_NAMES
    oracle = next(s for s in field_specs() if s.key == "oracle.kind")
    assert {"simulated", "human"} <= {v for _, v in oracle.choices}


def test_a_loaded_config_round_trips_through_the_form():
    cfg = apply_overrides(RunConfig(), ["sampling.strategy=random", "data.class_names=['a','b']", "name=x y"])
    assert parse_form(initial_values(cfg)) == (cfg, {})


# --- run rows, comparison ------------------------------------------------------------------

def _row(i: int, **kw) -> RunRow:
    base = dict(id=f"{i:08x}", name=f"run-{i}", dataset="digits", strategy="snn", oracle="simulated",
                status="finished", round=1, labelled=10, budget=20, accuracy=0.5, best_accuracy=0.5,
                created=float(i), error=None)
    base.update(kw)
    return RunRow(**base)


def test_arrange_filters_by_every_word_and_sorts():
    rows = [_row(1, name="alpha", strategy="random"), _row(2, name="beta", status="crashed"),
            _row(3, name="gamma", accuracy=0.9), _row(4, name="delta", accuracy=None)]
    assert [r.name for r in arrange(rows)] == ["delta", "gamma", "beta", "alpha"]
    assert [r.name for r in arrange(rows, "crash")] == ["beta"]
    assert [r.name for r in arrange(rows, "snn finished")] == ["delta", "gamma"]
    assert [r.name for r in arrange(rows, sort="name")] == ["alpha", "beta", "delta", "gamma"]
    assert [r.name for r in arrange(rows, sort="accuracy")][:1] == ["gamma"]
    assert arrange(rows, sort="accuracy")[-1].accuracy is None


def test_age_is_compact():
    assert [age(s) for s in (5, 125, 7300, 200_000, -3)] == ["5s", "2m", "2h", "2d", "0s"]


def test_config_diff_shows_only_fields_that_differ():
    a = {"name": "a", "sampling": {"strategy": "snn", "budget": 300}, "data": {"class_names": []}}
    b = {"name": "b", "sampling": {"strategy": "random", "budget": 300}, "data": {"class_names": []}}
    assert config_diff({"1": a, "2": b}) == [("name", ["a", "b"]), ("sampling.strategy", ["snn", "random"])]


def test_accuracy_curve_from_the_log():
    curve, split = accuracy_curve(RunFolder(FIXTURE_RUN))
    assert split == "test"  # a log from before rounds named their split reads as test
    assert curve.xs == (40.0, 65.0, 90.0, 115.0, 140.0) and all(0.7 < y < 0.9 for y in curve.ys)
    assert json.loads((FIXTURE_RUN / "review" / "r001.json").read_text())["strategy"] == "snn"
