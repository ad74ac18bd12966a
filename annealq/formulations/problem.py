"""The layer problem: a batch of per-neuron QUBOs that share one Gram matrix.

Neuron ``i`` has float weights ``t_i`` (its row of ``[W b]``, length ``f1``) and binary
variables ``v`` (one or more per weight, grouped by weight).  Its quantized weights are

    w_q = base_i + sum_k coeffs[i, k] * v_k   (variable k moves weight variable_weight[k])

and its energy is the reconstruction error on the calibration inputs ``X~ = [X, 1]``:

    E_i(v) = || X~ (t_i - w_q) ||^2 = (t_i - w_q)^T G (t_i - w_q),   G = X~^T X~.

When the layer's inputs come from the already-quantized network (``X~_q``) while the
target is the float network's output ``X~_f t_i``, the error is
``|| X~_f t_i - X~_q w_q ||^2 = t_i^T G_ff t_i - 2 w_q^T C t_i + w_q^T G w_q`` with
``G = X~_q^T X~_q`` and ``C = X~_q^T X~_f``: pass ``target_field = C t_i`` and
``target_energy = t_i^T G_ff t_i`` (by default ``G t_i`` and ``t_i^T G t_i``).

Expanding in the binary ``v`` gives a QUBO with quadratic matrix ``diag(c_i) G_v diag(c_i)``
(``G_v``: ``G`` indexed by each variable's weight) and a constant offset: energy *is* the
error, exactly.  Only ``G`` is stored, never one dense matrix per neuron.

Example:
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(32, 3))
    >>> p = LayerProblem.from_inputs(X, target=np.array([[0.3, -0.2, 0.1]]),
    ...                              base=np.zeros((1, 3)), coeffs=np.full((1, 3), 0.5))
    >>> v = np.array([[1, 0, 0]])
    >>> w = p.decode(v)
    >>> bool(np.isclose(p.energies(v)[0], ((X @ (p.target[0] - w[0])) ** 2).sum()))
    True
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from annealq.formulations.batch import QUBOBatch


@dataclass(eq=False)
class LayerProblem:
    """Per-neuron QUBOs of one layer over a shared Gram matrix (see module docstring).

    Attributes:
        gram: ``(f1, f1)`` Gram matrix of the (augmented) calibration inputs, float64.
        target: ``(n, f1)`` float weights each neuron should reproduce.
        base: ``(n, f1)`` weights when every variable is 0.
        coeffs: ``(n, m)`` amount each variable adds to its weight.
        variable_weight: ``(m,)`` the weight each variable moves, non-decreasing, every weight
            at least once (default: one variable per weight).  A weight's variables are read
            as an unsigned binary number, least significant first.
        target_field, target_energy: ``(n, f1)`` and ``(n,)``, ``C t_i`` and ``t_i^T G_ff t_i``
            when the target output comes from other inputs than ``G``'s (see above).
        neuron_ids: ``(n,)`` each neuron's index in the whole layer (default ``0 .. n-1``);
            a :meth:`subset` keeps them, so seeds and call groups follow the layer's neurons.
    """

    gram: np.ndarray
    target: np.ndarray
    base: np.ndarray
    coeffs: np.ndarray
    variable_weight: np.ndarray | None = None
    target_field: np.ndarray | None = None
    target_energy: np.ndarray | None = None
    meta: dict = field(default_factory=dict)
    neuron_ids: np.ndarray | None = None

    def __post_init__(self):
        self.gram = np.asarray(self.gram, dtype=np.float64)
        self.target = np.atleast_2d(np.asarray(self.target, dtype=np.float64))
        self.base = np.atleast_2d(np.asarray(self.base, dtype=np.float64))
        self.coeffs = np.atleast_2d(np.asarray(self.coeffs, dtype=np.float64))
        n, f1 = self.target.shape
        if self.gram.shape != (f1, f1):
            raise ValueError(f"gram has shape {self.gram.shape}, expected ({f1}, {f1})")
        vw = np.arange(f1) if self.variable_weight is None else np.asarray(self.variable_weight, dtype=np.int64)
        if vw.ndim != 1 or np.any(np.diff(vw) < 0) or set(np.unique(vw)) != set(range(f1)):
            raise ValueError("variable_weight must be non-decreasing and name every weight 0 .. f1-1")
        self.variable_weight = vw
        if self.base.shape != (n, f1) or self.coeffs.shape != (n, len(vw)):
            raise ValueError(f"base must be (n, f1) = ({n}, {f1}) and coeffs (n, m) = ({n}, {len(vw)})")
        if self.target_field is None:
            self.target_field = self.target @ self.gram
        if self.target_energy is None:
            self.target_energy = np.einsum("ij,ij->i", self.target, self.target_field)
        self.neuron_ids = np.arange(n) if self.neuron_ids is None else np.asarray(self.neuron_ids, dtype=np.int64)
        if self.neuron_ids.shape != (n,):
            raise ValueError(f"neuron_ids must have one index per neuron ({n}), got shape {self.neuron_ids.shape}")
        self.target_field = np.asarray(self.target_field, dtype=np.float64).reshape(n, f1)
        self.target_energy = np.asarray(self.target_energy, dtype=np.float64).reshape(n)
        for name in ("gram", "target", "base", "coeffs", "target_field", "target_energy"):
            if not np.all(np.isfinite(getattr(self, name))):
                raise ValueError(f"{name} holds NaN or inf values: check the layer's weights and calibration data")

    @classmethod
    def from_inputs(cls, inputs: np.ndarray, **kwargs) -> "LayerProblem":
        """Build from calibration inputs ``(N, f1)`` (already augmented if there is a bias)."""
        x = np.asarray(inputs, dtype=np.float64)
        return cls(gram=x.T @ x, **kwargs)

    @property
    def num_neurons(self) -> int:
        return self.target.shape[0]

    @property
    def num_variables(self) -> int:
        return self.coeffs.shape[1]

    @property
    def fan_in(self) -> int:
        """Weights per neuron, bias included (``f + 1`` for a biased layer)."""
        return self.target.shape[1]

    def subset(self, neurons) -> "LayerProblem":
        """The same problem restricted to some neurons (the Gram matrix is shared, not copied).

        ``neurons`` index this problem's neurons; :attr:`neuron_ids` keeps their layer indices.
        """
        return LayerProblem(self.gram, self.target[neurons], self.base[neurons], self.coeffs[neurons],
                            self.variable_weight, self.target_field[neurons], self.target_energy[neurons],
                            self.meta, self.neuron_ids[neurons])

    @cached_property
    def _first_variable(self) -> np.ndarray:
        """Index of each weight's first (least significant) variable."""
        return np.searchsorted(self.variable_weight, np.arange(self.fan_in))

    @cached_property
    def _bit_position(self) -> np.ndarray:
        return np.arange(self.num_variables) - self._first_variable[self.variable_weight]

    @cached_property
    def shared_quadratic(self) -> np.ndarray:
        """``G_v``: the Gram matrix indexed by variable, shared by every neuron."""
        k = self.variable_weight
        return self.gram if self.num_variables == self.fan_in else self.gram[np.ix_(k, k)]

    @cached_property
    def _residual_field(self) -> np.ndarray:
        return self.target_field - self.base @ self.gram  # (n, f1): C t_i - G base_i

    @cached_property
    def linear(self) -> np.ndarray:
        """``(n, m)`` linear biases (the diagonal of the quadratic form folded in)."""
        k = self.variable_weight
        c = self.coeffs
        return c**2 * np.diag(self.gram)[k] - 2.0 * c * self._residual_field[:, k]

    @cached_property
    def offset(self) -> np.ndarray:
        """``(n,)`` constants: the error when every variable is 0."""
        return self.errors(self.base)

    @cached_property
    def qubo(self) -> QUBOBatch:
        """The neurons' QUBOs as a batch: ``Q0 = G_v``, scaling ``coeffs``, ids ``neuron_ids``."""
        return QUBOBatch(self.shared_quadratic, self.coeffs, self.linear, self.offset, self.neuron_ids)

    @cached_property
    def grouped_qubo(self) -> QUBOBatch:
        """The same QUBOs holding ``G`` and each variable's weight instead of ``G_v``: memory
        ``f1^2`` instead of ``m^2`` (K-bit fixed point: ``K^2`` times less).

        >>> p = LayerProblem(gram=np.eye(2) + 1, target=[[0.4, -0.2]], base=[[0, -0.5]], coeffs=[[0.5, 0.25, 0.5]],
        ...                  variable_weight=[0, 0, 1])
        >>> v = np.array([[[1, 0, 1], [0, 1, 1]]])
        >>> bool(np.allclose(p.grouped_qubo.energies(v), p.qubo.energies(v)))
        True
        """
        return QUBOBatch(self.gram, self.coeffs, self.linear, self.offset, self.neuron_ids, self.variable_weight)

    def decode(self, states: np.ndarray, neurons=None) -> np.ndarray:
        """Weights ``(..., f1)`` of binary ``states`` ``(n_sel, ..., m)`` of the selected neurons."""
        sel = slice(None) if neurons is None else neurons
        v = np.asarray(states, dtype=np.float64)
        c = self.coeffs[sel]
        base = self.base[sel]
        extra = v.ndim - 2
        c = c.reshape(c.shape[:1] + (1,) * extra + c.shape[1:])
        base = base.reshape(base.shape[:1] + (1,) * extra + base.shape[1:])
        return base + np.add.reduceat(c * v, self._first_variable, axis=-1)

    def errors(self, weights: np.ndarray, neurons=None) -> np.ndarray:
        """Reconstruction error of weights ``(n_sel, ..., f1)`` of the selected neurons."""
        sel = slice(None) if neurons is None else neurons
        w = np.asarray(weights, dtype=np.float64)
        shape = (-1,) + (1,) * (w.ndim - 2) + (self.fan_in,)
        cross = np.sum(w * self.target_field[sel].reshape(shape), axis=-1)
        own = np.einsum("...j,jk,...k->...", w, self.gram, w, optimize=True)
        return self.target_energy[sel].reshape(shape[:-1]) - 2.0 * cross + own

    def energies(self, states: np.ndarray, neurons=None) -> np.ndarray:
        """Reconstruction error of ``states`` ``(n_sel, ..., m)``: the QUBO energy."""
        return self.errors(self.decode(states, neurons), neurons)

    def encode(self, weights: np.ndarray) -> np.ndarray:
        """Binary states ``(n, m)`` whose decoded weights are nearest to ``weights`` ``(n, f1)``.

        Exact for weights the encoding can represent (each weight's variables are read as
        an unsigned binary number of steps from ``base``; steps are clipped to the window).
        """
        step = self.coeffs[:, self._first_variable]  # the least significant variable's move
        steps = np.rint((np.asarray(weights) - self.base) / np.where(step == 0, 1, step))
        width = np.bincount(self.variable_weight, minlength=self.fan_in)
        steps = np.clip(steps, 0, 2**width - 1).astype(np.int64)
        return ((steps[:, self.variable_weight] >> self._bit_position) & 1).astype(np.int8)
