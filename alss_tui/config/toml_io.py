"""Configs in and out: typed reading of TOML tables, `--set` overrides, and writing TOML.

Reading finds every unknown key and every value of the wrong type at once, then
validates (checks.py); each problem is one line naming its key.
"""

from __future__ import annotations

import dataclasses
import tomllib
import typing
from dataclasses import fields, is_dataclass, replace
from pathlib import Path
from typing import Any

from alss_tui.config.checks import validate
from alss_tui.config.schema import Setting, leaves
from alss_tui.config.sections import RunConfig, SuspectsConfig
from alss_tui.errors import ConfigError

# Keys added after runs and benches were recorded, with the value every earlier run
# had: a bench's id leaves them out at that value (so older benches keep their ids and
# their finished cells), and tools comparing recorded configs read a missing one as it.
ADDED_LATER = {"task.evaluate_on": "test", "task.class_balance": 0.0,
               # the representation: every earlier run trained the small CNN from scratch on pixels
               "task.model": "cnn", "task.weights": "none", "task.train": "full", "task.head": "linear",
               "task.input_size": 0, "vae.input": "pixels",
               # semi-supervised rounds and typical first rounds: every earlier run had none
               "task.semi": "none", "task.pseudo_threshold": 0.95, "task.pseudo_weight": 1.0, "task.graph_k": 10,
               "task.graph_alpha": 0.99, "task.graph_threshold": 0.6, "task.graph_space": "auto", "sampling.initial_strategy": "random",
               "task.semi_steps": 0, "task.consistency_ratio": 3,
               "sampling.switch_at": 200, "sampling.purity": 0.95,
               # the encoder as it came (its epochs default has moved since, by measurement)
               "encoder.method": "simclr", "encoder.epochs": 20, "encoder.batch_size": 256, "encoder.lr": 1e-3,
               "encoder.temperature": 0.5, "encoder.projection_dim": 64, "encoder.min_crop": 0.5,
               # stopping: every earlier run spent its budget; the signal is only recorded
               "sampling.stop": "budget", "sampling.stop_threshold": 0.99, "sampling.stop_window": 3,
               "sampling.stop_sample": 1000,
               # suspect labels: "auto" finds none for a simulated oracle that never errs (every earlier bench)
               "oracle.flip": 0.0, "oracle.review_suspects": False,
               **{f"suspects.{leaf.key}": leaf.default for leaf in leaves(SuspectsConfig)}}
# Keys renamed after runs were recorded: old name -> (new name, old value -> new value).
RENAMED = {"sampling.coreset_space": ("sampling.space", {"features": "penultimate", "latent": "latent"})}


def _rename_forward(tree: dict) -> dict:
    """An old key in a tree (a recorded config, a file written before the rename) under its new name."""
    for old, (new, values) in RENAMED.items():
        section, key = old.split(".")
        node = tree.get(section)
        if isinstance(node, dict) and key in node:
            value = node.pop(key)
            node.setdefault(new.split(".")[1], values.get(value, value))
    return tree


def fill_added_later(tree: dict) -> dict:
    """A recorded config tree (sections of keys) read as today's: renamed keys under their new
    names, and every ADDED_LATER key it lacks set as it ran."""
    _rename_forward(tree)
    for dotted, earlier in ADDED_LATER.items():
        section, key = dotted.split(".")
        node = tree.setdefault(section, {})
        if isinstance(node, dict):  # anything else is reported by from_dict
            node.setdefault(key, earlier)
    return tree


def drop_added_later(tree: dict) -> dict:
    """A config tree as an earlier run would have recorded it: without the ADDED_LATER keys that
    hold the value every earlier run had (a section left empty goes too), renamed keys under
    their old names where the old name could say the value."""
    for dotted, earlier in ADDED_LATER.items():
        section, key = dotted.split(".")
        if tree.get(section, {}).get(key) == earlier:
            tree[section].pop(key)
            if not tree[section]:
                tree.pop(section)
    for old, (new, values) in RENAMED.items():
        section, key = new.split(".")
        back = {v: k for k, v in values.items()}
        node = tree.get(section, {})
        if key in node and node[key] in back:
            node[old.split(".")[1]] = back[node.pop(key)]
    return tree


# --- typed conversion -------------------------------------------------------

class _WrongType(ValueError):
    pass


