"""Which bench plays which part: each bench's dataset and recipe, read from its own recorded config.

A bench belongs to the one dataset whose settings it has. Within a dataset it
belongs to a base recipe whose settings it has, or to a variant: the benches
that move exactly the variant's settings from the base's bench (a variant a step
implies may instead move one, or some, of a list of settings, to any value).
A bench that also has a base recipe's settings but moves a variant's from
another of that recipe's benches is the variant's. Every bench given must
belong somewhere, once; anything else is one line naming the bench. Summaries
of one bench id are its parts, joined first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from alss_tui.bench.summary import BenchSummary
from alss_tui.bench.verdict.rule import Recipe, Rule
from alss_tui.errors import BenchError, MissingRuns

PER_RUN = {"name", "seed", "sampling.strategy"}  # what differs between the runs of one recipe


def same_value(a, b) -> bool:
    """Equal as settings: 1 and 1.0 are, true and 1 are not."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def moved(base: BenchSummary, other: BenchSummary) -> dict[str, object]:
    """{setting: other's value} wherever `other`'s recorded recipe differs from `base`'s."""
    a, b = base.settings(), other.settings()
    return {k: b.get(k) for k in sorted(set(a) | set(b)) if k not in PER_RUN and not same_value(a.get(k), b.get(k))}


@dataclass(frozen=True)
class Variant:
    """Benches moving settings from `base`'s bench: exactly `moves`, or (`keys`) one or some of these."""

    name: str
    base: str
    moves: tuple[tuple[str, object], ...] = ()
    keys: tuple[str, ...] = ()
    how_many: str = "exact"  # exact | one | some | several (touching two or more of `groups`)
    groups: tuple[tuple[str, ...], ...] = ()

    def matches(self, change: dict) -> bool:
        if self.how_many == "exact":
            return len(change) == len(self.moves) and all(k in change and same_value(change[k], v)
                                                          for k, v in self.moves)
        if not change or not set(change) <= set(self.keys):
            return False
        if self.how_many == "several":  # a combination of setups, not one of them
            return sum(bool(set(change) & set(g)) for g in self.groups) >= 2
        return len(change) == 1 if self.how_many == "one" else True


def exact_variant(base: str, moves: dict) -> Variant:
    """A variant a step implies (named by what it moves, so two steps implying one share it)."""
    name = base + "".join(f" + {k}={v!r}" for k, v in sorted(moves.items()))
    return Variant(name, base, tuple(sorted(moves.items())))


def fits(settings: dict, bench: BenchSummary, dataset: str) -> bool:
    recorded = bench.settings()
    for key, want in settings.items():
        if isinstance(want, dict):
            if dataset not in want:
                continue  # a value given by dataset, not for this one: any
            want = want[dataset]
        if key not in recorded or not same_value(recorded[key], want):
            return False
    return True


@dataclass
class Placement:
    rule: Rule
    labels: dict[int, str] = field(default_factory=dict)  # id(bench) -> the argument it came from
    parts: dict[int, tuple[str, str]] = field(default_factory=dict)  # id(bench) -> (dataset, recipe)
    benches: dict[tuple[str, str], BenchSummary] = field(default_factory=dict)  # (recipe, dataset) -> bench
    families: dict[tuple[str, str], list[BenchSummary]] = field(default_factory=dict)
    order: list[BenchSummary] = field(default_factory=list)

    def label(self, bench: BenchSummary) -> str:
        return self.labels[id(bench)]

    def bench(self, recipe: str, dataset: str, where: str) -> BenchSummary:
        found = self.benches.get((recipe, dataset))
        if found is None:
            raise MissingRuns(f"{where}: no bench given is recipe {recipe!r} on {dataset} "
                             f"({describe(self.rule, dataset, recipe)})")
        return found

    def position(self, bench: BenchSummary) -> int:
        """Where the bench came among the arguments."""
        return next(k for k, b in enumerate(self.order) if b is bench)

    def family(self, name: str, dataset: str) -> list[BenchSummary]:
        return self.families.get((name, dataset), [])

    def assignments(self) -> list[dict]:
        return [{"file": self.label(b), "bench_id": b.bench_id, "dataset": self.parts[id(b)][0],
                 "recipe": self.parts[id(b)][1]} for b in self.order]


def describe(rule: Rule, dataset: str, recipe: str) -> str:
    r = rule.recipes.get(recipe)
    what = ", ".join(f"{k} = {v!r}" for k, v in rule.datasets[dataset].items())
    if r is None:
        return what
    if r.base is not None:
        return f"{what}; {recipe} moves {', '.join(f'{k} = {v!r}' for k, v in r.moves.items())} from {r.base}"
    settings = {k: (v.get(dataset, "any") if isinstance(v, dict) else v) for k, v in r.settings.items()}
    return ", ".join([what, *(f"{k} = {v!r}" for k, v in settings.items())])


