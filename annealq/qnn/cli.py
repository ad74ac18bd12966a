"""``annealq train-qnn``: train a binary-weight MLP as constrained binary problems, with baselines."""
from __future__ import annotations

import time
from pathlib import Path

import click

from annealq.studies.tables import write_json


@click.command("train-qnn")
@click.option("--dataset", default="digits", show_default=True, help="digits, or a local-folder dataset (mnist, ...)")
@click.option("--data-root", type=click.Path(file_okay=False), default=None, help="folder holding the dataset files")
@click.option("--bits", default=1, show_default=True, help="weight bits (1: binary {-s, +s}, one scale per layer)")
@click.option("--hidden", default=16, show_default=True, help="hidden units")
@click.option("--pieces", default=4, show_default=True, help="linear pieces of the activation spline")
@click.option("--loss-pieces", default=4, show_default=True, help="linear pieces of a spline loss")
@click.option("--activation", default="relu", show_default=True, help="relu, tanh")
@click.option("--loss", default="squared", show_default=True, help="squared, squared_hinge, logistic")
@click.option("--route", default="sa", show_default=True,
              help="the oracle: an annealq route (sa, tabu, mock-qpu:<profile>, qpu, ...) or hybrid-cqm")
@click.option("--methods", default="qcgd,penalty,ste,ptq,float", show_default=True,
              help="comma-separated: qcgd, penalty, ste, ptq, float")
@click.option("--iterations", default=10, show_default=True, help="training rounds")
@click.option("--batch", default=32, show_default=True, help="samples per round")
@click.option("--scenario", default=1, show_default=True, help="samples per hedging subproblem (0: whole batch)")
@click.option("--inner", default=3, show_default=True, help="oracle calls per block and round")
@click.option("--pool", default=4, show_default=True, help="average-pool images to pool x pool (0: keep)")
@click.option("--input-levels", default=3, show_default=True, help="integer input levels")
@click.option("--num-reads", default=None, type=int, help="oracle reads per call (route default if unset)")
@click.option("--num-sweeps", default=None, type=int, help="oracle sweeps per read (route default if unset)")
@click.option("--epochs", default=1000, show_default=True, help="training epochs of the STE and float baselines")
@click.option("--seed", default=0, show_default=True)
@click.option("--out", type=click.Path(file_okay=False), default=None, help="run folder (default runs/<time>)")
def train_qnn_command(dataset, data_root, bits, hidden, pieces, loss_pieces, activation, loss, route, methods,
                      iterations, batch, scenario, inner, pool, input_levels, num_reads, num_sweeps, epochs, seed, out):
    """Train with each method; print the table, write report.json, the plot and the journal.

    Every oracle answer is recorded in the run folder as it arrives, so the same command on the
    same --out resumes where it stopped.
    """
    from annealq.data import load_dataset
    from annealq.qnn.config import QNNConfig
    from annealq.qnn.report import compare, plot_qnn, summary, table
    from annealq.records import Journal
    from annealq.samplers.config import SolverConfig

    import torch

    torch.set_num_threads(1)  # the baselines' small networks: one thread beats contended ones
    method_list = [m.strip() for m in methods.split(",") if m.strip()]
    try:
        solver = SolverConfig(route=route, num_reads=num_reads, num_sweeps=num_sweeps, seed=seed)
        config = QNNConfig(hidden=hidden, bits=bits, pieces=pieces, loss_pieces=loss_pieces, activation=activation,
                           loss=loss, batch=batch, scenario=scenario, iterations=iterations, inner=inner, pool=pool,
                           input_levels=input_levels, seed=seed, solver=solver)
        data = load_dataset(dataset, data_root, seed=seed)
    except (ValueError, FileNotFoundError) as err:
        raise click.UsageError(str(err)) from err
    run_dir = Path(out) if out else Path("runs") / time.strftime("qnn-%Y%m%d-%H%M%S")
    run_dir.mkdir(parents=True, exist_ok=True)

    def progress(record):
        click.echo(f"  round {record['iteration']:>3}: oracle calls {record['oracle_calls']:>5}  "
                   f"objective {record['objective']:.4f}  train loss {record['train_loss']:.4f}  "
                   f"test acc {100 * record['accuracy']:.2f}%  violations {record['violations']}  "
                   f"{record['seconds']:.1f}s")

    try:
        with Journal(run_dir) as journal:
            out_ = compare(data, config, methods=method_list, journal=journal, progress=progress, epochs=epochs)
    except ValueError as err:
        raise click.UsageError(str(err)) from err
    report = {"config": config.to_dict(), "dataset": dataset, "rows": out_["rows"], "curves": out_["curves"],
              "summary": summary(out_["rows"])}
    write_json(run_dir / "report.json", report)
    (run_dir / "table.txt").write_text(table(out_["rows"]) + "\n")
    figure = plot_qnn(out_["rows"], out_["curves"], run_dir / "qnn_accuracy.png")
    click.echo(table(out_["rows"]))
    click.echo(f"\nreport: {run_dir / 'report.json'}  plot: {figure}  journal: {run_dir / 'journal.sqlite'}")
