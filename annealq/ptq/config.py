"""PTQ settings: a small, validated, serializable dataclass (``annealq.QuantConfig``).

Example:
    >>> cfg = QuantConfig(bits=2, method="qubo", route="sa", seed=0)
    >>> QuantConfig.from_dict(cfg.to_dict()) == cfg
    True
    >>> cfg.solver.route, cfg.solver.num_reads
    ('sa', 20)
    >>> QuantConfig(bits=9)
    Traceback (most recent call last):
    ...
    ValueError: bits=9 is not supported: use an integer from 1 (binary) to 8 (int8)
"""
from __future__ import annotations

from dataclasses import dataclass

from annealq.formulations.grids import SCALE_METHODS, check_bits
from annealq.formulations.rounding import LEVELS
from annealq.samplers.config import (Config, SolverConfig, check_choice, check_count, check_flag, check_positive,
                                     check_seed)

INPUT_SOURCES = ("quantized", "float")


@dataclass(frozen=True)
class QuantConfig(Config):
    """How to quantize every ``nn.Linear`` of a model.

    Attributes:
        bits: weight bit-width, 1 (binary {-s, +s}) to 8.
        method: a registered PTQ method (:func:`annealq.ptq.methods.method_names`): ``qubo``
            (exact rounding QUBO), ``gptq`` or ``rtn`` (round to nearest).
        route: where the QUBOs go (``annealq.samplers.route_names()``), for ``qubo``; checked
            when the QUBOs are sent, not here.
        seed: makes every random choice reproducible.
        scale: per-channel scale, ``absmax`` (default, by measurement: see
            benchmarks/results/ptq_digits.json) or ``mse``.
        levels: candidate levels per weight in the QUBO: 2 (floor/ceil), 4 or 8.
        bias_bits: bit-width of the per-layer bias grid.
        inputs: each layer's calibration inputs come from the ``quantized`` layers before it
            (corrects accumulated error) or from the ``float`` network.
        num_reads, num_sweeps: sampler budget per neuron.
        warm_start: seed every neuron with its round-to-nearest and GPTQ answers, so no
            answer is worse than either.
        workers: processes for per-neuron routes.
        gptq_damp: GPTQ's Hessian damping, a fraction of the mean diagonal.
        chain_strength: prefactor of uniform torque compensation on routes that embed; 4.0
            by measurement (benchmarks/results/chain_strength.json).
    """

    bits: int = 4
    method: str = "qubo"
    route: str = "sa"
    seed: int | None = 0
    scale: str = "absmax"
    levels: int = 2
    bias_bits: int = 8
    inputs: str = "quantized"
    num_reads: int = 20
    num_sweeps: int = 1000
    warm_start: bool = True
    workers: int = 1
    gptq_damp: float = 0.01
    chain_strength: float = 4.0

    def __post_init__(self):
        from annealq.ptq.methods import method_names

        check_bits(self.bits)
        check_bits(self.bias_bits, "bias_bits")
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
        for name in ("num_reads", "num_sweeps", "workers"):
            check_count(name, getattr(self, name))
        self.solver  # validates the shared fields once more, as the solver sees them

    @property
    def solver(self) -> SolverConfig:
        """The shared solver settings of this config."""
        return SolverConfig(route=self.route, num_reads=self.num_reads, num_sweeps=self.num_sweeps, seed=self.seed,
                            workers=self.workers, chain_strength=self.chain_strength, warm_start=self.warm_start)
