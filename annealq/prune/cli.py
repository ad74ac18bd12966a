"""``annealq prune``: every method at every sparsity on an offline task, through the shared harness."""
from __future__ import annotations

import click

from annealq.harness.options import names, new_run_dir, numbers, run_options, settings, solver_config
from annealq.prune.registry import SELECTOR_ROWS

AXES = ("sparsities", "methods", "finetune")


def _importance(text: str) -> dict:
    out = {}
    for part in names(text, "--importance"):
        name, _, weight = part.partition("=")
        try:
            out[name.strip()] = float(weight) if weight else 1.0
        except ValueError:
            raise click.BadParameter(f"expected criterion=weight pairs such as taylor=0.5,fisher=0.5, got {text!r}",
                                     param_hint="--importance") from None
    return out


@click.command("prune")
@click.option("--task", type=click.Choice(["denoise", "denoise-halfunet", "digits"]), default="digits",
              show_default=True, help="denoise: a small conv denoiser on a photograph; denoise-halfunet: a Half-UNet "
                                      "(BatchNorm, additive skips); digits: a small CNN classifier")
@click.option("--sigma", type=click.IntRange(min=1), default=25, show_default=True,
              help="denoise: noise level (of 255): 15, 25, 50")
@click.option("--sparsities", default="0.2,0.36,0.5", show_default=True,
              help="comma-separated fractions of units removed per layer")
@click.option("--methods", default=",".join((*SELECTOR_ROWS, "fisher-qubo-refined")), show_default=True,
              help="comma-separated <criterion>-<selector>[-refined] (criteria taylor, fisher, l1; selectors topk, "
                   "greedy, qubo) or random")
@click.option("--exact-k", type=click.Choice(["capacity", "cqm", "penalty"]), default="capacity", show_default=True,
              help="how exactly k units are kept: capacity search, a k-hot CQM, or a penalty BQM")
@click.option("--importance", default="fisher=1", show_default=True,
              help="criterion=weight pairs over taylor, fisher, l1")
@click.option("--redundancy", type=click.FloatRange(min=0), default=0.1, show_default=True,
              help="weight of the QUBO's pair term")
@click.option("--quadratic", type=click.Choice(["redundancy", "second-order"]), default=None,
              help="the QUBO's pair term: activation redundancy, or the criterion's second-order estimate of removing "
                   "units together  [default: second-order for fisher, redundancy for taylor, l1 and mixes]")
@click.option("--scope", type=click.Choice(["layer", "global", "joint"]), default="layer", show_default=True,
              help="one QUBO per layer, one over every layer with the summed budget, or one over every layer with "
                   "per-layer budgets and cross-layer terms")
@click.option("--rounds", type=click.IntRange(min=1), default=1, show_default=True,
              help="QUBO rounds: the budget reached in this many steps, scores recomputed in between")
@click.option("--recalibrate-bn", is_flag=True, help="recompute BatchNorm statistics under the masks")
@click.option("--refine", type=click.Choice(["swap", "tt"]), default="swap", show_default=True,
              help="refinement of qubo-refined against the true metric: swap search or tensor train")
@click.option("--refine-budget", type=click.IntRange(min=1), default=40, show_default=True,
              help="true-metric evaluations of the -refined methods")
@click.option("--finetune", type=click.IntRange(min=0), default=0, show_default=True,
              help="also rows after this many fine-tuning epochs (0: none); the QUBO answers are reused")
@run_options(default_route="sa", reads_help="reads per pruning QUBO")
def prune_command(**params):
    """Prune a small offline model with each method at each sparsity; print the table, write the report."""
    from annealq.prune.config import PruneConfig

    sparsities = numbers(params["sparsities"], "--sparsities", float)
    methods = names(params["methods"], "--methods")
    solver = solver_config(params)
    base = PruneConfig(importance=_importance(params["importance"]), redundancy=params["redundancy"],
                       quadratic=params["quadratic"], scope=params["scope"], rounds=params["rounds"],
                       recalibrate_bn=params["recalibrate_bn"], exact_k=params["exact_k"], refine=params["refine"],
                       refine_budget=params["refine_budget"], seed=params["seed"], solver=solver)
    for s in sparsities:
        PruneConfig(sparsity=s)
    for m in methods:
        PruneConfig(method=m)
    if not params["dry_run"]:
        from annealq.samplers.router import sampler

        sampler(solver.route)  # an unknown profile, a missing token: said now, before any folder
    from annealq.prune.tasks import load_task

    click.echo(f"{params['task']}: training (or loading the cached) seeded model ...")
    job = load_task(params["task"], sigma=params["sigma"], seed=params["seed"])
    from annealq.prune.scores import check_outputs, check_pair

    x, y = check_pair(*job.calibration)
    check_outputs(job.model, x, y, base.loss)  # data that fits the model: said now, before any folder
    if params["dry_run"]:
        _price(job, sparsities, [m for m in methods if "qubo" in m], base, params)
        return
    _run(job, sparsities, methods, base, params)


def _run(job, sparsities, methods, base, params):
    from tqdm.auto import tqdm

    from annealq.harness.folder import RunFolder
    from annealq.prune.report import compare, plot_metric
    from annealq.report.tables import table
    from annealq.workflows import workflows

    workflow = workflows()["prune"]
    epochs = (0, params["finetune"]) if params["finetune"] else (0,)
    dense = job.test(job.model)
    click.echo(f"{job.name}: dense {job.metric} {dense:.4f}")
    with RunFolder(params["out"] or new_run_dir("prune"), "prune", settings(params, AXES), workflow.row_key) as run, \
            tqdm(total=len(epochs) * len(sparsities) * len(methods), desc="prune", unit="run") as bar:
        rows = compare(job, sparsities, methods, base, finetune_epochs=epochs, journal=run.journal,
                       on_row=lambda row: (bar.set_postfix_str(f"{row['method']} s={row['sparsity']:g}"), bar.update()))
    click.echo(table(rows, workflow.columns))
    run.report(rows, dense=dense, metric=job.metric)
    figure = plot_metric(rows, dense, run.file("metric_vs_sparsity.png"),
                         f"{job.name}: pruned without fine-tuning{' and with' if params['finetune'] else ''}, "
                         f"route {base.solver.route}")
    click.echo(f"report: {run.file('report.json')}  figure: {figure}  journal: {run.journal.path}")


def _price(job, sparsities, methods, base, params):
    from dataclasses import replace

    from annealq.harness.dryrun import format_prices, price, profiles_for
    from annealq.prune import prune

    def run(priced, journal):
        for s in sparsities:
            for m in methods:
                prune(job.model, job.calibration, replace(base, sparsity=s, method=m, solver=priced),
                      evaluate=job.validate, journal=journal)

    tables = price(run, base.solver, profiles_for(base.solver.route, params["profile"]), ("method", "sparsity"))
    click.echo(format_prices(tables, base.solver.num_reads or 100))
