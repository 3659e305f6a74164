"""Shared console output: errors as one red line on stderr, exit code 1."""

from __future__ import annotations

import sys
from typing import NoReturn

from rich.console import Console
from rich.markup import escape

err_console = Console(stderr=True, highlight=False)


def percent(fraction: float | None, missing: str = "") -> str:
    """Accuracy as people read it: 98.6 (a percentage, one decimal). JSON keeps the fraction."""
    if fraction is None or fraction != fraction:  # None or NaN (a pool without a test split)
        return missing
    return f"{100 * fraction:.1f}"


def fail(message: str, code: int = 1) -> NoReturn:
    """Print the error (one red line per problem: a config may have several) and exit."""
    for line in message.splitlines() or [""]:
        err_console.print(f"[bold red]error:[/] {escape(line)}", soft_wrap=True, markup=True)
    sys.exit(code)
