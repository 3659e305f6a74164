"""Checking a rule step's parameters: each kind lists its parameters with a checker and a default.

A checker gets the value as TOML gave it and the rule read so far (its datasets,
recipes and earlier steps), and returns the value to use or raises BenchError
with one line saying where and what.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from alss_tui.config import STRATEGY_NAMES
from alss_tui.errors import BenchError

REQUIRED = object()


@dataclass
class Scope:
    """What a parameter may name: the rule's datasets and recipes, earlier steps; `where` prefixes errors."""

    where: str
    datasets: tuple[str, ...]
    recipes: tuple[str, ...]
    steps: tuple[str, ...] = ()
    settings: frozenset[str] = field(default_factory=frozenset)

    def fail(self, message: str):
        raise BenchError(f"{self.where}: {message}")


Checker = Callable[[object, Scope, str], object]


@dataclass(frozen=True)
class Param:
    check: Checker
    default: object = REQUIRED


def read_params(raw: dict, spec: dict[str, Param], scope: Scope) -> dict:
    """`raw` checked against `spec`: no unknown key, every required one, each of the right type."""
    unknown = sorted(set(raw) - set(spec))
    if unknown:
        scope.fail(f"unknown key {unknown[0]!r} (it takes {', '.join(spec)})")
    out = {}
    for name, param in spec.items():
        if name in raw:
            out[name] = param.check(raw[name], scope, name)
        elif param.default is REQUIRED:
            scope.fail(f"needs {name!r}")
        else:
            out[name] = param.default
    return out


def text(value, scope: Scope, name: str) -> str:
    if not isinstance(value, str) or not value:
        scope.fail(f"{name} must be a non-empty string, not {value!r}")
    return value


def texts(value, scope: Scope, name: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        scope.fail(f"{name} must be a non-empty list of strings, not {value!r}")
    if len(set(value)) != len(value):
        scope.fail(f"{name} lists a value twice")
    return list(value)


def number(value, scope: Scope, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        scope.fail(f"{name} must be a number, not {value!r}")
    return value


def flag(value, scope: Scope, name: str) -> bool:
    if not isinstance(value, bool):
        scope.fail(f"{name} must be true or false, not {value!r}")
    return value


def seeds(value, scope: Scope, name: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        scope.fail(f"{name} must be a non-empty list of integers, not {value!r}")
    return tuple(value)


def _one_of(what: str, choices: Callable[[Scope], tuple[str, ...]]) -> Checker:
    """A checker for a name that must be one of `choices` (the strategies, the rule's datasets, ...)."""
    def check(value, scope: Scope, name: str) -> str:
        text(value, scope, name)
        names = choices(scope)
        if value not in names:
            scope.fail(f"{name}: unknown {what} {value!r}; one of {', '.join(names) or 'none'}")
        return value
    return check


strategy_name = _one_of("strategy", lambda scope: STRATEGY_NAMES)
dataset = _one_of("dataset", lambda scope: scope.datasets)
recipe = _one_of("recipe", lambda scope: scope.recipes)


def strategy_names(value, scope: Scope, name: str) -> list[str]:
    return [strategy_name(v, scope, name) for v in texts(value, scope, name)]


def datasets(value, scope: Scope, name: str) -> list[str]:
    return [dataset(v, scope, name) for v in texts(value, scope, name)]


def strategy_or_result(value, scope: Scope, name: str) -> str:
    """A strategy's name, or `STEP.FIELD`: the strategy an earlier step chose (e.g. default.winner)."""
    text(value, scope, name)
    if "." in value:
        step = value.rsplit(".", 1)[0]
        if step not in scope.steps:
            scope.fail(f"{name} = {value!r}: no earlier step {step!r} (steps before it: "
                       f"{', '.join(scope.steps) or 'none'})")
        return value
    return strategy_name(value, scope, name)


def setting(value, scope: Scope, name: str) -> str:
    text(value, scope, name)
    if value not in scope.settings:
        scope.fail(f"{name}: {value!r} is not a config setting (section.key)")
    return value


def settings(value, scope: Scope, name: str) -> list[str]:
    if value == []:
        return []
    return [setting(v, scope, name) for v in texts(value, scope, name)]


def targets(value, scope: Scope, name: str) -> dict[str, tuple[str, ...]]:
    """{dataset: [0.95, 0.97]} -> {dataset: ("0.95", "0.97")}: targets as a bench summary keys them."""
    if not isinstance(value, dict) or not value:
        scope.fail(f"{name} must be a table of dataset = [targets]")
    out = {}
    for d, ts in value.items():
        dataset(d, scope, name)
        if not isinstance(ts, list) or not ts or not all(isinstance(t, (int, float)) and not isinstance(t, bool)
                                                         and 0 < t <= 1 for t in ts):
            scope.fail(f"{name}.{d} must be a list of accuracies between 0 and 1, not {ts!r}")
        out[d] = tuple(f"{t:.2f}" for t in ts)
    return out


def values(value, scope: Scope, name: str) -> list:
    if not isinstance(value, list) or not value or any(isinstance(v, (dict, list)) for v in value):
        scope.fail(f"{name} must be a non-empty list of setting values, not {value!r}")
    return list(value)


def knob_values(value, scope: Scope, name: str) -> dict[str, list]:
    """{setting: [values the rule tries]}, e.g. {"sampling.ascent_steps": [3, 10, 30]}."""
    if not isinstance(value, dict):
        scope.fail(f"{name} must be a table")
    flat = flatten(value)
    return {setting(k, scope, name): values(v, scope, f"{name}.{k}") for k, v in flat.items()}


def table(spec: dict[str, Param]) -> Checker:
    """A sub-table of parameters, itself checked against `spec`."""
    def check(value, scope: Scope, name: str) -> dict:
        if not isinstance(value, dict):
            scope.fail(f"{name} must be a table")
        return read_params(value, spec, Scope(f"{scope.where}, {name}", scope.datasets, scope.recipes, scope.steps,
                                              scope.settings))
    return check


def flatten(tree: dict) -> dict:
    """{"section.key": value} from TOML's dotted keys (task.class_balance = 1, a table per section)
    and quoted ones ("task.class_balance" = 1) alike; a table under section.key (a value by dataset)
    stays a table."""
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict) and "." not in key:
            out.update({f"{key}.{sub}": v for sub, v in value.items()})
        else:
            out[key] = value
    return out
