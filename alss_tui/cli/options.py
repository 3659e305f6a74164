"""Options shared by several commands, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

HomeOpt = Annotated[Optional[Path], typer.Option("--home", help="Where runs live (default: $ALSS_HOME, else the user data dir).",
                                                  show_default=False)]
SetOpt = Annotated[Optional[list[str]], typer.Option("--set", help="Override a config field: section.key=value (repeatable).",
                                                      show_default=False)]
