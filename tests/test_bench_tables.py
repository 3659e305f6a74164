"""The bench's tables read in a plain 80-column terminal: no header cut to "labe…"."""

import io

from dataclasses import replace

from rich.console import Console

from alss_tui.bench.summary import Auc, CurvePoint, FinalRecall, Reach
from alss_tui.bench.tables import summary_tables
from bench_helpers import stat, strategy, summary


def strategy_summary(k: int):
    reach = {"0.90": Reach((800, 1000, None), 2, 3, stat(900 + k, 173.2)),
             "0.95": Reach((None, None, None), 0, 3, stat(None))}
    curve = tuple(CurvePoint(n, stat(min(1.0, 0.5 + n / 1000), 0.1379), (0.5, 0.5, 0.5)) for n in (100, 400, 1000))
    return replace(strategy([0.97, 0.97, 0.97]), curve=curve, labels_to_reach=reach,
                   auc=Auc(0.9712, 0.0034, 3, (0.97, 0.97, 0.97)), largest_drop=stat(0.1086, 0.0236),
                   selection_seconds_per_round=stat(12.8386, 3.8421), forward_passes_per_round=stat(60000.0),
                   backward_passes_per_round=stat(1500.0), final_recall=FinalRecall((0.8,), stat(0.8123, 0.1)))


def render(width: int, strategies: int) -> str:
    names = ["random", "margin-sub", "entropy-sub", "snn", "snn-pseudo", "coreset-latent", "snn-rerank"][:strategies]
    bench = replace(summary({name: strategy_summary(k) for k, name in enumerate(names)}, split="test"),
                    targets=(0.9, 0.95))
    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=False, color_system=None)
    for table in summary_tables(bench, width):
        console.print(table)
    return out.getvalue()


def test_every_table_fits_80_columns_with_whole_headers():
    text = render(80, 7)
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= 80
    for header in ("labels", "coreset-latent", "snn-rerank", "to 90%", "to 95%", "AUC %", "drop pts",
                   "worst recall %", "select s", "fwd", "bwd"):
        assert header in text
    # seven strategies do not fit one accuracy table at 80 columns: split, every one shown
    titles = [line.strip() for line in text.splitlines() if line.startswith("test accuracy")]
    assert titles == ["test accuracy %, mean ± std, 3 seeds (1-4 of 7)",  # each title on one line
                      "test accuracy %, mean ± std, 3 seeds (5-7 of 7)"]
    assert "100.00 ± 13.79" in text  # accuracy in percent
    assert "97.12 ± 0.34" in text  # AUC in percent


def test_a_wide_terminal_gets_one_accuracy_table():
    text = render(160, 7)
    assert "of 7)" not in text and "…" not in text
