"""The latent map: pool, labelled points, this round's seeds -> ascended codes -> picks."""

from __future__ import annotations

import numpy as np
from textual_plotext import PlotextPlot

from alss_tui.tui.state.latent_view import LatentPicture

LEGEND = "[dim]·[/] pool  [blue]•[/] labelled  [yellow]•[/] seeds  [red]•[/] ascended  [green]•[/] picked"


def _finite(xy: np.ndarray | None) -> np.ndarray:
    if xy is None or not len(xy):
        return np.zeros((0, 2), np.float32)
    return xy[np.isfinite(xy).all(axis=1)]


class LatentMap(PlotextPlot):
    def on_mount(self) -> None:
        super().on_mount()
        self.show(None)

    def show(self, picture: LatentPicture | None) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        if picture is None:
            plt.title("latent map (after the VAE is trained)")
            self.refresh()
            return
        current = picture.current
        title = "latent map"
        if current is not None:
            title += f" · round {current.round} ({current.strategy})"
        plt.title(title)
        self._scatter(picture.pool_xy, "gray", "dot")
        self._scatter(picture.labelled_xy, "blue", "dot")
        if current is not None:
            seeds, ascended = current.seed_xy, current.ascended_xy
            picked = current.item_xy
            if seeds is not None and ascended is not None and len(seeds) == len(ascended):
                # The path of each seed: where the ascent moved it, then the image labelled.
                for i in range(len(seeds)):
                    path = [seeds[i], ascended[i]]
                    if i < len(picked) and np.isfinite(picked[i]).all():
                        path.append(picked[i])
                    plt.plot([float(p[0]) for p in path], [float(p[1]) for p in path], color="gray+",
                             marker="braille")
                self._scatter(seeds, "yellow", "●")
                self._scatter(ascended, "red", "●")
            self._scatter(picked, "green", "●")
        self.refresh()

    def _scatter(self, xy: np.ndarray | None, color: str, marker: str) -> None:
        pts = _finite(xy)
        if len(pts):
            self.plt.scatter(pts[:, 0].tolist(), pts[:, 1].tolist(), color=color, marker=marker)
