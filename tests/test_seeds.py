"""Seed choice: the seed set grows with synthetic labels, draws never repeat needlessly,
and one round never proposes the same synthetic image or pool image twice."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch

from alss_tui.config import SamplingConfig
from alss_tui.core.engine import Engine
from alss_tui.runner.review_material import review_material
from alss_tui.core.latent_index import LatentIndex
from alss_tui.core.strategies import get_strategy
from alss_tui.core.strategies.base import LabelledSynthetic, SelectionState
from alss_tui.core.strategies.seeds import choose_seeds, draw_positions
from alss_tui.data.loaders import load_dataset
from alss_tui.data.pool import Pool
import strategy_helpers
from conftest import tiny_config



@pytest.mark.parametrize("m, n", [(100, 150), (40, 30), (30, 30), (7, 50), (1, 3)])
def test_draws_are_without_replacement_while_there_are_enough(m, n):
    positions, copies = draw_positions(m, n, np.random.default_rng(0))
    assert len(positions) == n
    uses = np.bincount(positions, minlength=m)
    if m >= n:
        assert uses.max() == 1 and not copies.any()
    else:
        # Every seed once per pass, the remainder distinct: uses differ by at most one.
        assert uses.min() == n // m and uses.max() == -(-n // m)
        # The copy number counts earlier uses of the same seed.
        for k, p in enumerate(positions):
            assert copies[k] == np.sum(positions[:k] == p)


def test_without_synthetic_seeds_the_draw_is_the_one_runs_always_made():
    """Runs whose labelled set covers the round pick exactly what they picked before."""
    labelled = np.array([3, 8, 9, 20, 31, 44, 57])
    old = np.random.default_rng(5).choice(labelled, size=4, replace=False)
    positions, _ = draw_positions(len(labelled), 4, np.random.default_rng(5))
    assert np.array_equal(labelled[positions], old)


@pytest.fixture(scope="module")
def small_world():
    return strategy_helpers.tiny_world(80)


def state_with(small_world, labelled: int, synthetic: int = 0) -> SelectionState:
    images, truth, codes, vae, model = small_world
    pool = Pool(images, None)
    pool.add(np.arange(labelled), truth[:labelled])
    syn = None
    if synthetic:
        gen = np.random.default_rng(1)
        syn_codes = gen.normal(size=(synthetic, codes.shape[1])).astype(np.float32)
        with torch.no_grad():
            syn_images = vae.decode(torch.from_numpy(syn_codes)).numpy()
        syn = LabelledSynthetic(-1 - np.arange(synthetic), syn_codes, gen.integers(0, 3, synthetic), syn_images)
    return SelectionState(pool, torch.from_numpy(images), codes, LatentIndex(codes), vae, model,
                          torch.device("cpu"), 1, 3, next_synthetic_id=-1 - synthetic, synthetic=syn)


def test_labelled_synthetic_images_are_seeds_with_their_own_codes_and_labels(small_world):
    state = state_with(small_world, labelled=5, synthetic=6)
    seeds = choose_seeds(state, 11, "random", np.random.default_rng(0))
    assert sorted(seeds.ids.tolist()) == sorted(list(range(5)) + [-1, -2, -3, -4, -5, -6])
    for sid, code, label in zip(seeds.ids, seeds.codes, seeds.labels):
        if sid >= 0:
            assert np.array_equal(code, state.codes[sid]) and label == state.pool.labels[sid]
        else:
            row = int(np.flatnonzero(state.synthetic.ids == sid)[0])
            assert np.array_equal(code, state.synthetic.codes[row]) and label == state.synthetic.labels[row]


@pytest.mark.parametrize("how", ["hardest", "uncertain"])
def test_ranked_seed_choice_scores_synthetic_seeds_too(small_world, how):
    state = state_with(small_world, labelled=5, synthetic=6)
    seeds = choose_seeds(state, 4, how, np.random.default_rng(0))
    assert seeds.forward_passes == 11  # every seed scored once: 5 pool images and 6 synthetic ones
    assert len(set(seeds.ids.tolist())) == 4


def test_repeated_seeds_start_one_step_apart_never_from_the_same_code(small_world):
    state = state_with(small_world, labelled=4)
    seeds = choose_seeds(state, 10, "random", np.random.default_rng(0), spread=0.2)
    assert sorted(np.bincount(seeds.ids, minlength=4).tolist()) == [2, 2, 3, 3]
    assert len(np.unique(seeds.codes, axis=0)) == 10
    for sid in range(4):
        rows = np.flatnonzero(seeds.ids == sid)
        offsets = np.linalg.norm(seeds.codes[rows] - state.codes[sid], axis=1)
        assert np.sum(offsets == 0) == 1  # the first copy starts at the seed itself
        assert np.allclose(np.sort(offsets)[1:], 0.2, atol=1e-5)


@pytest.mark.parametrize("name", ["snn", "snn-rerank", "snn-steer"])
def test_a_round_larger_than_the_labelled_set_asks_about_distinct_pool_images(small_world, name):
    state = state_with(small_world, labelled=5)
    selection = get_strategy(name, cfg=SamplingConfig(ascent_steps=2, candidates_per_pick=3)).select(
        state, 20, np.random.default_rng(0))
    items = [c.item for c in selection.candidates]
    assert len(items) == 20 == len(set(items)) and not set(items) & set(range(5))
    assert len(np.unique(selection.ascended, axis=0)) == 20


def test_si_never_proposes_two_identical_images_even_with_few_seeds(small_world):
    state = state_with(small_world, labelled=5, synthetic=2)
    selection = get_strategy("si", cfg=SamplingConfig(ascent_steps=2)).select(state, 30, np.random.default_rng(0))
    assert len(selection.candidates) == 30 == len(selection.synthetic)
    flat = np.stack([selection.synthetic[c.item] for c in selection.candidates]).reshape(30, -1)
    assert len(np.unique(flat, axis=0)) == 30
    assert [c.item for c in selection.candidates] == list(range(-3, -33, -1))  # ids continue the run's
    assert {c.seed_index for c in selection.candidates} == {0, 1, 2, 3, 4, -1, -2}


# --- in the engine: SI's seed set grows with its labels, and survives a checkpoint ------------

def label_round(engine: Engine, r: int) -> None:
    """Label a round by hand: pool items with their truth, synthetic ones with their seed's label."""
    list(engine.propose(r))
    sel = engine.pending
    answers = {c.item: (c.seed_label if c.kind == "synthetic" else int(engine.dataset.pool_truth[c.item]))
               for c in sel.candidates}
    list(engine.apply_labels(r, answers))
    list(engine.train_task(r))
    list(engine.evaluate(r))
    list(engine.finish_round(r, 0.0, {}))


