"""The ``annealq`` command line: one console script with subcommands."""
from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import click
from tqdm.auto import tqdm


def _int_list(text: str) -> list[int]:
    try:
        return [int(t) for t in text.split(",") if t.strip()]
    except ValueError as err:
        raise click.BadParameter(f"expected comma-separated integers such as 8,4,2, got {text!r}") from err


def _new_run_dir() -> Path:
    path = Path("runs") / time.strftime("%Y%m%d-%H%M%S")
    suffix = 0
    while path.exists():
        suffix += 1
        path = path.with_name(f"{path.name.split('.')[0]}.{suffix}")
    return path


def _expected_errors() -> tuple:
    """Failures a user can cause and fix (bad input, no token, busy or damaged run folder): one line each."""
    from annealq.records import JournalError
    from annealq.samplers.errors import RouteError

    return (ValueError, TypeError, OSError, RouteError, JournalError)


class _Group(click.Group):
    """Every expected failure of a subcommand ends in one ``Error:`` line and exit code 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.ClickException:
            raise
        except _expected_errors() as err:
            raise click.ClickException(" ".join(str(err).split()) or type(err).__name__) from err


@click.group(cls=_Group)
@click.version_option(package_name="annealq")
def main():
    """Neural networks as QUBOs for quantum annealers."""


def _spends_qpu_time(route: str) -> bool:
    """Whether ``route`` spends (or may spend) QPU time: what a dry run is for."""
    from annealq.samplers.router import route_kind

    return route_kind(route) in ("qpu", "any")


@main.command()
@click.option("--dataset", default="digits", show_default=True, help="digits, or a local-folder dataset (mnist, ...)")
@click.option("--data-root", type=click.Path(file_okay=False), default=None, help="folder holding the dataset files")
@click.option("--bits", default="8,4,3,2,1", show_default=True, help="comma-separated weight bit-widths")
@click.option("--methods", default="rtn,gptq,qubo", show_default=True, help="comma-separated: rtn, gptq, qubo")
@click.option("--route", default="sa", show_default=True, help="where the QUBOs go (annealq routes)")
@click.option("--calibration-size", type=click.IntRange(min=1), default=256, show_default=True,
              help="calibration samples from the training set")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=0, show_default=True,
              help="data split and reference model")
@click.option("--solver-seed", type=click.IntRange(0, 2**32 - 1), default=None,
              help="seed of the annealers (default: --seed)")
@click.option("--levels", default=2, show_default=True, help="candidate levels per weight in the QUBO (2, 4, 8)")
@click.option("--scale", default="absmax", show_default=True, help="per-channel scale: mse or absmax")
@click.option("--num-reads", type=click.IntRange(min=1), default=None,
              help="reads per neuron (default: the route's own; sa 20)")
@click.option("--num-sweeps", type=click.IntRange(min=1), default=None,
              help="sweeps per read (default: the route's own; sa 1000)")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="processes for per-neuron routes")
@click.option("--chain-strength", type=float, default=4.0, show_default=True,
              help="QPU routes: prefactor of uniform torque compensation")
@click.option("--scheduler", default=None, help="Dask scheduler address: solve neurons on that cluster")
@click.option("--dry-run", is_flag=True, help="print per layer what a QPU route would embed, send and cost; solve nothing")
@click.option("--profile", default=None, help="hardware profile for --dry-run (default: the route's, else "
                                               "Advantage_system4.1)")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="run folder (default: a new runs/<time>); an existing run folder resumes")
@click.option("--model", "model_file", type=click.Path(dir_okay=False), default=None,
              help="your model instead of the reference MLP: torch.export (.pt2) or TorchScript file")
@click.option("--calibration", "calibration_file", type=click.Path(dir_okay=False), default=None,
              help="with --model: calibration inputs (and optional labels y) as .npy, .npz or .pt")
@click.option("--eval", "eval_file", type=click.Path(dir_okay=False), default=None,
              help="with --model: evaluation inputs (and optional labels y); default: the calibration data")
@click.option("--trust-pickle", is_flag=True, help="allow pickled Python objects in --model/--calibration/--eval "
              "files (only for files you trust)")
def quantize(dataset, data_root, bits, methods, route, calibration_size, seed, solver_seed, levels, scale, num_reads,
             num_sweeps, workers, chain_strength, scheduler, dry_run, profile, out, model_file, calibration_file,
             eval_file, trust_pickle):
    """Quantize the reference MLP (or --model) with each method and bit-width; print the table, write the report.

    Every QUBO neuron answer is recorded in the run folder's journal as it arrives
    (``journal.sqlite``), so running the same command on the same ``--out`` again resumes
    where it stopped.
    """
    if model_file or calibration_file or eval_file:
        from annealq.ptq.cli import run_user_model

        run_user_model(model_file, calibration_file, eval_file, out=out or _new_run_dir(), bits=bits, methods=methods,
                       trust_pickle=trust_pickle, dry_run=dry_run, profile=profile, scheduler=scheduler,
                       config=dict(route=route, seed=seed if solver_seed is None else solver_seed, levels=levels,
                                   scale=scale, num_reads=num_reads, num_sweeps=num_sweeps, workers=workers,
                                   chain_strength=chain_strength))
        return
    from annealq.data import load_dataset
    from annealq.ptq import QuantConfig
    from annealq.samplers.errors import RouteError
    from annealq.samplers.router import parse_route, sampler

    bit_list, method_list = _int_list(bits), [m.strip() for m in methods.split(",") if m.strip()]
    if not bit_list or not method_list:
        raise click.UsageError("--bits and --methods need at least one value each, e.g. --bits 4,2 --methods qubo")
    try:
        parse_route(route)
        if "qubo" in method_list and not dry_run:
            sampler(route)  # an unknown profile, a missing token: said now, before any folder
        config = QuantConfig(route=route, seed=seed if solver_seed is None else solver_seed, levels=levels,
                             scale=scale, num_reads=num_reads, num_sweeps=num_sweeps, workers=workers,
                             chain_strength=chain_strength)
        for b in bit_list:
            QuantConfig(bits=b)
        for m in method_list:
            QuantConfig(method=m)
        data = load_dataset(dataset, data_root, seed=seed)
    except (ValueError, FileNotFoundError) as err:
        raise click.UsageError(str(err)) from err
    except RouteError as err:
        raise click.ClickException(str(err)) from err
    if calibration_size > len(data.x_train):
        raise click.UsageError(f"--calibration-size {calibration_size} exceeds the {len(data.x_train)} training "
                               f"samples of {dataset}: use at most {len(data.x_train)}")
    sizes = [data.x_train.shape[1], 128, 64, data.num_classes]
    if dry_run:
        _dry_run(sizes, config, bit_list, profile)
        return
    if _spends_qpu_time(route) and "qubo" in method_list:
        _dry_run(sizes, config, bit_list, profile, heading="QPU time this run will take (estimate):")
    _run_quantize(data, sizes, config, bit_list, method_list, calibration_size, scheduler,
                  Path(out) if out else _new_run_dir(), {"dataset": dataset, "data_root": data_root, "seed": seed})


def _dry_run(sizes, config, bit_list, profile, heading=None):
    from annealq.nn.models import mlp
    from annealq.profiles import UnknownProfileError
    from annealq.ptq.dryrun import dry_run, format_dry_run

    if heading:
        click.echo(heading)
    for b in bit_list:
        try:
            rows = dry_run(mlp(sizes), dataclasses.replace(config, bits=b, method="qubo"), profile=profile)
        except UnknownProfileError as err:
            raise click.UsageError(str(err)) from err
        click.echo(f"int{b} on {rows[0]['profile']} ({config.solver.num_reads} reads per call), nothing submitted:")
        click.echo(format_dry_run(rows) + "\n")


def _run_quantize(data, sizes, config, bit_list, method_list, calibration_size, scheduler, run_dir, source):
    from annealq.nn.models import pretrained_mlp
    from annealq.ptq.report import format_table, merge_reports, ptq_rows
    from annealq.records import Journal
    from annealq.studies.plots import plot_ptq
    from annealq.studies.tables import write_json

    executor = None
    if scheduler:
        from distributed import Client

        try:
            executor = Client(scheduler, timeout="10s").get_executor()
        except (OSError, TimeoutError) as err:
            raise click.ClickException(f"the Dask scheduler {scheduler} did not answer ({type(err).__name__}): "
                                       f"start it, or run without --scheduler") from err
    with Journal(run_dir) as journal:
        recorded = len(journal.records(workflow="ptq"))
        if recorded:
            click.echo(f"resuming {run_dir}: {recorded} neuron answers recorded; those whose problem is unchanged "
                       f"are reused, the others solved again")
        run = {**source, "solver_seed": config.seed, "calibration_size": calibration_size, "model_sizes": sizes,
               "bits": bit_list, "methods": method_list, "config": config.to_dict()}
        write_json(run_dir / "run.json", run)
        model = pretrained_mlp(data, sizes, seed=source["seed"])
        neurons = sum(m.out_features for m in model.modules() if hasattr(m, "out_features"))
        # one solve per neuron, and one more per scale-refit round (the QUBO at 1 bit by default)
        total = neurons * sum(1 + dataclasses.replace(config, bits=b, method="qubo").refits
                              for b in bit_list) * ("qubo" in method_list)
        before = len(journal.records(workflow="ptq"))
        with tqdm(total=total, desc="qubo neurons", unit="neuron", disable=total == 0) as bar:
            rows = ptq_rows(model, data, methods=method_list, bits=bit_list, config=config,
                            calibration_size=calibration_size, executor=executor, journal=journal,
                            progress=lambda layer, done: bar.update(1),
                            on_row=lambda row: tqdm.write(f"  {row['method']:<6} int{row['bits']:<2} "
                                                          f"accuracy {100 * row['accuracy']:.2f}%"))
            solved = bar.n
        click.echo(format_table(rows))
        report = merge_reports(_read_json(run_dir / "report.json", []), rows, config)
        write_json(run_dir / "report.json", report)
        plot_ptq(rows, run_dir / "ptq.png")
        reused = total - solved
        click.echo(f"{solved} neuron QUBOs solved, {reused} reused from the journal "
                   f"({len(journal.records(workflow='ptq')) - before} new records)")
        click.echo(f"report: {run_dir / 'report.json'}  plot: {run_dir / 'ptq.png'}  journal: {journal.path}")


def _read_json(path: Path, default):
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return default
    except ValueError as err:
        raise click.ClickException(f"{path} is not valid JSON ({err}): move it away and run again") from err


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


def _add_workflow_commands():
    """The workflows' own subcommands (each module imports its heavy parts only when run)."""
    from annealq.head.cli import train_head
    from annealq.prune.cli import prune_command
    from annealq.qnn.cli import train_qnn_command

    for command in (train_head, prune_command, train_qnn_command):
        main.add_command(command)


_add_workflow_commands()

if __name__ == "__main__":
    main()
