"""The QNN-training workflow's config.

Example:
    >>> cfg = QNNConfig(hidden=8, bits="1,2", route="tabu")
    >>> cfg.solver.route, cfg.method, cfg.loss, cfg.weight_levels
    ('tabu', 'targets', 'cross_entropy', ('binary', '2bit'))
    >>> QNNConfig(method="qcgd").loss, QNNConfig(method="qcgd").batch
    ('squared', 32)
    >>> QNNConfig(pieces=0)
    Traceback (most recent call last):
    ...
    ValueError: pieces must be an integer >= 1 (linear pieces per interval), got 0
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from annealq.formulations.qnn_fit import parse_levels
from annealq.formulations.splines import ACTIVATIONS, LOSSES, check_activation, check_loss, check_pieces
from annealq.qnn.network import check_network_loss
from annealq.samplers.config import Config, SolverConfig, check_choice, check_count, check_positive, check_seed

#: methods that propose weights through the per-neuron fit QUBO (``targets``) or an ablation of it
FIT_METHODS = ("targets", "random", "rounding", "greedy")
#: the constrained (QCBO) methods
QCBO_METHODS = ("qcgd", "penalty")
METHODS = FIT_METHODS + QCBO_METHODS
INITS = ("random", "float")


def bits_label(bits):
    """The canonical ``bits`` of a config: ``1``, ``2``, ``"ternary"`` or ``"a,b"`` per layer."""
    names = parse_levels(bits)
    short = {"binary": 1, "2bit": 2, "ternary": "ternary"}
    if names[0] == names[1]:
        return short[names[0]]
    return ",".join(str(short[n]) for n in names)


@dataclass(frozen=True)
class QNNConfig(Config):
    """Training a ``features -> hidden -> classes`` quantized network with a QUBO oracle.

    Attributes:
        hidden: hidden units.
        bits: weight levels, one per layer or one for both: ``1`` (binary ``{-s, +s}``), ``2``
            (``{-1, -1/3, 1/3, 1} s``), ``"ternary"`` (``{-s, 0, +s}``), e.g. ``"1,2"``; one
            scale per layer.  ``qcgd`` and ``penalty`` take binary weights only.
        pieces: linear pieces of the activation spline on the FIP interval.
        loss_pieces: linear pieces of the loss spline (unused by the exact ``squared`` loss).
        activation: ``relu``, ``tanh`` (or ``identity``).
        loss: ``cross_entropy`` (softmax; the default of the fit methods), ``squared`` (one-vs-rest
            targets +-1; the default of ``qcgd``/``penalty``, exact there), ``squared_hinge`` or
            ``logistic`` (one-vs-rest cross-entropy; splines in the QCBO blocks).
        batch: samples per training round (a mini-batch; default 256 for the fit methods, 32 for
            ``qcgd``/``penalty``).
        scenario: samples per progressive-hedging subproblem (0: the whole batch as one problem).
        iterations: training rounds (fit methods: the hidden layer, then the output layer;
            ``qcgd``/``penalty``: the output block, then the hidden block).
        inner: ``qcgd``/``penalty``: oracle calls per block and round (conditional-gradient or
            hedging iterations).
        method: ``targets`` (per round: pre-activation targets, then each neuron's fit QUBO
            solved by the oracle, accepted by the true loss; :mod:`annealq.qnn.targets`); its
            ablations through the same rounds and acceptance: ``random`` (random proposals),
            ``rounding`` (the relaxed least-squares fit rounded to the levels), ``greedy``
            (single-flip descent on the same QUBO, route ``steepest``, ``greedy_reads`` starts);
            ``qcgd`` (QCBO blocks, conditional gradient, QUBO oracle) or ``penalty`` (the CQM through
            ``annealq.solve``: penalty BQM, or ``sample_cqm`` solvers such as route ``hybrid-cqm``).
        step: the target step ``eta`` of the fit methods, relative to each layer's RMS pre-activation.
        greedy_reads: starts of the ``greedy`` ablation's descent per neuron (the current weights one of them).
        pool: inputs are average-pooled to ``pool x pool`` images (0: kept as they are).
        input_levels: inputs are rounded to the integers ``0 .. input_levels - 1``.
        eval_samples: training samples on which a round's accepted weights must lower the loss.
        init: the starting network: ``random`` codes, or the ``float`` network trained on the
            same data rounded to the levels (training then fine-tunes it).
        seed: the initial weights and the mini-batch order.
        solver: where the oracle's problems go (route, budget, seed).
    """

    hidden: int = 16
    bits: int | str = 1
    pieces: int = 4
    loss_pieces: int = 4
    activation: str = "relu"
    loss: str | None = None
    batch: int | None = None
    scenario: int = 1
    iterations: int = 10
    inner: int = 3
    method: str = "targets"
    step: float = 1.0
    greedy_reads: int = 64
    pool: int = 4
    input_levels: int = 3
    eval_samples: int = 512
    init: str = "random"
    seed: int = 0
    solver: SolverConfig = field(default_factory=SolverConfig)
    route: str | None = None

    def __post_init__(self):
        check_count("hidden", self.hidden)
        object.__setattr__(self, "bits", bits_label(self.bits))
        check_choice("method", self.method, METHODS)
        constrained = self.method in QCBO_METHODS
        if self.loss is None:
            object.__setattr__(self, "loss", "squared" if constrained else "cross_entropy")
        if self.batch is None:
            object.__setattr__(self, "batch", 32 if constrained else 256)
        check_pieces(self.pieces)
        check_pieces(self.loss_pieces, "loss_pieces")
        check_activation(self.activation)
        check_network_loss(self.loss)
        if constrained:
            check_loss(self.loss)  # the QCBO blocks model the loss (exact or a spline)
            if self.weight_levels != ("binary", "binary"):
                raise ValueError(f"method {self.method} builds binary weights only, got bits={self.bits!r}: use "
                                 f"bits=1, or method targets for 2-bit and ternary weights")
        check_count("batch", self.batch)
        check_count("scenario", self.scenario, minimum=0)
        check_count("iterations", self.iterations)
        check_count("inner", self.inner)
        check_positive("step", self.step)
        check_count("greedy_reads", self.greedy_reads)
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

    @property
    def weight_levels(self) -> tuple:
        """The level names of the two layers (``annealq.formulations.qnn_fit.LEVELS``)."""
        return parse_levels(self.bits)


__all__ = ["ACTIVATIONS", "LOSSES", "METHODS", "QNNConfig"]