@pytest.fixture(scope="module")
def si_engine():
    cfg = tiny_config(strategy="si")  # 40 initial, 30 a round
    engine = Engine(cfg, load_dataset(cfg.data))
    list(engine.fit_vae())
    label_round(engine, 0)
    label_round(engine, 1)
    return engine


@pytest.mark.slow
def test_si_keeps_the_moved_code_of_each_labelled_synthetic_image(si_engine):
    e = si_engine
    assert len(e.synthetic) == 30
    assert e.synthetic.items == list(range(-1, -31, -1))
    with torch.no_grad():
        decoded = e.vae.decode(torch.from_numpy(e.synthetic.codes())).numpy()
    assert np.allclose(decoded, e.synthetic.images(), atol=1e-5)


def test_si_seeds_from_its_synthetic_labels_in_the_next_round(si_engine):
    e = si_engine
    list(e.propose(2))
    seeds = {c.seed_index for c in e.pending.candidates}
    assert any(s < 0 for s in seeds), "synthetic images never became seeds"
    assert seeds <= set(e.pool.labelled_indices.tolist()) | set(e.synthetic.items)
    material = review_material(e, e.pending)  # seed pixels and positions for synthetic seeds too
    row = next(k for k, c in enumerate(e.pending.candidates) if c.seed_index < 0)
    expect = e.synthetic[e.pending.candidates[row].seed_index].image
    assert np.array_equal(material["seeds"][row], np.clip(np.rint(expect * 255), 0, 255).astype(np.uint8))
    e.pending, e.pending_round = None, None


def test_checkpoints_keep_synthetic_seeds_and_old_ones_still_load(si_engine):
    e = si_engine
    state = e.state_dict()
    buf = io.BytesIO()
    torch.save(state, buf)
    buf.seek(0)
    resumed = Engine(e.cfg, e.dataset)
    resumed.load_state_dict(torch.load(buf, weights_only=True))
    assert resumed.synthetic.items == e.synthetic.items
    assert np.array_equal(resumed.synthetic.codes(), e.synthetic.codes())

    old = {k: v for k, v in state.items() if k not in ("synthetic_codes", "synthetic_items")}
    legacy = Engine(e.cfg, e.dataset)
    legacy.load_state_dict(old)
    # Codes re-encoded from the pixels; ids fresh, below every id already used.
    assert len(legacy.synthetic) == 30 and legacy.synthetic.codes()[0].shape == (e.cfg.vae.latent_dim,)
    assert max(legacy.synthetic.items) <= e.next_synthetic_id and legacy.next_synthetic_id < min(legacy.synthetic.items)
    assert len(set(legacy.synthetic.items)) == 30
    list(legacy.propose(2))
    assert len(legacy.pending.candidates) == 30
