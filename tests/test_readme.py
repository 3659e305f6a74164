"""The README fits on a page, states the Python it needs, and gives exactly the two set-up commands CI runs."""

from __future__ import annotations

import re
import tomllib

from conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
SETUP = ["pip install -e '.[dev]' && alss-tui new", "python -m pytest -q"]


def fenced_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"^```[a-z]*\n(.*?)^```$", text, flags=re.M | re.S)]


def test_the_readme_fits_on_a_page():
    assert len(README) < 6000, f"README.md is {len(README)} characters"


def test_its_fenced_blocks_are_exactly_the_two_set_up_commands():
    assert fenced_blocks(README) == SETUP
    setup = README.split("\n## Set up\n", 1)[1].split("\n## ", 1)[0]
    assert fenced_blocks(setup) == SETUP


def test_ci_installs_and_tests_as_the_readme_says():
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert SETUP[1] in ci
    assert "python -m pip install -q -e '.[dev]'" in ci


def test_it_states_the_python_the_package_requires():
    required = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert required.startswith(">=")
    assert f"Python {required.removeprefix('>=')} or newer" in README
