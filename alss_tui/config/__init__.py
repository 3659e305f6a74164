"""Run configuration: frozen dataclasses, read from TOML, overridden with dotted keys.

Each field is declared once (sections.py: type, default, range or choices, help),
and so is each strategy (strategies.py); validation (checks.py), reading and
writing (toml_io.py), the New run form and the generated reference (doc.py) read
those declarations. No torch here: the CLI validates configs cheaply.
"""

from alss_tui.config.checks import check_budget, problems, validate
from alss_tui.config.schema import Leaf, Setting, leaves
from alss_tui.config.sections import (
    CHANNELS, DATASETS, DEVICES, ENCODER_METHODS, EVALUATION_SPLITS, HEADS, INDEX_KINDS, LR_SCHEDULES,
    MODEL_TRAINING, ORACLES, SEED_CHOICES, SPACES, VAE_INPUTS, DataConfig, EncoderConfig, OracleConfig,
    RunConfig, SamplingConfig, SuspectsConfig, TaskConfig, VaeConfig,
)
from alss_tui.config.strategies import STRATEGIES, STRATEGY_NAMES, StrategyDecl, strategy
from alss_tui.config.toml_io import (
    ADDED_LATER, apply_overrides, drop_added_later, dumps, fill_added_later, from_dict, load, to_dict,
    toml_value, with_name,
)
from alss_tui.errors import ConfigError

__all__ = [
    "ADDED_LATER", "CHANNELS", "ENCODER_METHODS", "EncoderConfig", "HEADS", "MODEL_TRAINING", "SPACES",
    "VAE_INPUTS", "ConfigError", "DATASETS", "DEVICES", "DataConfig",
    "EVALUATION_SPLITS", "INDEX_KINDS", "LR_SCHEDULES", "Leaf", "ORACLES", "OracleConfig", "RunConfig",
    "SEED_CHOICES", "STRATEGIES", "STRATEGY_NAMES", "SamplingConfig", "Setting", "SuspectsConfig", "StrategyDecl", "TaskConfig",
    "VaeConfig", "apply_overrides", "check_budget", "drop_added_later", "dumps", "fill_added_later",
    "from_dict", "leaves", "load", "problems", "strategy", "to_dict", "toml_value", "validate", "with_name",
]
