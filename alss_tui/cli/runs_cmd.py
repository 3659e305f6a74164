"""Run history commands: ls, show, rm, export, doctor. Only export loads torch (for the model)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from alss_tui.cli.console import fail, percent
from alss_tui.cli.options import HomeOpt

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
RunIdArg = Annotated[str, typer.Argument(help="Run id, or an unambiguous prefix of one.", show_default=False)]


def register(app: typer.Typer) -> None:
    app.command("ls")(ls)
    app.command("show")(show)
    app.command("rm")(rm)
    app.command("export")(export)
    app.command("doctor")(doctor)


def _registry(home: Path | None):
    from alss_tui.store.home import resolve_home
    from alss_tui.store.registry import Registry

    return Registry(resolve_home(home))


def _age(ts: float | None) -> str:
    if not ts:
        return ""
    s = max(0, time.time() - ts)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= size:
            return f"{int(s // size)}{unit}"
    return f"{int(s)}s"


def _listing(registry) -> list[dict]:
    from alss_tui.store.run_folder import RunFolder
    from alss_tui.store.status import live_status

    docs = sorted(registry.all(), key=lambda d: d.get("created", 0), reverse=True)
    for doc in docs:
        doc["status"] = live_status(RunFolder(registry.runs_dir / doc["id"]), doc)
    return docs


def ls(home: HomeOpt = None, json_out: JsonOpt = False,
       limit: Annotated[int, typer.Option("--limit", "-n", help="Show the newest N runs in the table.", min=1)] = 50,
       all_runs: Annotated[bool, typer.Option("--all", "-a", help="Show every run in the table.")] = False,
       status: Annotated[Optional[str], typer.Option("--status", help="Only runs with this status (e.g. crashed).",
                                                     show_default=False)] = None) -> None:
    """List runs, newest first, with their live status (--json lists all)."""
    docs = _listing(_registry(home))
    if status:
        docs = [d for d in docs if d["status"] == status]
    if json_out:
        keys = ("id", "name", "dataset", "strategy", "status", "round", "labelled", "budget", "accuracy",
                "best_accuracy", "agreement", "agreement_mean", "stopped", "created", "updated", "error")
        from alss_tui.store.registry import accuracy_split

        print(json.dumps([{**{k: d.get(k) for k in keys}, "split": accuracy_split(d)} for d in docs], indent=1))
        return
    from rich import box
    from rich.console import Console
    from rich.table import Table

    shown = docs if all_runs else docs[:limit]
    title = f"{len(docs)} runs" + (f" (newest {len(shown)}; --all shows every one)" if len(shown) < len(docs) else "")
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  padding=(0, 1, 0, 0), show_edge=False)
    for col, just in (("id", "left"), ("name", "left"), ("strategy", "left"), ("status", "left"),
                      ("round", "right"), ("labels", "right"), ("val %", "right"), ("test %", "right"),
                      ("κ", "right"), ("age", "right")):
        # Status and id never shrink: they are what people scan the list for.
        table.add_column(col, justify=just, no_wrap=True,
                         min_width={"id": 8, "name": 4, "strategy": 10, "status": 15, "round": 5, "labels": 7, "val %": 5,
                                    "test %": 6, "κ": 4, "age": 3}.get(col))
    styles = {"running": "green", "awaiting-labels": "yellow", "crashed": "red", "failed": "red",
              "finished": "dim", "starting": "green"}
    for d in shown:
        labels = f"{d.get('labelled', 0) or 0}/{d.get('budget', '?')}"
        table.add_row(d["id"], escape(str(d.get("name", ""))), str(d.get("strategy", "")),
                      f"[{styles.get(d['status'], '')}]{d['status']}[/]", str(d.get("round", "") if d.get("round") is not None else ""),
                      labels, *_split_cells(d), agreement_cell(d), _age(d.get("created")))
    Console().print(table)


def show(run_id: RunIdArg, home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """A run's config, status, runner pid, per-round table and files."""
    from alss_tui import config as config_mod
    from alss_tui.store.history import load_history
    from alss_tui.store.review import open_suspects
    from alss_tui.store.run_folder import RunFolder
    from alss_tui.store.status import live_status, runner_pid

    registry = _registry(home)
    rid = registry.resolve(run_id)
    folder = RunFolder(registry.runs_dir / rid)
    if not folder.path.is_dir():
        fail(f"run {rid} is in the registry but its folder {folder.path} is missing (alss-tui doctor --rebuild)")
    doc = registry.get(rid) or {}
    cfg = folder.load_config()
    history = load_history(folder)
    status = live_status(folder, doc)
    pid = runner_pid(folder)
    rounds = [{k: r.get(k) for k in ("round", "labelled", "accuracy", "split", "agreement", "agreement_mean",
                                     "seconds", "selection_seconds", "pseudo", "pseudo_accuracy")}
              for r in history.round_rows]
    files = {"folder": str(folder.path), "config": str(folder.config_path), "events": str(folder.events_path),
             "labels": str(folder.labels_path), "checkpoints": str(folder.checkpoint_dir),
             "log": str(folder.log_path) if folder.log_path.exists() else None}
    if json_out:
        print(json.dumps({"id": rid, "name": cfg.name, "status": status, "pid": pid, "error": doc.get("error") or history.error,
                          "stopped": history.finish_reason, "suspects_open": open_suspects(folder), "rounds": rounds, "config": config_mod.to_dict(cfg), "files": files,
                          "unreadable_event_lines": history.bad_lines}, indent=1))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    line = f"[bold]{rid}[/]  {escape(cfg.name)}  status [bold]{status}[/]"
    if pid:
        line += f"  pid {pid}"
    console.print(line)
    if doc.get("error") or history.error:
        # Stored text is the user's (a run name) or an exception's: never Rich markup.
        console.print(f"[red]error:[/] {escape(doc.get('error') or history.error)}", markup=True)
    s = cfg.sampling
    console.print(f"dataset {cfg.data.dataset}, strategy {s.strategy}, labels {s.initial} + {s.per_round}/round "
                  f"to {s.budget}, oracle {cfg.oracle.kind}, seed {cfg.seed}")
    from alss_tui.config.describe import representation

    console.print(f"model {escape(representation(cfg))}")
    table = Table()
    split = next((r["split"] for r in history.round_rows if r["split"]), None) or cfg.task.evaluate_on
    # Pseudo-labels are not labels: their own column, only for semi-supervised runs.
    semi = any(r["pseudo"] is not None for r in rounds)
    for col in ("round", "labelled", f"{split} accuracy %", *(("pseudo (right %)",) if semi else ()), "κ",
                f"κ mean of {s.stop_window}", "selection s", "round s"):
        table.add_column(col, justify="right")
    for r in rounds:
        pseudo = ("-" if r["pseudo"] is None else f"{r['pseudo']}" + (
            f" ({percent(r['pseudo_accuracy'])})" if r["pseudo_accuracy"] is not None else ""),) if semi else ()
        table.add_row(str(r["round"]), str(r["labelled"]), percent(r["accuracy"]), *pseudo, _kappa(r["agreement"]),
                      _kappa(r["agreement_mean"]), f"{r['selection_seconds'] or 0:.2f}", f"{r['seconds']:.1f}")
    console.print(table)
    console.print(stopping_line(cfg, history), highlight=False, markup=False)
    suspects = open_suspects(folder)
    if suspects is not None:
        console.print(f"suspect labels: {suspects} open" + (f" (alss-tui review {rid}, then s)" if suspects else ""),
                      highlight=False, markup=False)
    if history.bad_lines:
        console.print(f"[yellow]warning:[/] {history.bad_lines} unreadable line(s) in {folder.events_path} were skipped")
    for name, path in files.items():
        if path:
            console.print(f"{name:12} {path}", highlight=False, markup=False)


