"""The ``annealq`` command line: one console script; each workflow's subcommand lives in its room.

Subcommands load on first use (``annealq --help`` imports click only).
"""
from __future__ import annotations

import time
from importlib import import_module
from pathlib import Path

import click

#: subcommand -> (module, function): the workflows' commands live in their rooms
COMMANDS = {
    "quantize": ("annealq.ptq.cli", "quantize"),
    "train-head": ("annealq.head.cli", "train_head"),
    "prune": ("annealq.prune.cli", "prune_command"),
    "train-qnn": ("annealq.qnn.cli", "train_qnn_command"),
}


def _int_list(text: str) -> list[int]:
    try:
        return [int(t) for t in text.split(",") if t.strip()]
    except ValueError as err:
        raise click.BadParameter(f"expected comma-separated integers such as 8,4,2, got {text!r}") from err


def _expected_errors() -> tuple:
    """Failures a user can cause and fix (bad input, no token, busy or damaged run folder): one line each."""
    from annealq.records import JournalError
    from annealq.samplers.errors import RouteError

    return (ValueError, TypeError, OSError, RouteError, JournalError)


class _Group(click.Group):
    """Subcommands from :data:`COMMANDS` load when used; every expected failure of a subcommand ends in
    one ``Error:`` line and exit code 1 (``--debug`` shows the traceback instead)."""

    def list_commands(self, ctx):
        return sorted([*super().list_commands(ctx), *COMMANDS])

    def get_command(self, ctx, name):
        if name in COMMANDS:
            module, attr = COMMANDS[name]
            return getattr(import_module(module), attr)
        return super().get_command(ctx, name)

    def invoke(self, ctx):
        from annealq.harness.options import DEBUG

        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as err:
            if ctx.meta.get(DEBUG) or not isinstance(err, _expected_errors()):
                raise
            kind = _BadInput if isinstance(err, (ValueError, TypeError, FileNotFoundError)) else click.ClickException
            raise kind(" ".join(str(err).split()) or type(err).__name__) from err


class _BadInput(click.ClickException):
    """A value or file the user named is wrong (exit code 2, as click's own usage errors)."""

    exit_code = 2


@click.group(cls=_Group)
@click.version_option(package_name="annealq")
def main():
    """Neural networks as QUBOs for quantum annealers."""


@main.command()
def profiles():
    """List the hardware profiles: topology, qubits, couplers and the largest clique that fits."""
    from annealq.embedding import largest_clique_size
    from annealq.profiles import list_profiles, load_profile

    head = f"{'profile':<24} {'topology':<12} {'qubits':>7} {'couplers':>9} {'clique':>7} {'ideal clique':>13}"
    click.echo(head + "\n" + "-" * len(head))
    for name in list_profiles():  # a line as each profile's cliques are found (seconds each)
        p = load_profile(name)
        g = p.graph()
        shape = f"{p.topology_type} {'x'.join(map(str, p.topology_shape))}"
        click.echo(f"{name:<24} {shape:<12} {g.number_of_nodes():>7} {g.number_of_edges():>9} "
                   f"{largest_clique_size(p):>7} {largest_clique_size(p, ideal=True):>13}")


@main.command()
@click.option("--offline", is_flag=True, help="skip the service checks (token and versions only)")
@click.option("--timeout", default=5.0, show_default=True, help="seconds each service check may take")
def doctor(offline, timeout):
    """Ocean versions, whether a Leap token is configured (never its value), profiles, QPU/hybrid reachability."""
    from annealq.doctor import doctor as run_doctor
    from annealq.doctor import format_doctor

    click.echo(format_doctor(run_doctor(check_services=not offline, timeout=timeout)))


@main.command()
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--out", type=click.Path(file_okay=False), default=None, help="where tables and plot go "
              "(default: RUN_DIR/compare)")
@click.option("--reads-factor", default="10", show_default=True,
              help="larger SA budgets, as comma-separated multiples of the recorded reads (the matched one always runs)")
@click.option("--sweeps-factor", default=1.0, show_default=True, help="sweeps of the larger budgets, as a multiple "
              "of the recorded sweeps")
@click.option("--tolerance", default=1e-6, show_default=True, help="relative energy tolerance of a success")
@click.option("--no-accuracy", is_flag=True, help="skip the decoded models' test accuracy (no pipeline runs)")
def compare(run_dir, out, reads_factor, sweeps_factor, tolerance, no_accuracy):
    """Re-solve every QPU answer recorded in RUN_DIR with local SA and compare, offline.

    Per layer and overall: best energies, energy gaps, success probability, TTS99, chain
    breaks and the decoded models' accuracy; tables printed and saved as CSV/JSON with a plot.
    """
    from tqdm.auto import tqdm

    from annealq.studies.compare import Budget, RunRecordsError, compare_run, format_report, save_report
    from annealq.studies.plots import plot_compare

    try:
        factors = [float(f) for f in reads_factor.split(",") if f.strip()]
        budgets = [Budget()] + [Budget(f, sweeps_factor) for f in factors if (f, sweeps_factor) != (1, 1)]
    except ValueError as err:
        raise click.BadParameter(f"--reads-factor/--sweeps-factor: {err}") from err
    bars: dict[str, tqdm] = {}

    def progress(stage, done, total):
        if stage not in bars:
            bars[stage] = tqdm(total=total, desc=stage, unit="neuron", leave=False)
        bars[stage].update(done - bars[stage].n)

    try:
        report = compare_run(run_dir, budgets=budgets, tolerance=tolerance, accuracy=not no_accuracy,
                             progress=progress)
    except RunRecordsError as err:
        raise click.ClickException(str(err)) from err
    finally:
        for bar in bars.values():
            bar.close()
    click.echo(format_report(report))
    folder = Path(out) if out else Path(run_dir) / "compare"
    paths = save_report(report, folder)
    plot = plot_compare(report, folder / "compare.png")
    click.echo(f"tables: {', '.join(str(p) for p in paths.values())}  plot: {plot}")


