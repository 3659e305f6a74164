"""The benches a verdict reads: summary files (`alss-tui bench --json`), or bench ids in the home."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from alss_tui.bench.summary import BenchSummary
from alss_tui.bench.verdict.rule import Rule
from alss_tui.errors import BenchError

BENCH_ID = re.compile(r"[0-9a-f]{12}")


def rule_targets(rule: Rule) -> tuple[float, ...]:
    """Every target the rule's steps read, so a bench summarised from the home has them all."""
    found: set[str] = set()

    def walk(value) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                if key == "targets" and isinstance(sub, dict):
                    found.update(t for ts in sub.values() for t in ts)
                else:
                    walk(sub)

    for step in rule.steps:
        walk(step.params)
    return tuple(sorted(float(t) for t in found))


def from_home(home: Path, bench_id: str, targets: tuple[float, ...]) -> BenchSummary:
    """Every finished cell the bench has, summarised as `alss-tui bench --summary-only` would."""
    from alss_tui.bench.manifest import Manifest
    from alss_tui.bench.summarize import DEFAULT_TARGETS, summarize
    from alss_tui.store.registry import Registry

    manifest = Manifest.load(home / "benches" / bench_id / "manifest.json")
    cells = list(manifest.cells.values())
    manifest = replace(manifest, strategies=list(dict.fromkeys(c.strategy for c in cells)),
                       seeds=sorted({c.seed for c in cells}))
    return summarize(manifest, Registry(home).runs_dir, tuple(sorted(set(DEFAULT_TARGETS) | set(targets))))


def load_benches(args: list[str], rule: Rule, home: Callable[[], Path]) -> list[tuple[str, BenchSummary]]:
    """Each argument as (what it was called, its summary); `home` is resolved only for a bench id."""
    out = []
    for arg in args:
        path = Path(arg)
        if path.exists() or not BENCH_ID.fullmatch(arg):
            out.append((arg, BenchSummary.load(path)))
            continue
        where = home()
        if not (where / "benches" / arg / "manifest.json").is_file():
            raise BenchError(f"{arg}: no such file, nor a bench in {where / 'benches'}")
        out.append((arg, from_home(where, arg, rule_targets(rule))))
    return out
