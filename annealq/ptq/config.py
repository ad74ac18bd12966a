"""PTQ settings: a small, validated, serializable dataclass (``annealq.QuantConfig``).

Example:
    >>> cfg = QuantConfig(bits=2, method="qubo", route="sa", seed=0)
    >>> QuantConfig.from_dict(cfg.to_dict()) == cfg
    True
    >>> cfg.solver.route, cfg.solver.num_reads, QuantConfig(route="batched").solver.num_reads
    ('sa', 20, None)
    >>> QuantConfig(bits=9)
    Traceback (most recent call last):
    ...
    ValueError: bits=9 is not supported: use an integer from 1 (binary) to 8
    >>> mixed = QuantConfig(bits=4, layer_bits={"0": 2})  # mixed precision: layer "0" at 2 bits, the rest at 4
    >>> mixed.layer_bits, mixed.bits_for("0"), mixed.bits_for("2"), mixed.for_layer("0").bits
    ((('0', 2),), 2, 4, 2)
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from annealq.formulations.grids import SCALE_METHODS, check_bits
from annealq.formulations.rounding import LEVELS
from annealq.samplers.config import (Config, SolverConfig, check_choice, check_count, check_flag, check_positive,
                                     check_seed)

INPUT_SOURCES = ("quantized", "float")
#: budget of per-neuron routes when the config sets none (measured on digits: README);
#: routes listed in ROUTES_WITH_OWN_BUDGET keep their own defaults instead
PER_NEURON_BUDGET = {"num_reads": 20, "num_sweeps": 1000}
ROUTES_WITH_OWN_BUDGET = ("batched",)
#: scale refit rounds of the rounding-problem solvers (REFITTED) at LOW_BITS bits and below when
#: the config sets none (benchmarks/results/ptq_lowbit.json: +15-17 points at 1 bit on digits; at
#: 2 bits neutral on the MLP and 4 test images worse on the CNN)
AUTO_REFITS, LOW_BITS = 2, 1
REFITTED = ("qubo", "adaround")


@dataclass(frozen=True)
class QuantConfig(Config):
    """How to quantize every ``nn.Linear`` of a model.

    Attributes:
        bits: weight bit-width, 1 (binary {-s, +s}) to 8.
        method: a registered PTQ method (:func:`annealq.ptq.methods.method_names`): ``qubo``
            (exact rounding QUBO), ``gptq``, ``adaround`` or ``rtn`` (round to nearest).
        route: where the QUBOs go (``annealq.samplers.route_names()``), for ``qubo``; checked
            when the QUBOs are sent, not here.
        seed: makes every random choice reproducible.
        scale: per-channel scale, ``absmax`` (default, by measurement: see
            benchmarks/results/ptq_digits.json) or ``mse``.
        levels: candidate levels per weight in the QUBO: 2 (floor/ceil), 4 or 8.
        bias_bits: bit-width of the per-layer bias grid.
        inputs: each layer's calibration inputs come from the ``quantized`` layers before it
            (corrects accumulated error) or from the ``float`` network.
        num_reads, num_sweeps: sampler budget per neuron; None: the route's own default
            (``batched``: its own short anneal and tabu search; other routes
            :data:`PER_NEURON_BUDGET`, 20 reads x 1000 sweeps).
        warm_start: seed every neuron with its round-to-nearest and GPTQ answers, so no
            answer is worse than either.
        workers: processes for per-neuron routes.
        gptq_damp: GPTQ's Hessian damping, a fraction of the mean diagonal.
        chain_strength: prefactor of uniform torque compensation on routes that embed; 4.0
            by measurement (benchmarks/results/chain_strength.json).
        prior: ``lam ||w_q - w||^2`` added to every neuron's error, ``lam = prior * mean(diag G)``
            (``lam I`` added to the shared Gram matrix): keeps weights that a rank-deficient
            Gram cannot see near their float values.
        scale_refits: rounds of closed-form per-channel scale refit, each followed by the
            method again on the refitted grid (a channel keeps whichever is better); None:
            :data:`AUTO_REFITS` for ``qubo`` and ``adaround`` at :data:`LOW_BITS` bits and below, else 0.
        layer_bits: per-layer bit-widths (mixed precision), ``{layer name: bits}`` (stored as sorted
            ``(name, bits)`` pairs); layers not named take ``bits``.  :func:`annealq.ptq.mixed.allocate_bits`
            chooses them under a size budget.
    """

    bits: int = 4
    method: str = "qubo"
    route: str = "sa"
    seed: int | None = 0
    scale: str = "absmax"
    levels: int = 2
    bias_bits: int = 8
    inputs: str = "quantized"
    num_reads: int | None = None
    num_sweeps: int | None = None
    warm_start: bool = True
    workers: int = 1
    gptq_damp: float = 0.01
    chain_strength: float = 4.0
    prior: float = 0.0
    scale_refits: int | None = None
    layer_bits: tuple = ()

    def __post_init__(self):
        from annealq.ptq.methods import method_names

        check_bits(self.bits)
        check_bits(self.bias_bits, what="bias_bits")
        check_choice("method", self.method, method_names())
        check_choice("scale", self.scale, SCALE_METHODS)
        check_choice("levels", self.levels, LEVELS)
        check_choice("inputs", self.inputs, INPUT_SOURCES)
        check_flag("warm_start", self.warm_start)
        if isinstance(self.gptq_damp, bool) or not isinstance(self.gptq_damp, (int, float)) \
                or not 0 <= self.gptq_damp < 1:
            raise ValueError(f"gptq_damp must lie in [0, 1), got {self.gptq_damp!r}")
        check_positive("chain_strength", self.chain_strength)
        check_seed(self.seed)
        check_count("workers", self.workers)
        if self.scale_refits is not None:
            check_count("scale_refits", self.scale_refits, minimum=0)
        if isinstance(self.prior, bool) or not isinstance(self.prior, (int, float)) \
                or not 0 <= self.prior < float("inf"):
            raise ValueError(f"prior must be a finite number >= 0 (a fraction of the Gram's mean diagonal), "
                             f"got {self.prior!r}")
        object.__setattr__(self, "layer_bits", _layer_bits(self.layer_bits))
        self.solver  # validates the shared fields once more, as the solver sees them

    @property
    def refits(self) -> int:
        """Scale refit rounds this config runs (see ``scale_refits``)."""
        if self.scale_refits is not None:
            return self.scale_refits
        return AUTO_REFITS if self.method in REFITTED and self.bits <= LOW_BITS else 0

    def bits_for(self, layer: str) -> int:
        """The bit-width of the layer named ``layer``."""
        return dict(self.layer_bits).get(layer, self.bits)

    def for_layer(self, layer: str) -> "QuantConfig":
        """This config as one layer sees it: ``bits`` = its own bit-width, no per-layer mapping."""
        return replace(self, bits=self.bits_for(layer), layer_bits=()) if self.layer_bits else self

    @property
    def solver(self) -> SolverConfig:
        """The shared solver settings of this config."""
        own = self.route.partition(":")[0] in ROUTES_WITH_OWN_BUDGET
        default = {} if own else PER_NEURON_BUDGET
        return SolverConfig(route=self.route, num_reads=default.get("num_reads") if self.num_reads is None
                            else self.num_reads, num_sweeps=default.get("num_sweeps") if self.num_sweeps is None
                            else self.num_sweeps, seed=self.seed, workers=self.workers,
                            chain_strength=self.chain_strength, warm_start=self.warm_start)


def _layer_bits(value) -> tuple:
    """``{name: bits}`` (or ``(name, bits)`` pairs) as sorted pairs, each bit-width checked."""
    pairs = value.items() if isinstance(value, dict) else value
    try:
        pairs = [(name, bits) for name, bits in pairs]
    except (TypeError, ValueError):
        raise ValueError(f"layer_bits must map layer names to bit-widths, e.g. {{'0': 2, '2': 4}}, got {value!r}") \
            from None
    names = [name for name, _ in pairs]
    if not all(isinstance(name, str) for name in names) or len(set(names)) != len(names):
        raise ValueError(f"layer_bits must map distinct layer names (strings) to bit-widths, got {value!r}")
    return tuple(sorted((name, check_bits(bits, what=f"layer_bits[{name!r}]")) for name, bits in pairs))
