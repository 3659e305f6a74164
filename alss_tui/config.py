"""Run configuration: frozen dataclasses, read from TOML, overridden with dotted keys.

Validation lives here so a bad file or `--set` fails before any training starts,
with one message naming the key. No torch: the CLI validates configs cheaply.
"""

from __future__ import annotations

import dataclasses
import tomllib
import typing
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

from alss_tui.errors import ConfigError

DATASETS = ("digits", "mnist", "cifar10", "folder", "array")
# The selection strategies a run can name, in the order forms and help list them.
# The names live here, beside the other choices, so validating a config needs no
# algorithm code; `core.strategies` maps each name to its class.
STRATEGY_NAMES = ("snn", "si", "random", "entropy", "margin", "coreset", "coreset-latent", "entropy-sub",
                  "margin-sub", "snn-rerank", "snn-pseudo", "snn-steer")
CHANNELS = ("auto", "1", "3")
# Keys whose values may be written as a number or a word (data.channels = 1 or "auto").
_WORD_OR_NUMBER = {"data.channels"}
DEVICES = ("auto", "cpu", "cuda")
ORACLES = ("simulated", "human", "file", "function")
SEED_CHOICES = ("random", "hardest", "uncertain")
CORESET_SPACES = ("features", "latent")
LR_SCHEDULES = ("constant", "cosine")
INDEX_KINDS = ("auto", "flat", "ivf", "hnsw")
EVALUATION_SPLITS = ("test", "validation")
# Keys added after runs and benches were recorded, with the value every earlier run
# had: a bench's id leaves them out at that value (so older benches keep their ids and
# their finished cells), and tools comparing recorded configs read a missing one as it.
ADDED_LATER = {"task.evaluate_on": "test", "task.class_balance": 0.0}


def fill_added_later(tree: dict) -> dict:
    """A recorded config tree (sections of keys) with every ADDED_LATER key it lacks set as it ran."""
    for dotted, earlier in ADDED_LATER.items():
        section, key = dotted.split(".")
        node = tree.setdefault(section, {})
        if isinstance(node, dict):  # anything else is reported by from_dict
            node.setdefault(key, earlier)
    return tree


def drop_added_later(tree: dict) -> dict:
    """A config tree without the ADDED_LATER keys that hold the value every earlier run had."""
    for dotted, earlier in ADDED_LATER.items():
        section, key = dotted.split(".")
        if tree.get(section, {}).get(key) == earlier:
            tree[section].pop(key)
    return tree


@dataclass(frozen=True)
class DataConfig:
    dataset: str = "digits"
    data_root: str = ""
    download: bool = False
    # Datasets without an official test split (digits, folder) hold this share out.
    test_fraction: float = 0.2
    # Carved from the training pool for tuning; never the test split.
    validation_size: int = 0
    # Use only the first N pool images (0 = all); keeps quick experiments quick.
    pool_limit: int = 0
    # Long-tailed pool: rarest class has 1/imbalance of the largest (1 = as is).
    imbalance: float = 1.0
    # Class names for an unlabelled folder dataset.
    class_names: tuple[str, ...] = ()
    # Folder images: short side resized to this, then centre-cropped square (other datasets keep theirs).
    image_size: int = 32
    # Folder images: "auto" (1 when every sampled image is grayscale, else 3), "1" or "3".
    channels: str = "auto"
    # Processes decoding a folder the first time it is opened (0 = every core).
    decode_workers: int = 0


@dataclass(frozen=True)
class VaeConfig:
    latent_dim: int = 16
    width: int = 32
    epochs: int = 20
    batch_size: int = 128
    lr: float = 2e-3
    beta: float = 1.0


