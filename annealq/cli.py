"""The ``annealq`` command line: one console script with subcommands."""
from __future__ import annotations

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


@click.group()
@click.version_option(package_name="annealq")
def main():
    """Neural networks as QUBOs for quantum annealers."""


@main.command()
@click.option("--dataset", default="digits", show_default=True, help="digits, or a local-folder dataset (mnist, ...)")
@click.option("--data-root", type=click.Path(file_okay=False), default=None, help="folder holding the dataset files")
@click.option("--bits", default="8,4,3,2,1", show_default=True, help="comma-separated weight bit-widths")
@click.option("--methods", default="rtn,gptq,qubo", show_default=True, help="comma-separated: rtn, gptq, qubo")
@click.option("--route", default="sa", show_default=True, help="where the QUBOs go (annealq routes)")
@click.option("--calibration-size", default=256, show_default=True, help="calibration samples from the training set")
@click.option("--seed", default=0, show_default=True)
@click.option("--levels", default=2, show_default=True, help="candidate levels per weight in the QUBO (2, 4, 8)")
@click.option("--scale", default="absmax", show_default=True, help="per-channel scale: mse or absmax")
@click.option("--num-reads", default=20, show_default=True)
@click.option("--num-sweeps", default=1000, show_default=True)
@click.option("--workers", default=1, show_default=True, help="processes for per-neuron routes")
@click.option("--scheduler", default=None, help="Dask scheduler address: solve neurons on that cluster")
@click.option("--out", type=click.Path(file_okay=False), default=None, help="run folder (default: a new runs/<time>)")
def quantize(dataset, data_root, bits, methods, route, calibration_size, seed, levels, scale, num_reads, num_sweeps,
             workers, scheduler, out):
    """Quantize the reference MLP with each method and bit-width; print the table, write the report."""
    from annealq.config import QuantConfig
    from annealq.data import load_dataset
    from annealq.nn.models import pretrained_mlp
    from annealq.studies.plots import plot_ptq
    from annealq.studies.ptq import format_table, ptq_rows

    bit_list, method_list = _int_list(bits), [m.strip() for m in methods.split(",") if m.strip()]
    try:
        config = QuantConfig(route=route, seed=seed, levels=levels, scale=scale, num_reads=num_reads,
                             num_sweeps=num_sweeps, workers=workers)
        for b in bit_list:
            QuantConfig(bits=b)
        for m in method_list:
            QuantConfig(method=m)
        data = load_dataset(dataset, data_root, seed=seed)
    except (ValueError, FileNotFoundError) as err:
        raise click.UsageError(str(err)) from err
    run_dir = Path(out) if out else _new_run_dir()
    run_dir.mkdir(parents=True, exist_ok=True)
    model = pretrained_mlp(data, seed=seed)
    executor = None
    if scheduler:
        from distributed import Client

        executor = Client(scheduler, timeout="10s").get_executor()
    neurons = sum(m.out_features for m in model.modules() if hasattr(m, "out_features"))
    total = neurons * len(bit_list) * method_list.count("qubo")
    with tqdm(total=total, desc="qubo neurons", unit="neuron", disable=total == 0) as bar:
        rows = ptq_rows(model, data, methods=method_list, bits=bit_list, config=config,
                        calibration_size=calibration_size, executor=executor,
                        progress=lambda layer, done: bar.update(1),
                        on_row=lambda row: tqdm.write(f"  {row['method']:<6} int{row['bits']:<2} "
                                                      f"accuracy {100 * row['accuracy']:.2f}%"))
    click.echo(format_table(rows))
    report = {"dataset": dataset, "calibration_size": calibration_size, "config": config.to_dict(), "rows": rows}
    (run_dir / "report.json").write_text(json.dumps(rows, indent=1))
    (run_dir / "run.json").write_text(json.dumps({k: v for k, v in report.items() if k != "rows"}, indent=1))
    plot_ptq(rows, run_dir / "ptq.png")
    click.echo(f"report: {run_dir / 'report.json'}  plot: {run_dir / 'ptq.png'}")
