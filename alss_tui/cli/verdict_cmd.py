"""`alss-tui bench verdict RULE.toml BENCH...`: apply a rule file to bench summaries, print and write the verdict."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from alss_tui.cli.options import HomeOpt

RuleArg = Annotated[Path, typer.Argument(help="The rule: a TOML file (docs/rules.md).", show_default=False)]
BenchesArg = Annotated[list[str], typer.Argument(
    help="Bench summaries (`alss-tui bench ... --json` output), or bench ids in the home.", show_default=False)]
PartialOpt = Annotated[bool, typer.Option(
    "--partial", help="A grid in progress: judge the steps whose runs exist, and list what each other step "
                      "waits for, instead of stopping at the first missing run.")]
OutOpt = Annotated[Optional[Path], typer.Option(
    "--out", help="Write the verdict (JSON) here (default: beside the rule, RULE.verdict.json).", show_default=False)]


def verdict(rule: RuleArg, benches: BenchesArg, out: OutOpt = None, partial: PartialOpt = False,
            home: HomeOpt = None) -> None:
    """Apply a rule to benches: which bench plays which part, each step's result; tables, then a JSON file."""
    from rich.console import Console

    from alss_tui.bench.verdict.engine import apply_rule, default_out, dumps, render
    from alss_tui.bench.verdict.inputs import load_benches
    from alss_tui.bench.verdict.rule import load_rule
    from alss_tui.store.home import resolve_home
    from alss_tui.store.run_folder import atomic_write_bytes

    parsed = load_rule(rule)
    doc, ran = apply_rule(parsed, load_benches(benches, parsed, lambda: resolve_home(home)), partial)
    console = Console()
    for part in render(parsed, ran):
        console.print(part)
    target = out or default_out(rule)
    try:
        atomic_write_bytes(target, dumps(doc))
    except OSError as exc:
        from alss_tui.cli.console import fail

        fail(f"--out {target}: cannot write the verdict ({exc.strerror or exc})")
    console.print(f"verdict: {target}", soft_wrap=True, markup=False, highlight=False)
    if doc.get("pending_steps"):
        console.print(f"pending: {', '.join(doc['pending_steps'])} (each lists what it waits for)",
                      soft_wrap=True, markup=False, highlight=False)
