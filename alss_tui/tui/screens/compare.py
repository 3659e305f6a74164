"""Compare: accuracy against the number of labels for several runs, and how their configs differ."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from alss_tui.tui.messages import ComparisonLoaded
from alss_tui.tui.state.comparison import plot_title
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
            yield CurvePlot("held-out accuracy vs labels (%)", "labelled images", percent=True, id="compare-plot")
            yield Static("reading the runs…", id="diff-title")
            yield DataTable(id="config-diff", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"compare {len(self.run_ids)} runs"
        self.app.load_comparison(self.run_ids)

    def show(self, message: ComparisonLoaded) -> None:
        curves = message.curves
        plot = self.query_one("#compare-plot", CurvePlot)
        plot.title = plot_title(curves)
        plot.show([(c.label, c.curve) for c in curves], markers=True)
        table = self.query_one("#config-diff", DataTable)
        table.clear(columns=True)
        table.add_columns("field", *[c.run_id for c in curves])
        table.add_rows([(key, *values) for key, values in message.diff])
        self.query_one("#diff-title", Static).update(
            "config fields that differ" if message.diff else "the configs are identical")
        for problem in message.problems:
            self.notify(problem, severity="error")

    def action_back(self) -> None:
        self.app.pop_screen()
