"""The step kinds a rule may use: each its parameters, what it runs, the variants it reads, how it prints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from alss_tui.bench.verdict import (checks, choose_recipe, choose_strategy, choose_value, combination,
                                    render, setups)


def _none(step, rule) -> list:
    return []


@dataclass(frozen=True)
class Kind:
    params_for: Callable[[dict], dict]  # the raw table -> its parameter spec
    run: Callable  # (context, params, step) -> a JSON-able result
    render: Callable  # (result, params) -> rich renderables
    variants: Callable = _none  # (step, rule) -> the variant recipes it reads


def _fixed(spec: dict) -> Callable[[dict], dict]:
    return lambda raw: spec


def _simple(run) -> Callable:
    return lambda ctx, params, step: run(ctx, params)


KINDS: dict[str, Kind] = {
    "choose-strategy": Kind(_fixed(choose_strategy.CHOOSE_PARAMS), _simple(choose_strategy.choose),
                            render.choose_strategy),
    "best-strategy": Kind(_fixed(choose_strategy.BEST_PARAMS), _simple(choose_strategy.best), render.best_strategy),
    "choose-value": Kind(choose_value.params_for, choose_value.choose, render.choose_value, choose_value.variants),
    "choose-recipe": Kind(_fixed(choose_recipe.PARAMS), _simple(choose_recipe.choose), render.choose_recipe,
                          choose_recipe.variants),
    "judge-combination": Kind(_fixed(combination.PARAMS), combination.judge, render.judge_combination,
                              combination.variants),
    "choose-setup": Kind(_fixed(setups.CHOOSE_PARAMS), _simple(setups.choose), render.choose_setup),
    "combine": Kind(_fixed(setups.COMBINE_PARAMS), setups.combine, render.combine, setups.variants),
    "check-labels": Kind(_fixed(checks.CHECK_LABELS_PARAMS), _simple(checks.check_labels), render.check_labels),
    "falls": Kind(_fixed(checks.FALLS_PARAMS), _simple(checks.falls), render.falls),
    "compare": Kind(_fixed(checks.COMPARE_PARAMS), _simple(checks.compare), render.compare),
    "setting": Kind(_fixed(checks.SETTING_PARAMS), _simple(checks.setting), render.setting),
}
