"""The selection strategies, declared once: name, the class that implements it, the knobs
it reads and one line of help.

The class is named as "module:Class" so that validating a config (and listing the
strategies in a form or `--help`) imports no algorithm code; `core.strategies`
imports the one class a run asks for.
"""

from __future__ import annotations

from dataclasses import dataclass

_ASCENT = ("sampling.ascent_steps", "sampling.ascent_step_size", "sampling.ascent_normalize", "sampling.seed_choice")


@dataclass(frozen=True)
class StrategyDecl:
    name: str
    target: str  # "module:Class"
    help: str
    knobs: tuple[str, ...] = ()  # the config keys it reads beyond the round's size
    latent: bool = False  # moves codes through the VAE (the paper's family): drawn dashed in plots


_CORE = "alss_tui.core.strategies"

STRATEGIES: tuple[StrategyDecl, ...] = (
    StrategyDecl("snn", f"{_CORE}.latent:SamplingByNearestNeighbour",
                 "the paper: ascend labelled codes, label the nearest unlabelled pool image", _ASCENT, latent=True),
    StrategyDecl("si", f"{_CORE}.latent:SamplingByInterpolation",
                 "the paper: ascend labelled codes, label the decoded image itself", _ASCENT, latent=True),
    StrategyDecl("random", f"{_CORE}.baselines:RandomSampling", "uniform draw from the unlabelled pool"),
    StrategyDecl("entropy", f"{_CORE}.baselines:EntropySampling",
                 "highest predictive entropy over the whole unlabelled pool"),
    StrategyDecl("margin", f"{_CORE}.baselines:MarginSampling",
                 "smallest gap between the two likeliest classes, whole unlabelled pool"),
    StrategyDecl("coreset", f"{_CORE}.baselines:CoresetSampling",
                 "k-centre greedy in the space of sampling.space", ("sampling.space",)),
    StrategyDecl("coreset-latent", f"{_CORE}.baselines:LatentCoresetSampling",
                 "k-centre greedy on the VAE codes (no task-model passes)"),
    StrategyDecl("entropy-sub", f"{_CORE}.baselines:CostMatchedEntropySampling",
                 "entropy over a random candidates_per_pick x per_round subsample",
                 ("sampling.candidates_per_pick",)),
    StrategyDecl("margin-sub", f"{_CORE}.baselines:CostMatchedMarginSampling",
                 "margin over a random candidates_per_pick x per_round subsample",
                 ("sampling.candidates_per_pick",)),
    StrategyDecl("typiclust", f"{_CORE}.coverage:TypiClust",
                 "the most typical item of the largest uncovered k-means cluster (Hacohen et al., 2022)",
                 ("sampling.space",)),
    StrategyDecl("probcover", f"{_CORE}.coverage:ProbCover",
                 "the item whose ball covers the most uncovered items (Yehuda et al., 2022)",
                 ("sampling.space", "sampling.purity")),
    StrategyDecl("maxherding", f"{_CORE}.coverage:MaxHerding",
                 "the item that most raises the pool's kernel coverage (Bae et al., 2024): ProbCover without "
                 "its radius", ("sampling.space",)),
    StrategyDecl("typiclust-margin", f"{_CORE}.coverage:TypicalThenMargin",
                 "typiclust while few are labelled, margin-sub from sampling.switch_at labels",
                 ("sampling.space", "sampling.switch_at", "sampling.candidates_per_pick")),
    StrategyDecl("snn-rerank", f"{_CORE}.latent_variants:ReRankedNearestNeighbour",
                 "ALSS variant: retrieve candidates_per_pick neighbours per ascended code, keep the closest call",
                 (*_ASCENT, "sampling.candidates_per_pick"), latent=True),
    StrategyDecl("snn-pseudo", f"{_CORE}.latent_variants:PseudoLabelledSeeds",
                 "ALSS variant: seeds from confident unlabelled images, re-ranked by margin",
                 (*_ASCENT, "sampling.candidates_per_pick"), latent=True),
    StrategyDecl("snn-steer", f"{_CORE}.latent_variants:ClassSteeredSearch",
                 "ALSS variant: ascend towards a class rare among the labels, re-ranked by margin",
                 (*_ASCENT, "sampling.candidates_per_pick"), latent=True),
)

STRATEGY_NAMES: tuple[str, ...] = tuple(s.name for s in STRATEGIES)
_BY_NAME = {s.name: s for s in STRATEGIES}


def strategy(name: str) -> StrategyDecl:
    """The declaration of strategy `name` (KeyError when there is none)."""
    return _BY_NAME[name]
