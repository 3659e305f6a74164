"""Reading a rule file (TOML): its datasets, recipes and steps, every name and type checked.

    title = "Rule 1: the default strategy"
    split = "validation"                 # every bench must be scored on it
    include = "rule1.toml"               # or {file = "rule3.toml", steps = ["3a"]}: its parts come first

    [datasets]                           # which pool a bench ran on, from its recorded config
    mnist = {dataset = "mnist", imbalance = 1}

    [recipes]                            # without it (nor an include), one recipe "bench" every bench fits
    restart = {task.restart_each_round = true}
    warm = {from = "restart", moves = {task.restart_each_round = false}}

    [[steps]]
    id = "default"                       # where its result goes in the verdict ("a.b" nests)
    kind = "choose-strategy"             # and the kind's own parameters
    ...

docs/rules.md describes every kind.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from alss_tui import config as config_mod
from alss_tui.bench.verdict import params as p
from alss_tui.errors import BenchError

IMPLICIT_RECIPE = "bench"
SHORTHANDS = {"dataset": "data.dataset", "imbalance": "data.imbalance"}
TOP_KEYS = ("title", "split", "include", "datasets", "recipes", "steps")


def known_settings() -> frozenset[str]:
    out = set()
    for section, keys in config_mod.to_dict(config_mod.RunConfig()).items():
        out.update(f"{section}.{k}" for k in keys) if isinstance(keys, dict) else out.add(section)
    return frozenset(out)


@dataclass(frozen=True)
class Recipe:
    """A base recipe (the settings its benches have; a value may differ by dataset: {mnist = 4, cifar = 20})
    or a variant: the benches that move exactly `moves` from the base recipe `base`'s bench of their dataset."""

    name: str
    settings: dict
    base: str | None = None
    moves: dict | None = None


@dataclass(frozen=True)
class Step:
    id: str
    kind: str
    params: dict


@dataclass(frozen=True)
class Rule:
    path: Path
    title: str
    split: str
    datasets: dict[str, dict]
    recipes: dict[str, Recipe]
    steps: tuple[Step, ...]


def _settings(raw, scope: p.Scope, name: str, per_dataset: bool) -> dict:
    if not isinstance(raw, dict):
        scope.fail(f"{name} must be a table of settings")
    out = {}
    for key, value in p.flatten(raw).items():
        key = SHORTHANDS.get(key, key)
        if key not in scope.settings:
            scope.fail(f"{name}: {key!r} is not a config setting (section.key)")
        if isinstance(value, dict):
            if not per_dataset:
                scope.fail(f"{name}: {key} must be one value here, not a table")
            for d in value:
                p.dataset(d, scope, f"{name}.{key}")
        out[key] = value
    return out


