"""``annealq quantize --model FILE --calibration FILE``: the user's model through the PTQ table, report and records."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import click
from tqdm.auto import tqdm

from annealq.studies.tables import write_json


def _names(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def run_user_model(model_file, calibration_file, eval_file, *, out, bits: str, methods: str, trust_pickle: bool,
                   config: dict, dry_run: bool = False, profile=None, scheduler=None) -> None:
    """Quantize a model file, print the table, write report, plot, records, models and integer exports to ``out``."""
    from annealq.ptq import QuantConfig
    from annealq.ptq.user_model import load_data, load_model

    if not model_file or not calibration_file:
        raise click.UsageError("--model and --calibration go together: give both (--eval is optional)")
    try:
        bit_list = [int(b) for b in _names(bits)]
        method_list = _names(methods)
        base = QuantConfig(**config)
        for b in bit_list:
            QuantConfig(bits=b)
        for m in method_list:
            QuantConfig(method=m)
    except ValueError as err:
        raise click.UsageError(str(err)) from err
    run_dir = Path(out)
    try:
        if dry_run:
            x, _ = load_data(calibration_file, trust_pickle=trust_pickle)
            _dry_run(load_model(model_file, trust_pickle=trust_pickle, example=x), base, bit_list, profile)
            return
        _run(model_file, calibration_file, eval_file, run_dir, bit_list, method_list, base, trust_pickle, scheduler)
    except ValueError as err:  # UserModelError, and bad input found later (an unknown route, a layer's data)
        raise click.UsageError(str(err).splitlines()[0]) from err


def _run(model_file, calibration_file, eval_file, run_dir, bit_list, method_list, base, trust_pickle, scheduler):
    from annealq.ptq.user_model import format_rows, quantize_user_model
    from annealq.records import Journal

    run_dir.mkdir(parents=True, exist_ok=True)
    run = {"model": str(model_file), "calibration": str(calibration_file), "eval": eval_file and str(eval_file),
           "bits": bit_list, "methods": method_list, "config": base.to_dict()}
    write_json(run_dir / "run.json", run)
    executor = None
    if scheduler:
        from distributed import Client

        executor = Client(scheduler, timeout="10s").get_executor()
    bar = tqdm(desc="qubo neurons", unit="neuron", disable="qubo" not in method_list)
    with Journal(run_dir) as journal, bar:
        recorded = len(journal.records())
        if recorded:
            click.echo(f"resuming {run_dir}: {recorded} neuron answers recorded; those whose problem is unchanged "
                       f"are reused, the others solved again")
        rows = quantize_user_model(model_file, calibration_file, eval_file, out=run_dir, bits=bit_list,
                                   methods=method_list, config=base, trust_pickle=trust_pickle, journal=journal,
                                   executor=executor, progress=lambda layer, done: bar.update(1),
                                   on_row=lambda r: tqdm.write(f"  {r['method']:<6} int{r['bits']:<2} "
                                                               f"output error {r['output_error']:.4g}"))
    click.echo(format_rows(rows))
    write_json(run_dir / "report.json", rows)
    labelled = all(r["accuracy"] == r["accuracy"] for r in rows)  # NaN without labels
    if labelled:
        from annealq.studies.plots import plot_ptq

        plot_ptq(rows, run_dir / "ptq.png")
    click.echo(f"report: {run_dir / 'report.json'}" + (f"  plot: {run_dir / 'ptq.png'}" if labelled else "")
               + f"  models and integer exports: {run_dir}")


def _dry_run(loaded, config, bit_list, profile):
    from annealq.nn.layers import LayerSpec
    from annealq.profiles import UnknownProfileError
    from annealq.ptq.dryrun import dry_run, format_dry_run

    specs = [LayerSpec.of(m) for _, m in loaded.layers()]
    reads = config.solver.num_reads or 100
    for b in bit_list:
        cfg = dataclasses.replace(config, bits=b, method="qubo", num_reads=reads)
        rows = []
        try:
            for (name, _), spec in zip(loaded.layers(), specs):
                row = dry_run([(spec.fan_in, spec.out_channels)], cfg, profile=profile,
                              bias=spec.layer.bias is not None)[0]
                rows.append({**row, "layer": name})
        except UnknownProfileError as err:
            raise click.UsageError(str(err)) from err
        click.echo(f"int{b} on {rows[0]['profile']} ({reads} reads per call), nothing submitted:")
        click.echo(format_dry_run(rows) + "\n")
