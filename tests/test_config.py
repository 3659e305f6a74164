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


def test_every_declared_strategy_has_a_class_with_select_and_every_strategy_class_is_declared():
    """A typo in a declaration, or a strategy class nobody declared, fails here."""
    import importlib
    import inspect
    import pkgutil

    from alss_tui.core import strategies

    declared = {strategies.strategy_class(s.name) for s in config.STRATEGIES}
    for s in config.STRATEGIES:
        assert callable(getattr(strategies.strategy_class(s.name), "select", None)), s.name
        for knob in s.knobs:
            section, key = knob.split(".")
            assert hasattr(getattr(RunConfig(), section), key), f"{s.name} reads an unknown key {knob}"
    found = set()
    for mod in pkgutil.iter_modules(strategies.__path__):
        module = importlib.import_module(f"{strategies.__name__}.{mod.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and not cls.__name__.startswith("_") and callable(
                    getattr(cls, "select", None)):
                found.add(cls)
    assert found == declared


def test_an_undeclared_strategy_is_refused_everywhere_it_can_be_named():
    with pytest.raises(ConfigError, match="sampling.strategy: unknown strategy 'nope'"):
        config.apply_overrides(RunConfig(), ["sampling.strategy=nope"])
    with pytest.raises(KeyError):
        config.strategy("nope")


def test_every_bad_field_is_reported_at_once_each_on_its_own_line():
    with pytest.raises(ConfigError) as err:
        config.from_dict({"seed": -1, "vae": {"epochs": 0}, "task": {"lr_schedule": "x"},
                          "sampling": {"initial": 60, "budget": 50}})
    keys = [k for k, _ in err.value.problems]
    assert keys == ["seed", "vae.epochs", "task.lr_schedule", "sampling.budget"]
    assert str(err.value).splitlines() == [f"{k}: {m}" for k, m in err.value.problems]
    assert "sampling.budget: must be >= sampling.initial (60)" in str(err.value)
    with pytest.raises(ConfigError) as err:  # type errors and unknown keys, all at once too
        config.from_dict({"seed": "x", "vae": {"epochs": 1.5, "colour": 1}})
    assert [k for k, _ in err.value.problems] == ["seed", "vae.colour", "vae.epochs"]


def test_every_field_is_declared_and_its_default_meets_its_own_declaration():
    leaves = list(config.leaves(RunConfig))
    assert len(leaves) == len({leaf.key for leaf in leaves}) > 40
    for leaf in leaves:
        assert leaf.setting.help, leaf.key
        assert leaf.setting.problem(leaf.default) is None, leaf.key


def test_the_config_reference_page_is_what_the_declarations_generate():
    from alss_tui.config.doc import markdown

    page = (REPO / "docs" / "config.md").read_text(encoding="utf-8")
    assert page == markdown(), "docs/config.md is stale: python -m alss_tui.config.doc > docs/config.md"
    for leaf in config.leaves(RunConfig):
        assert f"| `{leaf.key}` |" in page
