"""The rule files reproduce the report's verdicts exactly, through `alss-tui bench verdict`.

Each old verdict file (experiments/archive/results/*-verdict.json) was made by one of the
rule scripts this engine replaced. The engine writes each step's result under its
id; the old files are those results, every figure equal (==, not approximately),
with one difference of layout: Rule 1's files held the choice's figures
(candidates, score, leader, winner, ...) at the top level, where the verdict keeps
them under the step's id, "default".
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from alss_tui.cli import app
from conftest import REPO

RESULTS = REPO / "experiments" / "archive" / "results"
RULES = REPO / "experiments" / "archive" / "rules"
GRID = ["{}-mnist.json", "{}-longtail.json", "{}-cifar10.json"]
RULE2_KNOBS = sorted(p.name for p in RESULTS.glob("rule2-*-*.json") if p.name != "rule2-verdict.json")

# rule file, the benches in the order the report's Reproduce section gives them, the old verdict
CASES = {
    "rule1": ("rule1.toml", [f.format("rule1") for f in GRID], "rule1-verdict.json"),
    "today": ("rule5.toml", [f.format("today") for f in GRID] + ["rule5-longtail-per100.json"], "today-verdict.json"),
    "rule2": ("rule2.toml", ["rule1-mnist.json", "rule1-cifar10.json", *RULE2_KNOBS,
                             *[f.format("today") for f in GRID],
                             "combo-snn-mnist.json", "combo-snn-longtail.json", "combo-snn-cifar10.json",
                             "combo-steer-cifar10.json", "combo-steer-mnist.json", "combo-steer-longtail.json"],
              "rule2-verdict.json"),
    "rule3": ("rule3.toml", [f.format("rule1") for f in GRID] + [f.format("rule3-warm") for f in GRID]
              + ["rule3-cpp30-mnist.json", "rule3-cpp30-longtail.json", "rule3-cpp100-mnist.json",
                 "rule3-cpp100-longtail.json"], "rule3-verdict.json"),
    "rule4": ("rule4.toml", [f.format("rule1") for f in GRID] + [f.format("rule3-warm") for f in GRID]
              + [f.format(f"rule4-balance{b}") for b in ("0.5", "1") for f in GRID], "rule4-verdict.json"),
}


def as_old_files_lay_it_out(verdict: dict) -> dict:
    if "default" not in verdict:
        return verdict
    rest = dict(verdict)
    return {**rest.pop("default"), **rest}


@pytest.mark.parametrize("case", CASES)
def test_the_rule_file_reproduces_the_recorded_verdict(case, tmp_path, monkeypatch):
    rule, benches, old = CASES[case]
    monkeypatch.chdir(RESULTS)  # the benches as the report names them
    out = tmp_path / "verdict.json"
    result = CliRunner().invoke(app, ["bench", "verdict", str(RULES / rule), *benches, "--out", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert as_old_files_lay_it_out(doc["verdict"]) == json.loads((RESULTS / old).read_text())
    assert [b["file"] for b in doc["benches"]] == benches and doc["split"] == "validation"
    assert f"verdict: {out}" in result.output


def test_the_parts_each_bench_plays_are_in_the_verdict(tmp_path, monkeypatch):
    monkeypatch.chdir(RESULTS)
    rule, benches, _ = CASES["today"]
    out = tmp_path / "v.json"
    assert CliRunner().invoke(app, ["bench", "verdict", str(RULES / rule), *benches, "--out", str(out)]).exit_code == 0
    parts = {b["file"]: (b["dataset"], b["recipe"]) for b in json.loads(out.read_text())["benches"]}
    assert parts == {"today-mnist.json": ("mnist", "bench"), "today-longtail.json": ("longtail", "bench"),
                     "today-cifar10.json": ("cifar", "bench"), "rule5-longtail-per100.json": ("longtail", "per100")}


def test_the_si_rule_gives_the_verdict_the_report_quotes(tmp_path, monkeypatch):
    # SI beside today's grids, and every strategy minus margin-sub: the figures of the report's decision box.
    benches = [f.format(g) for g in ("today", "today-si") for f in GRID]
    monkeypatch.chdir(RESULTS)
    out = tmp_path / "verdict.json"
    result = CliRunner().invoke(app, ["bench", "verdict", str(RULES / "si.toml"), *benches, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text()) == json.loads((RESULTS / "si-verdict.json").read_text())


CURRENT = REPO / "experiments" / "results"


@pytest.mark.parametrize("old", sorted(p.name for p in CURRENT.glob("*-verdict.json")))
def test_the_current_rules_reproduce_their_verdicts(old, tmp_path, monkeypatch):
    """Each verdict of the report's current section comes back from its rule and the benches it names
    (a bench given in parts is named "a + b"; each part is passed on its own)."""
    recorded = json.loads((CURRENT / old).read_text())
    benches = [part for b in recorded["benches"] for part in b["file"].split(" + ")]
    monkeypatch.chdir(CURRENT)
    out = tmp_path / "verdict.json"
    rule = REPO / "experiments" / "rules" / recorded["rule_file"]
    result = CliRunner().invoke(app, ["bench", "verdict", str(rule), *benches, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["verdict"] == recorded["verdict"]
