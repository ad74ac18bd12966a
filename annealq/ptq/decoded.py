"""Models decoded from a recorded run and from local re-solves of it, and their test accuracy.

The recorded side is rebuilt exactly by resuming :func:`annealq.quantize` on the run's
records: every neuron answer comes from the journal, nothing is solved or sent.  The SA sides
run the whole pipeline again on route ``sa``.

Example:
    >>> import tempfile, torch, annealq
    >>> from annealq.data import load_dataset
    >>> from annealq.records import Journal
    >>> data = load_dataset("digits")
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <...>
    >>> model = torch.nn.Sequential(torch.nn.Linear(64, 3), torch.nn.ReLU(), torch.nn.Linear(3, 10))
    >>> journal, config = Journal(tempfile.mkdtemp()), annealq.QuantConfig(bits=4, num_reads=2, num_sweeps=50)
    >>> _ = annealq.quantize(model, data.x_train[:64], config, journal=journal)
    >>> scores = decoded_accuracy(journal, config, {"sa": (2, 50)}, model=model, data=data,
    ...                           calibration=data.x_train[:64])
    >>> scores["note"], sorted(scores["qpu"])
    (None, ['accuracy', 'recon_error'])
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import torch
from typing import Callable

from annealq.compile.bqm import row_hashes
from annealq.ptq.config import QuantConfig
from annealq.records import Journal

#: Calibration samples of a run whose run.json does not say (``annealq quantize``'s default).
DEFAULT_CALIBRATION_SIZE = 256


def run_model(run_dir, model=None, data=None):
    """``(model, data, calibration)`` of a run, or None when neither given nor named by run.json.

    By default the model is :func:`annealq.nn.models.pretrained_mlp` on the dataset, seed
    and sizes of ``run.json`` (trained once, cached); the calibration set is the first
    ``calibration_size`` training samples either way.
    """
    from annealq.data import load_dataset
    from annealq.nn.models import pretrained_mlp

    path = None if run_dir is None else Path(run_dir) / "run.json"
    settings = json.loads(path.read_text()).get("settings", {}) if path and path.is_file() else {}
    if model is None:
        if settings.get("model") != "reference-mlp":
            return None
        data = load_dataset(settings["dataset"], settings.get("data_root"), seed=settings["seed"])
        model = pretrained_mlp(data, settings["model_sizes"], seed=settings["seed"])
    return model, data, data.x_train[:settings.get("calibration_size", DEFAULT_CALIBRATION_SIZE)]


class _Recorded:
    """The recorded answers of one config, offered to :func:`annealq.quantize` as its journal.

    The rebuild runs under a cheap local route: a neuron missing from the records, or whose
    record does not match the problem rebuilt (another model or data), is solved there and
    counted, never sent to a QPU nor written.
    """

    def __init__(self, journal: Journal, config: QuantConfig):
        self.journal, self.config, self.solved_again = journal, config, 0

    def step(self, workflow, config, step):
        self._step = self.journal.step(workflow, self.config, step)
        return self

    def reusable(self, batch, solver):
        """The recorded answers, whatever settings recorded them (the rebuild's own settings differ)."""
        hashes = dict(zip(batch.ids.tolist(), row_hashes(batch)))
        found = {}
        for record in self.journal.records(self._step.workflow, self.config, self._step.step):
            found.setdefault(record["problem_hash"], record)
        return {row: self.journal.answer(found[h], row) for row, h in hashes.items() if h in found}

    @property
    def stale(self) -> int:
        return self._step.stale

    def save(self, answer):
        self.solved_again += 1


def decoded_accuracy(journal: Journal, config: QuantConfig, sa_budgets: dict[str, tuple[int, int]], *,
                     run_dir=None, model=None, data=None, calibration=None,
                     progress: Callable[[int, int], None] | None = None) -> dict:
    """Test accuracy and summed reconstruction error of the model decoded from each side.

    ``qpu``: the run's own model rebuilt from its records under ``config``.  Each entry of
    ``sa_budgets`` (``name: (num_reads, num_sweeps)``): the whole pipeline again on route
    ``sa`` with that budget (same grids, warm starts and polish).  When layers take the
    quantized outputs of the layers before them (``inputs="quantized"``, the default), a
    layer's problems depend on how those layers were solved, so past the first layer the SA
    pipelines solve other problems than the records hold: their accuracy is an end-to-end
    figure, not a per-problem one.

    Returns ``{"float": accuracy, "qpu": {...}, name: {...}, "note": str | None}``, each
    side ``{"accuracy", "recon_error"}``; ``note`` says why the ``qpu`` figures are None
    (records missing, or of another model or data).  The model and data are ``model`` and
    ``data`` (the calibration set ``calibration``, else the run's calibration size of training
    samples), else those ``run_dir/run.json`` names.  ``progress(done, total)`` is called per SA neuron.
    """
    from annealq.nn.models import accuracy
    from annealq.ptq.pipeline import quantize

    out = {"float": None, "note": None, "qpu": {"accuracy": None, "recon_error": None}}
    try:
        source = run_model(run_dir, model, data)
    except FileNotFoundError as err:  # the run's dataset is not on this machine
        return {**out, "note": f"the run's dataset could not be loaded here: {err}"}
    if source is None:
        return {**out, "note": "run.json names no reference model and no model was given: pass model and data to "
                               "compare_run to measure the decoded models' accuracy"}
    model, data, default_calibration = source
    calibration = default_calibration if calibration is None else calibration
    out["float"] = accuracy(model, data.x_test, data.y_test)
    total = sum(getattr(m, "out_features", 0) or getattr(m, "out_channels", 0) for m in model.modules()
                if isinstance(m, (torch.nn.Linear, torch.nn.Conv1d, torch.nn.Conv2d))) * len(sa_budgets)
    done = [0]

    def tick(layer, count):
        done[0] += 1
        if progress:
            progress(done[0], total)

    recorded = _Recorded(journal, config)
    rebuilt = quantize(model, calibration, dataclasses.replace(config, route="steepest"), journal=recorded)
    if recorded.solved_again:
        out["note"] = (f"{recorded.solved_again} neurons are missing from the records or do not match the problems "
                       "rebuilt from the model and data (an unfinished run, or another model, dataset or "
                       "calibration set): finish the run, or pass its own model and data")
    else:
        out["qpu"] = {"accuracy": accuracy(rebuilt.model, data.x_test, data.y_test),
                      "recon_error": rebuilt.recon_error}
    for name, (reads, sweeps) in sa_budgets.items():
        result = quantize(model, calibration, dataclasses.replace(config, route="sa", num_reads=reads,
                                                                  num_sweeps=sweeps), progress=tick)
        out[name] = {"accuracy": accuracy(result.model, data.x_test, data.y_test), "recon_error": result.recon_error}
    return out
