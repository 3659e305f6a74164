"""`alss-tui presets`: the run presets a name can stand for (built-in and saved)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def register(app: typer.Typer) -> None:
    app.command("presets")(presets)


def presets(json_out: JsonOpt = False) -> None:
    """List the presets: `alss-tui run NAME` and `alss-tui new --config NAME` take any of them."""
    from alss_tui import presets as presets_mod
    from alss_tui.errors import AlssError

    rows = []
    for preset in presets_mod.all_presets():
        try:
            cfg = preset.load()
        except AlssError as exc:  # a hand-edited saved preset: listed with what is wrong
            rows.append({"name": preset.name, "source": preset.source, "path": str(preset.path), "error": str(exc)})
            continue
        rows.append({"name": preset.name, "source": preset.source, "path": str(preset.path),
                     "dataset": cfg.data.dataset, "strategy": cfg.sampling.strategy, "oracle": cfg.oracle.kind,
                     "budget": cfg.sampling.budget, "error": None})
    if json_out:
        print(json.dumps({"saved_to": str(presets_mod.user_dir()), "presets": rows}, indent=1))
        return
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, padding=(0, 1, 0, 0))
    for col, just in (("name", "left"), ("source", "left"), ("dataset", "left"), ("strategy", "left"),
                      ("labels by", "left"), ("budget", "right")):
        table.add_column(col, justify=just, no_wrap=col == "name")
    for r in rows:
        if r["error"]:
            table.add_row(r["name"], r["source"], f"[red]{r['error']}[/]", "", "", "")
        else:
            table.add_row(r["name"], r["source"], r["dataset"], r["strategy"], r["oracle"], str(r["budget"]))
    console = Console()
    console.print(table)
    console.print(f"saved presets (ctrl+s in the New run form) go to {presets_mod.user_dir()}",
                  highlight=False, markup=False)
