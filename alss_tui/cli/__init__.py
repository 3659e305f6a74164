"""The `alss-tui` command. Only this package imports typer.

Command modules import torch and textual inside the commands that need them,
so `alss-tui --help` stays fast.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from alss_tui.cli import bench_cmd, dashboard_cmd, predict_cmd, presets_cmd, review_cmd, run_cmd, runs_cmd
from alss_tui.cli.console import fail
from alss_tui.errors import AlssError

app = typer.Typer(
    name="alss-tui",
    help="Adaptive latent space sampling: train on fewer labels, from the terminal.",
    pretty_exceptions_enable=False,
    add_completion=False,
)
run_cmd.register(app)
runs_cmd.register(app)
review_cmd.register(app)
dashboard_cmd.register(app)
bench_cmd.register(app)
presets_cmd.register(app)
predict_cmd.register(app)


def _print_version(value: bool) -> None:
    if value:
        from alss_tui import __version__

        print(f"alss-tui {__version__}")
        raise typer.Exit()


VersionOpt = Annotated[bool, typer.Option("--version", help="Print the version and exit.", is_eager=True,
                                          callback=_print_version)]


@app.callback(invoke_without_command=True)
def _root(ctx: typer.Context, version: VersionOpt = False) -> None:
    """Adaptive latent space sampling: train on fewer labels, from the terminal.

    With no command, opens the dashboard.
    """
    if ctx.invoked_subcommand is None:
        dashboard_cmd.open_app(None)


def main() -> None:
    try:
        app()
    except AlssError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted")
    sys.exit(0)
