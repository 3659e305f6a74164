"""The verdict engine: a rule written as data (a TOML file of steps) applied to bench summaries.

`rule.py` reads a rule, `matching.py` gives each bench its dataset and recipe,
`engine.py` runs the steps in order; each step kind is a small module
(`choose_strategy`, `choose_value`, `choose_recipe`, `combination`, `checks`)
and `render.py` prints its result. docs/rules.md is the language's reference.
"""