def rm(run_id: RunIdArg, home: HomeOpt = None,
       yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False) -> None:
    """Delete a run (its folder and its registry entry). Refuses a running run."""
    from alss_tui.store.run_ops import delete_run

    registry = _registry(home)
    rid = registry.resolve(run_id)
    if not yes:
        doc = registry.get(rid) or {}
        typer.confirm(f"Delete run {rid} ({doc.get('name', '?')}, {doc.get('labelled', 0) or 0} labels)?", abort=True)
    delete_run(registry, rid)
    print(f"deleted {rid}")


def export(run_id: RunIdArg,
           to: Annotated[Path, typer.Option("--to", help="Folder to write the export into.")],
           layout: Annotated[str, typer.Option("--layout", help="files: tables, the model and its predictions; "
                                               "imagefolder: also the labelled images as DIR/<class>/<file>.")] = "files",
           home: HomeOpt = None) -> None:
    """Export a run: labels (with why each was picked), per-round metrics, config, the trained model
    (TorchScript, model.json) and its predictions for every pool item."""
    from rich.console import Console

    from alss_tui.cli.dataset_open import DecodeBar
    from alss_tui.errors import StoreError
    from alss_tui.store.export_files import StagedExport
    from alss_tui.store.run_folder import RunFolder
    from alss_tui.store.run_ops import export_tables

    if layout not in ("files", "imagefolder"):
        fail("--layout: must be files or imagefolder")
    registry = _registry(home)
    rid = registry.resolve(run_id)
    folder = RunFolder(registry.runs_dir / rid)
    staged = StagedExport(to)
    err = Console(stderr=True)
    note = None
    try:
        export_tables(folder, staged)
        try:
            from alss_tui.runner.model_export import export_model
            from alss_tui.runner.pool_open import drive
            from alss_tui.runner.trained_model import open_trained

            opening, predicting = DecodeBar(err, "decoding the pool"), DecodeBar(err, "predicting the pool")
            try:
                trained = open_trained(folder, registry.home, opening)
            finally:
                opening.close()
            try:
                drive(export_model(trained, staged, layout), predicting)
            finally:
                predicting.close()
        except StoreError as exc:
            if "no trained model yet" not in str(exc):
                raise
            note = f"{exc}; exported its labels, rounds and config"
        written = staged.commit()
    except BaseException:
        staged.abort()
        raise
    shown = [p for p in written if p.parent == staged.dest]
    for path in shown:
        print(path)
    if len(written) > len(shown):
        print(f"{len(written) - len(shown)} labelled images in {staged.dest}/<class>/")
    if note:
        err.print(f"[yellow]note:[/] {escape(note)}")