def _dataset_of(rule: Rule, bench: BenchSummary, label: str) -> str:
    names = [d for d, settings in rule.datasets.items() if fits(settings, bench, d)]
    if len(names) != 1:
        data = bench.config.get("data", {})
        pool = f"data.dataset = {data.get('dataset')!r}, data.imbalance = {data.get('imbalance', 1.0)!r}"
        raise BenchError(f"{label}: fits {'none' if not names else 'each'} of the rule's datasets "
                         f"({', '.join(names or rule.datasets)}): {pool}")
    return names[0]


def join_parts(given: list[tuple[str, BenchSummary]]) -> list[tuple[str, BenchSummary]]:
    """Summaries of one bench id as one bench ("a + b"): a bench run in parts, say a strategy added
    later; parts that share a strategy (the same file twice) are one line naming both."""
    joined: dict[str, tuple[str, BenchSummary]] = {}
    for label, bench in given:
        if bench.bench_id not in joined:
            joined[bench.bench_id] = (label, bench)
            continue
        first, so_far = joined[bench.bench_id]
        try:
            joined[bench.bench_id] = (f"{first} + {label}", so_far.joined(bench))
        except ValueError as why:
            raise BenchError(f"{label}: the same bench as {first} (bench {bench.bench_id}), "
                             f"and not another part of it: {why}") from None
    return list(joined.values())


def place(rule: Rule, given: list[tuple[str, BenchSummary]], implied: list[Variant]) -> Placement:
    """Give each bench its dataset and recipe; `implied`: the variants the rule's steps read."""
    out = Placement(rule)
    by_dataset: dict[str, list[BenchSummary]] = {}
    for label, bench in join_parts(given):
        if bench.split != rule.split:
            raise BenchError(f"{label}: scored on {bench.split!r}; {rule.path.name} reads {rule.split} benches")
        out.labels[id(bench)] = label
        out.order.append(bench)
        by_dataset.setdefault(_dataset_of(rule, bench, label), []).append(bench)
    bases = [r for r in rule.recipes.values() if r.base is None]
    declared = [Variant(r.name, r.base, tuple(r.moves.items())) for r in rule.recipes.values() if r.base is not None]
    exact = declared + [v for v in dict.fromkeys(implied) if v.how_many == "exact"]
    spread = [v for v in dict.fromkeys(implied) if v.how_many != "exact"]
    for dataset, benches in by_dataset.items():
        member: dict[int, list[str]] = {id(b): [] for b in benches}
        for recipe in bases:
            _place_base(out, recipe, dataset, benches, exact, member)
        for variant in [*exact, *spread]:
            base = out.benches.get((variant.base, dataset))
            hits = [b for b in benches if base is not None and b is not base and variant.matches(moved(base, b))]
            if variant.how_many == "exact":
                if hits:
                    out.benches[(variant.name, dataset)] = hits[0]
            else:
                out.families[(variant.name, dataset)] = hits
            for b in hits:
                member[id(b)].append(variant.name)
        for b in benches:
            _check_membership(out, b, dataset, member[id(b)], bases)
    return out


def _place_base(out: Placement, recipe: Recipe, dataset: str, benches: list[BenchSummary], exact: list[Variant],
                member: dict[int, list[str]]) -> None:
    candidates = [b for b in benches if fits(recipe.settings, b, dataset)]
    if len(candidates) > 1:  # one that moves a variant's settings from another is the variant's
        candidates = [c for c in candidates if not any(
            v.base == recipe.name and v.matches(moved(o, c)) for v in exact for o in candidates if o is not c)]
    if len(candidates) > 1:
        names = ", ".join(out.label(b) for b in candidates)
        first, second = candidates[:2]
        change = ", ".join(f"{k} = {v!r}" for k, v in moved(first, second).items())
        raise BenchError(f"{names}: each fits recipe {recipe.name!r} on {dataset} ({out.label(second)} moves "
                         f"{change} from {out.label(first)}), and no step reads a variant that tells them apart")
    if candidates:
        out.benches[(recipe.name, dataset)] = candidates[0]
        member[id(candidates[0])].append(recipe.name)


def _check_membership(out: Placement, bench: BenchSummary, dataset: str, recipes: list[str],
                      bases: list[Recipe]) -> None:
    label = out.label(bench)
    if len(recipes) > 1:
        raise BenchError(f"{label}: fits more than one part of the rule on {dataset} ({', '.join(recipes)})")
    if recipes:
        out.parts[id(bench)] = (dataset, recipes[0])
        return
    nearest = [(moved(b, bench), r.name, b) for r in bases if (b := out.benches.get((r.name, dataset)))]
    if not nearest:
        raise BenchError(f"{label}: fits no recipe of the rule on {dataset}")
    change, name, base = min(nearest, key=lambda n: len(n[0]))
    raise BenchError(f"{label}: fits no recipe of the rule on {dataset}: it moves "
                     f"{', '.join(f'{k} = {v!r}' for k, v in change.items())} from recipe {name}'s bench "
                     f"({out.label(base)}); no part of the rule moves that")
