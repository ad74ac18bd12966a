"""``annealq prune``: every method at every sparsity on an offline task; table, report.json, plot."""
from __future__ import annotations

import time
from pathlib import Path

import click


def _floats(text: str) -> list[float]:
    try:
        return [float(t) for t in text.split(",") if t.strip()]
    except ValueError as err:
        raise click.BadParameter(f"expected comma-separated numbers such as 0.2,0.36,0.5, got {text!r}") from err


def _importance(text: str) -> dict:
    out = {}
    for part in text.split(","):
        name, _, weight = part.partition("=")
        try:
            out[name.strip()] = float(weight) if weight else 1.0
        except ValueError as err:
            raise click.BadParameter(f"expected criterion=weight pairs such as taylor=0.5,fisher=0.5, got {text!r}") from err
    return out


@click.command("prune")
@click.option("--task", type=click.Choice(["denoise", "digits"]), default="digits", show_default=True)
@click.option("--sigma", default=25, show_default=True, help="denoise: noise level (of 255): 15, 25, 50")
@click.option("--sparsities", default="0.2,0.36,0.5", show_default=True, help="fractions of units removed per layer")
@click.option("--methods", default="qubo,qubo-refined,taylor-greedy,l1,l1-qubo,taylor-topk,random", show_default=True)
@click.option("--route", default="sa", show_default=True, help="where the pruning QUBOs go (annealq routes)")
@click.option("--exact-k", type=click.Choice(["capacity", "cqm", "penalty"]), default="capacity", show_default=True)
@click.option("--importance", default="fisher=1", show_default=True, help="criterion=weight over taylor, fisher, l1")
@click.option("--redundancy", default=0.1, show_default=True, help="weight of the activation-similarity term")
@click.option("--refine", type=click.Choice(["swap", "tt"]), default="swap", show_default=True)
@click.option("--refine-budget", default=40, show_default=True, help="true-metric evaluations of qubo-refined")
@click.option("--finetune", default=0, show_default=True, help="also rows after this many fine-tuning epochs (0: none)")
@click.option("--num-reads", default=10, show_default=True)
@click.option("--seed", default=0, show_default=True)
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="run folder (default: a new runs/prune-<time>); an existing run folder reuses its QUBO records")
def prune_command(task, sigma, sparsities, methods, route, exact_k, importance, redundancy, refine, refine_budget,
                  finetune, num_reads, seed, out):
    """Prune a small offline model with each method at each sparsity; print the table, write the report."""
    from tqdm.auto import tqdm

    from annealq.prune.config import PruneConfig
    from annealq.prune.report import compare, format_table, save_report
    from annealq.prune.tasks import load_task
    from annealq.records import Journal
    from annealq.samplers import SolverConfig

    sparsity_list = _floats(sparsities)
    method_list = [m.strip() for m in methods.split(",") if m.strip()]
    try:
        base = PruneConfig(importance=_importance(importance), redundancy=redundancy, exact_k=exact_k, refine=refine,
                           refine_budget=refine_budget, seed=seed,
                           solver=SolverConfig(route=route, num_reads=num_reads, seed=seed))
        for s in sparsity_list:
            PruneConfig(sparsity=s)
        for m in method_list:
            PruneConfig(method=m)
        if finetune < 0:
            raise ValueError(f"--finetune must be 0 or a positive number of epochs, got {finetune}")
        from annealq.samplers.router import parse_route
        parse_route(route)
        job = load_task(task, sigma=sigma, seed=seed)
    except ValueError as err:
        raise click.UsageError(str(err)) from err
    folder = Path(out) if out else Path("runs") / f"prune-{time.strftime('%Y%m%d-%H%M%S')}"
    epochs = (0, finetune) if finetune else (0,)
    dense = job.test(job.model)
    click.echo(f"{job.name}: dense {job.metric} {dense:.4f}; run folder {folder}")
    bar = tqdm(total=len(epochs) * len(sparsity_list) * len(method_list), desc="prune", unit="run")
    with Journal(folder) as journal:
        rows = compare(job, sparsity_list, method_list, base, finetune_epochs=epochs, journal=journal,
                       on_row=lambda row: (bar.set_postfix_str(f"{row['method']} s={row['sparsity']:g}"), bar.update()))
    bar.close()
    click.echo(format_table(rows, dense))
    paths = save_report(rows, folder, dense=dense, config=base)
    click.echo(f"report: {paths['json']}  plot: {paths['plot']}")
