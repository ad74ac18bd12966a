"""``annealq train-head``: the K-bit head precision study through the shared harness."""
from __future__ import annotations

import click

from annealq.harness.options import dataset_options, new_run_dir, numbers, run_options, settings, solver_config

AXES = ("bits",)


@click.command("train-head")
@dataset_options
@click.option("--bits", default="1,2,3,4,5,6,8,10,15,20", show_default=True,
              help="comma-separated bits per weight (K)")
@click.option("--filters", type=click.IntRange(min=1), default=16, show_default=True,
              help="random convolution filters")
@click.option("--pool", type=click.IntRange(min=1), default=4, show_default=True,
              help="max-pooling window (d = filters * (H/pool) * (W/pool))")
@click.option("--iterations", type=click.IntRange(min=1), default=100, show_default=True,
              help="most majorize-minimize iterations per fit")
@click.option("--tol", type=click.FloatRange(min=0, min_open=True), default=1e-4, show_default=True,
              help="stop a fit when an iteration lowers the training loss by less than this fraction")
@click.option("--grid-rule", type=click.Choice(["iterate", "first-step"]), default="iterate", show_default=True,
              help="grid range from the continuous bound iterate (chosen on training loss) or the first step")
@click.option("--sgd-epochs", type=click.IntRange(min=1), default=50, show_default=True,
              help="epochs of the SGD baseline (batch 64, lr 0.05, momentum 0.9)")
@click.option("--keep-problems", is_flag=True, help="also store every QUBO in the journal (large at high K)")
@run_options(default_route="batched", reads_help="reads per class QUBO")
def train_head(**params):
    """Train the K-bit head by iterated per-class QUBOs and every baseline at each K.

    Frozen random conv features, then per K: the QUBO-trained head (qubo), the same loop with
    each step rounded instead of solved (no-annealer), float L-BFGS and SGD heads (lbfgs, sgd),
    each rounded to nearest on the QUBO head's grid (lbfgs-rtn, sgd-rtn) and on its own absmax
    grid (lbfgs-rtn-absmax, sgd-rtn-absmax), and the rounding-QUBO PTQ of the L-BFGS head
    (lbfgs-ptq).  Fits stop on --tol.  --dry-run prices the QUBO fits on a QPU profile instead.
    """
    from annealq.data import load_dataset
    from annealq.head.features import extract_features

    bits = numbers(params["bits"], "--bits")
    solver = solver_config(params)
    from annealq.head.classifier import HeadConfig

    for k in bits:
        HeadConfig(bits=k)
    data = load_dataset(params["dataset"], params["data_root"], seed=params["seed"])
    click.echo(f"{data.name}: extracting random-conv features ({params['filters']} filters, pool {params['pool']})")
    train, test = extract_features(data, filters=params["filters"], pool=params["pool"], seed=params["seed"])
    from annealq.head.classifier import check_training_data

    check_training_data(train, data.y_train)  # finite features, one label a sample: said before any folder
    click.echo(f"{data.name}: {len(train)} train / {len(test)} test, d = {train.shape[1]} features, "
               f"{data.num_classes} classes; route {solver.route}")
    if params["dry_run"]:
        _price(train, data.y_train, bits, solver, params)
        return
    from annealq.samplers.router import sampler

    sampler(solver.route)  # an unknown profile, a missing token: said now, before any folder
    _run(train, test, data, bits, solver, params)


def _run(train, test, data, bits, solver, params):
    from tqdm.auto import tqdm

    from annealq.harness.folder import RunFolder
    from annealq.head.baselines import SGDSettings
    from annealq.head.report import plot_accuracy
    from annealq.head.study import precision_study
    from annealq.report.tables import Column, pivot
    from annealq.workflows import workflows

    workflow = workflows()["head"]
    bar = tqdm(total=len(bits) + 1, desc="train-head", unit="step")

    def progress(label):
        bar.set_postfix_str(label)
        bar.update()

    with RunFolder(params["out"] or new_run_dir("head"), "head", {**settings(params, AXES), "features": train.shape[1]},
                   workflow.row_key, keep_problems=params["keep_problems"]) as run, bar:
        rows = precision_study(train, data.y_train, test, data.y_test, bits=bits, solver=solver,
                               max_iter=params["iterations"], tol=params["tol"], grid_rule=params["grid_rule"],
                               sgd=SGDSettings(epochs=params["sgd_epochs"]), seed=params["seed"],
                               journal=run.journal, progress=progress)
    click.echo("test accuracy\n" + pivot([{**r, "bits": "float" if r["bits"] is None else r["bits"]} for r in rows],
                                         "bits", "method", Column("accuracy", kind="percent")))
    run.report(rows)
    figure = plot_accuracy(rows, run.file("accuracy.png"),
                           f"{data.name}, d = {train.shape[1]} random-conv features, route {solver.route}")
    click.echo(f"report: {run.file('report.json')}  figure: {figure}  journal: {run.journal.path}")


def _price(train, labels, bits, solver, params):
    from annealq.harness.dryrun import format_prices, price, profiles_for
    from annealq.head.classifier import QUBOHeadClassifier

    def run(priced, journal):
        for k in bits:
            QUBOHeadClassifier(k, solver=priced, max_iter=params["iterations"], tol=params["tol"],
                               grid_rule=params["grid_rule"], journal=journal).fit(train, labels)

    tables = price(run, solver, profiles_for(solver.route, params["profile"]), ("bits",))
    click.echo(format_prices(tables, solver.num_reads or 100))
