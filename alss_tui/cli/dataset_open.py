"""Open a run's dataset from the command line: a progress bar while a folder decodes, one warning line."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path


class DecodeBar:
    """A Rich progress bar with ETA, shown only if there is something to decode (a cached pool opens silently)."""

    def __init__(self, console, what: str = "decoding images"):
        self.console = console
        self.what = what
        self.bar = None
        self.task = None

    def __call__(self, done: int, total: int) -> None:
        if total == 0:
            return
        if self.bar is None:
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeElapsedColumn, TimeRemainingColumn)

            self.bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                                console=self.console, transient=True)
            self.bar.start()
            self.task = self.bar.add_task(self.what, total=total)
        self.bar.update(self.task, completed=done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


@contextmanager
def _decode_bar(console):
    bar = DecodeBar(console)
    try:
        yield bar
    finally:
        bar.close()


def load_with_progress(data_cfg, home: Path, console):
    """The data config's pool, with the pool cache under `home` and a progress bar on `console`."""
    from alss_tui.data.loaders import open_pool
    from alss_tui.runner.pool_open import drive
    from alss_tui.store.home import pool_cache_dir

    with _decode_bar(console) as bar:
        return drive(open_pool(data_cfg, pool_cache_dir(home)), bar)


def prepare_with_progress(cfg, home: Path, console):
    """runner.execute.prepare with the pool cache under `home` and a progress bar on `console`."""
    from alss_tui.runner.execute import prepare
    from alss_tui.store.home import pool_cache_dir

    with _decode_bar(console) as bar:
        return prepare(cfg, pool_cache_dir(home), bar)


def warn_skipped(console, dataset, listed_in: str) -> None:
    """One line: how many images could not be read and where they are listed."""
    if dataset.skipped:
        n = len(dataset.skipped)
        console.print(f"[yellow]warning:[/] skipped {n} unreadable image{'s' if n != 1 else ''} "
                      f"(e.g. {dataset.skipped[0][0]}: {dataset.skipped[0][1]}); listed in {listed_in}")