def _bit_list(text: str) -> list[int]:
    """``'1-8'``, ``'1,2,4'`` or a mix (``'1-4,8'``) as a list of integers."""
    out = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        low, sep, high = part.partition("-")
        try:
            out.extend(range(int(low), int(high) + 1) if sep else [int(low)])
        except ValueError as err:
            raise click.BadParameter(f"expected integers or ranges such as 1-8,12, got {text!r}") from err
    return out


@main.group()
def study():
    """Studies measured on the hardware profiles, as tables, CSV/JSON and figures."""


@study.command()
@click.option("--profiles", "profile_names", default=None,
              help="comma-separated profile names or JSON paths (default: every file in hardware_profiles/)")
@click.option("--graphs", default="ideal,yield", show_default=True,
              help="ideal graph, working graph with the modelled yield, or both")
@click.option("--formulations", default="rounding,fixed_point", show_default=True,
              help="rounding (f + 1 variables) and/or fixed_point ((f + 1) K variables)")
@click.option("--fan-ins", default="8,16,32,64,128,256,784", show_default=True, help="inputs per neuron")
@click.option("--bits", default=None, help="bit-widths, e.g. 1-8 or 1,2,4 (default: 1-8 rounding, 1-20 fixed point)")
@click.option("--neurons", default=128, show_default=True, help="neurons (classes) of the layer whose QPU calls count")
@click.option("--num-reads", default=100, show_default=True, help="reads per QPU call in the time estimate")
@click.option("--pack-limit", default="40", show_default=True,
              help="pack QUBOs of up to this many variables several per call (0: never; none: all that fit, slow)")
@click.option("--plot-fan-in", default=32, show_default=True, help="fan-in of the per-bits figures")
@click.option("--full", is_flag=True, help="also print every point, not only the summary tables")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="output folder (default: runs/study-embedding-<time>)")
def embedding(profile_names, graphs, formulations, fan_ins, bits, neurons, num_reads, pack_limit, plot_fan_in, full,
              out):
    """Embedding cost per bit-width: qubits, chains, fit, packing, QPU calls and time, coupling range.

    For each profile, graph, formulation, fan-in and bit-width; prints summary tables and writes
    embedding_cost.csv/.json, embedding_cost.png and embedding_fan_in.png.
    """
    from annealq.studies.embedding_cost import embedding_cost, format_summary, format_table, save_rows
    from annealq.studies.plots import plot_embedding_cost, plot_fan_in_limit

    graph_names = [g.strip() for g in graphs.split(",") if g.strip()]
    if not graph_names or set(graph_names) - {"ideal", "yield"}:
        raise click.BadParameter(f"graphs are ideal and/or yield, got {graphs!r}", param_hint="--graphs")
    fan_in_list = _int_list(fan_ins)
    if pack_limit.lower() != "none" and not pack_limit.isdigit():
        raise click.BadParameter(f"a number of variables or none, got {pack_limit!r}", param_hint="--pack-limit")
    try:
        rows = embedding_cost(
            profiles=None if profile_names is None else [p.strip() for p in profile_names.split(",") if p.strip()],
            fan_ins=fan_in_list, bits=None if bits is None else _bit_list(bits),
            formulations=[f.strip().replace("-", "_") for f in formulations.split(",") if f.strip()],
            neurons=neurons, yield_models=[g == "yield" for g in graph_names], num_reads=num_reads,
            pack_limit=None if pack_limit.lower() == "none" else int(pack_limit))
    except ValueError as err:  # UnknownProfileError included
        raise click.UsageError(str(err)) from err
    if full:
        click.echo(format_table(rows) + "\n")
    click.echo(format_summary(rows))
    folder = Path(out) if out else Path("runs") / f"study-embedding-{time.strftime('%Y%m%d-%H%M%S')}"
    paths = save_rows(rows, folder)
    fan_in = plot_fan_in if plot_fan_in in fan_in_list else min(fan_in_list)
    figures = [plot_embedding_cost(rows, folder / "embedding_cost.png", fan_in),
               plot_fan_in_limit(rows, folder / "embedding_fan_in.png", fan_in)]
    click.echo(f"\ntables: {paths['csv']}, {paths['json']}  figures: {', '.join(map(str, figures))}")


if __name__ == "__main__":
    main()
