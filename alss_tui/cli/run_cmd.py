"""`alss-tui run`: execute a run headless, in this process."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from alss_tui.cli.console import fail
from alss_tui.cli.options import HomeOpt, SetOpt

ConfigArg = Annotated[Optional[str], typer.Argument(help="A preset name (alss-tui presets) or a config file (TOML); "
                                                    "default: the built-in defaults.", show_default=False)]
DownloadOpt = Annotated[bool, typer.Option("--download", help="Fetch mnist / cifar10 into data.data_root if missing.")]
ResumeOpt = Annotated[Optional[str], typer.Option("--resume", help="Continue run RUN_ID from its last checkpoint.",
                                                   metavar="RUN_ID", show_default=False)]
DetachOpt = Annotated[bool, typer.Option("--detach", help="Run in the background (survives the terminal); print the run id.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", help="No progress output (the event log still has everything).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of progress and a table.")]


def register(app: typer.Typer) -> None:
    app.command("run")(run)


def run(config: ConfigArg = None, set_: SetOpt = None, json_out: JsonOpt = False, home: HomeOpt = None,
        download: DownloadOpt = False, resume: ResumeOpt = None, detach: DetachOpt = False,
        quiet: QuietOpt = False) -> None:
    """Run the ALSS loop to the end of its label budget (headless), or resume a run."""
    from alss_tui import config as config_mod
    from alss_tui import presets
    from alss_tui.store.home import resolve_home
    from alss_tui.store.registry import Registry
    from alss_tui.store.run_folder import RunFolder
    from alss_tui.store.run_ops import create_run

    home_dir = resolve_home(home)
    registry = Registry(home_dir)
    if resume is not None:
        if config is not None or set_:
            fail("--resume continues a run with its own config; drop the config file and --set")
        folder = RunFolder(registry.runs_dir / registry.resolve(resume))
        from alss_tui.runner.execute import refuse_finished

        refuse_finished(folder)
        if detach:
            _detach(home_dir, folder, json_out)
            return
        _execute(folder, json_out, resume=True, registry=registry, quiet=quiet)
        return
    base = presets.load(config) if config is not None else config_mod.RunConfig()
    cfg = config_mod.apply_overrides(base, (set_ or []) + (["data.download=true"] if download else []))
    from rich.console import Console

    from alss_tui.cli.dataset_open import load_with_progress, prepare_with_progress, warn_skipped

    err = Console(stderr=True, quiet=quiet)
    if detach:
        # Check data and budget here (and decode a new folder with a progress bar), so a bad
        # config fails in this terminal, not in a log file; the runner then opens the cached pool.
        dataset = load_with_progress(cfg.data, home_dir, err)
        config_mod.check_budget(cfg, len(dataset.pool_images))
        folder = create_run(home_dir, cfg)
        warn_skipped(err, dataset, str(folder.path / "skipped.txt"))
        _detach(home_dir, folder, json_out)
        return
    engine = prepare_with_progress(cfg, home_dir, err)
    folder = create_run(home_dir, cfg)
    warn_skipped(err, engine.dataset, str(folder.path / "skipped.txt"))
    _execute(folder, json_out, engine=engine, registry=registry, quiet=quiet)


def _detach(home_dir: Path, folder, json_out: bool) -> None:
    from alss_tui.runner.launch import launch

    pid = launch(home_dir, folder.run_id)
    if json_out:
        print(json.dumps({"run_id": folder.run_id, "pid": pid, "folder": str(folder.path),
                          "log": str(folder.log_path)}))
    else:
        print(folder.run_id)


def _execute(folder, json_out: bool, resume: bool = False, engine=None, registry=None, quiet: bool = False) -> None:
    from rich.console import Console

    from alss_tui.config import to_dict
    from alss_tui.runner.execute import execute
    from alss_tui.store.jsonl import finite_or_none

    from alss_tui.runner.human import AwaitingLabels

    console = Console(stderr=json_out, quiet=json_out or quiet)
    start = time.perf_counter()
    try:
        if json_out or quiet:
            engine = execute(folder, resume=resume, engine=engine, registry=registry)
        else:
            from alss_tui.cli.progress_view import ProgressView

            with ProgressView(console) as view:
                engine = execute(folder, [view], resume=resume, engine=engine, registry=registry)
    except AwaitingLabels as gate:
        _stopped_at_gate(folder, gate.round, json_out)
        return
    rows = _round_rows(folder)
    cfg = folder.load_config()
    if json_out:
        doc = {"run_id": folder.run_id, "config": to_dict(cfg), "rounds": rows, "folder": str(folder.path),
               "labelled": engine.labelled_count, "accuracy": finite_or_none(engine.last_accuracy),
               "split": engine.accuracy_split, "stopped": engine.stop_reason or "budget",
               "seconds": round(time.perf_counter() - start, 3)}
        print(json.dumps(doc, indent=2))
    elif not quiet:
        console.print(_table(folder.run_id, cfg.name, rows))
        if engine.stop_reason == "stable":
            console.print(f"stopped early at {engine.shown_count} of {cfg.sampling.budget} labels: the mean kappa "
                          f"of the last {cfg.sampling.stop_window} rounds' predictions reached "
                          f"{cfg.sampling.stop_threshold} (sampling.stop = stable)")
        console.print(f"run folder: {folder.path}")


def _stopped_at_gate(folder, round_no: int, json_out: bool) -> None:
    """The runner stops while a person labels; the submit starts it again."""
    if json_out:
        print(json.dumps({"run_id": folder.run_id, "status": "awaiting-labels", "waiting_round": round_no,
                          "rounds": _round_rows(folder), "folder": str(folder.path)}, indent=2))
        return
    print(f"run {folder.run_id}: round {round_no} waits for a person's labels: alss-tui review {folder.run_id} "
          f"(or alss-tui label {folder.run_id} --from FILE); the submit continues the run in the background")


def _round_rows(folder) -> list[dict]:
    """Per-round rows from the event log: the whole run, including rounds before a resume."""
    from alss_tui.store.history import load_history

    return [{"round": r["round"], "labelled": r["labelled"], "accuracy": r["accuracy"], "split": r["split"],
             "agreement": r["agreement"], "agreement_mean": r["agreement_mean"], "seconds": round(r["seconds"], 3),
             "phase_seconds": {k: round(v, 3) for k, v in r.get("phase_seconds", {}).items()}}
            for r in load_history(folder).round_rows]


def _table(run_id: str, name: str, rows: list[dict]):
    from rich.table import Table

    table = Table(title=f"{name} ({run_id})")
    from alss_tui.cli.console import percent

    split = next((r["split"] for r in rows if r["split"]), None) or "held-out"
    for col in ("round", "labelled", f"{split} accuracy %", "seconds"):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(str(r["round"]), str(r["labelled"]), percent(r["accuracy"], "n/a"), f"{r['seconds']:.1f}")
    return table
