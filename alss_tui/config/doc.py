"""The config reference (docs/config.md), generated from the declarations.

    python -m alss_tui.config.doc > docs/config.md

A test checks the committed page equals what this prints, so the reference is never
behind the code.
"""

from __future__ import annotations

from alss_tui.config.schema import Leaf, leaves
from alss_tui.config.sections import RunConfig
from alss_tui.config.strategies import STRATEGIES
from alss_tui.config.toml_io import toml_value

INTRO = """\
# Configuration

Generated from the declarations in `alss_tui/config/` by `python -m alss_tui.config.doc`;
do not edit by hand.

A run's config is a TOML file: top-level keys, then one table per section. Any key can
be set on the command line with `--set section.key=value` (a TOML value; a bare word
is a string), and the New run form has one field per key with the same checks. Every
bad key is reported at once, one line each.

`oracle.function` names Python code (`module:function`) that alss-tui imports and runs:
name only code you trust.

What `data.data_root` holds for each dataset, folder layouts and the pool cache:
[datasets.md](datasets.md). Why the defaults are what they are: the strategy and the
training recipe were chosen on validation splits ([experiments/README.md](../experiments/README.md));
the index's threshold was measured ([benchmarks/README.md](../benchmarks/README.md)).
"""


def _default(leaf: Leaf) -> str:
    return f"`{toml_value(leaf.default)}`" if leaf.default not in ("", ()) else "(empty)"


def _accepts(leaf: Leaf) -> str:
    spec = leaf.setting
    if spec.allowed():
        return ", ".join(f"`{c}`" for c in spec.allowed())
    rule = spec.range_text().removeprefix("must be ")
    kind = {"bool": "true or false", "list": "list of strings", "int": "integer", "float": "number",
            "str": "string"}[leaf.kind]
    return f"{kind}, {rule}" if rule else kind


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown() -> str:
    lines = [INTRO.rstrip("\n")]
    section = None
    for leaf in leaves(RunConfig):
        if leaf.section != section:
            section = leaf.section
            lines += ["", f"## `[{section}]`" if section else "## Top level", "",
                      "| key | default | accepts | meaning |", "|---|---|---|---|"]
        lines.append(f"| `{leaf.key}` | {_default(leaf)} | {_cell(_accepts(leaf))} | {_cell(leaf.setting.help)} |")
    lines += ["", "## Strategies", "", "`sampling.strategy` is one of these; the keys each reads besides the "
              "round's size:", "", "| strategy | picks | reads |", "|---|---|---|"]
    for s in STRATEGIES:
        reads = ", ".join(f"`{k}`" for k in s.knobs) or "-"
        lines.append(f"| `{s.name}` | {_cell(s.help)} | {reads} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
