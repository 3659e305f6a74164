"""The bench's figures on hand-made curves with known answers, and the paired statistics."""

from __future__ import annotations

import math

import pytest

from dataclasses import replace

from alss_tui.bench.figures import labels_to_reach, largest_drop, normalised_auc
from alss_tui.bench.paired import Interval, paired_against, paired_interval, student_t_cdf, student_t_quantile
from alss_tui.bench.tables import paired_tables, verdict
from bench_helpers import strategy, summary


def test_normalised_auc_is_the_trapezoid_area_over_the_label_range():
    # (100 * (0.5 + 0.7) / 2 + 200 * (0.7 + 0.6) / 2) / 300 = (60 + 130) / 300
    assert normalised_auc([100, 200, 400], [0.5, 0.7, 0.6]) == pytest.approx(190 / 300)
    assert normalised_auc([50, 100], [0.8, 0.8]) == pytest.approx(0.8)  # flat curve: its level
    assert normalised_auc([10, 20, 30, 40], [0.1, 0.2, 0.3, 0.4]) == pytest.approx(0.25)  # a line: its mean
    assert normalised_auc([100], [0.42]) == pytest.approx(0.42)  # one point: that accuracy
    assert math.isnan(normalised_auc([], []))


def test_labels_to_reach_is_the_first_count_at_or_above_the_target():
    labelled, acc = [100, 200, 300, 400], [0.80, 0.90, 0.89, 0.95]
    assert labels_to_reach(labelled, acc, 0.90) == 200  # reaching exactly counts
    assert labels_to_reach(labelled, acc, 0.895) == 200  # the dip at 300 does not move it
    assert labels_to_reach(labelled, acc, 0.93) == 400
    assert labels_to_reach(labelled, acc, 0.80) == 100
    assert labels_to_reach(labelled, acc, 0.96) is None


def test_largest_drop_is_the_biggest_fall_between_consecutive_rounds():
    assert largest_drop([0.5, 0.4, 0.45, 0.2, 0.6]) == pytest.approx(0.25)
    assert largest_drop([0.9, 0.8, 0.95, 0.94]) == pytest.approx(0.1)
    assert largest_drop([0.1, 0.2, 0.3]) == 0.0  # never falls
    assert largest_drop([0.7]) == 0.0


@pytest.mark.parametrize("df, t975", [(1, 12.7062047362), (2, 4.3026527297), (3, 3.1824463053),
                                      (4, 2.7764451052), (5, 2.5705818366), (9, 2.2621571628),
                                      (29, 2.0452296421), (100, 1.9839715185)])
def test_t_quantile_matches_published_values(df, t975):
    assert student_t_quantile(0.975, df) == pytest.approx(t975, abs=1e-8)
    assert student_t_quantile(0.025, df) == pytest.approx(-t975, abs=1e-8)
    assert student_t_cdf(t975, df) == pytest.approx(0.975, abs=1e-10)  # the table rounds t to 10 places


def test_t_cdf_known_points():
    assert student_t_cdf(0.0, 7) == pytest.approx(0.5)
    assert student_t_cdf(1.0, 1) == pytest.approx(0.75)  # Cauchy: 1/2 + atan(1)/pi
    assert student_t_cdf(1.0, 2) == pytest.approx(0.5 + 1 / (2 * math.sqrt(3)))  # 1/2 + t / (2 sqrt(2 + t^2))
    assert student_t_quantile(0.95, 10) == pytest.approx(1.8124611228, abs=1e-8)


def test_paired_interval_by_hand():
    # differences 1, 2, 3: mean 2, sd 1, se 1/sqrt 3, t(0.975, 2) = 4.3027
    stat = paired_interval([1.0, 2.0, 3.0])
    half = 4.302652729749 / math.sqrt(3)
    assert stat.mean == pytest.approx(2.0)
    assert stat.low == pytest.approx(2 - half) and stat.high == pytest.approx(2 + half)
    assert stat.separable is False  # 2 - 2.48 < 0: within noise
    tight = paired_interval([1.0, 1.1, 0.9, 1.05])
    assert tight.separable is True and tight.low > 0
    below = paired_interval([-1.0, -1.1, -0.9])
    assert below.separable is True and below.high < 0
    one = paired_interval([0.3])
    assert one == Interval(1, 0.3, None, None, None)
    assert verdict(one) == "no interval (< 2 seeds)"


def test_paired_against_pairs_by_seed_not_by_position():
    strategies = {
        "random": strategy([0.50, 0.60, 0.70], curve=[(10, [0.4, 0.5, 0.6]), (20, [0.5, 0.6, 0.7])]),
        # seed 1 missing; its values listed in another order than the reference's
        "smart": strategy([0.75, 0.56], seeds=[2, 0], curve=[(10, [0.6, 0.4]), (20, [0.78, 0.58]), (30, [0.9, 0.9])]),
    }
    out = paired_against(strategies, "random")
    assert out["random"] is None
    p = out["smart"]
    assert p.against == "random" and p.n_seeds == 2 and p.seeds == (2, 0)
    assert p.auc.mean == pytest.approx(0.055)  # (0.05 + 0.06) / 2
    assert [b.labelled for b in p.by_labelled] == [10, 20]  # only counts both have
    assert p.by_labelled[0].interval.mean == pytest.approx(0.0) and p.by_labelled[0].interval.low == 0.0
    assert p.by_labelled[1].interval.mean == pytest.approx(0.08)
    assert p.by_labelled[1].interval.separable is True  # 0.08 both seeds: no spread
    single = paired_against({"random": strategies["random"],
                             "one": strategy([0.75], seeds=[2], curve=[(10, [0.6])])}, "random")["one"]
    assert single.auc.low is None and "no interval" in single.note
    assert single.to_json()["note"] == "1 paired seed: no interval"


def test_paired_tables_fit_80_columns():
    from rich.console import Console

    names = ["coreset-latent", "entropy-sub", "snn-rerank"]
    counts = range(100, 1100, 100)
    strategies = {"random": strategy([0.5, 0.6, 0.7], curve=[(n, [0.1, 0.2, 0.3]) for n in counts])}
    for k, name in enumerate(names):
        strategies[name] = strategy([0.5 + k, 0.62, 0.1], curve=[(n, [0.9, -0.2, 0.35]) for n in counts])
    for name, p in paired_against(strategies, "random").items():
        strategies[name] = replace(strategies[name], paired=p)
    console = Console(width=80, record=True)
    bench = replace(summary(strategies), against="random")
    for table in paired_tables(bench):
        console.print(table)
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "validation accuracy minus random's" in text and "within noise" in text
    assert "coreset-latent" in text and "+4" in text  # names and signed points are not cut
