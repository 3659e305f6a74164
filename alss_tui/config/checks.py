"""Validation: every field against its declaration, then the rules that tie fields together.

Every problem is found at once and reported one per line ("key: message"), so a
config file with three mistakes is fixed in one pass. No torch: the CLI validates
configs cheaply.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from alss_tui.config.schema import leaves
from alss_tui.config.sections import RunConfig
from alss_tui.errors import ConfigError


@dataclass(frozen=True)
class CrossRule:
    """A rule over several fields: `ok(cfg)` must hold, else `key: message(cfg)`."""

    key: str  # the field the message is about
    uses: tuple[str, ...]  # fields it reads: skipped when one of them is already wrong
    ok: Callable[[RunConfig], bool]
    message: Callable[[RunConfig], str]


CROSS_RULES: tuple[CrossRule, ...] = (
    CrossRule("name", ("name",), lambda c: bool(c.name.strip()), lambda c: "must not be empty"),
    CrossRule("data.data_root", ("data.dataset", "data.data_root"),
              lambda c: c.data.dataset == "digits" or bool(c.data.data_root),
              lambda c: f"is required for dataset {c.data.dataset!r}"),
    CrossRule("task.max_steps", ("task.epochs", "task.steps", "task.max_steps"),
              lambda c: c.task.epochs == 0 or c.task.max_steps >= c.task.steps,
              lambda c: f"must be >= task.steps ({c.task.steps})"),
    # A folder may bring its own val/ split; whether it does is known only when it is opened.
    CrossRule("task.evaluate_on", ("task.evaluate_on", "data.validation_size", "data.dataset"),
              lambda c: c.task.evaluate_on != "validation" or c.data.validation_size > 0
              or c.data.dataset == "folder",
              lambda c: "'validation' needs a validation split: set data.validation_size"),
    # Any torchvision classification model may be named; whether torchvision has it is
    # checked when the run builds it (config stays torch-free).
    CrossRule("task.model", ("task.model",), lambda c: re.fullmatch(r"[a-z][a-z0-9_]*", c.task.model) is not None,
              lambda c: f"{c.task.model!r} is not a model name (cnn, or a torchvision name such as resnet18)"),
    CrossRule("task.weights", ("task.model", "task.weights"),
              lambda c: not (c.task.model == "cnn" and c.task.weights == "imagenet"),
              lambda c: "the small cnn has no imagenet weights; name a torchvision model (task.model = resnet18)"),
    CrossRule("task.weights", ("task.weights",), lambda c: bool(c.task.weights.strip()),
              lambda c: "must be none, imagenet, pool or a weights file's path"),
    CrossRule("vae.input", ("vae.input", "task.train"),
              lambda c: c.vae.input == "pixels" or c.task.train == "head",
              lambda c: "'features' models the frozen backbone's features: set task.train = head"),
    CrossRule("sampling.strategy", ("sampling.strategy", "vae.input"),
              lambda c: not (c.sampling.strategy == "si" and c.vae.input == "features"),
              lambda c: "si labels decoded images, and a VAE of features decodes no images: use vae.input = pixels"),
    CrossRule("sampling.space", ("sampling.space", "task.model", "task.weights", "task.train"),
              lambda c: c.sampling.space != "backbone" or c.task.train == "head" or c.task.weights != "none"
              or c.task.model != "cnn",
              lambda c: "'backbone' needs a backbone worth measuring in: task.weights (imagenet, pool or a file) "
                        "or task.train = head"),
    # The first round has no model: a typical or covering first round needs a fixed embedding.
    CrossRule("sampling.initial_strategy", ("sampling.initial_strategy", "sampling.space"),
              lambda c: c.sampling.initial_strategy == "random" or c.sampling.space != "penultimate",
              lambda c: f"{c.sampling.initial_strategy} picks the first round before any model exists: set "
                        "sampling.space = latent or backbone"),
    CrossRule("task.graph_space", ("task.graph_space", "task.model", "task.weights", "task.train"),
              lambda c: c.task.graph_space != "backbone" or c.task.train == "head" or c.task.weights != "none"
              or c.task.model != "cnn",
              lambda c: "'backbone' needs a backbone worth measuring in: task.weights (imagenet, pool or a file) "
                        "or task.train = head"),
    CrossRule("task.semi", ("task.semi", "task.train"),
              lambda c: c.task.semi != "consistency" or c.task.train == "full",
              lambda c: "consistency compares two augmented views of an image, and task.train = head sees fixed "
                        "features: set task.train = full or another task.semi"),
    CrossRule("sampling.budget", ("sampling.budget", "sampling.initial"),
              lambda c: c.sampling.budget >= c.sampling.initial,
              lambda c: f"must be >= sampling.initial ({c.sampling.initial})"),
    CrossRule("oracle.path", ("oracle.kind", "oracle.path"),
              lambda c: c.oracle.kind != "file" or bool(c.oracle.path),
              lambda c: "is required when oracle.kind = 'file'"),
    CrossRule("oracle.function", ("oracle.kind", "oracle.function"),
              lambda c: c.oracle.kind != "function" or ":" in c.oracle.function,
              lambda c: "must be 'module:function' when oracle.kind = 'function'"),
    CrossRule("oracle.kind", ("oracle.kind", "sampling.strategy"),
              lambda c: c.oracle.kind != "function" or c.sampling.strategy == "si",
              lambda c: "'function' labels synthetic images; use it with sampling.strategy = 'si'"),
)


def value_at(cfg: RunConfig, key: str):
    node = cfg
    for part in key.split("."):
        node = getattr(node, part)
    return node


def problems(cfg: RunConfig) -> list[tuple[str, str]]:
    """Every (key, message) wrong with `cfg`, in the order the schema lists the keys."""
    found: list[tuple[str, str]] = []
    for leaf in leaves(RunConfig):
        message = leaf.setting.problem(value_at(cfg, leaf.key))
        if message:
            found.append((leaf.key, message))
    wrong = {k for k, _ in found}
    for rule in CROSS_RULES:
        if not wrong.intersection(rule.uses) and not rule.ok(cfg):
            found.append((rule.key, rule.message(cfg)))
    return found


def validate(cfg: RunConfig) -> RunConfig:
    """`cfg` when valid; else ConfigError listing every bad key, one per line."""
    found = problems(cfg)
    if found:
        raise ConfigError(problems=found)
    return cfg


def check_budget(cfg: RunConfig, pool_size: int) -> None:
    """The one check that needs the data: the budget must fit the pool."""
    if cfg.sampling.budget > pool_size:
        raise ConfigError(f"sampling.budget: {cfg.sampling.budget} is larger than the pool ({pool_size} images)")
