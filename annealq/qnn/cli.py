"""``annealq train-qnn``: a quantized MLP trained with a QUBO oracle, its ablations and baselines,
through the shared harness."""
from __future__ import annotations

import click

from annealq.harness.options import dataset_options, names, new_run_dir, run_options, settings, solver_config

AXES = ("methods",)
ORACLE_METHODS = ("targets", "qcgd", "penalty")  # the methods whose QUBOs go to --route


@click.command("train-qnn")
@dataset_options
@click.option("--bits", default="1", show_default=True,
              help="weight levels: 1 (binary {-s,+s}), 2 ({-1,-1/3,1/3,1}s), ternary ({-s,0,+s}), or one per "
                   "layer such as 1,2; one scale per layer")
@click.option("--hidden", type=click.IntRange(min=1), default=16, show_default=True, help="hidden units")
@click.option("--pieces", type=click.IntRange(min=1), default=4, show_default=True,
              help="linear pieces of the activation spline")
@click.option("--loss-pieces", type=click.IntRange(min=1), default=4, show_default=True,
              help="linear pieces of a spline loss")
@click.option("--activation", default="relu", show_default=True, help="relu, tanh")
@click.option("--loss", default=None,
              help="cross_entropy (default of the fit methods), squared (default of qcgd/penalty), squared_hinge, "
                   "logistic")
@click.option("--methods", default="targets,random,rounding,greedy,ste,ptq,float", show_default=True,
              help="comma-separated: targets, random, rounding, greedy, qcgd, penalty, ste, ptq, float")
@click.option("--iterations", type=click.IntRange(min=1), default=10, show_default=True, help="training rounds")
@click.option("--batch", type=click.IntRange(min=1), default=None,
              help="samples per round (default 256 for the fit methods, 32 for qcgd/penalty)")
@click.option("--step", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
              help="target step of the fit methods, relative to the layer's RMS pre-activation")
@click.option("--eval-samples", type=click.IntRange(min=1), default=512, show_default=True,
              help="training samples the acceptance step measures the loss on")
@click.option("--greedy-reads", type=click.IntRange(min=1), default=64, show_default=True,
              help="starts per neuron of the greedy ablation's descent")
@click.option("--scenario", type=click.IntRange(min=0), default=1, show_default=True,
              help="samples per hedging subproblem (0: the whole batch)")
@click.option("--inner", type=click.IntRange(min=1), default=3, show_default=True,
              help="oracle calls per block and round")
@click.option("--pool", type=click.IntRange(min=0), default=4, show_default=True,
              help="average-pool images to pool x pool (0: keep)")
@click.option("--input-levels", type=click.IntRange(min=2), default=3, show_default=True,
              help="integer input levels")
@click.option("--epochs", type=click.IntRange(min=1), default=30, show_default=True,
              help="most mini-batch epochs of the STE grid and the float baseline")
@run_options(default_route="sa", reads_help="oracle reads per call")
def train_qnn_command(**params):
    """Train with each method; print the table, write report.json, the figure and the journal.

    Every oracle answer is recorded in the run folder as it arrives, so the same command on the
    same --out resumes where it stopped.
    """
    from annealq.data import load_dataset
    from annealq.qnn.config import QNNConfig

    methods = names(params["methods"], "--methods")
    solver = solver_config(params)
    fields = ("hidden", "bits", "pieces", "loss_pieces", "activation", "loss", "batch", "scenario", "iterations",
              "inner", "pool", "input_levels", "step", "eval_samples", "greedy_reads", "seed")
    config = QNNConfig(**{k: params[k] for k in fields}, solver=solver)
    from annealq.qnn.report import METHODS

    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise click.BadParameter(f"unknown {unknown}: use some of {', '.join(METHODS)}", param_hint="--methods")
    data = load_dataset(params["dataset"], params["data_root"], seed=params["seed"])
    from annealq.qnn.training import prepare

    prepare(data, config)  # finite inputs, labels that are classes: said now, before any folder
    if params["dry_run"]:
        _price(data, config, [m for m in methods if m in ORACLE_METHODS], params)
        return
    from annealq.samplers.router import sampler

    sampler(solver.route)  # an unknown profile, a missing token: said now, before any folder
    _run(data, config, methods, params)


def _run(data, config, methods, params):
    import torch

    from annealq.harness.folder import RunFolder
    from annealq.qnn.report import compare, plot_qnn, summary, table
    from annealq.workflows import workflows

    torch.set_num_threads(1)  # the baselines' small networks: one thread beats contended ones

    def progress(record):
        click.echo(f"  {record['method']} round {record['iteration']:>3}: "
                   f"oracle calls {record['oracle_calls']:>5}  objective {record['objective']:.4f}  "
                   f"train loss {record['train_loss']:.4f}  test accuracy {100 * record['accuracy']:.2f}%  "
                   f"violations {record['violations']}  {record['seconds']:.1f}s")

    workflow = workflows()["qnn"]
    with RunFolder(params["out"] or new_run_dir("qnn"), "qnn", settings(params, AXES), workflow.row_key) as run:
        out = compare(data, config, methods=methods, journal=run.journal, progress=progress, epochs=params["epochs"])
    click.echo(table(out["rows"]))
    run.report(out["rows"], curves=out["curves"], summary=summary(out["rows"]))
    figure = plot_qnn(out["rows"], out["curves"], run.file("qnn_accuracy.png"),
                      f"{data.name}, {config.hidden} hidden units, route {config.solver.route}")
    click.echo(f"\nreport: {run.file('report.json')}  figure: {figure}  journal: {run.journal.path}")


def _price(data, config, methods, params):
    from dataclasses import replace

    from annealq.harness.dryrun import format_prices, price, profiles_for
    from annealq.qnn.training import train

    def run(priced, journal):
        for m in methods:
            changes = {} if m == "targets" else {"loss": "squared" if config.loss == "cross_entropy" else config.loss}
            train(data, replace(config, method=m, solver=priced, **changes), journal=journal)

    tables = price(run, config.solver, profiles_for(config.solver.route, params["profile"]), ("method",))
    click.echo(format_prices(tables, config.solver.num_reads or 100))
