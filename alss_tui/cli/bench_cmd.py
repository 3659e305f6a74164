"""`alss-tui bench`: strategies x seeds on one dataset, one table (and a figure); `bench verdict` applies a rule.

`alss-tui bench [CONFIG] --strategies ...` runs a grid as it always did: the group
falls back to its `run` command whenever the first word is not one of its commands.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from alss_tui.cli.console import fail
from alss_tui.cli.options import HomeOpt, SetOpt
from alss_tui.cli.verdict_cmd import verdict

ConfigArg = Annotated[Optional[str], typer.Argument(help="Base config: a preset name or a config file (TOML); "
                                                    "default: built-in defaults.", show_default=False)]
StrategiesOpt = Annotated[str, typer.Option("--strategies", "-s", help="Comma-separated strategies to compare.")]
SeedsOpt = Annotated[int, typer.Option("--seeds", help="Number of seeds (0, 1, ... N-1).", min=1)]
SeedListOpt = Annotated[Optional[str], typer.Option("--seed-list", help="Explicit seeds, e.g. 3,4,5 (overrides --seeds).",
                                                    show_default=False)]
DatasetOpt = Annotated[Optional[str], typer.Option("--dataset", help="digits, mnist, cifar10 or folder.", show_default=False)]
DataRootOpt = Annotated[Optional[str], typer.Option("--data-root", help="Folder holding the dataset files.",
                                                    show_default=False)]
ImbalanceOpt = Annotated[Optional[float], typer.Option("--imbalance", help="Long-tailed pool: rarest class 1/R of the largest.",
                                                       show_default=False)]
TargetsOpt = Annotated[str, typer.Option("--targets", help="Accuracy targets for 'labels to reach'.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of tables.")]
PlotOpt = Annotated[Optional[Path], typer.Option("--plot", help="Write accuracy vs labels (mean ± std) to this PNG.",
                                                 show_default=False)]
SummaryOnlyOpt = Annotated[bool, typer.Option("--summary-only", help="Report the finished runs of this grid; start none.")]
AgainstOpt = Annotated[Optional[str], typer.Option(
    "--against", help="Reference strategy for paired differences over seeds (default: random, when in the bench).",
    show_default=False)]
EvaluateOnOpt = Annotated[str, typer.Option(
    "--evaluate-on", help="Score every round on 'test' or on 'validation' (needs --set data.validation_size=N; "
    "the test split is then never touched).")]
JobsOpt = Annotated[int, typer.Option("--jobs", "-j", min=1,
                                      help="Cells at once: worker processes here; with --on ray, the size of a local Ray instance.")]
OnOpt = Annotated[str, typer.Option("--on", help="local (this machine) or ray (a Ray cluster, or a local Ray instance).")]
AddressOpt = Annotated[Optional[str], typer.Option("--address", help="Ray cluster: HOST:PORT, ray://HOST:PORT or auto "
                                                   "(default: start a local Ray instance).", show_default=False)]
CpusOpt = Annotated[Optional[float], typer.Option("--cpus-per-run", min=0.01, show_default=False,
                                                  help="Cores per cell (its torch threads; Ray's num_cpus). "
                                                       "Default: cores // jobs here, 1 on Ray.")]
GpusOpt = Annotated[float, typer.Option("--gpus-per-run", min=0.0, help="GPUs per cell on Ray (fractions allowed).")]


class BenchGroup(TyperGroup):
    """`bench ARGS` is `bench run ARGS` unless ARGS starts with a command (or asks for the group's help)."""

    default_command = "run"

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h")):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


def register(app: typer.Typer) -> None:
    group = typer.Typer(cls=BenchGroup, help="Compare strategies over seeds (`bench [CONFIG] ...`, the `run` "
                        "command), or apply a rule to bench summaries (`bench verdict`).",
                        no_args_is_help=False)
    group.command("run")(bench)
    group.command("verdict")(verdict)
    app.add_typer(group, name="bench")


def _parse_list(raw: str, what: str, cast=str) -> list:
    items = [x.strip() for x in raw.split(",") if x.strip()]
    if not items:
        fail(f"{what}: give at least one value")
    try:
        return [cast(x) for x in items]
    except ValueError:
        fail(f"{what}: {raw!r} is not a comma-separated list of numbers")


def bench(config: ConfigArg = None, strategies: StrategiesOpt = "random,margin-sub,snn", seeds: SeedsOpt = 3,
          seed_list: SeedListOpt = None, dataset: DatasetOpt = None, data_root: DataRootOpt = None,
          imbalance: ImbalanceOpt = None, set_: SetOpt = None, targets: TargetsOpt = "0.90,0.95",
          json_out: JsonOpt = False, plot: PlotOpt = None, summary_only: SummaryOnlyOpt = False,
          against: AgainstOpt = None, evaluate_on: EvaluateOnOpt = "test",
          jobs: JobsOpt = 1, on: OnOpt = "local", address: AddressOpt = None, cpus_per_run: CpusOpt = None,
          gpus_per_run: GpusOpt = 0.0, home: HomeOpt = None) -> None:
    """Compare strategies over several seeds; re-running the same bench resumes it."""
    from alss_tui import config as config_mod
    from alss_tui.core.strategies import STRATEGY_NAMES
    from alss_tui.store.home import resolve_home

    names = _parse_list(strategies, "--strategies")
    unknown = [n for n in names if n not in STRATEGY_NAMES]
    if unknown:
        fail(f"--strategies: unknown strategy {unknown[0]!r}; one of {', '.join(STRATEGY_NAMES)}")
    if len(set(names)) != len(names):
        fail("--strategies: a strategy is listed twice")
    if against is not None and against not in names:
        fail(f"--against: {against!r} is not in --strategies ({', '.join(names)})")
    reference = against or ("random" if "random" in names else None)
    if evaluate_on not in config_mod.EVALUATION_SPLITS:
        fail(f"--evaluate-on: must be one of {', '.join(config_mod.EVALUATION_SPLITS)}, not {evaluate_on!r}")
    seed_values = _parse_list(seed_list, "--seed-list", int) if seed_list else list(range(seeds))
    target_values = _parse_list(targets, "--targets", float)
    overrides = list(set_ or [])
    if dataset:
        overrides.append(f"data.dataset={json.dumps(dataset)}")
    if data_root:
        overrides.append(f"data.data_root={json.dumps(data_root)}")
    if imbalance is not None:
        overrides.append(f"data.imbalance={imbalance}")
    if evaluate_on != "test":
        overrides.append(f"task.evaluate_on={json.dumps(evaluate_on)}")
    sets_function = any(o.replace(" ", "").startswith("oracle.kind=") and "function" in o for o in overrides)
    if "si" in names or sets_function:
        # The base config must validate with a labelling function, which only si accepts; the
        # cells get their own strategy (and ground truth for every strategy but si).
        overrides.append('sampling.strategy="si"')
    from alss_tui import presets

    base = presets.load(config) if config else config_mod.RunConfig(name="bench")
    base = config_mod.apply_overrides(base, overrides)
    if "si" in names and base.oracle.kind != "function":
        fail("--strategies: si needs a labelling function: --set oracle.kind=function "
             "--set oracle.function=alss_tui.runner.reference_oracle:digits (or :mnist)")
    home_dir = resolve_home(home)
    os.environ["ALSS_HOME"] = str(home_dir)  # worker processes keep their pool encoders in this home's cache
    executor = None
    if not summary_only:
        from alss_tui.bench.executors import make_executor

        executor = make_executor(on, jobs, address, cpus_per_run, gpus_per_run)
    _run(home_dir, base, names, seed_values, target_values, json_out, plot, summary_only, reference, executor)


def _run(home_dir: Path, base, names, seed_values, target_values, json_out: bool, plot: Path | None,
         summary_only: bool, reference: str | None = None, executor=None) -> None:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from alss_tui.config import check_budget
    from alss_tui.cli.dataset_open import load_with_progress, warn_skipped
    from alss_tui.bench.grid import run_grid
    from alss_tui.bench.manifest import Manifest
    from alss_tui.bench.plot import plot as plot_figure
    from alss_tui.bench.summarize import summarize
    from alss_tui.bench.tables import paired_tables, summary_tables
    from alss_tui.store.locks import RunLock
    from alss_tui.store.registry import Registry

    console = Console(stderr=True)
    dataset = None
    if not summary_only:
        dataset = load_with_progress(base.data, home_dir, console)
        check_budget(base, len(dataset.pool_images))
        warn_skipped(console, dataset, "each run's skipped.txt")
    manifest = Manifest.open(home_dir, base, names, seed_values)
    cells = manifest.ordered()
    done = sum(c.status == "finished" for c in cells)
    console.print(f"bench [bold]{manifest.bench_id}[/]: {len(names)} strategies x {len(seed_values)} seeds"
                  + (f", resuming ({done} of {len(cells)} runs done)" if done else ""))
    if summary_only and done == 0:
        fail(f"bench {manifest.bench_id}: no finished runs for these strategies and seeds yet")
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TextColumn("{task.fields[eta]}"), console=console,
                  transient=True) as bar:
        task = bar.add_task("bench", total=len(cells), eta="")

        def on_progress(p) -> None:
            eta = f"ETA {_duration(p.eta_seconds)}" if p.eta_seconds is not None else "ETA after the first run"
            bar.update(task, completed=p.done, description=f"bench: {p.current}" if p.current else "bench",
                       eta=eta)
            # A plain line too, so a log file (no live bar there) shows where the grid stands.
            console.log(f"{p.done}/{p.total} runs done" + (f", starting {p.current}" if p.current else "")
                        + (f", {eta}" if p.current else ""))

        if not summary_only:
            # Workers load their own copy; the driver keeps it only when it runs the cells itself.
            keep = dataset if getattr(executor, "in_process", False) else None
            dataset = None
            # Two drivers of one bench would run its cells twice and race on its manifest.
            with RunLock(manifest.path.parent / "bench.lock", name=f"bench {manifest.bench_id}"):
                run_grid(home_dir, manifest, base, keep, on_progress=on_progress, executor=executor)
    failed = [c for c in manifest.ordered() if c.status == "failed"]
    if failed and not any(c.status == "finished" for c in manifest.ordered()):
        _print_failures(console, failed)
        fail(f"bench {manifest.bench_id}: every run failed")
    summary = summarize(manifest, Registry(home_dir).runs_dir, tuple(target_values), against=reference)
    if plot is not None:
        plot_figure(summary, plot)
    if json_out:
        print(json.dumps(summary.to_json(), indent=1))
        _report_failures(console, failed)
        return
    from rich.markup import escape

    out = Console()
    out.print(f"model: {escape(summary.representation())}", highlight=False)
    for table in summary_tables(summary, out.width):
        out.print(table)
    for table in paired_tables(summary):
        out.print(table)
    if summary.against is None:
        out.print("no paired differences: the reference (--against, default random) has no finished runs "
                  "in this bench")
    if plot is not None:
        out.print(f"figure: {plot}")
    _report_failures(console, failed)


def _print_failures(console, failed) -> None:
    from rich.markup import escape

    for c in failed:
        console.print(f"[red]{c.key} failed:[/] {escape(c.error or 'unknown error')}  (run {c.run_id})")


def _report_failures(console, failed) -> None:
    """Failed cells are named after the tables; the exit code says the grid is incomplete."""
    if not failed:
        return
    _print_failures(console, failed)
    console.print(f"{len(failed)} run(s) failed; run the same command again to retry them")
    raise typer.Exit(1)


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
