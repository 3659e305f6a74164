"""The New run form's model: one field per RunConfig leaf, parsed and validated as typed.

Built from the dataclasses, so a field added to the config appears in the form.
Type errors are found per field; range rules come from `config.validate`, whose
ConfigError names its key ("sampling.budget: must be >= ...").
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, fields, is_dataclass

from alss_tui import config as config_mod
from alss_tui.config import RunConfig
from alss_tui.core.strategies import STRATEGY_NAMES
from alss_tui.errors import ConfigError

ORACLE_LABELS = {"simulated": "simulated oracle (ground truth)", "human": "a person (review screen)",
                 "file": "a CSV file of labels", "function": "a labelling function"}


def _choices() -> dict[str, tuple[tuple[str, str], ...]]:
    plain = lambda names: tuple((n, n) for n in names)  # noqa: E731
    return {
        "device": plain(config_mod.DEVICES),
        "data.dataset": plain(config_mod.DATASETS),
        "data.channels": plain(config_mod.CHANNELS),
        "sampling.strategy": plain(STRATEGY_NAMES),  # read live: other strategies register themselves
        "sampling.seed_choice": plain(config_mod.SEED_CHOICES),
        "sampling.coreset_space": plain(config_mod.CORESET_SPACES),
        "sampling.index": plain(config_mod.INDEX_KINDS),
        "task.lr_schedule": plain(config_mod.LR_SCHEDULES),
        "task.evaluate_on": plain(config_mod.EVALUATION_SPLITS),
        "oracle.kind": tuple((ORACLE_LABELS.get(k, k), k) for k in config_mod.ORACLES),
    }


@dataclass(frozen=True)
class FieldSpec:
    key: str  # dotted, as in TOML and --set
    kind: str  # "int" | "float" | "str" | "bool" | "list" | "choice"
    choices: tuple[tuple[str, str], ...] = ()

    @property
    def section(self) -> str:
        return self.key.rpartition(".")[0]

    @property
    def dom_id(self) -> str:
        return "field-" + self.key.replace(".", "-").replace("_", "-")


def field_specs() -> list[FieldSpec]:
    choices = _choices()
    out: list[FieldSpec] = []

    def walk(cls: type, prefix: str) -> None:
        hints = typing.get_type_hints(cls)
        nested = []
        for f in fields(cls):
            tp, key = hints[f.name], prefix + f.name
            if is_dataclass(tp):
                nested.append((tp, key + "."))
            elif key in choices:
                out.append(FieldSpec(key, "choice", choices[key]))
            elif tp is bool:
                out.append(FieldSpec(key, "bool"))
            elif typing.get_origin(tp) is tuple:
                out.append(FieldSpec(key, "list"))
            else:
                out.append(FieldSpec(key, {int: "int", float: "float"}.get(tp, "str")))
        for tp, key in nested:
            walk(tp, key)

    walk(RunConfig, "")
    return out


def initial_values(cfg: RunConfig) -> dict[str, str | bool]:
    """Form values for a config: text for inputs, bool for switches."""
    data = config_mod.to_dict(cfg)
    values: dict[str, str | bool] = {}
    for spec in field_specs():
        node = data
        for part in spec.key.split("."):
            node = node[part]
        if spec.kind == "bool":
            values[spec.key] = bool(node)
        elif spec.kind == "list":
            values[spec.key] = ", ".join(node)
        else:
            values[spec.key] = str(node)
    return values


def _parse(spec: FieldSpec, raw: str | bool):
    if spec.kind == "bool":
        return bool(raw)
    text = str(raw).strip()
    if spec.kind == "int":
        try:
            return int(text)
        except ValueError:
            raise ValueError("expected a whole number") from None
    if spec.kind == "float":
        try:
            return float(text)
        except ValueError:
            raise ValueError("expected a number") from None
    if spec.kind == "list":
        return [p.strip() for p in text.split(",") if p.strip()]
    return text


def parse_form(values: dict[str, str | bool]) -> tuple[RunConfig | None, dict[str, str]]:
    """(config, {}) when valid, else (None, {key: message}) for every field that is wrong."""
    errors: dict[str, str] = {}
    data: dict = {}
    for spec in field_specs():
        try:
            value = _parse(spec, values[spec.key])
        except ValueError as exc:
            errors[spec.key] = str(exc)
            continue
        node = data
        *parents, leaf = spec.key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    if errors:
        return None, errors
    # validate() stops at the first bad key: note it, put the default back there and
    # validate again, so every bad field gets its message at once.
    defaults = config_mod.to_dict(RunConfig())
    while True:
        try:
            cfg = config_mod.from_dict(data)
        except ConfigError as exc:
            key, _, message = str(exc).partition(": ")
            if key in errors or not _reset(data, defaults, key):
                errors.setdefault(key, message or str(exc))
                return None, errors
            errors[key] = message or str(exc)
            continue
        return (cfg, {}) if not errors else (None, errors)


def _reset(data: dict, defaults: dict, key: str) -> bool:
    """Put the default value back at dotted `key`; False if there is no such leaf."""
    *parents, leaf = key.split(".")
    node, default = data, defaults
    for part in parents:
        if not isinstance(node.get(part), dict):
            return False
        node, default = node[part], default[part]
    if leaf not in default:
        return False
    node[leaf] = default[leaf]
    return True
