"""Compare: accuracy against the number of labels for several runs, and how their configs differ."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from alss_tui.tui.widgets.curve_plot import CurvePlot


class CompareScreen(Screen):
    HELP_TITLE = "Compare"
    BINDINGS = [Binding("escape", "back", "Runs")]

    def __init__(self, run_ids: list[str]):
        super().__init__(id="compare-screen")
        self.run_ids = list(run_ids)

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="compare-body"):
            yield CurvePlot("held-out accuracy vs labels", "labelled images", id="compare-plot")
            yield Static("config fields that differ", id="diff-title")
            yield DataTable(id="config-diff", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        from alss_tui.tui.comparison import load_comparison

        self.sub_title = f"compare {len(self.run_ids)} runs"
        # A few small files per run, read once: fast enough to do here.
        curves, diff, problems = load_comparison(self.app.registry, self.run_ids)
        self.query_one("#compare-plot", CurvePlot).show([(c.label, c.curve) for c in curves], markers=True)
        table = self.query_one("#config-diff", DataTable)
        table.add_columns("field", *[c.run_id for c in curves])
        table.add_rows([(key, *values) for key, values in diff])
        if not diff:
            self.query_one("#diff-title", Static).update("the configs are identical")
        for problem in problems:
            self.notify(problem, severity="error")

    def action_back(self) -> None:
        self.app.pop_screen()
