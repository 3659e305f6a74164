"""The typed bench summary reads every recorded bench (format 1) and its own format 2, and refuses the rest in one line."""

from __future__ import annotations

import json

import pytest

from alss_tui.bench.summary import FORMAT, BenchSummary
from alss_tui.errors import BenchError
from conftest import REPO

# The research benches and verdicts, and the tool's own measurements (never summaries).
RESULTS = sorted(p for folder in (REPO / "experiments" / "archive" / "results", REPO / "benchmarks" / "results")
                 for p in folder.glob("*.json"))


def _is_summary(doc) -> bool:
    return isinstance(doc, dict) and "bench_id" in doc and "strategies" in doc


SUMMARIES = [p for p in RESULTS if _is_summary(json.loads(p.read_text()))]


def test_the_results_hold_summaries_of_both_shapes():
    # The oldest grids predate the split, seed lists and per-seed AUCs; the rest are today's shape.
    assert len(SUMMARIES) >= 60
    assert any("split" not in json.loads(p.read_text()) for p in SUMMARIES)


@pytest.mark.parametrize("path", SUMMARIES, ids=lambda p: p.name)
def test_every_recorded_bench_summary_loads(path):
    doc = json.loads(path.read_text())
    summary = BenchSummary.load(path)
    assert list(summary.strategies) == list(doc["strategies"])
    for name, s in summary.strategies.items():
        assert len(s.seeds) == s.runs == len(s.auc.per_seed)
        assert len(s.curve) == len(doc["strategies"][name]["curve"])
    if "split" in doc:  # today's shape: written back exactly, with the format beside it
        assert summary.to_json() == {"format": FORMAT, **doc}
    else:  # format 1 before seeds were listed: the seeds that have a run, the AUC of each seed's curve
        assert summary.split == "test" and summary.against is None
        for s in summary.strategies.values():
            assert s.seeds == tuple(seed for seed, run in zip(summary.seeds, s.run_ids) if run)
            assert sum(s.auc.per_seed) / len(s.auc.per_seed) == pytest.approx(s.auc.mean, abs=1e-12)


def test_format_2_reads_back_to_the_same_summary(tmp_path):
    summary = BenchSummary.load(REPO / "experiments" / "archive" / "results" / "today-mnist.json")
    path = tmp_path / "again.json"
    path.write_text(json.dumps(summary.to_json()))
    assert BenchSummary.load(path) == summary


@pytest.mark.parametrize("path", [p for p in RESULTS if p not in SUMMARIES], ids=lambda p: p.name)
def test_other_results_are_not_taken_for_summaries(path):
    with pytest.raises(BenchError, match=f"{path.name}: not a bench summary"):
        BenchSummary.load(path)


def test_a_missing_broken_or_malformed_file_is_one_line_naming_it(tmp_path):
    with pytest.raises(BenchError, match="absent.json: not a readable bench JSON"):
        BenchSummary.load(tmp_path / "absent.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(BenchError, match="broken.json: not a readable bench JSON"):
        BenchSummary.load(broken)
    doc = json.loads((REPO / "experiments" / "archive" / "results" / "rule3-cpp30-mnist.json").read_text())
    del doc["strategies"]["margin-sub"]["curve"]
    cut = tmp_path / "cut.json"
    cut.write_text(json.dumps(doc))
    with pytest.raises(BenchError, match=r"cut.json: a malformed bench summary \(no 'curve'\)") as err:
        BenchSummary.load(cut)
    assert "\n" not in str(err.value)
    cut.write_text(json.dumps({**doc, "format": 3}))
    with pytest.raises(BenchError, match="format 3; this alss-tui reads formats 1 and 2"):
        BenchSummary.load(cut)
