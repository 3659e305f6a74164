"""Selection strategies behind one protocol: `select(state, n, rng) -> Selection`.

The names are `config.STRATEGY_NAMES` (a config is validated without this
package); here each maps to "module:class", and `get_strategy` imports only the
one asked for, so listing them imports no torch.
"""

from __future__ import annotations

import importlib

from alss_tui.config import STRATEGY_NAMES

__all__ = ["STRATEGY_NAMES", "get_strategy"]

_CLASSES: dict[str, str] = {
    "snn": "alss_tui.core.strategies.latent:SamplingByNearestNeighbour",
    "si": "alss_tui.core.strategies.latent:SamplingByInterpolation",
    "random": "alss_tui.core.strategies.baselines:RandomSampling",
    "entropy": "alss_tui.core.strategies.baselines:EntropySampling",
    "margin": "alss_tui.core.strategies.baselines:MarginSampling",
    "coreset": "alss_tui.core.strategies.baselines:CoresetSampling",
    "coreset-latent": "alss_tui.core.strategies.baselines:LatentCoresetSampling",
    "entropy-sub": "alss_tui.core.strategies.baselines:CostMatchedEntropySampling",
    "margin-sub": "alss_tui.core.strategies.baselines:CostMatchedMarginSampling",
    "snn-rerank": "alss_tui.core.strategies.latent_variants:ReRankedNearestNeighbour",
    "snn-pseudo": "alss_tui.core.strategies.latent_variants:PseudoLabelledSeeds",
    "snn-steer": "alss_tui.core.strategies.latent_variants:ClassSteeredSearch",
}


def get_strategy(name: str, **options):
    """Instantiate the strategy called `name` with its config options."""
    target = _CLASSES[name]
    module_name, _, class_name = target.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls(**options)
