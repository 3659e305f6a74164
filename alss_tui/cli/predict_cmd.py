"""`alss-tui predict RUN PATH...`: the run's trained model on image files, read as its pool was read."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from alss_tui.cli.console import fail
from alss_tui.cli.options import HomeOpt

BATCH_FILES = 256  # files decoded and predicted at a time: memory stays flat on a big folder


def register(app: typer.Typer) -> None:
    app.command("predict")(predict)


def image_files(paths: list[Path]) -> list[str]:
    """Every image file named, or below a named folder (recursively, sorted); a missing path is one line."""
    from alss_tui.data.folder_layout import IMAGE_SUFFIXES

    out: list[str] = []
    for path in paths:
        if path.is_dir():
            out.extend(str(p) for p in sorted(path.rglob("*"))
                       if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith("."))
        elif path.exists():
            out.append(str(path))  # named explicitly: tried whatever its suffix, and said if unreadable
        else:
            fail(f"{path}: no such file or folder")
    return out


def predict(run_id: Annotated[str, typer.Argument(help="Run id, or an unambiguous prefix of one.", show_default=False)],
            paths: Annotated[list[Path], typer.Argument(help="Image files or folders (searched recursively).",
                                                        show_default=False)],
            top: Annotated[int, typer.Option("--top", help="Classes to list per image.", min=1)] = 3,
            json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
            csv_out: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")] = False,
            home: HomeOpt = None) -> None:
    """Classify image files with a run's trained model: the top classes and their probabilities."""
    from rich.console import Console

    from alss_tui.cli.dataset_open import DecodeBar
    from alss_tui.store.home import resolve_home
    from alss_tui.store.registry import Registry
    from alss_tui.store.run_folder import RunFolder

    if json_out and csv_out:
        fail("--json and --csv: choose one")
    files = image_files(paths)
    if not files:
        fail("no image files in " + ", ".join(str(p) for p in paths))
    registry = Registry(resolve_home(home))
    folder = RunFolder(registry.runs_dir / registry.resolve(run_id))
    err = Console(stderr=True)
    from alss_tui.runner.trained_model import open_trained, read_files

    opening = DecodeBar(err, "decoding the run's pool")
    try:
        trained = open_trained(folder, registry.home, opening)
    finally:
        opening.close()
    classes = trained.classes
    k = min(top, len(classes))
    c, side, _ = trained.shape
    rows: list[dict] = []
    bar = DecodeBar(err, "predicting")
    try:
        for start in range(0, len(files), BATCH_FILES):
            chunk = files[start: start + BATCH_FILES]
            ok, pixels, bad = read_files(chunk, side, c)
            probs = trained.file_probabilities(pixels) if len(ok) else None
            found = {path: n for n, path in enumerate(ok)}
            errors = dict(bad)
            for path in chunk:
                if path in errors:
                    rows.append({"path": path, "error": errors[path]})
                    continue
                p = probs[found[path]]
                order = p.argsort()[::-1][:k]
                rows.append({"path": path, "top": [{"class": classes[j], "probability": round(float(p[j]), 6)}
                                                   for j in order]})
            bar(min(start + BATCH_FILES, len(files)), len(files))
    finally:
        bar.close()
    _print(rows, k, json_out, csv_out, folder.run_id, trained.round)


def _print(rows: list[dict], k: int, json_out: bool, csv_out: bool, run_id: str, round_no: int) -> None:
    if json_out:
        print(json.dumps({"run_id": run_id, "round": round_no, "predictions": rows}, indent=1))
        return
    if csv_out:
        w = csv.writer(sys.stdout)
        w.writerow(["path", *[f"{name}_{n + 1}" for n in range(k) for name in ("class", "probability")], "error"])
        for r in rows:
            cells = [x for t in r.get("top", []) for x in (t["class"], f"{t['probability']:.6f}")]
            w.writerow([r["path"], *cells, *[""] * (2 * k - len(cells)), r.get("error", "")])
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"run {run_id}, model of round {round_no}: {len(rows)} images", title_justify="left")
    table.add_column("image", overflow="fold", ratio=1)
    for n in range(k):
        table.add_column(f"#{n + 1}", no_wrap=True, min_width=12)
    for r in rows:
        if "error" in r:
            table.add_row(escape(r["path"]), "[red]unreadable[/]", *[""] * (k - 1))
        else:
            table.add_row(escape(r["path"]), *[f"{escape(t['class'])} {100 * t['probability']:.1f}%" for t in r["top"]])
    console = Console()
    console.print(table)
    for r in rows:
        if "error" in r:  # why, one line each, below the table
            console.print(f"[red]unreadable:[/] {escape(r['path'])}: {escape(r['error'])}", highlight=False)

