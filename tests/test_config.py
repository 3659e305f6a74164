from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alss_tui import config
from alss_tui.config import RunConfig, SamplingConfig
from alss_tui.errors import ConfigError
from conftest import REPO


def test_defaults_are_valid():
    assert config.validate(RunConfig()) == RunConfig()


@pytest.mark.parametrize("path", sorted((REPO / "alss_tui" / "presets").glob("*.toml")), ids=lambda p: p.name)
def test_shipped_presets_load(path):
    cfg = config.load(path)
    assert cfg.name == path.stem


def test_round_trip_through_toml(tmp_path):
    cfg = replace(RunConfig(name='quote " and \\ back'), sampling=SamplingConfig(strategy="random", budget=500))
    path = tmp_path / "c.toml"
    path.write_text(config.dumps(cfg))
    assert config.load(path) == cfg


@pytest.mark.parametrize("data, key", [
    ({"sampling": {"bogus": 1}}, "sampling.bogus: unknown key"),
    ({"colour": "red"}, "colour: unknown key"),
    ({"vae": {"epochs": "ten"}}, "vae.epochs: expected an integer"),
    ({"vae": {"epochs": 2.5}}, "vae.epochs: expected an integer"),
    ({"task": {"restart_each_round": 1}}, "task.restart_each_round: expected true or false"),
    ({"sampling": {"budget": -5}}, "sampling.budget"),
    ({"sampling": {"per_round": 0}}, "sampling.per_round"),
    ({"sampling": {"strategy": "magic"}}, "sampling.strategy: unknown strategy 'magic'"),
    ({"data": {"dataset": "mnist"}}, "data.data_root: is required"),
    ({"vae": 3}, "vae: expected a table"),
    ({"task": {"evaluate_on": "train"}}, "task.evaluate_on: must be one of test, validation"),
    ({"task": {"evaluate_on": "validation"}}, "task.evaluate_on: 'validation' needs a validation split"),
])
def test_bad_values_name_the_key(data, key):
    with pytest.raises(ConfigError) as err:
        config.from_dict(data)
    assert str(err.value).startswith(key.split(":")[0])
    assert key in str(err.value)


def test_overrides_are_typed_and_validated():
    cfg = config.apply_overrides(RunConfig(), ["sampling.strategy=random", "seed=3", "vae.lr=0.01",
                                               "task.restart_each_round=false"])
    assert (cfg.sampling.strategy, cfg.seed, cfg.vae.lr, cfg.task.restart_each_round) == ("random", 3, 0.01, False)
    for bad, msg in [("seed=abc", "seed: expected an integer"), ("nope.x=1", "nope.x: unknown key"),
                     ("sampling=1", "sampling: unknown key"), ("sampling.budget", "expected key=value"),
                     ("sampling.budget=-1", "sampling.budget")]:
        with pytest.raises(ConfigError, match=msg):
            config.apply_overrides(RunConfig(), [bad])


def test_unreadable_files_give_one_line(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        config.load(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[sampling\nstrategy = ")
    with pytest.raises(ConfigError, match="not valid TOML"):
        config.load(bad)
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError):
        config.load(binary)


def test_rounds_counts_partial_last_round():
    cfg = RunConfig(sampling=SamplingConfig(initial=50, per_round=40, budget=150))
    assert cfg.rounds == 3  # 40 + 40 + 20


@settings(max_examples=60, deadline=None)
@given(initial=st.integers(1, 500), per_round=st.integers(1, 500), extra=st.integers(0, 5000),
       steps=st.integers(0, 50), size=st.floats(1e-4, 10, allow_nan=False),
       name=st.text(min_size=1, max_size=20).filter(lambda s: s.strip() and "\x00" not in s))
def test_any_valid_config_round_trips(tmp_path_factory, initial, per_round, extra, steps, size, name):
    cfg = RunConfig(name=name, sampling=SamplingConfig(initial=initial, per_round=per_round, budget=initial + extra,
                                                       ascent_steps=steps, ascent_step_size=size))
    path = tmp_path_factory.mktemp("cfg") / "c.toml"
    path.write_text(config.dumps(cfg), encoding="utf-8")
    assert config.load(path) == cfg


def test_every_strategy_name_has_a_class_and_every_class_a_name():
    """The names a config may use live beside the config; the algorithm maps each to its class."""
    import importlib

    from alss_tui.core import strategies

    assert set(strategies._CLASSES) == set(config.STRATEGY_NAMES)
    assert strategies.STRATEGY_NAMES is config.STRATEGY_NAMES
    for name in config.STRATEGY_NAMES:
        module_name, _, class_name = strategies._CLASSES[name].partition(":")
        assert hasattr(importlib.import_module(module_name), class_name), name
