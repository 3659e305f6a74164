"""The algorithm on real (digits) data: ascent, SNN retrieval, SI's images, round
accounting, determinism, and that no strategy can see the pool's hidden truth."""

from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from alss_tui.config import SamplingConfig
from alss_tui.core.ascent import ascend
from alss_tui.core.engine import Engine
from alss_tui.core.events import CandidatesProposed, Evaluated, RoundFinished
from alss_tui.core.latent_index import LatentIndex
from alss_tui.core.strategies import STRATEGY_NAMES, get_strategy
from alss_tui.core.strategies.base import SelectionState
from alss_tui.data.loaders import load_dataset
from alss_tui.data.pool import Pool
from alss_tui.runner.oracle import SimulatedOracle
from conftest import tiny_config


def drive(engine: Engine, rounds: int):
    """Run `rounds` rounds with ground-truth labels; return every event."""
    oracle = SimulatedOracle(engine.dataset.pool_truth)
    events = list(engine.fit_vae()) if engine.vae is None else []
    for r in range(engine.round + 1, engine.round + 1 + rounds):
        events += list(engine.propose(r))
        sel = engine.pending
        events += list(engine.apply_labels(r, oracle.label(r, sel.candidates, sel.synthetic)))
        events += list(engine.train_task(r))
        events += list(engine.evaluate(r))
        events += list(engine.finish_round(r, 0.0, {}))
    return events


@pytest.fixture(scope="module")
def trained():
    cfg = tiny_config(strategy="snn")
    engine = Engine(cfg, load_dataset(cfg.data))
    drive(engine, 1)  # VAE + initial subset + first task model
    return engine


@pytest.mark.slow
def test_ascent_raises_the_task_loss_of_the_decoded_seed(trained):
    e = trained
    seeds = e.pool.labelled_indices[:32]
    z0 = torch.from_numpy(e.codes[seeds])
    y = torch.as_tensor(e.pool.labels[seeds])
    result = ascend(e.vae, e.model, z0, y, steps=10, step_size=0.2)
    assert result.loss_after.mean() > result.loss_before.mean() + 0.1
    assert (result.loss_after > result.loss_before).float().mean() > 0.8
    # normalised steps: each code moved at most steps * step_size
    moved = torch.linalg.vector_norm(result.codes - z0, dim=1)
    assert torch.all(moved <= 10 * 0.2 + 1e-4) and torch.all(moved > 0)
    assert result.forward_passes == 32 * 11 and result.backward_passes == 32 * 10


@pytest.mark.slow
def test_ascent_leaves_model_weights_alone(trained):
    e = trained
    before = [p.detach().clone() for p in e.model.parameters()]
    seeds = e.pool.labelled_indices[:8]
    ascend(e.vae, e.model, torch.from_numpy(e.codes[seeds]), torch.as_tensor(e.pool.labels[seeds]), 5, 0.2)
    assert all(torch.equal(a, b) for a, b in zip(before, e.model.parameters()))
    assert all(p.requires_grad for p in e.model.parameters())


def test_snn_retrieves_unlabelled_distinct_nearest_images(trained):
    e = trained
    labelled_before = set(e.pool.labelled_indices.tolist())
    events = list(e.propose(e.round + 1))
    proposed = events[-1]
    assert isinstance(proposed, CandidatesProposed)
    items = [c.item for c in proposed.candidates]
    assert len(items) == e.cfg.sampling.per_round == len(set(items))
    assert not labelled_before & set(items)
    moved = e.pending.ascended
    for k, c in enumerate(proposed.candidates):
        assert c.seed_index in labelled_before
        assert c.seed_label == e.pool.labels[c.seed_index]
        # the reported distance is from the candidate's moved code to the retrieved image's code
        assert c.distance == pytest.approx(float(np.linalg.norm(moved[k] - e.codes[c.item])), abs=1e-4)
    # the ascent made the decoded seeds harder for the trained model, on average by a clear margin
    before = np.mean([c.loss_before for c in proposed.candidates])
    assert np.mean([c.loss_after for c in proposed.candidates]) > before + 0.1
    n = e.cfg.sampling.per_round
    assert proposed.backward_passes == n * e.cfg.sampling.ascent_steps
    assert proposed.forward_passes == n * (e.cfg.sampling.ascent_steps + 1) + n  # ascent, then the picks
    e.pending = None  # leave the module fixture reusable


