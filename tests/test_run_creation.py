"""One way to make a run (create_run), one way to start it detached (launch), and handing an engine a VAE."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from alss_tui.config import RunConfig, VaeConfig
from alss_tui.errors import StoreError
from alss_tui.runner.launch import launch
from alss_tui.store.locks import RunLock
from alss_tui.store.registry import Registry
from alss_tui.store.run_ops import create_run
from conftest import tiny_config


def test_create_run_writes_the_folder_and_registers_it(home):
    cfg = replace(RunConfig(name="made"), seed=7)
    folder = create_run(home, cfg, bench="abc123")
    assert folder.path.parent == Registry(home).runs_dir
    assert folder.load_config() == cfg
    assert folder.events_path.is_file() and folder.labels_path.is_file() and folder.checkpoint_dir.is_dir()
    doc = Registry(home).get(folder.run_id)
    assert doc["status"] == "created" and doc["bench"] == "abc123"
    assert (doc["name"], doc["seed"], doc["strategy"]) == ("made", 7, cfg.sampling.strategy)


def test_a_run_recorded_before_a_key_existed_resumes_with_the_value_it_ran_with(home, tmp_path):
    from alss_tui import config as config_mod

    folder = create_run(home, RunConfig(name="older"))
    text = folder.config_path.read_text(encoding="utf-8")
    assert "class_balance = 1.0" in text  # today's runs record the key ...
    folder.config_path.write_text(text.replace("class_balance = 1.0\n", ""), encoding="utf-8")
    assert folder.load_config().task.class_balance == 0.0  # ... an older run's folder lacks it: drawn alike
    own = tmp_path / "mine.toml"  # a person's config file without the key gets today's default
    own.write_text('name = "mine"\n[task]\nwidth = 8\n', encoding="utf-8")
    assert config_mod.load(own).task.class_balance == 1.0


def test_launch_marks_the_run_starting_and_refuses_a_live_one(home, monkeypatch):
    started: list[str] = []
    monkeypatch.setattr("alss_tui.runner.launch.start_detached", lambda h, folder: started.append(folder.run_id) or 4242)
    folder = create_run(home, RunConfig())
    Registry(home).upsert(folder.run_id, status="failed", error="out of memory", pid=123)
    assert launch(home, folder.run_id) == 4242 and started == [folder.run_id]
    doc = Registry(home).get(folder.run_id)
    assert doc["status"] == "starting" and doc["error"] is None and doc["pid"] is None
    with RunLock(folder.lock_path):
        with pytest.raises(StoreError, match="already running"):
            launch(home, folder.run_id)
    assert started == [folder.run_id]


def test_an_engine_given_a_vae_selects_as_the_one_that_trained_it():
    from alss_tui.core.engine import Engine
    from alss_tui.data.loaders import load_dataset

    cfg = replace(tiny_config(strategy="snn"), vae=VaeConfig(epochs=1, width=8))
    data = load_dataset(cfg.data)
    trained = Engine(cfg, data)
    for _ in trained.fit_vae():
        pass
    given = Engine(cfg, data)
    given.use_vae(trained.vae.state_dict(), trained.codes)
    assert np.array_equal(given.codes, trained.codes)
    assert np.array_equal(given.latent_map()["xy"], trained.latent_map()["xy"])
    for engine in (trained, given):
        for _ in engine.propose(0):
            pass
    assert [c.item for c in given.pending.candidates] == [c.item for c in trained.pending.candidates]
    with pytest.raises(ValueError, match="codes for a pool"):
        Engine(cfg, data).use_vae(trained.vae.state_dict(), trained.codes[:-1])
