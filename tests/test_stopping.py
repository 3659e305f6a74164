"""The stopping signal: Cohen's kappa between consecutive rounds' predictions on a fixed sample
of the pool, recorded every round; sampling.stop = "stable" ends a run when it settles."""

import json

import numpy as np
import pytest

from alss_tui.core.events import AgreementMeasured, RunFinished, event_from_dict
from alss_tui.core.stopping import StopSignal, cohen_kappa
from alss_tui.store.run_fold import fold_events
from conftest import cli, tiny_config


def test_kappa_is_one_for_equal_predictions_and_zero_for_chance_agreement():
    a = np.array([0, 1, 2, 1, 0, 2])
    assert cohen_kappa(a, a, 3) == pytest.approx(1.0)
    # Observed agreement 0.5, chance agreement 0.5 (both say class 0 half the time): kappa 0.
    assert cohen_kappa(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), 2) == pytest.approx(0.0)
    # A worked example: 0.8 observed, 0.5 by chance -> 0.6.
    x = np.array([0] * 5 + [1] * 5)
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 0])
    assert cohen_kappa(x, y, 2) == pytest.approx(0.6)
    # One class everywhere on both sides: full agreement.
    assert cohen_kappa(np.zeros(4, int), np.zeros(4, int), 3) == 1.0


def test_signal_averages_a_window_and_survives_its_state_dict():
    signal = StopSignal(pool_size=500, sample=100, seed=7)
    assert len(signal.items) == 100 and len(set(signal.items.tolist())) == 100
    assert np.array_equal(signal.items, StopSignal(500, 100, 7).items)  # seeded: the same set again
    rng = np.random.default_rng(0)
    base = rng.integers(0, 4, 100)
    assert signal.observe(0, base, 4) is None
    for r in range(1, 4):
        changed = base.copy()
        changed[: 10 // r] = (changed[: 10 // r] + 1) % 4
        signal.observe(r, changed, 4)
    assert signal.mean(3) == pytest.approx(np.mean(list(signal.kappas.values())))
    assert signal.mean(4) is None
    again = StopSignal(500, 100, 99)
    again.load_state_dict(json.loads(json.dumps(signal.state_dict())))
    assert np.array_equal(again.items, signal.items) and again.kappas == signal.kappas
    assert again.observe(4, base, 4) == signal.observe(4, base, 4)
    assert not signal.stable(3, 1.0) and signal.stable(3, 0.5)


def test_old_logs_read_as_budget_and_the_fold_keeps_the_signal():
    finished = event_from_dict({"type": "RunFinished", "rounds": 3, "labelled": 90, "accuracy": 0.9, "seconds": 1})
    assert isinstance(finished, RunFinished) and finished.reason == "budget"
    fold = fold_events([AgreementMeasured(2, 0.97, 0.95, 3, 0.99, False).to_dict(),
                        RunFinished(2, 90, 0.9, 1.0, reason="stable").to_dict()])
    assert fold.rounds[2].agreement == 0.97 and fold.rounds[2].agreement_mean == 0.95
    assert fold.finish_reason == "stable"


def _run_steps(engine, rounds, events):
    for r in rounds:
        list(engine.propose(r))
        list(engine.apply_labels(r, {c.item: int(engine.pool.truth[c.item]) for c in engine.pending.candidates}))
        for step in (engine.train_task(r), engine.evaluate(r), engine.measure_agreement(r),
                     engine.finish_round(r, 0.0, {})):
            events.extend(e for e in step if isinstance(e, AgreementMeasured))


@pytest.mark.slow
def test_a_resumed_engine_measures_what_an_uninterrupted_one_does():
    from alss_tui.core.engine import Engine
    from alss_tui.data.loaders import load_dataset

    cfg = tiny_config(budget=130, stop_sample=200)
    data = load_dataset(cfg.data)
    whole = Engine(cfg, data)
    list(whole.prepare_representation())
    list(whole.fit_vae())
    straight: list = []
    _run_steps(whole, range(3), straight)
    first = Engine(cfg, data)
    list(first.prepare_representation())
    list(first.fit_vae())
    resumed: list = []
    _run_steps(first, range(2), resumed)
    state = first.state_dict()
    second = Engine(cfg, data)
    second.load_state_dict(state)
    _run_steps(second, [2], resumed)
    assert [e.kappa for e in straight] == [e.kappa for e in resumed]
    assert straight[0].kappa is None and all(0 <= e.kappa <= 1 for e in straight[1:])


@pytest.mark.slow
def test_a_stable_run_on_digits_stops_early_and_says_why(home):
    args = ["--set", "vae.epochs=1", "--set", "vae.width=16", "--set", "task.width=16", "--set", "task.epochs=0",
            "--set", "task.steps=150", "--set", "sampling.budget=800", "--set", "sampling.stop=stable",
            "--set", "sampling.stop_threshold=0.97", "--set", "sampling.stop_window=2"]
    done = cli("run", "--json", *args)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["stopped"] == "stable" and out["labelled"] < 800
    events = [json.loads(x) for x in (home / "runs" / out["run_id"] / "events.jsonl").read_text().splitlines()]
    signal = [e for e in events if e["type"] == "AgreementMeasured"]
    assert signal[-1]["stable"] and signal[-1]["mean"] >= 0.97
    assert not any(e["stable"] for e in signal[:-1])  # it stopped at the first round that crossed
    assert events[-1]["type"] == "RunFinished" and events[-1]["reason"] == "stable"
    shown = cli("show", out["run_id"], env={"COLUMNS": "160"})
    assert "finished early: the predictions stopped changing" in shown.stdout
    listed = json.loads(cli("ls", "--json").stdout)[0]
    assert listed["stopped"] == "stable" and listed["agreement_mean"] >= 0.97
    # Under the default rule the same run goes on past that round (here one round more, to keep the
    # test short) and spends its budget; it chose the same until then.
    budget = cli("run", "--json", *args[:-8], "--set", f"sampling.budget={out['labelled'] + 50}")
    spent = json.loads(budget.stdout)
    assert spent["stopped"] == "budget" and spent["labelled"] == out["labelled"] + 50
    assert [r["accuracy"] for r in spent["rounds"][: len(out["rounds"])]] == [r["accuracy"] for r in out["rounds"]]


def test_stop_keys_are_checked_like_any_other(home):
    bad = cli("run", "--set", "sampling.stop=never")
    assert bad.returncode == 1 and "sampling.stop" in bad.stderr and "Traceback" not in bad.stderr