class CodeAsImage(nn.Module):
    """A 'decoder' whose image is the code itself, shaped (1, 1, d)."""

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return z[:, None, None, :]


class LogitsAreTheImage(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1)


@pytest.mark.parametrize("steps, expected", [(0, 1), (4, 2)])
def test_snn_retrieves_the_nearest_available_image_of_the_moved_code(steps, expected):
    """Logits = code, two classes: the loss gradient of a class-0 seed points along (-1, 1) everywhere,
    so 4 normalised steps of 0.5 move the seed (3, 0) to (3 - sqrt 2, sqrt 2). Item 1 is the seed's
    nearest unlabelled neighbour, item 2 the moved code's: SNN must return the second."""
    codes = np.array([[3.0, 0.0], [3.1, 0.0], [1.6, 1.4], [-5.0, -5.0], [3.0, -3.0]], np.float32)
    pool = Pool(codes[:, None, None, :], None)
    pool.add(np.array([0]), np.array([0]))
    state = SelectionState(pool, torch.from_numpy(codes[:, None, None, :]), codes, LatentIndex(codes),
                           CodeAsImage(), LogitsAreTheImage(), torch.device("cpu"), 1, 2)
    cfg = SamplingConfig(ascent_steps=steps, ascent_step_size=0.5, ascent_normalize=True)
    selection = get_strategy("snn", cfg=cfg).select(state, 1, np.random.default_rng(0))
    (candidate,) = selection.candidates
    assert candidate.item == expected and candidate.seed_index == 0
    moved = np.array([3 - 2 / np.sqrt(2), 2 / np.sqrt(2)]) if steps else codes[0]
    assert np.allclose(selection.ascended[0], moved, atol=1e-5)
    assert candidate.distance == pytest.approx(float(np.linalg.norm(moved - codes[expected])), abs=1e-5)


def test_si_labels_the_decoded_codes_the_ascent_moved(trained):
    e = trained
    sampling = e.cfg.sampling
    selection = get_strategy("si", cfg=sampling).select(e._selection_state(e.round + 1), 12,
                                                       np.random.default_rng(3))
    seeds = np.array([c.seed_index for c in selection.candidates])
    assert len(seeds) == 12 == len(set(seeds.tolist()))  # 40 labelled: no repeats, no spreading
    expected = ascend(e.vae, e.model, torch.from_numpy(e.codes[seeds]), torch.as_tensor(e.pool.labels[seeds]),
                      sampling.ascent_steps, sampling.ascent_step_size, sampling.ascent_normalize)
    assert np.allclose(selection.ascended, expected.codes.numpy(), atol=1e-4)
    assert np.linalg.norm(selection.ascended - e.codes[seeds], axis=1).min() > 0.5  # they did move
    with torch.no_grad():
        decoded = e.vae.decode(torch.from_numpy(selection.ascended)).numpy()
    images = np.stack([selection.synthetic[c.item] for c in selection.candidates])
    assert np.allclose(images, decoded, atol=1e-5)


class HiddenTruth:
    """Stands in for the pool's ground truth: any use of it fails the test."""

    def _touched(self, *args, **kwargs):
        raise AssertionError("a strategy read the pool's hidden truth")

    __getitem__ = __array__ = __len__ = __iter__ = __bool__ = __int__ = __index__ = _touched

    def __getattr__(self, name):
        self._touched()


