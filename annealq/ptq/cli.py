"""``annealq quantize``: the reference MLP or the user's model (``--model``), every method and
bit-width; table, report.json, figure and journal through the shared harness."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from annealq.harness.options import dataset_options, names, new_run_dir, numbers, run_options, settings, solver_config

AXES = ("bits", "methods")  # --bit-budget, --bit-candidates and --allocation stay in the settings


@click.command("quantize")
@dataset_options
@click.option("--bits", default="8,4,3,2,1", show_default=True, help="comma-separated weight bit-widths")
@click.option("--methods", default="rtn,gptq,qubo", show_default=True, help="comma-separated: rtn, gptq, adaround, qubo")
@click.option("--calibration-size", type=click.IntRange(min=1), default=256, show_default=True,
              help="calibration samples from the training set")
@click.option("--levels", type=click.Choice(["2", "4", "8"]), default="2", show_default=True,
              help="candidate levels per weight in the QUBO")
@click.option("--scale", type=click.Choice(["absmax", "mse"]), default="absmax", show_default=True,
              help="per-channel scale rule")
@click.option("--model", "model_file", type=click.Path(dir_okay=False), default=None,
              help="your model instead of the reference MLP: torch.export (.pt2) or TorchScript file")
@click.option("--calibration", "calibration_file", type=click.Path(dir_okay=False), default=None,
              help="with --model: calibration inputs (and optional labels y) as .npy, .npz or .pt")
@click.option("--eval", "eval_file", type=click.Path(dir_okay=False), default=None,
              help="with --model: evaluation inputs (and optional labels y); default: the calibration data")
@click.option("--trust-pickle", is_flag=True,
              help="allow pickled Python objects in --model/--calibration/--eval files (only files you trust)")
@click.option("--bit-budget", type=click.FloatRange(min=1, min_open=False), default=None,
              help="mixed precision: average bits per weight; bits per layer chosen by a CQM from --bit-candidates "
                   "(measured per-layer and pairwise terms), then every method quantizes with them")
@click.option("--bit-candidates", default="1,2,3,4,8", show_default=True,
              help="with --bit-budget: the bit-widths a layer may take")
@click.option("--allocation", type=click.Choice(["cqm", "lagrange", "knapsack", "greedy", "uniform"]), default="cqm",
              show_default=True, help="with --bit-budget: the CQM (exact-cqm for small models, sa on the priced "
                                      "batch else), its priced form, or a baseline")
@click.option("--scheduler", default=None, help="Dask scheduler address: solve neurons on that cluster")
@run_options(default_route="sa", reads_help="reads per neuron")
def quantize(**params):
    """Quantize the reference MLP (or --model) with each method and bit-width; print the table, write the report.

    Every QUBO answer is recorded in the run folder's journal as it arrives, so the same command
    on the same --out resumes where it stopped; a run of other settings there keeps the reports
    of the earlier ones.
    """
    from annealq.ptq import QuantConfig
    from annealq.workflows import workflows

    bits, methods = numbers(params["bits"], "--bits"), names(params["methods"], "--methods")
    solver = solver_config(params)
    config = QuantConfig(route=solver.route, num_reads=solver.num_reads, num_sweeps=solver.num_sweeps,
                         seed=solver.seed, workers=solver.workers, chain_strength=solver.chain_strength,
                         levels=int(params["levels"]), scale=params["scale"])
    for b in bits:
        QuantConfig(bits=b)
    for m in methods:
        QuantConfig(method=m)
    source = _UserModel(params) if any(params[k] for k in ("model_file", "calibration_file", "eval_file")) \
        else _Reference(params)
    if params["dry_run"]:
        _price(source, config, bits, params)
        return
    if "qubo" in methods:
        from annealq.samplers.router import route_kind, sampler

        sampler(config.route)  # an unknown profile, a missing token: said now, before any folder
        if route_kind(config.route) in ("qpu", "any") and not config.route.startswith("mock-"):
            click.echo("QPU time this run will take (estimate):")  # a mock QPU spends none: --dry-run prices it
            _price(source, config, bits, params)
    allocation = None
    if params["bit_budget"] is not None:
        from annealq.ptq.mixed import allocate_bits

        click.echo(f"choosing bits per layer for {params['bit_budget']:g} bits per weight ({params['allocation']}) ...")
        allocation = allocate_bits(source.model, source.calibration(), params["bit_budget"],
                                   candidates=numbers(params["bit_candidates"], "--bit-candidates"), config=config,
                                   method=params["allocation"])
        click.echo("bits per layer: " + ", ".join(f"{k}: {v}" for k, v in allocation.bits.items())
                   + f" ({allocation.average_bits:.3g} bits per weight)")
        config, bits = allocation.config(config), [max(allocation.bits.values())]
    executor = _executor(params["scheduler"])
    workflow = workflows()["ptq"]
    from annealq.harness.folder import RunFolder
    from annealq.report.tables import table
    from tqdm.auto import tqdm

    with RunFolder(params["out"] or new_run_dir("ptq"), "ptq", {**settings(params, AXES), **source.settings},
                   workflow.row_key) as run:
        total = source.neurons * sum(1 + dataclasses.replace(config, bits=b, method="qubo").refits
                                     for b in bits) * ("qubo" in methods)
        with tqdm(total=total, desc="qubo neurons", unit="neuron", disable=total == 0) as bar:
            rows = source.rows(config, bits, methods, run.path, journal=run.journal, executor=executor,
                               progress=lambda layer, done: bar.update(1),
                               on_row=lambda row: tqdm.write(f"  {row['method']:<6} int{row['bits']:<2} "
                                                             + _score(row)))
            solved = bar.n
        if allocation is not None:  # the bits of a row are the allocation's
            rows = [r if r["method"] == "float" else {**r, "bits": f"{allocation.average_bits:.3g} avg",
                                                      "layer_bits": allocation.bits} for r in rows]
        click.echo(table(rows, workflow.columns))
        run.report(rows, **({"allocation": allocation.to_dict()} if allocation else {}))
        figure = None if allocation else source.plot(rows, run.file("ptq.png"), config.route)  # one allocation: a table
        click.echo(f"{solved} neuron QUBOs solved, {total - solved} reused from the journal")
        click.echo(f"report: {run.file('report.json')}" + (f"  figure: {figure}" if figure else "")
                   + f"  journal: {run.journal.path}")


def _score(row: dict) -> str:
    if row.get("accuracy") == row.get("accuracy") and row.get("accuracy") is not None:
        return f"accuracy {100 * row['accuracy']:.2f}%"
    return f"output error {row['output_error']:.4g}"


class _Reference:
    """The reference MLP on a dataset."""

    def __init__(self, params):
        from annealq.data import load_dataset
        from annealq.nn.models import pretrained_mlp

        self.data = load_dataset(params["dataset"], params["data_root"], seed=params["seed"])
        size = params["calibration_size"]
        if size > len(self.data.x_train):
            raise click.BadParameter(f"{size} exceeds the {len(self.data.x_train)} training samples of "
                                     f"{params['dataset']}: use at most {len(self.data.x_train)}",
                                     param_hint="--calibration-size")
        self.sizes = [self.data.x_train.shape[1], 128, 64, self.data.num_classes]
        self.settings = {"model": "reference-mlp", "model_sizes": self.sizes}
        self.calibration_size = size
        self.seed = params["seed"]
        self._model = pretrained_mlp
        self.neurons = sum(self.sizes[1:])

    @property
    def model(self):
        return self._model(self.data, self.sizes, seed=self.seed)

    def calibration(self):
        return self.data.x_train[:self.calibration_size]

    def rows(self, config, bits, methods, out, **kwargs):
        from annealq.ptq.report import ptq_rows

        return ptq_rows(self.model, self.data, methods=methods, bits=bits, config=config,
                        calibration_size=self.calibration_size, **kwargs)

    def plot(self, rows, path, route):
        from annealq.ptq.report import plot_ptq

        return plot_ptq(rows, path, f"reference MLP {'-'.join(map(str, self.sizes))} on {self.data.name}, "
                                    f"route {route}")


class _UserModel:
    """A model file with its calibration (and evaluation) data, checked before any folder exists."""

    def __init__(self, params):
        from annealq.ptq.user_model import prepare

        if not params["model_file"] or not params["calibration_file"]:
            raise click.UsageError("--model and --calibration go together: give both (--eval is optional)")
        self.params = params
        self.prepared = prepare(params["model_file"], params["calibration_file"], params["eval_file"],
                                trust_pickle=params["trust_pickle"])
        self.settings = {"model": str(params["model_file"]), "calibration": str(params["calibration_file"]),
                         "eval": params["eval_file"] and str(params["eval_file"])}
        self.model = self.prepared[0].module
        self.neurons = sum(getattr(m, "out_features", 0) or getattr(m, "out_channels", 0)
                           for _, m in self.prepared[0].layers())

    def calibration(self):
        return self.prepared[1]

    def rows(self, config, bits, methods, out, **kwargs):
        from annealq.ptq.user_model import quantize_user_model

        p = self.params
        return quantize_user_model(p["model_file"], p["calibration_file"], p["eval_file"], out=out, bits=bits,
                                   methods=methods, config=config, prepared=self.prepared, **kwargs)

    def plot(self, rows, path, route):
        from annealq.ptq.report import plot_ptq

        if any(r.get("accuracy") != r.get("accuracy") or r.get("accuracy") is None for r in rows):
            return None  # no labels: the table's output error says it
        return plot_ptq(rows, path, f"{self.prepared[0].path.name} on {Path(self.params['calibration_file']).name}, "
                                    f"route {route}")


def _price(source, config, bits, params) -> None:
    from annealq.harness.dryrun import format_prices, price, profiles_for

    model, calibration = source.model, source.calibration()

    def run(solver, journal):
        from annealq.ptq import quantize

        for b in bits:
            cfg = dataclasses.replace(config, bits=b, method="qubo", route=solver.route, num_reads=solver.num_reads,
                                      workers=1)
            quantize(model, calibration, cfg, journal=journal)

    tables = price(run, config.solver, profiles_for(config.route, params["profile"]), ("bits",))
    click.echo(format_prices(tables, config.solver.num_reads or 100) + "\n")


def _executor(address):
    if not address:
        return None
    from distributed import Client

    try:
        return Client(address, timeout="10s").get_executor()
    except (OSError, TimeoutError) as err:
        raise click.ClickException(f"the Dask scheduler {address} did not answer ({type(err).__name__}): "
                                   f"start it, or run without --scheduler") from err
