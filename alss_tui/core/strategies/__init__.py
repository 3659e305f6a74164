"""Selection strategies behind one protocol: `select(state, n, rng) -> Selection`.

Names map to "module:class" so that listing them (config validation, `--help`)
imports no torch; `get_strategy` imports the one asked for.
"""

from __future__ import annotations

import importlib

_REGISTRY: dict[str, str] = {
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

STRATEGY_NAMES: tuple[str, ...] = tuple(_REGISTRY)


def get_strategy(name: str, **options):
    """Instantiate the strategy called `name` with its config options."""
    target = _REGISTRY[name]
    module_name, _, class_name = target.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls(**options)
