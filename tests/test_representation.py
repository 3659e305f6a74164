"""Backbones, weights and features computed once (task.model, task.weights, task.train)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from dataclasses import replace

import numpy as np
import pytest
import torch

from alss_tui.config import EncoderConfig, TaskConfig, VaeConfig
from alss_tui.core.engine import Engine
from alss_tui.core.events import CandidatesProposed, Evaluated
from alss_tui.data.loaders import load_dataset
from alss_tui.errors import DataError
from conftest import REPO, tiny_config


def frozen_config(**task):
    cfg = tiny_config()
    return replace(cfg, task=replace(cfg.task, train="head", weights="pool", **task),
                   encoder=EncoderConfig(epochs=1, batch_size=128), vae=VaeConfig(epochs=1, width=8))


def prepared(cfg, cache=None):
    engine = Engine(cfg, load_dataset(cfg.data, cache / "pools" if cache else None), cache)
    events = list(engine.prepare_representation())
    return engine, events


def drive(engine, rounds):
    from alss_tui.runner.oracle import SimulatedOracle

    oracle = SimulatedOracle(engine.dataset.pool_truth)
    events = list(engine.prepare_representation())
    events += list(engine.fit_vae()) if engine.vae is None else []
    for r in range(engine.round + 1, engine.round + 1 + rounds):
        events += list(engine.propose(r))
        sel = engine.pending
        events += list(engine.apply_labels(r, oracle.label(r, sel.candidates, sel.synthetic)))
        events += list(engine.train_task(r))
        events += list(engine.evaluate(r))
        events += list(engine.finish_round(r, 0.0, {}))
    return events


def test_a_pool_encoder_saved_and_loaded_by_path_gives_the_same_features_bit_for_bit(tmp_path):
    cfg = frozen_config()
    first, events = prepared(cfg, tmp_path / "cache")
    assert any(getattr(e, "phase", None) == "encoder" for e in events)  # it trained, with events
    saved = list((tmp_path / "cache" / "encoders").glob("encoder-*.pt"))
    assert len(saved) == 1  # the pool encoder, cached like the VAE
    by_path = replace(cfg, task=replace(cfg.task, weights=str(saved[0])))
    second, _ = prepared(by_path)  # another run, no cache: the weights come from the file
    a = np.asarray(first.representation.features["pool"].pixels)
    b = np.asarray(second.representation.features["pool"].pixels)
    assert a.shape == b.shape and np.array_equal(a, b)
    assert first.representation.weights_digest == second.representation.weights_digest
    # The file is in the backbone's own layout: the small CNN's names, so it loads into a SmallCNN too.
    from alss_tui.models.classifier import SmallCNN

    state = torch.load(saved[0], weights_only=True)["state"]
    assert set(state) == {k for k in SmallCNN((1, 8, 8), 10, 16).state_dict() if not k.startswith("head.")}


@pytest.mark.slow
def test_imagenet_weights_are_read_from_the_torch_cache_or_named_with_how_to_get_them(tmp_path, monkeypatch):
    from torchvision.models import resnet18

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    cfg = replace(tiny_config(), task=replace(tiny_config().task, model="resnet18", weights="imagenet",
                                              train="head", input_size=32))
    with pytest.raises(DataError) as err:
        prepared(cfg)
    line = str(err.value)
    assert "\n" not in line and "resnet18-f37072fd.pth" in line and str(tmp_path / "torch" / "hub" / "checkpoints") in line
    assert "--download" in line
    # A file of the right name and shapes (these machines cannot fetch the real one) loads.
    target = tmp_path / "torch" / "hub" / "checkpoints" / "resnet18-f37072fd.pth"
    target.parent.mkdir(parents=True)
    torch.manual_seed(7)
    torch.save(resnet18().state_dict(), target)
    engine, events = prepared(cfg)
    assert any(getattr(e, "phase", None) == "features" for e in events)
    assert engine.representation.features["pool"].shape == (len(engine.pool), 512)
    loaded = engine.representation.backbone.net.conv1.weight
    assert torch.equal(loaded, torch.load(target, weights_only=True)["conv1.weight"])


@pytest.mark.parametrize("damage", ["truncated", "another architecture", "a pickle of code", "no tensors"])
def test_a_bad_weights_file_is_one_line_and_nothing_is_half_loaded(tmp_path, damage):
    from torchvision.models import mobilenet_v3_small

    from alss_tui.models import weights as weights_mod
    from alss_tui.models.backbones import make_backbone

    path = tmp_path / "weights.pt"
    good = make_backbone("cnn", (1, 8, 8), 16).state_dict()
    if damage == "truncated":
        buf = io.BytesIO()
        torch.save(good, buf)
        path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    elif damage == "another architecture":
        torch.save(mobilenet_v3_small().state_dict(), path)
    elif damage == "a pickle of code":
        import pickle

        path.write_bytes(pickle.dumps(os.system))
    else:
        torch.save({"epoch": 3, "note": "no weights here"}, path)
    cfg = replace(tiny_config(), task=replace(tiny_config().task, weights=str(path)))
    with pytest.raises(DataError) as err:
        prepared(cfg)
    assert str(path) in str(err.value) and "\n" not in str(err.value)
    # The check comes before any copy: a backbone handed a mismatched state is left as it was.
    backbone = make_backbone("cnn", (1, 8, 8), 16)
    before = {k: v.clone() for k, v in backbone.state_dict().items()}
    wrong = {k: v for k, v in good.items()}
    wrong["embed.1.weight"] = torch.zeros(3, 3)
    with pytest.raises(DataError, match="another architecture"):
        weights_mod.load_into(backbone, wrong, path)
    assert all(torch.equal(before[k], v) for k, v in backbone.state_dict().items())


def test_the_feature_cache_is_reused_and_rebuilt_when_the_pool_or_the_weights_change(tmp_path):
    cache = tmp_path / "cache"
    cfg = frozen_config()
    first, _ = prepared(cfg, cache)
    entries = lambda: sorted(p.name for p in (cache / "features").iterdir() if not p.name.startswith("."))  # noqa: E731
    assert len(entries()) == 1
    again, events = prepared(cfg, cache)
    assert not any(getattr(e, "phase", None) in ("features", "encoder") for e in events)  # read, not computed
    assert isinstance(again.representation.features["pool"].pixels, np.memmap)
    other_pool = replace(cfg, data=replace(cfg.data, validation_size=100))
    prepared(other_pool, cache)
    assert len(entries()) == 2
    other_weights = replace(cfg, encoder=replace(cfg.encoder, lr=5e-3))  # another encoder: other weights
    prepared(other_weights, cache)
    assert len(entries()) == 3


KILLED_PASS = textwrap.dedent("""
    import sys, time
    from dataclasses import replace
    sys.path.insert(0, sys.argv[2])
    from test_representation import frozen_config, prepared
    from alss_tui.models import backbones

    plain = backbones.CnnBackbone.forward
    def slow(self, x):
        if not self.training:  # the feature pass, not the encoder's training
            print("batch", flush=True)
            time.sleep(0.4)
        return plain(self, x)
    backbones.CnnBackbone.forward = slow
    from pathlib import Path
    prepared(replace(frozen_config(), task=replace(frozen_config().task, weights="none")), Path(sys.argv[1]))
    print("finished", flush=True)
