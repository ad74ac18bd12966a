"""The precision study: every head method at every bit-width on the same features, and the QPU price of one iteration.

Methods (:mod:`annealq.head.baselines`): ``qubo`` (:class:`QUBOHeadClassifier`), the float
heads ``lbfgs`` and ``sgd`` (one row each, ``bits`` None), and at every K: ``no-annealer`` (the
QUBO head's loop on its grid for at most its iterations, each class's step the better warm
start instead of the annealer's answer); on the QUBO head's grid: ``lbfgs-rtn``, ``sgd-rtn`` (round to nearest) and ``lbfgs-ptq`` (rounding QUBO); and
``lbfgs-rtn-absmax``, ``sgd-rtn-absmax``: round to nearest on the float head's own K-bit grid
(signed, half-range its largest |weight| per class), which clips nothing.  The seconds of a
rounded head include its float training.

Example:
    >>> from sklearn.datasets import make_blobs
    >>> X, y = make_blobs(90, n_features=3, centers=3, random_state=0)
    >>> rows = precision_study(X[:60], y[:60], X[60:], y[60:], bits=[2], solver=SolverConfig(route="exact"),
    ...                        max_iter=3, sgd=SGDSettings(epochs=2))
    >>> [(r["method"], r["bits"], r["variables_per_class"]) for r in rows]  # doctest: +NORMALIZE_WHITESPACE
    [('lbfgs', None, None), ('sgd', None, None), ('qubo', 2, 8), ('no-annealer', 2, 8), ('lbfgs-rtn', 2, None),
     ('sgd-rtn', 2, None), ('lbfgs-ptq', 2, 8), ('lbfgs-rtn-absmax', 2, None), ('sgd-rtn-absmax', 2, None)]
"""
from __future__ import annotations

import time
from typing import Callable, Iterable

import numpy as np

from annealq.head.baselines import SGDSettings, lbfgs_head, ptq_head, sgd_head
from annealq.head.classifier import QUBOHeadClassifier
from annealq.formulations.grids import Grid
from annealq.head.surrogate import augment, loss
from annealq.profiles import list_profiles, load_profile
from annealq.samplers.config import SolverConfig

METHODS = ("qubo", "no-annealer", "lbfgs", "sgd", "lbfgs-rtn", "sgd-rtn", "lbfgs-ptq", "lbfgs-rtn-absmax", "sgd-rtn-absmax")
PAPER_BITS = (1, 2, 3, 4, 5, 6, 8, 10, 15, 20)


def _row(method, bits, weights, phi_train, labels, phi_test, test_labels, l2, seconds, iterations, variables=None,
         **extra) -> dict:
    accuracy = float(np.mean(np.argmax(phi_test @ weights.T, axis=1) == test_labels))
    return {"method": method, "bits": bits, "accuracy": accuracy, "train_loss": loss(phi_train, labels, weights, l2),
            "iterations": iterations, "variables_per_class": variables, "seconds": seconds, **extra}


def float_heads(X_train, labels, *, l2: float = 1e-4, sgd: SGDSettings = SGDSettings(), seed: int = 0) -> dict:
    """The float heads ``{"lbfgs": (weights, iterations, seconds), "sgd": (weights, epochs, seconds)}``."""
    start = time.perf_counter()
    w_lbfgs, lbfgs_iter = lbfgs_head(X_train, labels, l2)
    t_lbfgs = time.perf_counter() - start
    start = time.perf_counter()
    w_sgd = sgd_head(X_train, labels, SGDSettings(**{**sgd.to_dict(), "l2": l2}), seed=seed)
    return {"lbfgs": (w_lbfgs, lbfgs_iter, t_lbfgs), "sgd": (w_sgd, sgd.epochs, time.perf_counter() - start)}


