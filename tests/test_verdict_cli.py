"""`alss-tui bench verdict`: beside today's `bench` command, its default output, and bad input as one line."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import REPO, cli

RESULTS = REPO / "experiments" / "archive" / "results"
RULES = REPO / "experiments" / "archive" / "rules"
RULE1_BENCHES = [str(RESULTS / f"rule1-{d}.json") for d in ("mnist", "longtail", "cifar10")]


def one_line_error(result, *parts: str) -> None:
    assert result.returncode == 1, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for part in parts:
        assert part in lines[0], lines[0]


def test_bench_help_shows_the_grid_and_the_verdict():
    res = cli("bench", "--help")
    assert res.returncode == 0 and "run" in res.stdout and "verdict" in res.stdout
    assert "--strategies" in cli("bench", "run", "--help").stdout
    assert "RULE" in cli("bench", "verdict", "--help").stdout.upper()


def test_the_verdict_is_written_beside_the_rule_unless_told(tmp_path):
    shutil.copy(RULES / "rule1.toml", tmp_path / "rule1.toml")
    res = cli("bench", "verdict", str(tmp_path / "rule1.toml"), *RULE1_BENCHES, env={"COLUMNS": "80"})
    assert res.returncode == 0, res.stderr
    doc = json.loads((tmp_path / "rule1.verdict.json").read_text())
    assert doc["verdict"]["default"]["winner"] == "margin-sub" and doc["rule"] == "Rule 1: the default strategy"
    assert "winner (fewest selection seconds among them): margin-sub" in " ".join(res.stdout.split())
    tables = [line for line in res.stdout.splitlines() if not line.startswith("verdict: ")]  # a path is a path
    assert max(len(line) for line in tables) <= 80
    assert not list(tmp_path.glob(".*.tmp"))  # written through a temp file, renamed


@pytest.mark.slow
def test_bad_input_is_one_line(tmp_path):
    out = ["--out", str(tmp_path / "v.json")]
    one_line_error(cli("bench", "verdict", str(RULES / "rule1.toml"), *RULE1_BENCHES[:2], str(tmp_path / "no.json"),
                       *out), "no.json: not a readable bench JSON (no such file)")
    wrong_split = [*RULE1_BENCHES[:2], str(RESULTS / "rule1-test-cifar10.json")]
    one_line_error(cli("bench", "verdict", str(RULES / "rule1.toml"), *wrong_split, *out),
                   "rule1-test-cifar10.json: scored on 'test'; rule1.toml reads validation benches")
    one_line_error(cli("bench", "verdict", str(tmp_path / "absent.toml"), *RULE1_BENCHES, *out),
                   "absent.toml: no such rule file")
    text = (RULES / "rule1.toml").read_text()
    cases = {
        "strategy no bench has": (text.replace('"coreset"]', '"coreset", "si"]'),
                                  "step 'default': ", "has no finished runs of si"),
        "unknown key": (text.replace("within_percent = 10", "within_percent = 10\nwithin = 1.1"),
                        "step 'check': unknown key 'within'"),
        "wrong type": (text.replace("seeds = [0, 1, 2]", 'seeds = "0-2"'),
                       "step 'best_alss_variant': seeds must be a non-empty list of integers"),
        "unknown strategy": (text.replace('"entropy-sub"', '"entropy-subs"'), "unknown strategy 'entropy-subs'"),
        "unknown kind": (text.replace('kind = "falls"', 'kind = "fall"'), "unknown kind 'fall'"),
        "unknown setting": (text.replace("imbalance = 100", "imbalanse = 100"), "'imbalanse' is not a config setting"),
        "not TOML": (text + "\n[[steps]\n", "not valid TOML"),
        "a later result": (text.replace('strategy = "default.winner"', 'strategy = "best_alss_variant.best"'),
                           "no earlier step 'best_alss_variant'"),
    }
    for name, (body, *parts) in cases.items():
        rule = tmp_path / f"{name.replace(' ', '-')}.toml"
        rule.write_text(body)
        one_line_error(cli("bench", "verdict", str(rule), *RULE1_BENCHES, *out), rule.name, *parts)
    not_a_bench = cli("bench", "verdict", str(RULES / "rule1.toml"), str(REPO / "benchmarks" / "results" / "speed.json"), *out)
    one_line_error(not_a_bench, "speed.json: not a bench summary")
    twice = cli("bench", "verdict", str(RULES / "rule1.toml"), *RULE1_BENCHES, RULE1_BENCHES[0], *out)
    one_line_error(twice, "the same bench as")