def _recipes(raw, scope: p.Scope) -> dict[str, Recipe]:
    if raw is None:
        return {IMPLICIT_RECIPE: Recipe(IMPLICIT_RECIPE, {})}
    if not isinstance(raw, dict) or not raw:
        scope.fail("[recipes] must be a table of recipes")
    out = {}
    for name, body in raw.items():
        where = p.Scope(f"{scope.where}: recipe {name!r}", scope.datasets, scope.recipes + tuple(out), (),
                        scope.settings)
        if not isinstance(body, dict):
            where.fail("must be a table")
        if "from" in body:
            extra = sorted(set(body) - {"from", "moves"})
            if extra or "moves" not in body:
                where.fail("a variant takes `from` (a recipe above it) and `moves` (the settings it changes)")
            base = p.recipe(body["from"], where, "from")
            moves = _settings(body["moves"], where, "moves", per_dataset=False)
            if not moves:
                where.fail("moves must change at least one setting")
            out[name] = Recipe(name, {}, base, moves)
        else:
            out[name] = Recipe(name, _settings(body, where, "settings", per_dataset=True))
    return out


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BenchError(f"{path}: no such rule file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BenchError(f"{path}: cannot read the rule ({exc.__class__.__name__})") from None
    except tomllib.TOMLDecodeError as exc:
        raise BenchError(f"{path}: not valid TOML ({exc})") from None


def _include(raw, path: Path, seen: tuple[Path, ...]) -> tuple[Rule | None, list[str] | None]:
    if raw is None:
        return None, None
    where = p.Scope(f"{path}: include", (), ())
    if isinstance(raw, str):
        raw = {"file": raw}
    if not isinstance(raw, dict):
        where.fail("must be a file name or {file = ..., steps = [...]}")
    spec = p.read_params(raw, {"file": p.Param(p.text), "steps": p.Param(p.texts, None)}, where)
    target = (path.parent / spec["file"]).resolve()
    if target in seen:
        where.fail(f"{spec['file']} includes itself")
    return _load(target, seen + (target,)), spec["steps"]


def _load(path: Path, seen: tuple[Path, ...]) -> Rule:
    from alss_tui.bench.verdict.kinds import KINDS

    doc = _read_toml(path)
    top = p.Scope(str(path), (), ())
    unknown = sorted(set(doc) - set(TOP_KEYS))
    if unknown:
        top.fail(f"unknown key {unknown[0]!r} (a rule has {', '.join(TOP_KEYS)})")
    included, only = _include(doc.get("include"), path, seen)
    settings = known_settings()
    datasets = dict(included.datasets) if included else {}
    raw_datasets = doc.get("datasets", {})
    if not isinstance(raw_datasets, dict):
        top.fail("[datasets] must be a table")
    for name, body in raw_datasets.items():
        if name in datasets:
            top.fail(f"dataset {name!r} is also in {included.path.name}")
        datasets[name] = _settings(body, p.Scope(f"{path}: dataset {name!r}", (), (), (), settings), "settings",
                                   per_dataset=False)
    if not datasets:
        top.fail("no [datasets]: say which pool each bench ran on")
    scope = p.Scope(str(path), tuple(datasets), tuple(included.recipes) if included else (), (), settings)
    # A file without [recipes] has the one recipe every bench fits, unless it includes another's.
    own_recipes = {} if included and "recipes" not in doc else _recipes(doc.get("recipes"), scope)
    recipes = dict(included.recipes) if included else {}
    for name, recipe in own_recipes.items():
        if name in recipes and not (name == IMPLICIT_RECIPE and recipe == recipes[name]):
            top.fail(f"recipe {name!r} is also in {included.path.name}")
        recipes[name] = recipe
    steps = list(included.steps) if included else []
    if only is not None:
        missing = [s for s in only if s not in {step.id for step in steps}]
        if missing:
            top.fail(f"include: {included.path.name} has no step {missing[0]!r}")
        steps = [s for s in steps if s.id in only]
    raw_steps = doc.get("steps", [])
    if not isinstance(raw_steps, list) or not all(isinstance(s, dict) for s in raw_steps):
        top.fail("steps must be [[steps]] tables")
    for k, raw in enumerate(raw_steps):
        where = f"{path}: step {raw.get('id', k + 1)!r}"
        step_scope = p.Scope(where, tuple(datasets), tuple(recipes), tuple(s.id for s in steps), settings)
        body = dict(raw)
        step_id = p.text(body.pop("id", None), step_scope, "id")
        kind = p.text(body.pop("kind", None), step_scope, "kind")
        if kind not in KINDS:
            step_scope.fail(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
        if any(step_id == s.id or step_id.startswith(s.id + ".") or s.id.startswith(step_id + ".") for s in steps):
            step_scope.fail(f"id {step_id!r} is taken (or nests with an earlier id)")
        spec = KINDS[kind].params_for(body)
        if "recipe" in spec and "recipe" not in body:
            choices = own_recipes or recipes
            if len(choices) != 1:
                step_scope.fail(f"say which recipe it reads (one of {', '.join(choices)})")
            body["recipe"] = next(iter(choices))
        steps.append(Step(step_id, kind, p.read_params(body, spec, step_scope)))
    if not steps:
        top.fail("no [[steps]]")
    split = p.text(doc.get("split", included.split if included else "validation"), top, "split")
    if split not in config_mod.EVALUATION_SPLITS:
        top.fail(f"split must be one of {', '.join(config_mod.EVALUATION_SPLITS)}, not {split!r}")
    if included and split != included.split:
        top.fail(f"split {split!r}, but {included.path.name} reads {included.split!r} benches")
    title = doc.get("title", included.title if included else path.stem)
    return Rule(path, p.text(title, top, "title"), split, datasets, recipes, tuple(steps))


def load_rule(path: Path) -> Rule:
    """The rule in `path` (with what it includes); a malformed rule is one BenchError line."""
    path = Path(path)
    return _load(path, (path.resolve(),))
