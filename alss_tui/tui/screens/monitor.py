"""Monitor: one run, live from its event log: phase, curves, rounds, the latent map."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, ProgressBar, Static

from alss_tui.tui.state.latent_view import LatentPicture
from alss_tui.tui.messages import RunUpdated
from alss_tui.tui.state.run_state import PHASE_NAMES, RoundRow, RunSnapshot
from alss_tui.tui.status_style import status_text
from alss_tui.tui.widgets.curve_plot import CurvePlot
from alss_tui.tui.widgets.latent_map import LEGEND, LatentMap

PLOT_SECONDS = 1.0  # the fastest the curves are redrawn while events stream in
ROUND_COLUMNS = ("round", "strategy", "added", "labelled", "accuracy", "pseudo", "κ", "classes added", "seconds")
SPLIT_COLUMN = {"validation": "val %", "test": "test %"}  # the accuracy column, once a round names its split



def class_balance(counts: dict[str, int], classes: tuple[str, ...]) -> str:
    """'0:6 1:5 …' in class order; names when the dataset has them."""
    def name(key: str) -> str:
        return classes[int(key)] if key.isdigit() and int(key) < len(classes) else key

    ordered = sorted(counts.items(), key=lambda kv: (not kv[0].isdigit(), int(kv[0]) if kv[0].isdigit() else kv[0]))
    return " ".join(f"{name(k)}:{v}" for k, v in ordered)


def pseudo_cell(row: RoundRow) -> str:
    """Pseudo-labelled items the round trained on (and the share right, where the truth is known)."""
    if row.pseudo is None:
        return "-"
    return f"{row.pseudo}" + (f" ({100 * row.pseudo_accuracy:.0f}% right)" if row.pseudo_accuracy is not None else "")


def round_cells(row: RoundRow, classes: tuple[str, ...]) -> tuple[str, ...]:
    added = "-" if row.added is None else str(row.added) + (f" (-{row.rejected})" if row.rejected else "")
    return (str(row.round), row.strategy or "-", added, "-" if row.labelled is None else str(row.labelled),
            "-" if row.accuracy is None else f"{100 * row.accuracy:.1f}%", pseudo_cell(row),
            "-" if row.agreement is None else f"{row.agreement:.3f}", class_balance(row.class_counts, classes),
            "-" if row.seconds is None else f"{row.seconds:.1f}")


class MonitorScreen(Screen):
    HELP_TITLE = "Monitor"
    BINDINGS = [
        Binding("escape", "back", "Runs"),
        Binding("r", "review", "Review"),
        Binding("left_square_bracket", "map_round(-1)", "Map: earlier round"),
        Binding("right_square_bracket", "map_round(1)", "Map: later round"),
    ]

    def __init__(self, run_id: str):
        super().__init__(id="monitor-screen")
        self.run_id = run_id
        self.snapshot: RunSnapshot | None = None
        self.map_rounds: tuple[int, ...] = ()
        self.map_round: int | None = None
        self._phase_key: tuple | None = None
        self._rounds_shown: tuple | None = None
        self._plots_dirty = False
        self._plot_timer_running = False
        self._accuracy_header = "accuracy"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self.run_id, id="monitor-title")
        with Horizontal(id="phase-line"):
            yield Static("waiting for events…", id="phase-label")
            yield ProgressBar(id="phase-progress", show_eta=True)
        with VerticalScroll(id="monitor-body"):
            with Grid(id="plots"):
                yield CurvePlot("held-out accuracy and agreement κ (%)", "labelled images", percent=True,
                                id="accuracy-plot")
                yield CurvePlot("VAE loss", "epoch", id="vae-plot")
                yield CurvePlot("task loss", "epoch (all rounds)", id="task-plot")
                yield LatentMap(id="latent-map")
            yield Static(LEGEND, id="map-legend")
            table = DataTable(id="rounds-table", cursor_type="row", zebra_stripes=True)
            table.add_columns(*ROUND_COLUMNS)
            yield table
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"monitor · {self.run_id}"
        self.app.follow(self.run_id)

    def on_unmount(self) -> None:
        self.app.stop_following()

    # --- updates from the follower ----------------------------------------------------

    def show(self, message: RunUpdated) -> None:
        snap = self.snapshot = message.snapshot
        self._show_title(snap, message.status)
        self._show_phase(snap)
        self._show_rounds(snap)
        if message.map_changed:
            self._show_map(message.picture)
        # Plots are the expensive part: draw at once when idle, else at most once per PLOT_SECONDS.
        if not self._plot_timer_running:
            self._draw_plots()
            self._plot_timer_running = True
            self.set_timer(PLOT_SECONDS, self._plot_tick)
        else:
            self._plots_dirty = True

    def _plot_tick(self) -> None:
        if self._plots_dirty:
            self._draw_plots()
            self.set_timer(PLOT_SECONDS, self._plot_tick)
        else:
            self._plot_timer_running = False

    def _draw_plots(self) -> None:
        self._plots_dirty = False
        snap = self.snapshot
        if snap is None:
            return
        plot = self.query_one("#accuracy-plot", CurvePlot)
        # Beside the accuracy, the stopping signal (kappa x 100): it needs no labelled split, so a
        # person's own folder, with no accuracy to show, still sees when more labels stop mattering.
        plot.title = (f"{snap.split} accuracy and " if snap.split else "") + "agreement κ (%)"
        plot.show([("accuracy", snap.accuracy), ("κ", snap.agreement)], markers=True)
        vae_plot = self.query_one("#vae-plot", CurvePlot)
        if "encoder" in snap.vae:
            vae_plot.title = "pool encoder and VAE loss"
        vae_plot.show(
            [(name, curve) for name, curve in snap.vae.items() if name in ("recon", "kl", "encoder")]
            or list(snap.vae.items()))
        self.query_one("#task-plot", CurvePlot).show([("loss", snap.task_loss)])

    def _show_title(self, snap: RunSnapshot, status: str) -> None:
        row = next((r for r in (self.app.rows or []) if r.id == self.run_id), None)
        name = f"[b]{row.name}[/] " if row else ""
        what = f" · {row.strategy} on {row.dataset}" if row else ""
        title = self.query_one("#monitor-title", Static)
        hint = " · [b]r[/] to label this round" if status == "awaiting-labels" else ""
        if row is not None and row.suspects:
            hint += f" · [b]{row.suspects}[/] suspect labels (r, then s)"
        title.update(f"{name}[dim]{self.run_id}[/]{what} · " + status_text(status).markup + hint
                     + (f" · [red]{snap.error}[/]" if snap.error else ""), layout=False)

    def _show_phase(self, snap: RunSnapshot) -> None:
        label = PHASE_NAMES.get(snap.phase, snap.phase)
        if snap.phase_round is not None and snap.phase not in ("decode", "vae", "encode"):
            label = f"round {snap.phase_round} · {label}"
        if snap.total and snap.phase not in ("finished", "failed"):
            label += f" {snap.done}/{snap.total}"
        self.query_one("#phase-label", Static).update(label, layout=False)  # fixed size: skip the layout pass
        bar = self.query_one("#phase-progress", ProgressBar)
        key = (snap.phase, snap.phase_round)
        if snap.phase == "finished":
            bar.update(total=1, progress=1)
        elif key != self._phase_key:
            bar.update(total=snap.total or None, progress=snap.done)
        else:
            bar.update(progress=snap.done)
        self._phase_key = key

    def _show_rounds(self, snap: RunSnapshot) -> None:
        cells = tuple(round_cells(r, snap.classes) for r in snap.rounds)
        if cells == self._rounds_shown:
            return
        self._rounds_shown = cells
        table = self.query_one("#rounds-table", DataTable)
        header = SPLIT_COLUMN.get(snap.split or "", "accuracy")
        if header != self._accuracy_header:
            self._accuracy_header = header
            table.clear(columns=True)
            table.add_columns(*(header if c == "accuracy" else c for c in ROUND_COLUMNS))
        table.clear()
        table.add_rows(cells)

    def _show_map(self, picture: LatentPicture | None) -> None:
        if picture is not None:
            self.map_rounds = picture.rounds
            self.map_round = picture.current.round if picture.current else None
        self.query_one("#latent-map", LatentMap).show(picture)

    # --- keys -------------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_review(self) -> None:
        self.app.open_review(self.run_id)

    def action_map_round(self, step: int) -> None:
        if not self.map_rounds:
            self.notify("no rounds on the map yet")
            return
        rounds = self.map_rounds
        index = rounds.index(self.map_round) if self.map_round in rounds else len(rounds) - 1
        index = max(0, min(len(rounds) - 1, index + step))
        self.app.show_map_round(rounds[index])