def _coerce(value: Any, tp: Any, spec: Setting | None) -> Any:
    """Convert a TOML value to the field type, refusing lossy or surprising ones."""
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise _WrongType(f"expected true or false, got {value!r}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _WrongType(f"expected an integer, got {value!r}")
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise _WrongType(f"expected a number, got {value!r}")
    if tp is str:
        if spec is not None and spec.word_or_number and isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str):
            return value
        raise _WrongType(f"expected a string, got {value!r}")
    if typing.get_origin(tp) is tuple:
        if isinstance(value, (list, tuple)) and all(isinstance(x, str) for x in value):
            return tuple(value)
        raise _WrongType(f"expected a list of strings, got {value!r}")
    raise _WrongType(f"unsupported type {getattr(tp, '__name__', tp)}")  # pragma: no cover


def _from_dict(cls: type, data: Any, prefix: str, found: list[tuple[str, str]]) -> Any:
    if not isinstance(data, dict):
        found.append((prefix.rstrip(".") or "config", f"expected a table, got {data!r}"))
        return cls()
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    found.extend((f"{prefix}{key}", "unknown key") for key in data if key not in known)
    kwargs = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        tp = hints[f.name]
        if is_dataclass(tp):
            kwargs[f.name] = _from_dict(tp, data[f.name], f"{prefix}{f.name}.", found)
            continue
        try:
            kwargs[f.name] = _coerce(data[f.name], tp, f.metadata.get("setting"))
        except _WrongType as exc:
            found.append((prefix + f.name, str(exc)))
    return cls(**kwargs)


def from_dict(data: dict) -> RunConfig:
    """A validated RunConfig from a TOML-shaped tree; ConfigError lists every problem."""
    _rename_forward(data)  # a file written before a key was renamed still reads
    found: list[tuple[str, str]] = []
    cfg = _from_dict(RunConfig, data, "", found)
    if found:  # values of the wrong type were left at their defaults: checking ranges now would mislead
        raise ConfigError(problems=found)
    return validate(cfg)


def to_dict(cfg: RunConfig) -> dict:
    out = dataclasses.asdict(cfg)
    out["data"]["class_names"] = list(cfg.data.class_names)
    return out


def load(path: Path | str, recorded: bool = False) -> RunConfig:
    """A config file; `recorded` for one a run wrote when it was created (config.toml of a
    run folder): a key it lacks was added later, so it takes the value the run was made
    with (ADDED_LATER), not today's default, and a resumed run keeps its recipe."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config ({exc.__class__.__name__})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    return from_dict(fill_added_later(data) if recorded else data)


def _parse_override_value(raw: str) -> Any:
    """`--set` values are TOML scalars; a bare word is taken as a string."""
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def apply_overrides(cfg: RunConfig, overrides: list[str]) -> RunConfig:
    """Apply `section.key=value` overrides, validated like the file."""
    data = to_dict(cfg)
    for item in overrides:
        key, sep, raw = item.partition("=")
        key, renamed_values = RENAMED.get(key.strip(), (key.strip(), {}))
        if not sep or not key:
            raise ConfigError(f"--set {item!r}: expected key=value, e.g. sampling.strategy=random")
        parts = key.split(".")
        node = data
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                raise ConfigError(f"{key}: unknown key")
            node = node[part]
        if parts[-1] not in node or isinstance(node[parts[-1]], dict):
            raise ConfigError(f"{key}: unknown key")
        value = _parse_override_value(raw.strip())
        node[parts[-1]] = renamed_values.get(value, value) if isinstance(value, str) else value
    return from_dict(data)


# --- writing ------------------------------------------------------------------

def _toml_char(c: str) -> str:
    if c in '"\\':
        return "\\" + c
    if ord(c) < 0x20 or ord(c) == 0x7F:
        return f"\\u{ord(c):04x}"  # TOML strings may not hold raw control characters
    return c


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + "".join(_toml_char(c) for c in value) + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")  # pragma: no cover


def dumps(cfg: RunConfig) -> str:
    """The config as TOML: top-level scalars first, then one table per section."""
    data = to_dict(cfg)
    lines = [f"{k} = {toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for section, values in data.items():
        if isinstance(values, dict):
            lines.append("")
            lines.append(f"[{section}]")
            lines.extend(f"{k} = {toml_value(v)}" for k, v in values.items())
    return "\n".join(lines) + "\n"


def with_name(cfg: RunConfig, name: str) -> RunConfig:
    return replace(cfg, name=name)
