"""The QNN-training workflow's config.

Example:
    >>> cfg = QNNConfig(hidden=8, pieces=2, route="tabu")
    >>> cfg.solver.route, cfg.method
    ('tabu', 'qcgd')
    >>> QNNConfig(pieces=0)
    Traceback (most recent call last):
    ...
    ValueError: pieces must be an integer >= 1 (linear pieces per interval), got 0
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from annealq.formulations.grids import check_bits
from annealq.formulations.splines import ACTIVATIONS, LOSSES, check_activation, check_loss, check_pieces
from annealq.samplers.config import Config, SolverConfig, check_choice, check_count, check_seed

METHODS = ("qcgd", "penalty")
INITS = ("random", "float")


def check_qnn_bits(bits) -> int:
    check_bits(bits)
    if bits != 1:
        raise ValueError(f"bits={bits} is not supported by QCBO training yet: use bits=1 (binary weights "
                         f"{{-s, +s}} with one scale per layer)")
    return bits


@dataclass(frozen=True)
class QNNConfig(Config):
    """Training a ``features -> hidden -> classes`` binary-weight network as constrained binary problems.

    Attributes:
        hidden: hidden units.
        bits: weight bits (1: binary ``{-s, +s}``, one scale per layer).
        pieces: linear pieces of the activation spline on the FIP interval.
        loss_pieces: linear pieces of the loss spline (unused by the exact ``squared`` loss).
        activation: ``relu``, ``tanh`` (or ``identity``).
        loss: ``squared`` (one-vs-rest targets +-1, exact), ``squared_hinge`` or ``logistic``
            (one-vs-rest cross-entropy), both as splines.
        batch: samples per training round (a mini-batch).
        scenario: samples per progressive-hedging subproblem (0: the whole batch as one problem).
        iterations: training rounds (each solves the output block, then the hidden block).
        inner: oracle calls per block and round (conditional-gradient or hedging iterations).
        method: ``qcgd`` (conditional gradient, QUBO oracle) or ``penalty`` (the CQM through
            ``annealq.solve``: penalty BQM, or ``sample_cqm`` solvers such as route ``hybrid-cqm``).
        pool: inputs are average-pooled to ``pool x pool`` images (0: kept as they are).
        input_levels: inputs are rounded to the integers ``0 .. input_levels - 1``.
        eval_samples: training samples on which a round's new weights must not raise the loss.
        init: the starting network: ``random`` signs, or the signs of the ``float`` network
            trained on the same data (QCBO training then fine-tunes it; STE starts from it too).
        seed: the initial weights and the mini-batch order.
        solver: where the oracle's problems go (route, budget, seed).
    """

    hidden: int = 16
    bits: int = 1
    pieces: int = 4
    loss_pieces: int = 4
    activation: str = "relu"
    loss: str = "squared"
    batch: int = 32
    scenario: int = 1
    iterations: int = 10
    inner: int = 3
    method: str = "qcgd"
    pool: int = 4
    input_levels: int = 3
    eval_samples: int = 512
    init: str = "random"
    seed: int = 0
    solver: SolverConfig = field(default_factory=SolverConfig)
    route: str | None = None

    def __post_init__(self):
        check_count("hidden", self.hidden)
        check_qnn_bits(self.bits)
        check_pieces(self.pieces)
        check_pieces(self.loss_pieces, "loss_pieces")
        check_activation(self.activation)
        check_loss(self.loss)
        check_count("batch", self.batch)
        check_count("scenario", self.scenario, minimum=0)
        check_count("iterations", self.iterations)
        check_count("inner", self.inner)
        check_choice("method", self.method, METHODS)
        check_count("pool", self.pool, minimum=0)
        check_count("input_levels", self.input_levels, minimum=2)
        check_count("eval_samples", self.eval_samples)
        check_choice("init", self.init, INITS)
        check_seed(self.seed)
        if not isinstance(self.solver, SolverConfig):
            raise ValueError(f"solver must be a SolverConfig, got {type(self.solver).__name__}")
        if self.route is not None:  # shorthand: QNNConfig(route="tabu")
            object.__setattr__(self, "solver", replace(self.solver, route=self.route))
            object.__setattr__(self, "route", None)


__all__ = ["ACTIVATIONS", "LOSSES", "METHODS", "QNNConfig"]