""")


@pytest.mark.slow
def test_a_kill_during_the_feature_pass_never_leaves_features_that_look_finished(tmp_path):
    cache = tmp_path / "cache"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_PASS, str(cache), str(REPO / "tests")],
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.stdout.readline().strip() == "batch"
    proc.kill()
    proc.wait()
    folder = cache / "features"
    assert [p.name for p in folder.iterdir() if not p.name.startswith(".")] == []  # nothing under a final name
    assert any(p.name.startswith(".tmp-") for p in folder.iterdir())
    cfg = replace(frozen_config(), task=replace(frozen_config().task, weights="none"))
    engine, events = prepared(cfg, cache)
    assert any(getattr(e, "phase", None) == "features" for e in events)  # computed afresh
    assert not any(p.name.startswith(".tmp-") for p in folder.iterdir())  # the dead writer's folder is gone
    assert np.isfinite(np.asarray(engine.representation.features["pool"].pixels)).all()


def test_a_frozen_backbone_run_resumed_from_a_checkpoint_picks_and_scores_as_an_uninterrupted_one(tmp_path):
    cfg = replace(frozen_config(), sampling=replace(tiny_config().sampling, strategy="margin"))
    straight = Engine(cfg, load_dataset(cfg.data))
    events = drive(straight, 3)
    picks = [tuple(c.item for c in e.candidates) for e in events if isinstance(e, CandidatesProposed)]
    accs = [e.accuracy for e in events if isinstance(e, Evaluated)]

    first = Engine(cfg, load_dataset(cfg.data))
    drive(first, 2)
    buf = io.BytesIO()
    torch.save(first.state_dict(), buf)
    buf.seek(0)
    resumed = Engine(cfg, load_dataset(cfg.data))  # no cache: the backbone comes from the checkpoint
    resumed.load_state_dict(torch.load(buf, weights_only=True))
    later = drive(resumed, 1)
    assert not any(getattr(e, "phase", None) == "encoder" for e in later)  # not trained again
    assert [tuple(c.item for c in e.candidates) for e in later if isinstance(e, CandidatesProposed)] == picks[2:]
    assert [e.accuracy for e in later if isinstance(e, Evaluated)] == accs[2:]


def test_a_head_on_frozen_features_scores_the_whole_pool_in_one_product():
    """Full-pool margin with a frozen backbone: the head on cached features, no pass through the backbone."""
    cfg = replace(frozen_config(), sampling=replace(tiny_config().sampling, strategy="margin"))
    engine = Engine(cfg, load_dataset(cfg.data))
    drive(engine, 1)
    calls = []
    backbone = engine.representation.backbone
    handle = backbone.register_forward_hook(lambda *a: calls.append(1))
    list(engine.propose(1))
    handle.remove()
    assert calls == [] and len(engine.pending.candidates) == cfg.sampling.per_round


def test_device_is_decided_in_one_place():
    """Only core.training.resolve_device names CUDA; everything else moves tensors to the device it is given."""
    offenders = []
    for path in (REPO / "alss_tui").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(REPO).as_posix()
        for needle in (".cuda(", "torch.cuda", '"cuda"'):
            if needle in text and rel not in ("alss_tui/core/training.py", "alss_tui/config/sections.py"):
                offenders.append(f"{rel}: {needle}")
    assert offenders == []


def test_a_vae_of_features_refuses_si_and_needs_a_frozen_backbone():
    from alss_tui import config

    with pytest.raises(Exception, match="vae.input"):
        config.apply_overrides(config.RunConfig(), ["vae.input=features"])
    with pytest.raises(Exception, match="si labels decoded images"):
        config.apply_overrides(config.RunConfig(), ["vae.input=features", "task.train=head", "sampling.strategy=si",
                                                   "oracle.kind=function", "oracle.function=a:b"])
    assert TaskConfig().model == "cnn"