def precision_study(X_train, y_train, X_test, y_test, *, bits: Iterable[int] = PAPER_BITS,
                    solver: SolverConfig = SolverConfig(), max_iter: int = 100, tol: float = 1e-4,
                    l2: float = 1e-4, grid_rule: str = "iterate", init: str = "rounded",
                    sgd: SGDSettings = SGDSettings(), seed: int = 0, journal=None, reference=None,
                    floats: dict | None = None, progress: Callable[[str], None] | None = None) -> list[dict]:
    """Rows (module docstring) with ``method, bits, accuracy`` (test), ``train_loss``, ``iterations``,
    ``variables_per_class``, ``seconds``; ``qubo`` and ``no-annealer`` rows also carry the fit's
    ``history`` (its loss curve), ``stop`` (why it stopped) and their grid (``grid_step``, ``grid_offset``); ``max_iter``, ``tol``, ``grid_rule``,
    ``init``: the QUBO head's (:class:`QUBOHeadClassifier`); ``floats``: :func:`float_heads` of these
    training data, computed once for several calls (else trained here)."""
    tick = progress or (lambda label: None)
    classes, labels = np.unique(y_train, return_inverse=True)
    test_labels = np.searchsorted(classes, y_test)
    phi, phi_test = augment(X_train), augment(X_test)
    common = (phi, labels, phi_test, test_labels, l2)
    floats = floats or float_heads(X_train, labels, l2=l2, sgd=sgd, seed=seed)
    (w_lbfgs, lbfgs_iter, t_lbfgs), (w_sgd, _, t_sgd) = floats["lbfgs"], floats["sgd"]
    rows = [_row("lbfgs", None, w_lbfgs, *common, t_lbfgs, lbfgs_iter),
            _row("sgd", None, w_sgd, *common, t_sgd, sgd.epochs)]
    tick("float heads")
    for k in bits:
        start = time.perf_counter()
        head = QUBOHeadClassifier(k, solver=solver, max_iter=max_iter, tol=tol, l2=l2, grid_rule=grid_rule,
                                  init=init, journal=journal, reference=reference)
        head.fit(X_train, labels)
        weights = np.hstack([head.coef_, head.intercept_[:, None]])
        m = weights.shape[1] * k
        rows.append(_row("qubo", k, weights, *common, time.perf_counter() - start, head.n_iter_, m,
                         history=head.history_, stop=head.stop_, grid_step=head.step_.tolist(),
                         grid_offset=head.offset_.tolist()))
        grid = head.grid_
        start = time.perf_counter()
        plain = QUBOHeadClassifier(k, max_iter=head.n_iter_, tol=tol, l2=l2, grid_range=grid, init=init,
                                   annealer=False).fit(X_train, labels)
        rows.append(_row("no-annealer", k, np.hstack([plain.coef_, plain.intercept_[:, None]]), *common,
                         time.perf_counter() - start, plain.n_iter_, m, history=plain.history_, stop=plain.stop_,
                         grid_step=plain.step_.tolist(), grid_offset=plain.offset_.tolist()))
        start = time.perf_counter()
        rows.append(_row("lbfgs-rtn", k, grid.nearest(w_lbfgs), *common, t_lbfgs + time.perf_counter() - start,
                         lbfgs_iter))
        start = time.perf_counter()
        rows.append(_row("sgd-rtn", k, grid.nearest(w_sgd), *common, t_sgd + time.perf_counter() - start,
                         sgd.epochs))
        start = time.perf_counter()
        ptq = ptq_head(w_lbfgs, X_train, grid, solver.route, config=solver)
        rows.append(_row("lbfgs-ptq", k, ptq, *common, t_lbfgs + time.perf_counter() - start, lbfgs_iter, m))
        for name, w, seconds, iterations in (("lbfgs", w_lbfgs, t_lbfgs, lbfgs_iter),
                                             ("sgd", w_sgd, t_sgd, sgd.epochs)):
            own = Grid.from_range(k, np.where(np.abs(w).max(axis=1) > 0, np.abs(w).max(axis=1), 1.0))
            rows.append(_row(f"{name}-rtn-absmax", k, own.nearest(w), *common, seconds, iterations))
        tick(f"{k} bits")
    return rows


def price_iteration(features: int, bits: int, classes: int, *, profiles=None, num_reads: int = 100,
                    sweeps: int = 2) -> list[dict]:
    """What one iteration (``classes`` QUBOs of ``(features + 1) * bits`` dense variables) costs on
    each hardware profile: fit in one clique (else blocks, ``sweeps`` calls each), physical
    qubits and longest chain per class (one block when split), QPU calls and estimated QPU
    access time (:func:`annealq.embedding.batch_calls`, no packing)."""
    from annealq.embedding import batch_calls, clique_embedder

    m = (features + 1) * bits
    rows = []
    for name in profiles or list_profiles():
        profile = load_profile(name)
        largest = clique_embedder(profile).largest_clique_size()
        calls = batch_calls(profile, m, classes, pack=False, sweeps=sweeps, num_reads=num_reads)
        rows.append({"profile": profile.name, "bits": bits, "variables_per_class": m,
                     "couplers_per_class": m * (m - 1) // 2, "largest_clique": largest, "fits": m <= largest,
                     "blocks": -(-m // largest), "qubits_per_class": calls["qubits_per_row"],
                     "max_chain_length": calls["max_chain_length"], "qpu_calls": calls["qpu_calls"],
                     "physical_qubits": calls["physical_qubits"],
                     "est_qpu_access_time_s": calls["est_qpu_access_time_us"] * 1e-6})
    return rows
