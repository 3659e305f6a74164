"""The `alss-tui` command. Only this package imports typer.

Command modules import torch and textual inside the commands that need them,
so `alss-tui --help` stays fast.
"""

from __future__ import annotations

import sys

import typer

from alss_tui.cli import bench_cmd, review_cmd, run_cmd, runs_cmd
from alss_tui.cli.console import fail
from alss_tui.errors import AlssError

app = typer.Typer(
    name="alss-tui",
    help="Adaptive latent space sampling: train on fewer labels, from the terminal.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
run_cmd.register(app)
runs_cmd.register(app)
review_cmd.register(app)
bench_cmd.register(app)


@app.callback()
def _root() -> None:
    """Adaptive latent space sampling: train on fewer labels, from the terminal."""


def main() -> None:
    try:
        app()
    except AlssError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted")
    sys.exit(0)