@dataclass(frozen=True)
class TaskConfig:
    width: int = 32
    # Optimiser steps per round: at least `steps`; with `epochs` > 0, enough for that
    # many passes over the labelled set (epochs x labelled / batch_size), at most
    # `max_steps`. Fixed steps converge at 50 labels; at a few thousand they are under
    # ten passes, so a growing labelled set needs steps that grow with it. 80 passes
    # won on an MNIST validation split (experiments/README.md, Recipe): +1.1 points of
    # validation AUC over a fixed 300 steps, +1.6 at 2,000 labels.
    steps: int = 300
    epochs: float = 80.0
    max_steps: int = 3000
    batch_size: int = 64
    lr: float = 2e-3
    # "cosine" decays the rate to zero over a round's steps: the model a round ends
    # with no longer depends on where the last noisy steps landed (experiments/README.md).
    lr_schedule: str = "cosine"
    weight_decay: float = 5e-4
    # Random translations of up to this many pixels per training image (0 = off).
    augment_shift: int = 0
    # false: each round continues from the last round's weights and optimiser; true: a
    # fresh model each round. Chosen on validation by Rule 3a (experiments/default-rule.md):
    # continuing gave fewer runs whose accuracy falls between rounds and +0.37 point of
    # margin-sub's AUC on MNIST, within noise on the long tail and CIFAR-10.
    restart_each_round: bool = False
    # Where each round's accuracy is measured: "validation" (needs data.validation_size)
    # lets a recipe or a default be chosen without ever scoring the test split.
    evaluate_on: str = "test"
    # How far mini-batches lean toward rarely labelled classes: an item of a class with
    # n labels is drawn with weight n ** -class_balance. 0 draws every labelled item
    # alike, 1 every class alike, 0.5 in between (square-root sampling). On a skewed
    # pool the rare classes' one or two labels otherwise come and go from the model from
    # one round to the next. 1 was chosen on validation by Rule 4
    # (experiments/default-rule.md): no run of 27 fell by more than a point (1 with 0),
    # margin-sub's AUC +0.52 point over the three datasets, within noise on each.
    class_balance: float = 1.0


@dataclass(frozen=True)
class SamplingConfig:
    # The default is what the evidence supports, not the paper's method: cost-matched
    # margin ties cost-matched entropy for the largest area under the MNIST curve, leads
    # it on CIFAR-10, at one of the cheapest selections; `snn` lost to random
    # (experiments/README.md).
    strategy: str = "margin-sub"
    initial: int = 50
    per_round: int = 50
    budget: int = 300
    # Gradient ascent in latent space (snn, si and their variants).
    ascent_steps: int = 10
    ascent_step_size: float = 0.2
    ascent_normalize: bool = True
    seed_choice: str = "random"
    # Cost-matched scoring and re-ranking: candidates scored per pick.
    candidates_per_pick: int = 10
    coreset_space: str = "features"
    # Nearest-neighbour index over the pool's codes: exact `flat`, approximate `ivf` or
    # `hnsw`, or `auto` (exact below a measured pool size; core/latent_index.py).
    index: str = "auto"


@dataclass(frozen=True)
class OracleConfig:
    kind: str = "simulated"
    # FileOracle: CSV of index,label.
    path: str = ""
    # Labelling function for synthetic images: "module:function".
    function: str = ""