def doctor(home: HomeOpt = None,
           rebuild: Annotated[bool, typer.Option("--rebuild", help="Rebuild the registry from the run folders.")] = False) -> None:
    """Check the registry against the run folders; --rebuild recreates it from them."""
    from alss_tui.errors import StoreError
    from alss_tui.store.run_ops import rebuild_registry

    registry = _registry(home)
    if rebuild:
        count, problems = rebuild_registry(registry)
        for p in problems:
            print(f"skipped {p}")
        print(f"registry rebuilt: {count} runs")
        return
    try:
        ids = {d["id"] for d in registry.all()}
    except StoreError as exc:
        fail(str(exc))
    folders = {p.name for p in registry.runs_dir.iterdir() if p.is_dir() and not p.name.startswith(".")} \
        if registry.runs_dir.is_dir() else set()
    problems = [f"run {i}: in the registry, folder missing" for i in sorted(ids - folders)]
    problems += [f"run {i}: folder without a registry entry" for i in sorted(folders - ids)]
    for p in problems:
        print(p)
    if problems:
        fail(f"{len(problems)} problem(s); `alss-tui doctor --rebuild` rebuilds the registry from the run folders")
    print(f"ok: {len(ids)} runs")



def _split_cells(doc: dict) -> tuple[str, str]:
    """(validation, test) cells: a run's accuracy goes in the column of the split it was measured on."""
    from alss_tui.store.registry import accuracy_split

    split, value = accuracy_split(doc), percent(doc.get("accuracy"))
    return (value if split == "validation" else "", value if split == "test" else "")


def _kappa(value) -> str:
    return "" if value is None else f"{value:.3f}"


def agreement_cell(doc: dict) -> str:
    """The stopping signal in a list: the window's mean kappa, else the last kappa."""
    value = doc.get("agreement_mean")
    return _kappa(value if value is not None else doc.get("agreement"))


def stopping_line(cfg, history) -> str:
    """How the run stops (or stopped), and where its signal stands."""
    s = cfg.sampling
    rule = (f"stop = stable: ends when the mean kappa of {s.stop_window} rounds reaches {s.stop_threshold}"
            if s.stop == "stable" else f"stop = budget (the signal is recorded; stable would end at mean kappa "
                                       f">= {s.stop_threshold} over {s.stop_window} rounds)")
    if history.finished:
        why = {"stable": "finished early: the predictions stopped changing", "pool": "finished: the pool is empty"}
        return f"{why.get(history.finish_reason or 'budget', 'finished: the budget is spent')}; {rule}"
    rows = history.round_rows
    mean = rows[-1]["agreement_mean"] if rows else None
    return f"{rule}; now {_kappa(mean) or 'not measured yet'}"
