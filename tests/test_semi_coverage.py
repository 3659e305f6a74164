"""Semi-supervised rounds (task.semi) and typicality / coverage strategies, on hand-made data with known answers."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace

import numpy as np
import pytest
import torch

from alss_tui import config
from alss_tui.core.semi import Graph, label_propagation
from alss_tui.core.strategies.coverage import herding_picks, probcover_picks, typicality, typiclust_picks
from alss_tui.errors import ConfigError
from conftest import cli, tiny_config


def blobs(spreads=(0.05, 0.1, 0.2, 0.4), per=40, seed=0):
    """Unit-norm points in four well-separated directions, each blob with its own spread."""
    rng = np.random.default_rng(seed)
    centres = np.eye(4, 8, dtype=np.float32)
    x = np.concatenate([c + rng.normal(0, s, (per, 8)) for c, s in zip(centres, spreads)]).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x, np.repeat(np.arange(4), per)


def test_label_propagation_on_two_clusters_gives_each_cluster_its_seeds_label():
    x, y = blobs(spreads=(0.05, 0.05, 0.05, 0.05))
    two = x[y < 2]
    truth = y[y < 2]
    seeds = np.array([0, 40])
    pseudo = label_propagation(Graph(two, 5), seeds, truth[seeds], np.setdiff1d(np.arange(80), seeds), 2, 0.99, 0.6)
    assert len(pseudo) == 78 and pseudo.accuracy(truth) == 1.0
    assert set(pseudo.labels[pseudo.items < 40]) == {0} and set(pseudo.labels[pseudo.items >= 40]) == {1}


def test_typiclust_picks_one_item_per_cluster_and_the_most_typical_one():
    x, y = blobs()
    picks = typiclust_picks(x, np.zeros(0, np.int64), np.arange(len(x)), 4, seed=0)
    items = [i for i, _ in picks]
    assert sorted(y[items]) == [0, 1, 2, 3]  # one per cluster
    for item in items:
        members = np.flatnonzero(y == y[item])
        assert item == members[np.argmax(typicality(x[members]))]  # the densest of its cluster


def test_typiclust_goes_to_the_clusters_no_label_covers_yet():
    x, y = blobs()
    labelled = np.flatnonzero(y < 3)[::10]  # clusters 0-2 have labels, cluster 3 none
    picks = typiclust_picks(x, labelled, np.setdiff1d(np.arange(len(x)), labelled), 1, seed=0)
    assert y[picks[0][0]] == 3


def test_probcover_covers_the_uncovered_blobs_first():
    x, y = blobs(spreads=(0.05, 0.05, 0.05, 0.05))
    labelled = np.flatnonzero(y == 0)[:1]
    picks = probcover_picks(x, labelled, np.setdiff1d(np.arange(len(x)), labelled), 3, delta=0.6)
    assert sorted(y[[i for i, _ in picks]]) == [1, 2, 3]


def test_maxherding_covers_the_uncovered_blobs_first():
    x, y = blobs(spreads=(0.05, 0.05, 0.05, 0.05))
    labelled = np.flatnonzero(y == 0)[:1]
    picks, _ = herding_picks(x, labelled, np.setdiff1d(np.arange(len(x)), labelled), 3, seed=0)
    assert sorted(y[[i for i, _ in picks]]) == [1, 2, 3]


def tight_and_loose(seed=0, per=300):
    """Four classes of equal size, one of them ten times tighter than the rest (MNIST's ones)."""
    rng = np.random.default_rng(seed)
    centres = np.eye(4, 8, dtype=np.float32)
    parts = [centres[0] + rng.normal(0, 0.02, (per, 8))] + [c + rng.normal(0, 0.25, (per, 8)) for c in centres[1:]]
    x = np.concatenate(parts).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x, np.repeat(np.arange(4), per)


def test_a_small_radius_sends_probcover_into_the_tight_class_and_herding_covers_every_class():
    # What happened on MNIST's VAE latent: a tiny purity radius, and 99 of 100 first picks one class.
    x, y = tight_and_loose()
    none, everything = np.zeros(0, np.int64), np.arange(len(x))
    ball = probcover_picks(x, none, everything, 8, delta=0.05)
    assert set(y[[i for i, _ in ball]]) == {0}
    herded, h = herding_picks(x, none, everything, 8, seed=0)
    classes = y[[i for i, _ in herded]]
    assert sorted(classes[:4]) == [0, 1, 2, 3] and list(classes).count(0) == 1  # the tight class needs one
    gains = [g for _, g in herded]
    assert gains == sorted(gains, reverse=True) and h > 0  # greedy on a submodular coverage: gains only fall


TINY = ["--set", "vae.epochs=2", "--set", "vae.width=8", "--set", "task.width=8", "--set", "task.steps=40",
        "--set", "task.epochs=0", "--set", "sampling.initial=40", "--set", "sampling.per_round=40",
        "--set", "sampling.budget=120"]


@pytest.mark.slow
@pytest.mark.parametrize("semi", ["self-training", "propagation"])
def test_pseudo_labels_never_reach_the_label_log_the_budget_or_an_export(home, tmp_path, semi):
    run = cli("run", "--json", *TINY, "--set", f"task.semi={semi}", "--set", "task.graph_threshold=0.3",
              "--set", "task.pseudo_threshold=0.5")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    folder = home / "runs" / doc["run_id"]
    events = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
    pseudo = [e for e in events if e["type"] == "PseudoLabelled"]
    assert pseudo and sum(e["count"] for e in pseudo) > 0 and all(0 <= (e["accuracy"] or 0) <= 1 for e in pseudo)
    applied = sum(e["added"] for e in events if e["type"] == "LabelsApplied")
    assert applied == doc["labelled"] == 120  # the budget counts the oracle's answers only
    assert not (folder / "labels.jsonl").exists() or all(
        json.loads(line)["item"] in {i for e in events if e["type"] == "LabelsApplied" for i in e["items"]}
        for line in (folder / "labels.jsonl").read_text().splitlines() if "item" in json.loads(line))
    out = tmp_path / "export"
    assert cli("export", doc["run_id"], "--to", str(out)).returncode == 0
    with open(out / "labels.csv", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 120
    shown = cli("show", doc["run_id"]).stdout
    assert "pseudo" in shown


@pytest.mark.slow
def test_a_resumed_semi_supervised_run_picks_and_scores_as_an_uninterrupted_one():
    from alss_tui.core.engine import Engine
    from alss_tui.core.events import CandidatesProposed, Evaluated
    from alss_tui.data.loaders import load_dataset
    from test_representation import drive

    cfg = tiny_config(strategy="margin-sub")
    cfg = replace(cfg, task=replace(cfg.task, semi="self-training", pseudo_threshold=0.6))
    straight = Engine(cfg, load_dataset(cfg.data))
    events = drive(straight, 3)
    picks = [tuple(c.item for c in e.candidates) for e in events if isinstance(e, CandidatesProposed)]
    accs = [e.accuracy for e in events if isinstance(e, Evaluated)]
    first = Engine(cfg, load_dataset(cfg.data))
    drive(first, 2)
    buf = io.BytesIO()
    torch.save(first.state_dict(), buf)
    buf.seek(0)
    resumed = Engine(cfg, load_dataset(cfg.data))
    resumed.load_state_dict(torch.load(buf, weights_only=True))
    later = drive(resumed, 1)
    assert [tuple(c.item for c in e.candidates) for e in later if isinstance(e, CandidatesProposed)] == picks[2:]
    assert [e.accuracy for e in later if isinstance(e, Evaluated)] == accs[2:]


@pytest.mark.parametrize("bad, key", [
    ("task.pseudo_threshold=0", "task.pseudo_threshold: must be in (0, 1]"),
    ("task.pseudo_threshold=1.5", "task.pseudo_threshold: must be in (0, 1]"),
    ("task.graph_threshold=0", "task.graph_threshold: must be in (0, 1]"),
    ("task.graph_k=0", "task.graph_k: must be between 1 and 100"),
    ("sampling.purity=0", "sampling.purity: must be in (0, 1)"),
    ("task.semi=fixmatch", "task.semi: must be one of none, self-training, propagation"),
])
def test_a_bad_knob_is_one_line(bad, key):
    with pytest.raises(ConfigError) as err:
        config.apply_overrides(config.RunConfig(), [bad])
    assert str(err.value) == key or str(err.value).startswith(key)
    assert "\n" not in str(err.value)


def test_a_typical_first_round_needs_a_fixed_embedding():
    with pytest.raises(ConfigError, match="sampling.initial_strategy: typiclust picks the first round"):
        config.apply_overrides(config.RunConfig(), ["sampling.initial_strategy=typiclust"])
    cfg = config.apply_overrides(config.RunConfig(), ["sampling.initial_strategy=typiclust", "sampling.space=latent"])
    assert cfg.sampling.initial_strategy == "typiclust"


@pytest.mark.parametrize("initial", ["typiclust", "maxherding"])
def test_a_typical_first_round_waits_for_its_embedding_then_picks_by_it(home, initial):
    # Only a random first round is proposed before the VAE trains: the others need its latent.
    from typer.testing import CliRunner

    from alss_tui.cli import app

    result = CliRunner().invoke(app, ["run", "digits-margin-sub", *TINY, "--set", f"sampling.initial_strategy={initial}",
                                      "--set", "sampling.space=latent", "--quiet", "--json"])
    assert result.exit_code == 0, result.output[-2000:]
    (folder,) = (home / "runs").iterdir()
    events = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
    first = next(e for e in events if e["type"] == "CandidatesProposed")
    assert first["strategy"] == f"initial:{initial}" and len(first["candidates"]) == 40
    phases = [e["phase"] for e in events if e["type"] == "PhaseStarted"]
    assert phases.index("vae") < phases.index("encode") < phases.index("propose")
