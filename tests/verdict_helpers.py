"""Applying the report's rule files (experiments/archive/rules/) to hand-made benches."""

from __future__ import annotations

import json

from alss_tui.bench.verdict.engine import apply_rule, dumps
from alss_tui.bench.verdict.rule import load_rule
from conftest import REPO

RULES = REPO / "experiments" / "archive" / "rules"


def verdict(rule: str, *benches) -> dict:
    """The verdict's results as its JSON file holds them (keys as strings), benches named b0, b1, ..."""
    doc, _ = apply_rule(load_rule(RULES / rule), [(f"b{k}", b) for k, b in enumerate(benches)])
    return json.loads(dumps(doc))["verdict"]