def test_no_strategy_reads_the_pools_hidden_truth(trained):
    e = trained
    truth, dataset_truth, strategy = e.pool.truth, e.dataset.pool_truth, e.strategy
    e.pool.truth = e.dataset.pool_truth = HiddenTruth()
    try:
        for name in STRATEGY_NAMES:
            e.strategy = get_strategy(name, cfg=replace(e.cfg.sampling, strategy=name))
            proposed = list(e.propose(e.round + 1))[-1]
            assert proposed.candidates, name
            e.pending, e.pending_round = None, None
    finally:
        e.pool.truth, e.dataset.pool_truth, e.strategy = truth, dataset_truth, strategy
        e.pending, e.pending_round = None, None


def test_labelled_set_grows_by_the_round_budget_and_stops_at_the_budget():
    cfg = tiny_config(strategy="snn")  # 40 initial, 30 a round, budget 100 -> 40, 70, 100
    engine = Engine(cfg, load_dataset(cfg.data))
    events = drive(engine, 3)
    finished = [e for e in events if isinstance(e, RoundFinished)]
    assert [f.labelled for f in finished] == [40, 70, 100]
    assert engine.finished and engine.round_size() == 0
    assert len(engine.pool.labelled_indices) == 100 == len(set(engine.pool.labelled_indices))


def test_short_digits_run_beats_chance_by_a_wide_margin():
    cfg = tiny_config(strategy="random")
    engine = Engine(cfg, load_dataset(cfg.data))
    events = drive(engine, 3)
    acc = [e.accuracy for e in events if isinstance(e, Evaluated)]
    assert acc[-1] > 0.6  # chance is 0.1


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["snn", "random"])
def test_same_config_and_seed_give_the_same_run(strategy):
    def one_run():
        cfg = tiny_config(strategy=strategy)
        engine = Engine(cfg, load_dataset(cfg.data))
        events = drive(engine, 3)
        picks = [tuple(c.item for c in e.candidates) for e in events if isinstance(e, CandidatesProposed)]
        accs = [e.accuracy for e in events if isinstance(e, Evaluated)]
        return picks, accs

    assert one_run() == one_run()


def test_different_seeds_pick_differently():
    from dataclasses import replace

    picks = []
    for seed in (0, 1):
        cfg = replace(tiny_config(strategy="random"), seed=seed)
        engine = Engine(cfg, load_dataset(cfg.data))
        list(engine.fit_vae())
        picks.append([c.item for c in list(engine.propose(0))[-1].candidates])
    assert picks[0] != picks[1]


def test_apply_labels_refuses_items_that_were_not_proposed(trained):
    from alss_tui.errors import LabelError

    e = trained
    list(e.propose(e.round + 1))
    with pytest.raises(LabelError, match="was not proposed"):
        list(e.apply_labels(e.round + 1, {int(e.pool.labelled_indices[0]): 1}))
    with pytest.raises(LabelError, match="not a class"):
        list(e.apply_labels(e.round + 1, {e.pending.candidates[0].item: 42}))
    with pytest.raises(LabelError, match="not waiting"):
        list(e.apply_labels(e.round + 5, {}))
    e.pending = None


@pytest.mark.slow
def test_state_dict_round_trip_resumes_identically():
    """Checkpoint after round 1, continue in a fresh engine: same picks as an uninterrupted run."""
    import io

    cfg = tiny_config(strategy="snn")
    data = load_dataset(cfg.data)
    straight = Engine(cfg, data)
    events = drive(straight, 3)
    straight_picks = [tuple(c.item for c in e.candidates) for e in events if isinstance(e, CandidatesProposed)]

    first = Engine(cfg, load_dataset(cfg.data))
    drive(first, 2)
    buf = io.BytesIO()
    torch.save(first.state_dict(), buf)
    buf.seek(0)
    resumed = Engine(cfg, load_dataset(cfg.data))
    resumed.load_state_dict(torch.load(buf, weights_only=True))
    later = drive(resumed, 1)
    later_picks = [tuple(c.item for c in e.candidates) for e in later if isinstance(e, CandidatesProposed)]
    assert later_picks == straight_picks[2:]
    assert np.array_equal(resumed.pool.labels, straight.pool.labels)
