"""The bench's figure: accuracy in percent, and the pool named by its data root."""

from __future__ import annotations

from dataclasses import replace

import pytest

from alss_tui.bench.plot import figure, pool_title
from bench_helpers import strategy, summary


def test_the_pool_is_titled_by_its_data_roots_folder_and_its_imbalance():
    assert pool_title({"data": {"dataset": "mnist", "data_root": "../shared/data/fashion-mnist", "imbalance": 1.0}}) \
        == "fashion-mnist"
    assert pool_title({"data": {"dataset": "mnist", "data_root": "/data/kmnist/", "imbalance": 100.0}}) \
        == "kmnist, imbalance 100"
    assert pool_title({"data": {"dataset": "digits", "data_root": "", "imbalance": 10.0}}) == "digits, imbalance 10"


def test_the_figure_plots_percent_under_the_pools_title():
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    bench = summary({"random": strategy([0.5, 0.7], curve=[(100, [0.5, 0.7]), (200, [0.8, 0.9])])})
    bench = replace(bench, config={**bench.config, "data": {"dataset": "mnist", "data_root": "roots/fashion",
                                                            "imbalance": 1.0}})
    fig = figure(bench)
    try:
        ax = fig.axes[0]
        assert list(ax.lines[0].get_ydata()) == pytest.approx([60.0, 85.0])
        assert ax.get_title() == "fashion: mean ± std over 2 seeds"
        assert ax.get_ylabel() == "validation accuracy (%)"
    finally:
        plt.close(fig)
