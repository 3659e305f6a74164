"""`alss-tui review RUN_ID` (label in the terminal) and `alss-tui label RUN_ID --from FILE` (scripts)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from alss_tui.cli.options import HomeOpt

RunIdArg = Annotated[str, typer.Argument(help="Run id (or an unambiguous prefix).", show_default=False)]
RoundOpt = Annotated[Optional[int], typer.Option("--round", help="Open this round (default: the one waiting, "
                                                 "else the newest, view only).", show_default=False)]
ImagesOpt = Annotated[str, typer.Option("--images", help="Image renderer: auto, kitty, sixel, cells "
                                        "(coloured half blocks, works in tmux/SSH) or ascii.")]
FromOpt = Annotated[Path, typer.Option("--from", help="CSV of index,label (label: class name or number; "
                                       "empty or 'reject' rejects).", show_default=False)]

RENDERERS = ("auto", "kitty", "sixel", "cells", "ascii")


def register(app: typer.Typer) -> None:
    app.command("review")(review)
    app.command("label")(label)


def _folder(home: Optional[Path], run_id: str):
    from alss_tui.store.home import resolve_home
    from alss_tui.store.registry import Registry
    from alss_tui.store.run_folder import RunFolder

    home_dir = resolve_home(home)
    registry = Registry(home_dir)
    return home_dir, RunFolder(registry.runs_dir / registry.resolve(run_id))


def review(run_id: RunIdArg, round: RoundOpt = None, images: ImagesOpt = "auto", home: HomeOpt = None) -> None:
    """Review a round's candidates in the terminal: label, reject, undo, submit."""
    from alss_tui.cli.console import fail

    if images not in RENDERERS:
        fail(f"--images: must be one of {', '.join(RENDERERS)}")
    from alss_tui.cli.dashboard_cmd import open_app

    os.environ["ALSS_IMAGES"] = images  # read when textual-image is imported, in open_app
    open_app(home, start="review-only", run_id=run_id, review_round=round)


def label(run_id: RunIdArg, from_: FromOpt, home: HomeOpt = None) -> None:
    """Submit the waiting round's labels from a CSV file (for scripts)."""
    from alss_tui.errors import AlssError, LabelError
    from alss_tui.runner.oracle import read_label_csv
    from alss_tui.store.labels import LabelLog
    from alss_tui.runner.gate import continue_after_submit
    from alss_tui.store.review import load_review, pending_round, waits_for_person

    home_dir, folder = _folder(home, run_id)
    if not waits_for_person(folder):
        kind = folder.load_config().oracle.kind
        raise LabelError(f"run {folder.run_id} takes its labels from oracle.kind = {kind!r}, not from a person")
    round_no = pending_round(folder)
    if round_no is None:
        raise LabelError(f"run {folder.run_id} has no round waiting for labels")
    review_round = load_review(folder, round_no)
    labels = read_label_csv(from_, review_round.classes)
    known = set(review_round.items)
    unknown = sorted(set(labels) - known)
    if unknown:
        raise LabelError(f"{from_}: item {unknown[0]} is not a candidate of round {round_no} "
                         f"({len(unknown)} unknown; the round has {len(known)} candidates)")
    with LabelLog(folder.labels_path) as log:
        log.submit(round_no, f"file:{from_.name}", require_label=round_no == 0, decisions=labels)
    added = sum(1 for y in labels.values() if y is not None)
    left = len(known) - len(labels)
    print(f"round {round_no} submitted: {added} labelled, {len(labels) - added} rejected"
          + (f", {left} left unlabelled (back to the pool)" if left else ""))
    try:
        runner = continue_after_submit(home_dir, folder)
    except AlssError as exc:  # the labels are in: say why the run did not continue, do not fail
        print(f"the run was not continued ({exc}); `alss-tui run --resume {folder.run_id}` continues it")
        return
    if runner == "stopped":
        print(f"the run's process is not running; `alss-tui run --resume {folder.run_id}` continues it")
