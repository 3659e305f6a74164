"""Each config field declares itself once: type (from its annotation), default, range or
choices, and one line of help.

Validation, the New run form, `--set`, the generated config reference (docs/config.md)
and the strategy lists all read these declarations, so a field added to a section
appears everywhere with its checks.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    """What a field accepts and means, beside its dataclass field."""

    help: str
    choices: tuple[str, ...] = ()
    low: float | None = None  # inclusive unless low_open
    high: float | None = None  # inclusive unless high_open
    low_open: bool = False
    high_open: bool = False
    # Said after the range when a value is out of it, e.g. "(0 = every core)".
    note: str = ""
    # Word-or-number fields: `data.channels = 1` reads as "1".
    word_or_number: bool = False
    # A choice outside the list reads "unknown <noun> 'x'; one of ..." (e.g. "strategy").
    noun: str = ""

    def allowed(self) -> tuple[str, ...]:
        return self.choices

    def problem(self, value: Any) -> str | None:
        """Why `value` (already of the field's type) is out of range or not a choice; None when fine."""
        allowed = self.allowed()
        if allowed and value not in allowed:
            if self.noun:
                return f"unknown {self.noun} {value!r}; one of {', '.join(allowed)}"
            return f"must be one of {', '.join(allowed)}"
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            too_low = self.low is not None and (value <= self.low if self.low_open else value < self.low)
            too_high = self.high is not None and (value >= self.high if self.high_open else value > self.high)
            if too_low or too_high:
                return self.range_text() + (f" {self.note}" if self.note else "")
        return None

    def range_text(self) -> str:
        lo, hi = _number(self.low), _number(self.high)
        if self.low is not None and self.high is not None:
            if self.low_open or self.high_open:
                left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
                return f"must be in {left}{lo}, {hi}{right}"
            return f"must be between {lo} and {hi}"
        if self.low is not None:
            return f"must be {'>' if self.low_open else '>='} {lo}"
        if self.high is not None:
            return f"must be {'<' if self.high_open else '<='} {hi}"
        return ""


def _number(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def setting(default: Any, help: str, **checks: Any) -> Any:
    """A dataclass field with its declaration (see `Setting`) in the field's metadata."""
    spec = Setting(help, **checks)
    if isinstance(default, (list, tuple)):
        return field(default=tuple(default), metadata={"setting": spec})
    return field(default=default, metadata={"setting": spec})


@dataclass(frozen=True)
class Leaf:
    """One settable key of the config: its dotted name, Python type, default and declaration."""

    key: str
    type: Any
    default: Any
    setting: Setting

    @property
    def section(self) -> str:
        return self.key.rpartition(".")[0]

    @property
    def kind(self) -> str:
        """"choice", "bool", "int", "float", "list" or "str": how a form or a doc shows it."""
        if self.setting.allowed():
            return "choice"
        if self.type is bool:
            return "bool"
        if typing.get_origin(self.type) is tuple:
            return "list"
        return {int: "int", float: "float"}.get(self.type, "str")


def leaves(cls: type, prefix: str = "") -> Iterator[Leaf]:
    """Every settable key of a config dataclass, top-level keys first, then section by section."""
    hints = typing.get_type_hints(cls)
    nested = []
    for f in fields(cls):
        tp = hints[f.name]
        if is_dataclass(tp):
            nested.append((tp, f"{prefix}{f.name}."))
            continue
        spec = f.metadata.get("setting")
        if spec is None:  # a field without a declaration is a bug of the schema, caught by the tests
            raise TypeError(f"{prefix}{f.name}: declared without setting()")
        default = f.default if f.default is not MISSING else f.default_factory()  # type: ignore[misc]
        yield Leaf(prefix + f.name, tp, default, spec)
    for tp, sub in nested:
        yield from leaves(tp, sub)
