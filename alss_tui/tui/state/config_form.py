"""The New run form's model: one field per config key, parsed and validated as typed.

Built from the config's declarations (config.leaves), so a field added to the config
appears in the form with its choices and help. Type errors are found per field;
range and cross-field rules come from `config.validate`, which reports every bad key
at once ("sampling.budget: must be >= ...").
"""

from __future__ import annotations

from dataclasses import dataclass

from alss_tui import config as config_mod
from alss_tui.config import RunConfig
from alss_tui.errors import ConfigError

ORACLE_LABELS = {"simulated": "simulated oracle (ground truth)", "human": "a person (review screen)",
                 "file": "a CSV file of labels", "function": "a labelling function"}
# Choice fields whose options read better with a description than with the bare value.
_LABELS = {"oracle.kind": ORACLE_LABELS}


@dataclass(frozen=True)
class FieldSpec:
    key: str  # dotted, as in TOML and --set
    kind: str  # "int" | "float" | "str" | "bool" | "list" | "choice"
    choices: tuple[tuple[str, str], ...] = ()
    help: str = ""

    @property
    def section(self) -> str:
        return self.key.rpartition(".")[0]

    @property
    def dom_id(self) -> str:
        return "field-" + self.key.replace(".", "-").replace("_", "-")


def field_specs() -> list[FieldSpec]:
    out = []
    for leaf in config_mod.leaves(RunConfig):
        labels = _LABELS.get(leaf.key, {})
        choices = tuple((labels.get(c, c), c) for c in leaf.setting.allowed())
        out.append(FieldSpec(leaf.key, leaf.kind, choices, leaf.setting.help))
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
    # A field that did not parse is left out (so it reads as its default) and every other
    # field is still validated: each wrong field gets its message at once.
    try:
        cfg = config_mod.from_dict(data)
    except ConfigError as exc:
        for key, message in exc.problems:
            errors.setdefault(key, message)
        return None, errors
    return (cfg, {}) if not errors else (None, errors)