@dataclass(frozen=True)
class RunConfig:
    name: str = "run"
    seed: int = 0
    device: str = "auto"
    data: DataConfig = field(default_factory=DataConfig)
    vae: VaeConfig = field(default_factory=VaeConfig)
    task: TaskConfig = field(default_factory=TaskConfig)
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    oracle: OracleConfig = field(default_factory=OracleConfig)

    @property
    def rounds(self) -> int:
        """Mining rounds after the initial subset."""
        extra = max(0, self.sampling.budget - self.sampling.initial)
        return -(-extra // self.sampling.per_round) if self.sampling.per_round else 0


def _check(cond: bool, key: str, message: str) -> None:
    if not cond:
        raise ConfigError(f"{key}: {message}")


def validate(cfg: RunConfig) -> RunConfig:
    """Check value ranges; raises ConfigError naming the first bad key."""
    s, d, v, t, o = cfg.sampling, cfg.data, cfg.vae, cfg.task, cfg.oracle
    _check(bool(cfg.name.strip()), "name", "must not be empty")
    _check(cfg.device in DEVICES, "device", f"must be one of {', '.join(DEVICES)}")
    _check(cfg.seed >= 0, "seed", "must be >= 0")
    _check(d.dataset in DATASETS, "data.dataset", f"must be one of {', '.join(DATASETS)}")
    _check(0.0 < d.test_fraction < 1.0, "data.test_fraction", "must be between 0 and 1")
    _check(d.validation_size >= 0, "data.validation_size", "must be >= 0")
    _check(d.pool_limit >= 0, "data.pool_limit", "must be >= 0 (0 = whole pool)")
    _check(d.imbalance >= 1.0, "data.imbalance", "must be >= 1 (1 = as distributed)")
    _check(d.dataset in ("digits",) or bool(d.data_root), "data.data_root",
           f"is required for dataset {d.dataset!r}")
    _check(4 <= d.image_size <= 256, "data.image_size", "must be between 4 and 256")
    _check(d.channels in CHANNELS, "data.channels", "must be auto, 1 or 3")
    _check(d.decode_workers >= 0, "data.decode_workers", "must be >= 0 (0 = every core)")
    _check(v.latent_dim >= 1, "vae.latent_dim", "must be >= 1")
    _check(v.width >= 1, "vae.width", "must be >= 1")
    _check(v.epochs >= 1, "vae.epochs", "must be >= 1")
    _check(v.batch_size >= 1, "vae.batch_size", "must be >= 1")
    _check(v.lr > 0, "vae.lr", "must be > 0")
    _check(v.beta >= 0, "vae.beta", "must be >= 0")
    _check(t.width >= 1, "task.width", "must be >= 1")
    _check(t.steps >= 1, "task.steps", "must be >= 1")
    _check(t.epochs >= 0, "task.epochs", "must be >= 0 (0 = a fixed task.steps a round)")
    _check(t.epochs == 0 or t.max_steps >= t.steps, "task.max_steps", f"must be >= task.steps ({t.steps})")
    _check(t.batch_size >= 1, "task.batch_size", "must be >= 1")
    _check(t.lr > 0, "task.lr", "must be > 0")
    _check(t.weight_decay >= 0, "task.weight_decay", "must be >= 0")
    _check(t.lr_schedule in LR_SCHEDULES, "task.lr_schedule", f"must be one of {', '.join(LR_SCHEDULES)}")
    _check(t.evaluate_on in EVALUATION_SPLITS, "task.evaluate_on", f"must be one of {', '.join(EVALUATION_SPLITS)}")
    _check(t.evaluate_on != "validation" or d.validation_size > 0, "task.evaluate_on",
           "'validation' needs a validation split: set data.validation_size")
    _check(0 <= t.augment_shift <= 8, "task.augment_shift", "must be between 0 and 8 pixels")
    _check(0.0 <= t.class_balance <= 1.0, "task.class_balance",
           "must be between 0 (items drawn alike) and 1 (classes drawn alike)")
    _check(s.strategy in STRATEGY_NAMES, "sampling.strategy",
           f"unknown strategy {s.strategy!r}; one of {', '.join(STRATEGY_NAMES)}")
    _check(s.initial >= 1, "sampling.initial", "must be >= 1")
    _check(s.per_round >= 1, "sampling.per_round", "must be >= 1")
    _check(s.budget >= s.initial, "sampling.budget",
           f"must be >= sampling.initial ({s.initial})")
    _check(s.ascent_steps >= 0, "sampling.ascent_steps", "must be >= 0")
    _check(s.ascent_step_size > 0, "sampling.ascent_step_size", "must be > 0")
    _check(s.seed_choice in SEED_CHOICES, "sampling.seed_choice",
           f"must be one of {', '.join(SEED_CHOICES)}")
    _check(s.candidates_per_pick >= 1, "sampling.candidates_per_pick", "must be >= 1")
    _check(s.coreset_space in CORESET_SPACES, "sampling.coreset_space",
           f"must be one of {', '.join(CORESET_SPACES)}")
    _check(s.index in INDEX_KINDS, "sampling.index", f"must be one of {', '.join(INDEX_KINDS)}")
    _check(o.kind in ORACLES, "oracle.kind", f"must be one of {', '.join(ORACLES)}")
    _check(o.kind != "file" or bool(o.path), "oracle.path", "is required when oracle.kind = 'file'")
    _check(o.kind != "function" or ":" in o.function, "oracle.function",
           "must be 'module:function' when oracle.kind = 'function'")
    _check(o.kind != "function" or s.strategy == "si", "oracle.kind",
           "'function' labels synthetic images; use it with sampling.strategy = 'si'")
    return cfg


def check_budget(cfg: RunConfig, pool_size: int) -> None:
    """The one check that needs the data: the budget must fit the pool."""
    if cfg.sampling.budget > pool_size:
        raise ConfigError(f"sampling.budget: {cfg.sampling.budget} is larger than the pool ({pool_size} images)")


# --- typed conversion -------------------------------------------------------

def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def _coerce(value: Any, tp: Any, key: str) -> Any:
    """Convert a TOML value to the field type, refusing lossy or surprising ones."""
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{key}: expected true or false, got {value!r}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(f"{key}: expected an integer, got {value!r}")
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise ConfigError(f"{key}: expected a number, got {value!r}")
    if tp is str:
        if key in _WORD_OR_NUMBER and isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str):
            return value
        raise ConfigError(f"{key}: expected a string, got {value!r}")
    if typing.get_origin(tp) is tuple:
        if isinstance(value, (list, tuple)) and all(isinstance(x, str) for x in value):
            return tuple(value)
        raise ConfigError(f"{key}: expected a list of strings, got {value!r}")
    raise ConfigError(f"{key}: unsupported type {_type_name(tp)}")  # pragma: no cover


