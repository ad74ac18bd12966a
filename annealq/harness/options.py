"""The command-line options every workflow shares, and what a run's settings are made of.

Importing this module costs only click: ``annealq SUBCOMMAND --help`` stays fast.

Example:
    >>> import click
    >>> @click.command()
    ... @run_options(default_route="sa")
    ... def demo(**params):
    ...     click.echo(sorted(settings(params)))
    >>> from click.testing import CliRunner
    >>> CliRunner().invoke(demo, ["--seed", "3"]).output.strip()
    "['chain_strength', 'num_reads', 'num_sweeps', 'route', 'seed', 'solver_seed']"
"""
from __future__ import annotations

import time
from pathlib import Path

import click

#: parameters that change no result: they never enter a run's settings
NOT_SETTINGS = frozenset({"out", "workers", "dry_run", "debug", "profile", "scheduler", "keep_problems"})
DEBUG = "annealq.debug"


def _debug(ctx, _param, value):
    if value:
        ctx.meta[DEBUG] = True
    return value


def run_options(default_route: str = "sa", reads_help: str = "reads per problem"):
    """The common options: ``--route --num-reads --num-sweeps --chain-strength --workers --seed
    --solver-seed --out --dry-run --profile --debug``."""
    options = [
        click.option("--route", default=default_route, show_default=True,
                     help="where the problems go: sa, tabu, batched, mock-qpu:<profile>, qpu, hybrid, ... "
                          "(`annealq profiles` lists the profiles)"),
        click.option("--num-reads", type=click.IntRange(min=1), default=None,
                     help=f"{reads_help} (default: the route's own)"),
        click.option("--num-sweeps", type=click.IntRange(min=1), default=None,
                     help="sweeps per read of the annealers (default: the route's own)"),
        click.option("--chain-strength", type=click.FloatRange(min=0, min_open=True), default=4.0,
                     show_default=True, help="QPU routes: prefactor of uniform torque compensation"),
        click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
                     help="processes for routes that solve one problem at a time"),
        click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=0, show_default=True,
                     help="seed of the data split, the models and the baselines"),
        click.option("--solver-seed", type=click.IntRange(0, 2**32 - 1), default=None,
                     help="seed of the annealers (default: --seed)"),
        click.option("--out", type=click.Path(file_okay=False), default=None,
                     help="run folder (default: a new runs/<workflow>-<time>); an existing one resumes and "
                          "keeps the reports of other settings"),
        click.option("--dry-run", is_flag=True,
                     help="build the same problems, embed them and price the QPU calls on --profile; send nothing"),
        click.option("--profile", default=None,
                     help="hardware profiles the dry run prices on, comma-separated (default: the route's, "
                          "else Advantage_system4.1)"),
        click.option("--debug", is_flag=True, is_eager=True, expose_value=True, callback=_debug,
                     help="show the full traceback behind an Error: line"),
    ]

    def decorate(f):
        for option in reversed(options):
            f = option(f)
        return f
    return decorate


def dataset_options(f):
    """``--dataset`` and ``--data-root``: digits, or a dataset read from a local folder."""
    f = click.option("--data-root", type=click.Path(file_okay=False), default=None,
                     help="folder holding the dataset files (standard formats: gzipped IDX, CIFAR batches)")(f)
    return click.option("--dataset", default="digits", show_default=True,
                        help="digits, or mnist, fashion-mnist, emnist, kmnist, cifar10 read from --data-root")(f)


def solver_config(params: dict):
    """The :class:`~annealq.samplers.SolverConfig` of the common options (a bad value raises ValueError)."""
    from annealq.samplers.config import SolverConfig

    return SolverConfig(route=params["route"], num_reads=params["num_reads"], num_sweeps=params["num_sweeps"],
                        seed=_solver_seed(params), workers=params["workers"], chain_strength=params["chain_strength"])


def _solver_seed(params: dict) -> int:
    return params["seed"] if params.get("solver_seed") is None else params["solver_seed"]


def settings(params: dict, axes=()) -> dict:
    """Every setting of a command that changes a result: its parameters but the run-only ones and
    the row ``axes`` (bits, methods, ...: the rows tell those apart), the solver seed resolved."""
    out = {k: v for k, v in params.items() if k not in NOT_SETTINGS and k not in axes}
    if "solver_seed" in out:
        out["solver_seed"] = _solver_seed(params)
    return out


def new_run_dir(workflow: str) -> Path:
    """``runs/<workflow>-<time>``, with a suffix when that folder exists already."""
    path = Path("runs") / f"{workflow}-{time.strftime('%Y%m%d-%H%M%S')}"
    base, suffix = path, 0
    while path.exists():
        suffix += 1
        path = base.with_name(f"{base.name}.{suffix}")
    return path


def names(text: str, option: str) -> list[str]:
    """Comma-separated names; none at all is a usage error naming ``option``."""
    out = [t.strip() for t in text.split(",") if t.strip()]
    if not out:
        raise click.BadParameter("give at least one value", param_hint=option)
    return list(dict.fromkeys(out))


def numbers(text: str, option: str, kind=int) -> list:
    """Comma-separated numbers (``int`` or ``float``), duplicates dropped; none is a usage error."""
    try:
        return list(dict.fromkeys(kind(t) for t in names(text, option)))
    except ValueError:
        raise click.BadParameter(f"expected comma-separated {'integers' if kind is int else 'numbers'}, "
                                 f"got {text!r}", param_hint=option) from None
