"""`alss-tui bench`: a small grid on digits completes, fills the registry, and resumes."""

from __future__ import annotations

import json

import pytest

from alss_tui.bench.figures import largest_drop
from conftest import REPO, cli

TINY = ["--set", "vae.epochs=2", "--set", "vae.width=8", "--set", "task.width=8", "--set", "task.steps=30", "--set", "task.epochs=0",
        "--set", "sampling.initial=30", "--set", "sampling.per_round=30", "--set", "sampling.budget=90"]


@pytest.mark.slow
def test_bench_of_two_strategies_and_two_seeds_writes_a_well_formed_summary(home, tmp_path):
    png = tmp_path / "bench.png"
    res = cli("bench", "--strategies", "random,entropy-sub", "--seeds", "2", "--json", "--plot", str(png), *TINY)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert list(doc["strategies"]) == ["random", "entropy-sub"]
    for name, s in doc["strategies"].items():
        assert s["runs"] == 2
        assert [p["labelled"] for p in s["curve"]] == [30, 60, 90]
        for point in s["curve"]:
            acc = point["accuracy"]
            assert 0.0 < acc["mean"] <= 1.0 and len(point["per_seed"]) == 2
        assert 0.0 < s["auc"]["mean"] <= 1.0 and len(s["auc"]["per_seed"]) == 2 and s["seeds"] == [0, 1]
        per_seed = list(zip(*(p["per_seed"] for p in s["curve"])))
        drops = [largest_drop(list(run)) for run in per_seed]  # known answers: test_bench_stats.py
        assert abs(s["largest_drop"]["mean"] - sum(drops) / len(drops)) < 1e-9
        assert set(s["labels_to_reach"]) == {"0.90", "0.95"}
        assert len(s["final_recall"]["per_class_mean"]) == 10
    # Same initial subset for every strategy of a seed: round-0 accuracies are identical.
    assert doc["strategies"]["random"]["curve"][0]["per_seed"] == doc["strategies"]["entropy-sub"]["curve"][0]["per_seed"]
    # Paired against random (the default reference): seed by seed, with an interval from 2 seeds.
    assert doc["against"] == "random" and doc["split"] == "test"
    assert doc["strategies"]["random"]["paired"] is None
    paired = doc["strategies"]["entropy-sub"]["paired"]
    assert paired["against"] == "random" and paired["n_seeds"] == 2
    diffs = [a - b for a, b in zip(doc["strategies"]["entropy-sub"]["auc"]["per_seed"],
                                   doc["strategies"]["random"]["auc"]["per_seed"])]
    assert abs(paired["auc"]["mean"] - sum(diffs) / 2) < 1e-12
    assert paired["auc"]["low"] <= paired["auc"]["mean"] <= paired["auc"]["high"]
    assert paired["auc"]["separable"] == (paired["auc"]["low"] > 0 or paired["auc"]["high"] < 0)
    assert [b["labelled"] for b in paired["by_labelled"]] == [30, 60, 90]
    assert paired["by_labelled"][0]["mean"] == 0.0  # same initial subset
    sub = doc["strategies"]["entropy-sub"]
    assert sub["forward_passes_per_round"]["mean"] == 30 * 10  # candidates_per_pick x round size
    assert doc["strategies"]["random"]["forward_passes_per_round"]["mean"] == 0
    assert png.stat().st_size > 10_000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # Every cell is an ordinary run in the registry; one VAE per seed was trained and cached.
    runs = json.loads((home / "registry.json").read_text())["runs"]
    assert sorted((r["strategy"], r["seed"], r["status"]) for r in runs.values()) == [
        ("entropy-sub", 0, "finished"), ("entropy-sub", 1, "finished"),
        ("random", 0, "finished"), ("random", 1, "finished")]
    assert len(list((home / "cache").glob("vae-*.pt"))) == 2

    # Running it again resumes: nothing new runs, the same figures come back.
    again = cli("bench", "--strategies", "random,entropy-sub", "--seeds", "2", "--json", *TINY)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["strategies"] == doc["strategies"]
    assert len(json.loads((home / "registry.json").read_text())["runs"]) == 4
    assert "resuming (4 of 4 runs done)" in again.stderr

    # A subset of the grid can be reported without running anything.
    only = cli("bench", "--strategies", "entropy-sub", "--seed-list", "1", "--summary-only", "--json", *TINY)
    assert only.returncode == 0, only.stderr
    assert json.loads(only.stdout)["strategies"]["entropy-sub"]["curve"][0]["per_seed"] == [
        doc["strategies"]["entropy-sub"]["curve"][0]["per_seed"][1]]
    missing = cli("bench", "--strategies", "margin", "--summary-only", *TINY)
    assert missing.returncode == 1 and "no finished runs" in missing.stderr

    # A verdict reads the bench by its id from the home, every cell it has, at the rule's targets.
    rule = tmp_path / "digits.toml"
    rule.write_text('split = "test"\n[datasets]\ndigits = {dataset = "digits"}\n'
                    '[[steps]]\nid = "minus"\nkind = "compare"\ndataset = "digits"\nagainst = "random"\n'
                    '[[steps]]\nid = "labels"\nkind = "check-labels"\nstrategy = "entropy-sub"\n'
                    'targets = {digits = [0.5]}\nwithin_percent = 10\n')
    verdict = cli("bench", "verdict", str(rule), doc["bench_id"], "--out", str(tmp_path / "v.json"))
    assert verdict.returncode == 0, verdict.stderr
    result = json.loads((tmp_path / "v.json").read_text())["verdict"]
    assert result["minus"]["entropy-sub"]["auc"] == doc["strategies"]["entropy-sub"]["paired"]["auc"]
    assert result["labels"][0]["target"] == "0.50" and result["labels"][0]["entropy_sub_reached"].endswith("/2")