def _from_dict(cls: type, data: Any, prefix: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{prefix.rstrip('.') or 'config'}: expected a table, got {data!r}")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    for key in data:
        if key not in known:
            raise ConfigError(f"{prefix}{key}: unknown key")
    kwargs = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        tp = hints[f.name]
        if is_dataclass(tp):
            kwargs[f.name] = _from_dict(tp, data[f.name], f"{prefix}{f.name}.")
        else:
            kwargs[f.name] = _coerce(data[f.name], tp, prefix + f.name)
    return cls(**kwargs)


def from_dict(data: dict) -> RunConfig:
    return validate(_from_dict(RunConfig, data, ""))


def to_dict(cfg: RunConfig) -> dict:
    out = dataclasses.asdict(cfg)
    out["data"]["class_names"] = list(cfg.data.class_names)
    return out


def load(path: Path | str, recorded: bool = False) -> RunConfig:
    """A config file; `recorded` for one a run wrote when it was created (config.toml of a
    run folder): a key it lacks was added later, so it takes the value the run was made
    with (ADDED_LATER), not today's default, and a resumed run keeps its recipe."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config ({exc.__class__.__name__})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    return from_dict(fill_added_later(data) if recorded else data)


def _parse_override_value(raw: str) -> Any:
    """`--set` values are TOML scalars; a bare word is taken as a string."""
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def apply_overrides(cfg: RunConfig, overrides: list[str]) -> RunConfig:
    """Apply `section.key=value` overrides, validated like the file."""
    data = to_dict(cfg)
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"--set {item!r}: expected key=value, e.g. sampling.strategy=random")
        parts = key.split(".")
        node = data
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                raise ConfigError(f"{key}: unknown key")
            node = node[part]
        if parts[-1] not in node or isinstance(node[parts[-1]], dict):
            raise ConfigError(f"{key}: unknown key")
        node[parts[-1]] = _parse_override_value(raw.strip())
    return from_dict(data)


# --- writing ------------------------------------------------------------------

def _toml_char(c: str) -> str:
    if c in '"\\':
        return "\\" + c
    if ord(c) < 0x20 or ord(c) == 0x7F:
        return f"\\u{ord(c):04x}"  # TOML strings may not hold raw control characters
    return c


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + "".join(_toml_char(c) for c in value) + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")  # pragma: no cover


def dumps(cfg: RunConfig) -> str:
    """The config as TOML: top-level scalars first, then one table per section."""
    data = to_dict(cfg)
    lines = [f"{k} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for section, values in data.items():
        if isinstance(values, dict):
            lines.append("")
            lines.append(f"[{section}]")
            lines.extend(f"{k} = {_toml_value(v)}" for k, v in values.items())
    return "\n".join(lines) + "\n"


def with_name(cfg: RunConfig, name: str) -> RunConfig:
    return replace(cfg, name=name)
