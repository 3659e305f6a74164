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
@pytest.mark.parametrize("semi", ["self-training", "propagation", "consistency"])
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
@pytest.mark.parametrize("semi", ["self-training", "consistency"])
def test_a_resumed_semi_supervised_run_picks_and_scores_as_an_uninterrupted_one(semi):
    from alss_tui.core.engine import Engine
    from alss_tui.core.events import CandidatesProposed, Evaluated
    from alss_tui.data.loaders import load_dataset
    from test_representation import drive

    cfg = tiny_config(strategy="margin-sub")
    cfg = replace(cfg, task=replace(cfg.task, semi=semi, pseudo_threshold=0.6))
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
    ("task.semi=fixmatch", "task.semi: must be one of none, self-training, propagation, consistency"),
    ("task.consistency_ratio=0", "task.consistency_ratio: must be between 1 and 16"),
    ("task.semi_steps=-1", "task.semi_steps: must be >= 0"),
])
def test_a_bad_knob_is_one_line(bad, key):
    with pytest.raises(ConfigError) as err:
        config.apply_overrides(config.RunConfig(), [bad])
    assert str(err.value) == key or str(err.value).startswith(key)
    assert "\n" not in str(err.value)


def test_consistency_needs_images_not_a_frozen_backbones_features():
    with pytest.raises(ConfigError) as err:
        config.apply_overrides(config.RunConfig(), ["task.semi=consistency", "task.train=head"])
    assert str(err.value).startswith("task.semi: consistency compares two augmented views") and "\n" not in str(err.value)


class Brightness(torch.nn.Module):
    """Sure of class 1 for bright images, of nothing for dark ones: a guess whose confidence is known."""

    def forward(self, x):
        bright = (x.mean((1, 2, 3)) > 0.25).float()
        return torch.stack([torch.zeros_like(bright), 10 * bright, torch.zeros_like(bright)], 1)


def test_consistency_trains_strong_views_on_the_weak_views_confident_guesses_only():
    from alss_tui.core.pool_images import TensorImages
    from alss_tui.core.semi import Consistency

    pool = TensorImages(torch.cat([torch.ones(10, 1, 16, 16), torch.zeros(10, 1, 16, 16)]))
    candidates = np.arange(4, 20)  # items 0-3 are labelled: never drawn
    term = Consistency(pool, candidates, per_step=64, threshold=0.9, weak_shift=1)
    strong, targets, weight = term.views(Brightness(), torch.Generator().manual_seed(0), torch.device("cpu"))
    assert strong.shape == (64, 1, 16, 16) and targets.shape == weight.shape == (64,)
    bright = strong.mean((1, 2, 3)) > 0.1  # the strong view blanks a square, never a whole bright image
    assert torch.equal(weight.bool(), bright) and 0 < int(weight.sum()) < 64
    assert set(targets[weight.bool()].tolist()) == {1}
    got = term.pseudo_labels()
    assert got.method == "consistency" and set(got.items) <= set(range(4, 10)) and set(got.labels) == {1}
    assert got.accuracy(np.array([1] * 10 + [0] * 10)) == 1.0


def test_the_strong_view_shifts_scales_and_blanks_within_bounds_and_repeats_with_its_seed():
    from alss_tui.core.augment import strong_augment

    x = torch.ones(32, 3, 28, 28)
    a = strong_augment(x, torch.Generator().manual_seed(3))
    assert a.shape == x.shape and float(a.min()) >= 0 and float(a.max()) <= 1
    blank = (a == 0).all(1).float().mean((1, 2))  # a cutout of 11 x 11 (less where it crosses the edge), plus shifts
    assert bool((blank > 0).all()) and bool((blank < 0.5).all())
    assert torch.equal(a, strong_augment(x, torch.Generator().manual_seed(3)))
    assert not torch.equal(a, strong_augment(x, torch.Generator().manual_seed(4)))


def test_semi_steps_lift_only_a_semi_supervised_rounds_steps():
    from alss_tui.core.training import round_steps

    t = config.TaskConfig(steps=300, epochs=80, max_steps=3000, batch_size=64, semi_steps=4000)
    assert round_steps(t, 100) == 300  # semi = none: semi_steps does nothing
    assert round_steps(replace(t, semi="consistency"), 100) == 4000
    assert round_steps(replace(t, semi="propagation", semi_steps=0), 100) == 300


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
