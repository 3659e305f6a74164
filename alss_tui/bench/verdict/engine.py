"""Applying a rule to bench summaries: place the benches, run the steps in order, collect the verdict.

The verdict is a JSON document: which bench played which part, and each step's
result under its id ("a.b" nests it in "a"). A later step reads an earlier one's
result by reference (e.g. `strategy = "default.winner"`).
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.text import Text

from alss_tui.bench.summary import BenchSummary
from alss_tui.bench.verdict.context import Context
from alss_tui.bench.verdict.kinds import KINDS
from alss_tui.bench.verdict.matching import place
from alss_tui.bench.verdict.rule import Rule
from alss_tui.errors import MissingRuns

VERDICT_FORMAT = 1


def _nest(doc: dict, dotted: str, value: object) -> None:
    *parents, last = dotted.split(".")
    for key in parents:
        doc = doc.setdefault(key, {})
    doc[last] = value


def apply_rule(rule: Rule, given: list[tuple[str, BenchSummary]], partial: bool = False) -> tuple[dict, list]:
    """(the verdict document, [(step, result)] in order); bad input is one BenchError line.

    `partial`: a step whose benches, strategies or seeds have not run yet is `{"pending": [what]}`
    (and so is a step reading its result) instead of an error, and the others are judged."""
    implied = [v for step in rule.steps for v in KINDS[step.kind].variants(step, rule)]
    placement = place(rule, given, implied)
    results: dict[str, object] = {}
    verdict: dict = {}
    ran = []
    for step in rule.steps:
        ctx = Context(placement, results, f"{rule.path.name}: step {step.id!r}")
        try:
            result = KINDS[step.kind].run(ctx, step.params, step)
        except MissingRuns as missing:
            if not partial:
                raise
            # A grid in progress: this step waits for its runs, and says which; the others go on.
            result = {"pending": [str(missing).split(": ", 2)[-1]]}
        results[step.id] = result
        _nest(verdict, step.id, result)
        ran.append((step, result))
    doc = {"format": VERDICT_FORMAT, "rule": rule.title, "rule_file": rule.path.name, "split": rule.split,
           "benches": placement.assignments(), "verdict": verdict}
    waiting = [step.id for step, result in ran if isinstance(result, dict) and result.get("pending")]
    if waiting:
        doc["pending_steps"] = waiting
    return doc, ran


def render(rule: Rule, ran: list) -> list:
    """The verdict as rich renderables: the rule's title, then each step's tables under its id."""
    out = [f"[bold]{rule.title}[/]"]
    for step, result in ran:
        out.append(f"\n[bold]{step.id}[/] ({step.kind})")
        if isinstance(result, dict) and set(result) == {"pending"}:
            out.extend(Text(f"pending: {line}") for line in result["pending"])
            continue
        out.extend(KINDS[step.kind].render(result, step.params))
    return out


def default_out(rule_path: Path) -> Path:
    """Where the verdict goes unless told: beside the rule, `<rule>.verdict.json`."""
    return rule_path.with_name(f"{rule_path.stem}.verdict.json")


def dumps(doc: dict) -> bytes:
    return (json.dumps(doc, indent=1) + "\n").encode()
