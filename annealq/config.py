"""Quantization settings as a small, validated, serializable dataclass.

Example:
    >>> cfg = QuantConfig(bits=2, method="qubo", route="sa", seed=0)
    >>> QuantConfig.from_dict(cfg.to_dict()) == cfg
    True
    >>> QuantConfig(bits=9)
    Traceback (most recent call last):
    ...
    ValueError: bits=9 is not supported: use an integer from 1 (binary) to 8 (int8)
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from annealq.formulations.grids import SCALE_METHODS, check_bits
from annealq.formulations.rounding import LEVELS

METHODS = ("qubo", "gptq", "rtn")
INPUT_SOURCES = ("quantized", "float")


@dataclass(frozen=True)
class QuantConfig:
    """How to quantize every ``nn.Linear`` of a model.

    Attributes:
        bits: weight bit-width, 1 (binary {-s, +s}) to 8.
        method: ``qubo`` (exact rounding QUBO), ``gptq`` or ``rtn`` (round to nearest).
        route: where the QUBOs go (``annealq.samplers.route_names()``), for ``qubo``.
        seed: makes every random choice reproducible.
        scale: per-channel scale, ``absmax`` (default: on digits ``mse`` gave the QUBO 1.6x
            the error at int2, 4-12% less at int4/int3) or ``mse`` (searched for the lowest
            round-to-nearest weight error).
        levels: candidate levels per weight in the QUBO: 2 (floor/ceil), 4 or 8.
        bias_bits: bit-width of the per-layer bias grid.
        inputs: each layer's calibration inputs come from the ``quantized`` layers before it
            (corrects accumulated error) or from the ``float`` network.
        num_reads, num_sweeps: sampler budget per neuron.
        warm_start: seed every neuron with its round-to-nearest and GPTQ answers, so no
            answer is worse than either.
        workers: processes for per-neuron routes.
        gptq_damp: GPTQ's Hessian damping, a fraction of the mean diagonal.
        chain_strength: prefactor of uniform torque compensation on routes that embed (QPU
            routes). dwave-system's generic 1.414 leaves 27-62% of the chains of digits' int4
            neuron cliques (chains of 7-13 qubits) broken and raw energies 12-68x simulated
            annealing's; 4.0 brings breaks to 0-12% and energies to 4.6-17x
            (benchmarks/chain_strength.py, mock QPU: re-tune on hardware with
            ``annealq.embedding.tune_chain_strength``).
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
        check_bits(self.bits)
        check_bits(self.bias_bits, "bias_bits")
        choices = {"method": METHODS, "scale": SCALE_METHODS, "levels": LEVELS, "inputs": INPUT_SOURCES}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name}={getattr(self, name)!r} is not supported: use one of {allowed}")
        from annealq.samplers.router import parse_route

        parse_route(self.route)
        for name in ("num_reads", "num_sweeps", "workers"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if not 0 <= self.gptq_damp < 1:
            raise ValueError(f"gptq_damp must lie in [0, 1), got {self.gptq_damp!r}")
        if not (isinstance(self.chain_strength, (int, float)) and self.chain_strength > 0):
            raise ValueError(f"chain_strength (a prefactor of uniform torque compensation) must be positive, "
                             f"got {self.chain_strength!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "QuantConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown QuantConfig fields {sorted(unknown)}; known: {sorted(known)}")
        return cls(**data)
