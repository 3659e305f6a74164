"""`alss-tui run`: execute a run headless, in this process."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Optional

import typer

from alss_tui.cli.console import fail

ConfigArg = Annotated[Optional[Path], typer.Argument(help="Run config (TOML), e.g. experiments/digits-snn.toml.",
                                                     show_default=False)]
SetOpt = Annotated[Optional[list[str]], typer.Option("--set", help="Override a config field: section.key=value (repeatable).",
                                                      show_default=False)]
HomeOpt = Annotated[Optional[Path], typer.Option("--home", help="Where runs live (default: $ALSS_HOME, else the user data dir).",
                                                  show_default=False)]
DownloadOpt = Annotated[bool, typer.Option("--download", help="Fetch mnist / cifar10 into data.data_root if missing.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of progress and a table.")]


def register(app: typer.Typer) -> None:
    app.command("run")(run)


def run(config: ConfigArg = None, set_: SetOpt = None, json_out: JsonOpt = False, home: HomeOpt = None,
        download: DownloadOpt = False) -> None:
    """Run the ALSS loop to the end of its label budget (headless)."""
    from alss_tui import config as config_mod
    from alss_tui.store.home import resolve_home
    from alss_tui.store.run_folder import RunFolder

    if config is None:
        fail("give a config file, e.g. alss-tui run experiments/digits-snn.toml")
    from alss_tui.runner.execute import prepare

    cfg = config_mod.apply_overrides(config_mod.load(config), (set_ or []) + (["data.download=true"] if download else []))
    engine = prepare(cfg)
    folder = RunFolder.create(resolve_home(home) / "runs", cfg)
    _execute(folder, json_out, engine=engine)


def _execute(folder, json_out: bool, resume: bool = False, engine=None) -> None:
    from rich.console import Console

    from alss_tui.config import to_dict
    from alss_tui.core import events as ev
    from alss_tui.runner.execute import execute

    console = Console(stderr=json_out, quiet=json_out)
    collected: list = []

    def collect(event):
        if isinstance(event, (ev.RoundFinished, ev.RunFinished, ev.CandidatesProposed)):
            collected.append(event)

    if json_out:
        execute(folder, [collect], resume=resume, engine=engine)
    else:
        from alss_tui.cli.progress_view import ProgressView

        with ProgressView(console) as view:
            execute(folder, [view, collect], resume=resume, engine=engine)
    rows = _round_rows(folder)
    cfg = folder.load_config()
    if json_out:
        doc = {"run_id": folder.run_id, "config": to_dict(cfg), "rounds": rows,
               "folder": str(folder.path)}
        finished = [e for e in collected if isinstance(e, ev.RunFinished)]
        if finished:
            doc["labelled"] = finished[-1].labelled
            doc["accuracy"] = _num(finished[-1].accuracy)
            doc["seconds"] = round(finished[-1].seconds, 3)
        print(json.dumps(doc, indent=2))
    else:
        console.print(_table(folder.run_id, cfg.name, rows))
        console.print(f"run folder: {folder.path}")


def _num(x):
    return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else x


def _round_rows(folder) -> list[dict]:
    """Per-round rows from the event log: the whole run, including rounds before a resume."""
    from alss_tui.store.jsonl import read_all

    records, _ = read_all(folder.events_path)
    rows: dict[int, dict] = {}
    selection: dict[int, float] = {}
    for r in records:
        if r.get("type") == "CandidatesProposed":
            selection[r["round"]] = r.get("seconds", 0.0)
        if r.get("type") == "RoundFinished":
            rows[r["round"]] = {"round": r["round"], "labelled": r["labelled"], "accuracy": _num(r["accuracy"]),
                                "seconds": round(r["seconds"], 3),
                                "phase_seconds": {k: round(v, 3) for k, v in r.get("phase_seconds", {}).items()}}
    return [rows[k] for k in sorted(rows)]


def _table(run_id: str, name: str, rows: list[dict]):
    from rich.table import Table

    table = Table(title=f"{name} ({run_id})")
    for col in ("round", "labelled", "test accuracy", "seconds"):
        table.add_column(col, justify="right")
    for r in rows:
        acc = "n/a" if r["accuracy"] is None else f"{r['accuracy']:.4f}"
        table.add_row(str(r["round"]), str(r["labelled"]), acc, f"{r['seconds']:.1f}")
    return table
