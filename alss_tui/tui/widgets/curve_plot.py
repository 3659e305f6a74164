"""A line plot of one or more named curves (loss, accuracy), redrawn only when they change."""

from __future__ import annotations

from textual_plotext import PlotextPlot

from alss_tui.tui.state.run_state import Curve

COLORS = ("cyan", "magenta", "green", "orange", "red", "blue", "yellow", "white")


class CurvePlot(PlotextPlot):
    def __init__(self, title: str, xlabel: str, *, percent: bool = False, id: str | None = None):
        """`percent`: the curves are fractions, drawn as percentages on a fixed 0-100 axis."""
        super().__init__(id=id)
        self.title = title
        self.xlabel = xlabel
        self.percent = percent
        self._shown: object = None

    def on_mount(self) -> None:
        super().on_mount()
        self._draw([])

    def show(self, series: list[tuple[str, Curve]], markers: bool = False) -> None:
        key = tuple((name, c.xs, c.ys) for name, c in series)
        if key == self._shown:
            return
        self._shown = key
        self._draw(series, markers)

    def _draw(self, series: list[tuple[str, Curve]], markers: bool = False) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(self.title)
        plt.xlabel(self.xlabel)
        drawn = False
        for i, (name, curve) in enumerate(series):
            if not curve.xs:
                continue
            drawn = True
            color = COLORS[i % len(COLORS)]
            ys = [100 * y for y in curve.ys] if self.percent else list(curve.ys)
            plt.plot(list(curve.xs), ys, label=name, color=color,
                     marker="dot" if markers else "braille")
        if self.percent:
            plt.ylim(0, 100)
            plt.yticks([0, 25, 50, 75, 100])
        if not drawn:
            plt.title(f"{self.title} (no data yet)")
        self.refresh()
