"""Runs: every run in the registry with its live status; the dashboard's home screen."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from alss_tui.errors import AlssError
from alss_tui.tui.state.run_rows import SORT_KEYS, RunRow, age, arrange
from alss_tui.tui.status_style import status_text

AGE_REFRESH_SECONDS = 30.0
# One column per held-out split: a run's figure sits under the split it was measured on.
COLUMNS = ("", "id", "name", "strategy", "data", "status", "round", "labels", "val %", "test %", "age")


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}"


class RunsScreen(Screen):
    BINDINGS = [
        Binding("enter", "open", "Monitor"),
        Binding("n", "new_run", "New run"),
        Binding("space", "mark", "Mark", show=False),
        Binding("c", "compare", "Compare"),
        Binding("r", "review", "Review"),
        Binding("R", "resume", "Resume"),
        Binding("d", "delete", "Delete"),
        Binding("slash", "filter", "Filter"),
        Binding("s", "sort", "Sort"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(id="runs-screen")
        self.rows: list[RunRow] = []
        self.shown: list[RunRow] = []
        self.marked: set[str] = set()
        self.sort = SORT_KEYS[0]
        self.filter_text = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="filter: words in name, strategy, status…  (/ to focus, esc to clear)",
                    id="run-filter", compact=True)
        table = DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)
        table.add_columns(*[(label, label or "mark") for label in COLUMNS])
        yield table
        yield Static("reading the registry…", id="runs-summary")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "runs"
        self.query_one("#runs-table", DataTable).focus()
        if self.app.rows is not None:
            self.show_rows(self.app.rows)
        self.set_interval(AGE_REFRESH_SECONDS, self._refresh_ages)

    # --- showing rows -----------------------------------------------------------------

    def show_rows(self, rows: list[RunRow]) -> None:
        self.rows = rows
        self.marked &= {r.id for r in rows}
        self._fill()

    def _fill(self, reorder_only: bool = False) -> None:
        table = self.query_one("#runs-table", DataTable)
        current = self.current_id()
        shown = arrange(self.rows, self.filter_text, self.sort)
        if reorder_only and [r.id for r in shown] != [r.id for r in self.shown] \
                and {r.id for r in shown} == {r.id for r in self.shown}:
            # Same rows in a new order: move them; re-adding would re-measure every cell.
            order = {r.id: i for i, r in enumerate(shown)}
            table.sort("id", key=lambda cell: order[cell.plain])
        else:
            now = self.app.clock()
            table.clear()
            for r in shown:
                table.add_row(*self._cells(r, now), key=r.id)
        self.shown = shown
        ids = [r.id for r in shown]
        if current in ids:
            table.move_cursor(row=ids.index(current), animate=False)
        self._summarize()

    def _cells(self, r: RunRow, now: float) -> tuple:
        labels = "-" if r.labelled is None else f"{r.labelled}/{r.budget}" if r.budget else str(r.labelled)
        # Text, not str: the table would parse every str as markup, which is most of a refill.
        plain = (r.id, r.name[:18], r.strategy, r.dataset)
        val, test = (_pct(r.accuracy) if r.split == s else "-" for s in ("validation", "test"))
        numbers = ("-" if r.round is None else str(r.round), labels, val, test, age(now - r.created))
        status = status_text(r.status)
        if r.suspects:  # open suspect labels beside the status: a column of zeros would push age off screen
            status.append(f" · {r.suspects} suspect" + ("s" if r.suspects > 1 else ""), style="yellow")
        return (Text("✓" if r.id in self.marked else " ", style="bold"), *map(Text, plain), status,
                *(Text(n, justify="right") for n in numbers))

    def _refresh_ages(self) -> None:
        """Ages grow while nothing else changes: rewrite that one column, not the table."""
        table = self.query_one("#runs-table", DataTable)
        now = self.app.clock()
        for r in self.shown:
            table.update_cell(r.id, "age", Text(age(now - r.created), justify="right"))

    def _summarize(self) -> None:
        counts: dict[str, int] = {}
        for r in self.rows:
            counts[r.status] = counts.get(r.status, 0) + 1
        if not self.rows:
            text = "No runs yet. Press [b]n[/] to start one (the digits default needs no files)."
        else:
            parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
            shown = f"{len(self.shown)} of {len(self.rows)} runs" if self.filter_text.strip() else f"{len(self.rows)} runs"
            text = f"{shown} ({parts}) · sorted by {self.sort}"
            if self.marked:
                text += f" · {len(self.marked)} marked"
        self.query_one("#runs-summary", Static).update(text)

    def current_id(self) -> str | None:
        table = self.query_one("#runs-table", DataTable)
        if not self.shown or table.cursor_row is None or not 0 <= table.cursor_row < len(self.shown):
            return None
        return self.shown[table.cursor_row].id

    def _current(self) -> RunRow | None:
        run_id = self.current_id()
        return next((r for r in self.shown if r.id == run_id), None)

    # --- keys -------------------------------------------------------------------------

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        row = self._current()
        if row is not None:
            self.app.open_monitor(row.id)

    def action_new_run(self) -> None:
        self.app.open_new_run()

    def action_mark(self) -> None:
        row = self._current()
        if row is None:
            return
        self.marked ^= {row.id}
        table = self.query_one("#runs-table", DataTable)
        table.update_cell(row.id, "mark", Text("✓" if row.id in self.marked else " ", style="bold"))
        self._summarize()
        if table.cursor_row + 1 < table.row_count:
            table.move_cursor(row=table.cursor_row + 1, animate=False)

    def action_compare(self) -> None:
        ids = [r.id for r in self.shown if r.id in self.marked] or [r.id for r in self.rows if r.id in self.marked]
        if len(ids) < 2:
            self.notify("mark two or more runs with space, then press c", severity="warning")
            return
        self.app.open_compare(ids)

    def action_review(self) -> None:
        row = self._current()
        if row is not None:
            self.app.open_review(row.id)

    def action_resume(self) -> None:
        from alss_tui.tui.state.run_control import resume_run

        row = self._current()
        if row is None:
            return
        try:
            resume_run(self.app.home, row.id)
        except AlssError as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(f"resuming {row.id} in the background")
        self.app.refresh_runs()

    def action_delete(self) -> None:
        from alss_tui.tui.dialogs.confirm import ConfirmDialog

        row = self._current()
        if row is None:
            return

        def done(confirmed: bool | None) -> None:
            if confirmed:
                self._delete(row.id)

        self.app.push_screen(ConfirmDialog(f"Delete run {row.id} ({row.name}) and its folder?\n"
                                           "Its events, labels and checkpoints are removed for good."), done)

    def _delete(self, run_id: str) -> None:
        from alss_tui.store.run_ops import delete_run

        try:
            delete_run(self.app.registry, run_id)
        except AlssError as exc:
            self.notify(str(exc), severity="error")
            return
        self.marked.discard(run_id)
        self.notify(f"deleted {run_id}")
        self.app.refresh_runs()

    def action_filter(self) -> None:
        self.query_one("#run-filter", Input).focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#run-filter", Input)
        box.value = ""
        self.query_one("#runs-table", DataTable).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "run-filter":
            self.filter_text = event.value
            self._fill()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "run-filter":
            self.query_one("#runs-table", DataTable).focus()

    def action_sort(self) -> None:
        self.sort = SORT_KEYS[(SORT_KEYS.index(self.sort) + 1) % len(SORT_KEYS)]
        self._fill(reorder_only=True)
