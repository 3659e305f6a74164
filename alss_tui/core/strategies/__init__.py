"""Selection strategies behind one protocol: `select(state, n, rng) -> Selection`.

Each strategy is declared once, in `config.strategies` (name, "module:Class", knobs,
help), so a config is validated without this package; `get_strategy` imports only
the class asked for, so listing them imports no torch.
"""

from __future__ import annotations

import importlib

from alss_tui.config import STRATEGY_NAMES, strategy

__all__ = ["STRATEGY_NAMES", "get_strategy", "strategy_class"]


def strategy_class(name: str) -> type:
    """The class that implements strategy `name` (KeyError for an undeclared name)."""
    module_name, _, class_name = strategy(name).target.partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def get_strategy(name: str, **options):
    """Instantiate the strategy called `name` with its config options."""
    return strategy_class(name)(**options)
