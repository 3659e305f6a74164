"""`alss-tui dashboard` and `alss-tui new`: open the Textual app (imported only here)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from alss_tui.cli.options import HomeOpt

ConfigOpt = Annotated[Optional[str], typer.Option("--config", help="Pre-fill the form from this preset (a name from "
                                                   "alss-tui presets) or config file (TOML).", show_default=False)]
RunOpt = Annotated[Optional[str], typer.Option("--run", help="Open the monitor of this run (id or unique prefix).",
                                               metavar="RUN_ID", show_default=False)]


def register(app: typer.Typer) -> None:
    app.command("dashboard")(dashboard)
    app.command("new")(new)


def open_app(home: Path | None, start: str = "runs", run_id: str | None = None, config_path: str | None = None,
             review_round: int | None = None) -> None:
    from alss_tui.store.home import resolve_home

    home_dir = resolve_home(home)  # a bad home or run id fails before textual loads
    if run_id is not None:
        from alss_tui.store.registry import Registry

        run_id = Registry(home_dir).resolve(run_id)
    from alss_tui.tui.app import make_app
    # textual-image asks the terminal what it can draw when imported; after the app
    # starts, stdin is the app's and the answer would arrive as keys.
    from alss_tui.tui.widgets import pixel_image  # noqa: F401

    make_app(home_dir, start=start, run_id=run_id, config_path=config_path, review_round=review_round).run()


def dashboard(home: HomeOpt = None, run: RunOpt = None) -> None:
    """Open the dashboard: every run, live (this is also what bare `alss-tui` does)."""
    open_app(home, start="monitor" if run else "runs", run_id=run)


def new(config: ConfigOpt = None, home: HomeOpt = None) -> None:
    """Open the New run form (Enter starts the digits default, strategy margin-sub); the run continues if you quit."""
    open_app(home, start="new", config_path=config)
