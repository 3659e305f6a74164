"""The dashboard App: screens on top, and the workers that read the disk for them.

Workers live here, not on screens (a screen's workers die with it). They run in
threads, never touch widgets, and post at most one message per tick.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.worker import get_current_worker

from alss_tui.config import RunConfig
from alss_tui.errors import AlssError
from alss_tui.store.jsonl import JsonlReader
from alss_tui.store.registry import Registry
from alss_tui.store.run_folder import RunFolder
from alss_tui.store.status import live_status
from alss_tui.tui.state.latent_view import LatentView
from alss_tui.tui.messages import ComparisonLoaded, RunsLoaded, RunUpdated
from alss_tui.tui.state.run_rows import load_rows
from alss_tui.tui.state.run_state import RunState

# "review-only" is `alss-tui review`: the Review screen alone, closing it quits.
STARTS = ("runs", "new", "monitor", "review", "review-only")
LOCK_CHECK_SECONDS = 5.0  # how soon a run that died silently shows as crashed


class AlssApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "alss-tui"
    BINDINGS = [
        Binding("question_mark,f1", "help", "Keys"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, home: Path, start: str = "runs", run_id: str | None = None,
                 config: RunConfig | None = None, review_round: int | None = None,
                 clock: Callable[[], float] = time.time, poll_seconds: float = 1.0, follow_seconds: float = 0.5):
        super().__init__()
        if start not in STARTS:
            raise ValueError(f"start must be one of {', '.join(STARTS)}")
        if start == "review-only":
            self.title = f"{self.TITLE} review"
        self.home = Path(home)
        self.registry = Registry(self.home)
        self.start = start
        self.start_run_id = run_id
        self.start_config = config
        self.review_round = review_round
        self.clock = clock
        self.poll_seconds = poll_seconds
        self.follow_seconds = follow_seconds
        self.rows = None  # last RunsLoaded rows, for screens that open later
        self.map_round: int | None = None  # latent-map round the monitor asked for (None = latest)
        self._registry_wake = threading.Event()
        self._follow_wake = threading.Event()

    def on_mount(self) -> None:
        from alss_tui.tui.screens.runs import RunsScreen

        if self.start == "review-only":
            from alss_tui.tui.screens.review import ReviewScreen

            self.push_screen(ReviewScreen(self.home, self.start_run_id, self.review_round), lambda _: self.exit())
            return
        self.push_screen(RunsScreen())
        self.watch_registry()
        if self.start == "new":
            self.open_new_run(self.start_config)
        elif self.start == "monitor" and self.start_run_id:
            self.open_monitor(self.start_run_id)
        elif self.start == "review" and self.start_run_id:
            self.open_review(self.start_run_id)

    # --- navigation -----------------------------------------------------------------

    def open_new_run(self, config: RunConfig | None = None) -> None:
        from alss_tui.tui.screens.new_run import NewRunScreen

        self.push_screen(NewRunScreen(config))

    def open_monitor(self, run_id: str) -> None:
        from alss_tui.tui.screens.monitor import MonitorScreen

        self.push_screen(MonitorScreen(run_id))

    def open_compare(self, run_ids: list[str]) -> None:
        from alss_tui.tui.screens.compare import CompareScreen

        self.push_screen(CompareScreen(run_ids))

    def open_review(self, run_id: str) -> None:
        from alss_tui.tui.screens.review import ReviewScreen

        self.push_screen(ReviewScreen(home=self.home, run_id=run_id))

    def action_help(self) -> None:
        from alss_tui.tui.dialogs.help import HelpDialog

        if not isinstance(self.screen, HelpDialog):
            self.push_screen(HelpDialog(self.screen))

    def refresh_runs(self) -> None:
        """Read the registry now instead of at the next tick (after a start or delete)."""
        self._registry_wake.set()

    # --- the registry watcher -------------------------------------------------------

    @work(thread=True, exclusive=True, group="registry", name="registry watcher")
    def watch_registry(self) -> None:
        worker = get_current_worker()
        last = None
        last_error = None
        seen_mtime, checked_at = None, 0.0
        while not worker.is_cancelled:
            # Re-read when the registry file changed, or every LOCK_CHECK_SECONDS for runs
            # that died without a word (a crash changes a lock, not the registry).
            try:
                mtime = self.registry.path.stat().st_mtime_ns
            except FileNotFoundError:
                mtime = None
            if last is not None and mtime == seen_mtime and time.monotonic() - checked_at < LOCK_CHECK_SECONDS \
                    and not self._registry_wake.is_set():
                self._registry_wake.wait(self.poll_seconds)
                continue
            self._registry_wake.clear()
            seen_mtime, checked_at = mtime, time.monotonic()
            try:
                rows = load_rows(self.registry)
            except AlssError as exc:
                if str(exc) != last_error:
                    last_error = str(exc)
                    self.call_from_thread(self.notify, last_error, severity="error", timeout=10)
            else:
                last_error = None
                if rows != last:
                    last = rows
                    self.post_message(RunsLoaded(rows))
            self._registry_wake.wait(self.poll_seconds)

    def on_runs_loaded(self, message: RunsLoaded) -> None:
        from alss_tui.tui.state.label_alerts import newly_waiting
        from alss_tui.tui.screens.runs import RunsScreen

        for row in newly_waiting(self.rows, message.rows):
            if getattr(self.screen, "run_id", None) != row.id:  # its own review screen rings already
                self.bell()
                self.notify(f"{row.name} ({row.id}) waits for your labels: r on the Runs screen reviews it",
                            title="labels wanted", timeout=10)
        self.rows = message.rows
        for screen in self.screen_stack:
            if isinstance(screen, RunsScreen):
                screen.show_rows(message.rows)

    # --- comparing runs ---------------------------------------------------------------

    @work(thread=True, exclusive=True, group="compare", name="comparison loader")
    def load_comparison(self, run_ids: list[str]) -> None:
        from alss_tui.tui.state.comparison import load_comparison

        curves, diff, problems = load_comparison(self.registry, run_ids)  # whole logs: off the UI thread
        self.post_message(ComparisonLoaded(run_ids, curves, diff, problems))

    def on_comparison_loaded(self, message: ComparisonLoaded) -> None:
        from alss_tui.tui.screens.compare import CompareScreen

        for screen in self.screen_stack:
            if isinstance(screen, CompareScreen) and screen.run_ids == message.run_ids:
                screen.show(message)

    # --- following one run ----------------------------------------------------------

    def follow(self, run_id: str) -> None:
        self.map_round = None
        self._follow_run(run_id)

    def stop_following(self) -> None:
        self.workers.cancel_group(self, "follow")
        self._follow_wake.set()

    def show_map_round(self, round_no: int | None) -> None:
        self.map_round = round_no
        self._follow_wake.set()

    @work(thread=True, exclusive=True, group="follow", name="run follower")
    def _follow_run(self, run_id: str) -> None:
        worker = get_current_worker()
        folder = RunFolder(self.registry.runs_dir / run_id)
        reader = JsonlReader(folder.events_path)  # from offset 0 once, then only new bytes
        state = RunState(run_id)
        view = LatentView(folder)
        status, status_at = None, 0.0
        sent_version = sent_round = None
        first = True
        while not worker.is_cancelled:
            try:
                state.apply_records(reader.read_new())
                map_changed = view.poll()
                if time.monotonic() - status_at > 2 * self.follow_seconds or state.version != sent_version:
                    new_status = live_status(folder, self.registry.get(run_id))
                    status_at = time.monotonic()
                else:
                    new_status = status
            except AlssError as exc:
                self.call_from_thread(self.notify, str(exc), severity="error")
                new_status, map_changed = status, False
            wanted_round = self.map_round
            if first or state.version != sent_version or new_status != status or map_changed \
                    or wanted_round != sent_round:
                picture = view.picture(wanted_round, state.labelled_items) if (first or map_changed or wanted_round != sent_round) else None
                self.post_message(RunUpdated(state.snapshot(), new_status or "created", picture,
                                             picture is not None))
                sent_version, sent_round, status, first = state.version, wanted_round, new_status, False
            self._follow_wake.wait(self.follow_seconds)
            self._follow_wake.clear()

    def on_run_updated(self, message: RunUpdated) -> None:
        from alss_tui.tui.screens.monitor import MonitorScreen

        for screen in self.screen_stack:  # also under a dialog, so no update is lost
            if isinstance(screen, MonitorScreen) and screen.run_id == message.snapshot.run_id:
                screen.show(message)


def make_app(home: Path, start: str = "runs", run_id: str | None = None, config_path: str | Path | None = None,
             *, review_round: int | None = None, clock: Callable[[], float] = time.time,
             poll_seconds: float = 1.0) -> AlssApp:
    """The one factory behind `alss-tui`, `alss-tui new/dashboard/review` and the tests.

    `config_path`: a config file or a preset name, for the New run form. A bad one
    raises ConfigError here, before the terminal switches to the app.
    """
    from alss_tui import presets

    config = presets.load(config_path) if config_path is not None else None
    return AlssApp(Path(home), start=start, run_id=run_id, config=config, review_round=review_round,
                   clock=clock, poll_seconds=poll_seconds)