@pytest.mark.slow
def test_bench_table_and_bad_input(home):
    # A labelling function in the recipe (for si) does not stop a grid without si: cells
    # of other strategies get ground truth.
    res = cli("bench", "--strategies", "random", "--seeds", "1", *TINY, "--set", "oracle.kind=function",
              "--set", "oracle.function=alss_tui.runner.reference_oracle:digits")
    assert res.returncode == 0, res.stderr
    runs = json.loads((home / "registry.json").read_text())["runs"]
    assert [r["oracle"] for r in runs.values()] == ["simulated"]
    assert "test accuracy" in res.stdout and "selection cost" in res.stdout
    assert "(1/1)" in res.stdout or "(0/1)" in res.stdout  # labels to reach: how many seeds did
    assert "no paired differences" not in res.stdout  # random is the reference; nothing to pair it with
    rows = [line for line in res.stdout.splitlines() if line.strip("│ ").startswith(("30 ", "60 ", "90 "))]
    assert len(rows) == 3  # one row per labelled count
    from alss_tui.store.locks import RunLock

    (bench_dir,) = (home / "benches").iterdir()
    with RunLock(bench_dir / "bench.lock"):  # another driver of the same bench is running
        twice = cli("bench", "--strategies", "random", "--seeds", "1", *TINY, "--set", "oracle.kind=function",
                    "--set", "oracle.function=alss_tui.runner.reference_oracle:digits")
    assert twice.returncode == 1 and f"bench {bench_dir.name} is already running" in twice.stderr
    assert "Traceback" not in twice.stderr
    bad = cli("bench", "--strategies", "random,nope")
    assert bad.returncode == 1 and "unknown strategy 'nope'" in bad.stderr
    assert "Traceback" not in bad.stderr
    no_oracle = cli("bench", "--strategies", "si,random")
    assert no_oracle.returncode == 1 and "si needs a labelling function" in no_oracle.stderr
    stranger = cli("bench", "--strategies", "random,margin-sub", "--against", "entropy")
    assert stranger.returncode == 1 and "--against: 'entropy' is not in --strategies" in stranger.stderr
    no_split = cli("bench", "--strategies", "random", "--evaluate-on", "validation")
    assert no_split.returncode == 1 and "task.evaluate_on" in no_split.stderr and "validation_size" in no_split.stderr
    assert "Traceback" not in no_split.stderr and len(no_split.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_bench_on_the_validation_split_never_scores_the_test_split(home):
    args = ["bench", "--strategies", "random,margin-sub", "--seeds", "1", "--evaluate-on", "validation",
            "--set", "data.validation_size=300", *TINY]
    res = cli(*args, env={"COLUMNS": "80"})
    assert res.returncode == 0, res.stderr
    assert "validation accuracy %" in res.stdout and "test accuracy" not in res.stdout
    assert "validation accuracy minus random's" in res.stdout and "no interval (< 2 seeds)" in res.stdout
    assert max(len(line) for line in res.stdout.splitlines()) <= 80
    runs = json.loads((home / "registry.json").read_text())["runs"]
    assert len(runs) == 2
    for run in runs.values():
        events = [json.loads(line) for line in (home / "runs" / run["id"] / "events.jsonl").read_text().splitlines()]
        scored = [e for e in events if e["type"] == "Evaluated"]
        assert len(scored) == 3 and all(e["split"] == "validation" for e in scored)
        assert next(e for e in events if e["type"] == "RunStarted")["test_size"] == 300  # the held-out split
    doc = json.loads(cli(*args, "--summary-only", "--json").stdout)
    assert doc["split"] == "validation"
    margin = doc["strategies"]["margin-sub"]
    assert margin["paired"]["n_seeds"] == 1 and margin["paired"]["auc"]["low"] is None
    assert "no interval" in margin["paired"]["note"]
    # A bench scored on the test split is another bench: nothing of this one is reused for it.
    test_bench = cli("bench", "--strategies", "random", "--seeds", "1", "--set", "data.validation_size=300",
                     "--summary-only", *TINY)
    assert test_bench.returncode == 1 and "no finished runs" in test_bench.stderr


def test_a_key_added_later_keeps_older_benches_ids_at_the_value_they_ran_with():
    import hashlib

    from alss_tui import config as config_mod
    from alss_tui.bench.manifest import bench_id

    cfg = config_mod.apply_overrides(config_mod.RunConfig(), ["task.evaluate_on=validation", "data.validation_size=100",
                                                              "task.class_balance=0"])  # as every run drew before
    body = config_mod.to_dict(cfg)  # what a bench recorded before task.class_balance existed:
    for key in ("name", "seed"):
        body.pop(key)
    body["sampling"].pop("strategy")
    body["task"].pop("class_balance")
    for key in ("model", "weights", "train", "head", "input_size"):  # the representation came later still
        body["task"].pop(key)
    for key in ("semi", "pseudo_threshold", "pseudo_weight", "graph_k", "graph_alpha", "graph_threshold",
                "graph_space", "semi_steps", "consistency_ratio"):  # and semi-supervised rounds after it
        body["task"].pop(key)
    for key in ("initial_strategy", "switch_at", "purity"):
        body["sampling"].pop(key)
    body["vae"].pop("input")
    body.pop("encoder")
    for key in ("stop", "stop_threshold", "stop_window", "stop_sample"):  # stopping came later
        body["sampling"].pop(key)
    for key in ("flip", "review_suspects"):  # and suspect labels
        body["oracle"].pop(key)
    body.pop("suspects")
    body["sampling"]["coreset_space"] = {"penultimate": "features"}[body["sampling"].pop("space")]
    recorded = hashlib.sha256(json.dumps({"config": body}, sort_keys=True).encode()).hexdigest()[:12]
    assert bench_id(cfg) == recorded
    leaning = config_mod.apply_overrides(cfg, ["task.class_balance=1"])
    assert bench_id(leaning) != recorded


def test_recorded_benches_keep_their_ids_under_todays_config():
    """The bench ids of the report's latest grids, computed from their recorded configs today."""
    from alss_tui import config as config_mod
    from alss_tui.bench.manifest import bench_id

    files = sorted(REPO.glob("experiments/**/today-*.json")) + sorted(REPO.glob("experiments/**/rule5-*.json"))
    docs = [(p, json.loads(p.read_text())) for p in files]
    docs = [(p, d) for p, d in docs if "bench_id" in d]  # summaries, not verdicts
    assert len(docs) >= 5
    for path, doc in docs:
        cfg = config_mod.from_dict(config_mod.fill_added_later(doc["config"]))
        assert bench_id(cfg) == doc["bench_id"], path.name


@pytest.mark.slow
def test_a_bench_with_a_pool_encoder_trains_it_once_per_seed_and_every_cell_gets_the_same_backbone(home):
    frozen = [*TINY, "--set", "task.train=head", "--set", "task.weights=pool", "--set", "encoder.epochs=1",
              "--set", "encoder.batch_size=64"]
    res = cli("bench", "--strategies", "random,margin,snn", "--seeds", "1", "--json", *frozen, "--jobs", "2")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert {name: s["runs"] for name, s in doc["strategies"].items()} == {"random": 1, "margin": 1, "snn": 1}
    runs = [home / "runs" / s["run_ids"][0] for s in doc["strategies"].values()]
    encoder_phases = [sum('"phase":"encoder"' in line and "PhaseStarted" in line
                          for line in (run / "events.jsonl").read_text().splitlines()) for run in runs]
    assert encoder_phases == [0, 0, 0]  # trained in the seed's task, shipped to every cell
    import torch

    backbones = [torch.load(sorted((run / "checkpoints").glob("round-*.pt"))[-1], weights_only=True)["backbone"]
                 for run in runs]
    assert all(torch.equal(backbones[0][k], b[k]) for b in backbones[1:] for k in backbones[0])
    tables = cli("bench", "--strategies", "random,margin,snn", "--seeds", "1", "--summary-only", *frozen)
    assert "cnn (pool encoder, frozen, linear head)" in tables.stdout
