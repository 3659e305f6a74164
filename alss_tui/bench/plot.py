"""The bench's figure: mean accuracy (%) vs labels with a one-std band, one line per strategy (PNG)."""

from __future__ import annotations

from pathlib import Path, PurePath

import numpy as np

from alss_tui.bench.summary import BenchSummary


def pool_title(config: dict) -> str:
    """The pool a bench ran on, by its data root's folder name (an MNIST-format root may hold any
    digits-like set), or the dataset's name without a root; and its imbalance."""
    data = config["data"]
    root = PurePath(data.get("data_root") or "")
    name = root.name or data["dataset"]
    imbalance = data.get("imbalance", 1.0)
    return name + (f", imbalance {imbalance:g}" if imbalance > 1 else "")


def figure(summary: BenchSummary):
    """The matplotlib figure (Agg): accuracy in percent, as every table and the dashboard show it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=130)
    names = list(summary.strategies)
    colours = plt.get_cmap("tab10" if len(names) <= 10 else "tab20")
    for k, (strategy, s) in enumerate(summary.strategies.items()):
        x = np.array([p.labelled for p in s.curve])
        m = 100 * np.array([p.accuracy.mean for p in s.curve])
        sd = 100 * np.array([p.accuracy.std for p in s.curve])
        latent = strategy.startswith(("snn", "si"))  # ALSS strategies dashed, baselines solid
        (line,) = ax.plot(x, m, marker="o", markersize=3, color=colours(k), linestyle="--" if latent else "-",
                          label=f"{strategy} (n={s.runs})")
        ax.fill_between(x, m - sd, m + sd, color=line.get_color(), alpha=0.12, linewidth=0)
    ax.set_xlabel("labelled images")
    ax.set_ylabel(f"{summary.split} accuracy (%)")
    ax.set_title(f"{pool_title(summary.config)}: mean ± std over {len(summary.seeds)} seeds")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot(summary: BenchSummary, out: Path) -> Path:
    import matplotlib.pyplot as plt

    fig = figure(summary)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out
