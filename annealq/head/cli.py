"""``annealq train-head``: the head precision study from the command line."""
from __future__ import annotations

import time
from pathlib import Path

import click

from annealq.studies.tables import write_json


def _int_list(text: str) -> list[int]:
    try:
        values = [int(t) for t in text.split(",") if t.strip()]
    except ValueError as err:
        raise click.BadParameter(f"expected comma-separated integers such as 4,10,20, got {text!r}") from err
    if not values:
        raise click.BadParameter("give at least one bit-width, e.g. --bits 4,10,20")
    return values


@click.command("train-head")
@click.option("--dataset", default="digits", show_default=True, help="digits, or mnist, fashion-mnist, emnist, "
              "kmnist, cifar10 from --data-root")
@click.option("--data-root", type=click.Path(file_okay=False), default=None, help="folder holding the dataset files")
@click.option("--bits", "bits_text", default="1,2,3,4,5,6,8,10,15,20", show_default=True,
              help="comma-separated bits per weight (K)")
@click.option("--filters", default=16, show_default=True, help="random convolution filters")
@click.option("--pool", default=4, show_default=True, help="max-pooling window (d = filters * (H/pool) * (W/pool))")
@click.option("--route", default="batched", show_default=True, help="where the per-class QUBOs go (annealq routes)")
@click.option("--iterations", default=20, show_default=True, help="most majorize-minimize iterations per fit")
@click.option("--num-reads", type=int, default=None, help="reads per QUBO (default: the route's)")
@click.option("--num-sweeps", type=int, default=None, help="sweeps per read (default: the route's)")
@click.option("--sgd-epochs", default=50, show_default=True, help="epochs of the SGD baseline (batch 64, lr 0.05, "
              "momentum 0.9)")
@click.option("--seed", default=0, show_default=True, help="features, SGD and solver seed")
@click.option("--profiles", default=None, help="comma-separated hardware profiles to price an iteration on "
              "(default: all)")
@click.option("--keep-problems", is_flag=True, help="also store every QUBO in the journal (large at high K)")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="run folder: report.json, accuracy.txt, pricing.txt, accuracy.png, journal/ (default runs/<time>)")
def train_head(dataset, data_root, bits_text, filters, pool, route, iterations, num_reads, num_sweeps, sgd_epochs,
               seed, profiles, keep_problems, out):
    """Train the K-bit head by iterated per-class QUBOs and every baseline at each K; price one iteration.

    Frozen random conv features, then per K: the QUBO-trained head (qubo), float
    L-BFGS and SGD heads (lbfgs, sgd), each rounded to nearest on the same grid
    (lbfgs-rtn, sgd-rtn) and on its own absmax grid (lbfgs-rtn-absmax, sgd-rtn-absmax),
    and the rounding-QUBO PTQ of the L-BFGS head (lbfgs-ptq).  Resumes from OUT/journal
    when run again.
    """
    from tqdm.auto import tqdm

    from annealq.data import DatasetNotFoundError, load_dataset
    from annealq.head.baselines import SGDSettings
    from annealq.head.features import extract_features
    from annealq.head.report import format_accuracy, format_pricing, plot_accuracy
    from annealq.head.study import precision_study, price_iteration
    from annealq.records import Journal
    from annealq.samplers.config import SolverConfig

    bit_list = _int_list(bits_text)
    try:
        solver = SolverConfig(route=route, num_reads=num_reads, num_sweeps=num_sweeps, seed=seed)
        sgd = SGDSettings(epochs=sgd_epochs)
        data = load_dataset(dataset, data_root, seed=seed)
        train, test = extract_features(data, filters=filters, pool=pool, seed=seed)
    except DatasetNotFoundError as err:
        raise click.ClickException(str(err)) from err
    except ValueError as err:
        raise click.UsageError(str(err)) from err
    run_dir = Path(out) if out else Path("runs") / time.strftime("head-%Y%m%d-%H%M%S")
    click.echo(f"{data.name}: {len(train)} train / {len(test)} test, d = {train.shape[1]} features "
               f"({filters} filters, pool {pool}), {data.num_classes} classes; route {route}")
    bar = tqdm(total=len(bit_list) + 1, desc="train-head", unit="step")

    def progress(label):
        bar.set_postfix_str(label)
        bar.update()

    try:
        with Journal(run_dir / "journal", keep_problems=keep_problems) as journal:
            rows = precision_study(train, data.y_train, test, data.y_test, bits=bit_list, solver=solver,
                                   max_iter=iterations, sgd=sgd, seed=seed, journal=journal, progress=progress)
    except ValueError as err:
        raise click.UsageError(str(err)) from err
    finally:
        bar.close()
    names = [p.strip() for p in profiles.split(",")] if profiles else None
    pricing = [row for k in bit_list for row in price_iteration(train.shape[1], k, data.num_classes, profiles=names,
                                                                 num_reads=num_reads or 100)]
    table, price_table = format_accuracy(rows), format_pricing(pricing)
    click.echo("test accuracy (%)\n" + table + "\n\none iteration on the QPU (estimated, nothing sent)\n" + price_table)
    report = {"dataset": data.name, "features": int(train.shape[1]), "filters": filters, "pool": pool,
              "classes": int(data.num_classes), "solver": solver.to_dict(), "iterations": iterations,
              "sgd": sgd.to_dict(),
              "seed": seed,
              "rows": rows, "pricing": pricing}
    write_json(run_dir / "report.json", report)
    (run_dir / "accuracy.txt").write_text(table + "\n")
    (run_dir / "pricing.txt").write_text(price_table + "\n")
    plot = plot_accuracy(rows, run_dir / "accuracy.png", f"{data.name}, d = {train.shape[1]}, route {route}")
    click.echo(f"report: {run_dir / 'report.json'}  plot: {plot}")
