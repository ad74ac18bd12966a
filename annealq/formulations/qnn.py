"""Training a binary-weight network on a batch as a quadratic binary problem with linear constraints.

The network is ``x -> W1 -> activation -> W2 -> o`` with weights ``s_l * (2 b - 1)`` (binary
``b``, one scale per layer) and integer inputs (levels), so a hidden pre-activation in units
of ``s_in * s1`` is the integer ``Z = 2 X.b - |X|_1``.

- **Forward interval propagation (FIP)**: from the input ranges and the weight levels every
  pre-activation lies in a known interval (:func:`annealq.formulations.splines.fip_interval`:
  per unit, from the data's input maxima; per sample, ``[-|x|_1, |x|_1]``).  The unit interval is split into pieces
  with integer knots and the activation and the loss are replaced by their piecewise-linear
  :class:`~annealq.formulations.splines.Spline` on those pieces (equal to the function at every knot).
- **Lifting**: per sample and unit, one-hot piece selectors ``sigma_k`` (only the pieces the
  sample's own interval meets) and, per piece, the integer offset ``delta_k`` of ``Z`` in
  the piece in binary, with ``Z = sum_k (lo_k sigma_k + delta_k)`` and
  ``delta_k <= width_k sigma_k`` (linear, integer coefficients: the "bound" penalty rule is
  exact).  The spline activation ``h = sum_k (f(lo_k) sigma_k + slope_k delta_k)`` is then
  *linear* in binaries, the output ``o`` is linear, and the squared error is quadratic.
  Any other loss becomes a spline on ``o``'s FIP interval with its own one-hot selectors
  ``tau`` and the linear constraints that ``o`` lies in the selected piece; its value
  ``sum_m tau_m (v_m + g_m (o - lo_m))`` is quadratic.
- **Blocks**: with both layers' weights free, ``W2 * h(W1)`` would make the loss quartic, so a
  problem holds one layer's weights (:func:`hidden_block`: ``W1`` with ``W2`` fixed;
  :func:`output_block`: ``W2`` with ``W1`` fixed); training alternates them.

A :class:`QCBO` holds the objective as dense arrays, its linear constraints, its weight bits
(first, in every block, so per-sample subproblems share them) and the piece groups that
:meth:`QCBO.complete` fills from the weights (the feasible lifting of a network);
:meth:`QCBO.cqm` is the ``dimod.ConstrainedQuadraticModel`` (one-hot groups by
``add_discrete``; every constraint linear, so ``dimod.cqm_to_bqm`` applies).  Variables per
sample and hidden unit: ``P`` selectors and ``sum_k bitlength(width_k)`` offset bits;
constraints per sample and unit: 1 one-hot, 1 equality, ``P`` inequalities; per sample and
class with a spline loss: ``L`` selectors, 1 one-hot and 2 inequalities (:func:`size_formula`).

Example:
    >>> import numpy as np
    >>> x = np.array([[1, 0], [1, 1]])
    >>> w2 = np.array([[1.0]])
    >>> problem = hidden_block(x, [0, 0], w2, hidden=1, activation="relu", pieces=2, loss="squared")
    >>> problem.num_weights, problem.num_variables, len(problem.constraints)
    (2, 12, 8)
    >>> state = problem.complete([1, 0])
    >>> problem.feasible(state), round(problem.energy(state), 6)
    (True, 0.5)
"""
from __future__ import annotations

from dataclasses import dataclass, field

import dimod
import numpy as np

from annealq.formulations.splines import (activation_peak, activation_spline, check_activation, check_loss,
                                          check_pieces, fip_interval, loss_spline)

# -- the problem -------------------------------------------------------------------------


@dataclass
class PieceGroup:
    """One-hot selectors of the piece an expression lies in (one unit and sample, or one output).

    ``expr`` is ``(indices, coefficients, constant)`` over earlier variables; piece ``k`` is
    ``[lower[k], upper[k]]``; ``offsets[k]`` are the bits of the integer offset of ``expr``
    in piece ``k`` (empty for a loss group, whose expression is real).
    """

    expr: tuple
    lower: np.ndarray
    upper: np.ndarray
    selectors: np.ndarray
    offsets: list


@dataclass(eq=False)
class QCBO:
    """``min x^T U x + c.x + offset`` over binary ``x`` s.t. linear constraints (U strictly upper).

    Attributes:
        labels: variable names (weights first: ``num_weights`` of them).
        quadratic, linear, offset: the objective.
        constraints: ``(label, indices, coefficients, sense, rhs)`` with sense ``"=="``/``"<="``.
        onehot: labels of the constraints that are one-hot groups.
        groups: the piece groups, in the order :meth:`complete` fills them.
    """

    labels: list
    quadratic: np.ndarray
    linear: np.ndarray
    offset: float
    num_weights: int
    constraints: list = field(default_factory=list)
    onehot: set = field(default_factory=set)
    groups: list = field(default_factory=list)

    @property
    def num_variables(self) -> int:
        return len(self.labels)

    def energy(self, x) -> float | np.ndarray:
        """The objective of states ``x`` (``(..., m)``)."""
        x = np.asarray(x, dtype=np.float64)
        out = np.einsum("...j,jk,...k->...", x, self.quadratic, x) + x @ self.linear + self.offset
        return float(out) if x.ndim == 1 else out

    def constraint_matrix(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(A, rhs, is_equality)`` dense, one row per constraint."""
        a = np.zeros((len(self.constraints), self.num_variables))
        rhs = np.zeros(len(self.constraints))
        eq = np.zeros(len(self.constraints), dtype=bool)
        for r, (_, idx, coef, sense, b) in enumerate(self.constraints):
            np.add.at(a[r], idx, coef)
            rhs[r], eq[r] = b, sense == "=="
        return a, rhs, eq

    def violations(self, x) -> dict:
        """``{label: violation >= 0}`` of one state."""
        x = np.asarray(x, dtype=np.float64)
        out = {}
        for label, idx, coef, sense, b in self.constraints:
            lhs = float(coef @ x[idx])
            out[label] = abs(lhs - b) if sense == "==" else max(lhs - b, 0.0)
        return out

    def feasible(self, x, tol: float = 1e-9) -> bool:
        return all(v <= tol for v in self.violations(x).values())

    def complete(self, weight_bits) -> np.ndarray:
        """The feasible state of the network ``weight_bits`` (selectors and offsets filled)."""
        x = np.zeros(self.num_variables, dtype=np.int8)
        x[: self.num_weights] = np.asarray(weight_bits, dtype=np.int8).reshape(-1)
        for g in self.groups:
            idx, coef, const = g.expr
            value = float(coef @ x[idx]) + const
            k = int(np.argmax((g.lower <= value + 1e-9) & (value <= g.upper + 1e-9)))
            x[g.selectors[k]] = 1
            if len(g.offsets[k]):
                offset = int(round(value - g.lower[k]))
                x[g.offsets[k]] = (offset >> np.arange(len(g.offsets[k]))) & 1
        return x

    def cqm(self) -> dimod.ConstrainedQuadraticModel:
        """The problem as a dimod CQM (objective from numpy arrays; one-hot groups discrete)."""
        cqm = dimod.ConstrainedQuadraticModel()
        objective = dimod.BinaryQuadraticModel(self.linear, self.quadratic, self.offset, dimod.BINARY)
        objective.relabel_variables(dict(enumerate(self.labels)))
        cqm.set_objective(objective)
        for v in self.labels:  # keep every variable, also one the objective does not touch
            if v not in cqm.variables:
                cqm.add_variable("BINARY", v)
        for label, idx, coef, sense, b in self.constraints:
            names = [self.labels[i] for i in idx]
            if label in self.onehot:
                cqm.add_discrete(names, label=label)
            else:
                cqm.add_constraint_from_iterable(list(zip(names, coef.tolist())), sense, rhs=b, label=label)
        return cqm

    def state_from_sample(self, sample) -> np.ndarray:
        """A sample (dict by label) as a state vector."""
        return np.array([sample[v] for v in self.labels], dtype=np.int8)


class _Builder:
    """Variables, a dense objective and linear constraints, added term by term."""

    def __init__(self, weight_labels):
        self.labels = list(weight_labels)
        self.num_weights = len(self.labels)
        self.terms: list = []  # (i, j, value) quadratic, i == j folds into linear
        self.linear: list = []
        self.offset = 0.0
        self.constraints: list = []
        self.onehot: set = set()
        self.groups: list = []

    def new(self, label) -> int:
        self.labels.append(label)
        return len(self.labels) - 1

    def add_square(self, expr, weight: float):
        """``weight * (expr)^2`` for a linear ``expr = (idx, coef, const)``."""
        idx, coef, const = expr
        self.terms.append((idx[:, None], idx[None, :], weight * np.outer(coef, coef)))
        self.linear.append((idx, 2 * weight * const * coef))
        self.offset += weight * const * const

    def add_linear(self, expr, weight: float):
        idx, coef, const = expr
        self.linear.append((idx, weight * coef))
        self.offset += weight * const

    def add_product(self, var: int, expr, weight: float):
        """``weight * x_var * expr``."""
        idx, coef, const = expr
        self.terms.append((np.full((1, len(idx)), var), idx[None, :], weight * coef[None, :]))
        self.linear.append((np.array([var]), np.array([weight * const])))

    def constrain(self, label, expr, sense, rhs):
        idx, coef, const = _merge(expr)
        sign = -1.0 if sense == ">=" else 1.0  # stored as "==" or "<="
        self.constraints.append((label, idx, sign * coef, "==" if sense == "==" else "<=", sign * float(rhs - const)))

    def piece_group(self, tag, expr, lower, upper, integer: bool) -> PieceGroup:
        """Selectors (and integer offsets) for ``expr`` in one of the pieces; its constraints."""
        lower, upper = np.asarray(lower, float), np.asarray(upper, float)
        sel = np.array([self.new(f"{tag}.s{k}") for k in range(len(lower))])
        offsets = []
        for k in range(len(lower)):
            nbits = int(upper[k] - lower[k]).bit_length() if integer else 0
            offsets.append(np.array([self.new(f"{tag}.d{k}.{r}") for r in range(nbits)], dtype=np.int64))
        self.constrain(f"{tag}.one", (sel, np.ones(len(sel)), 0.0), "==", 1)
        self.onehot.add(f"{tag}.one")
        idx, coef, const = expr
        if integer:
            d_idx = np.concatenate([sel] + offsets).astype(np.int64)
            d_coef = np.concatenate([lower] + [2.0 ** np.arange(len(o)) for o in offsets])
            self.constrain(f"{tag}.in", (np.concatenate([idx, d_idx]), np.concatenate([coef, -d_coef]), const), "==", 0)
            for k, o in enumerate(offsets):
                if len(o):
                    self.constrain(f"{tag}.w{k}", (np.append(o, sel[k]),
                                                    np.append(2.0 ** np.arange(len(o)), -(upper[k] - lower[k])), 0.0),
                                   "<=", 0)
        else:
            self.constrain(f"{tag}.lo", (np.concatenate([idx, sel]), np.concatenate([coef, -lower]), const), ">=", 0)
            self.constrain(f"{tag}.hi", (np.concatenate([idx, sel]), np.concatenate([coef, -upper]), const), "<=", 0)
        group = PieceGroup(expr, lower, upper, sel, offsets)
        self.groups.append(group)
        return group

    def build(self) -> QCBO:
        m = len(self.labels)
        dense = np.zeros((m, m))
        for rows, cols, vals in self.terms:
            np.add.at(dense, (np.broadcast_to(rows, vals.shape), np.broadcast_to(cols, vals.shape)), vals)
        lin = np.zeros(m)
        for idx, vals in self.linear:
            np.add.at(lin, idx, vals)
        lin += np.diag(dense)  # binary: x^2 = x
        upper = np.triu(dense, 1) + np.tril(dense, -1).T
        return QCBO(self.labels, upper, lin, float(self.offset), self.num_weights, self.constraints,
                    self.onehot, self.groups)


def _merge(expr):
    idx, coef, const = expr
    idx = np.asarray(idx, dtype=np.int64)
    uniq, inv = np.unique(idx, return_inverse=True)
    out = np.zeros(len(uniq))
    np.add.at(out, inv, np.asarray(coef, dtype=np.float64))
    keep = out != 0
    return uniq[keep], out[keep], float(const)


def _add_loss(builder: _Builder, tag: str, o_expr, target: float, loss: str, loss_pieces: int, lo: float,
              hi: float, weight: float):
    """``weight * loss(o, target)``: exact when squared, else its spline on ``[lo, hi]``."""
    if loss == "squared":
        idx, coef, const = o_expr
        builder.add_square((idx, coef, const - target), weight)
        return
    spline = loss_spline(loss, target, lo, hi if hi > lo else lo + 1e-6, loss_pieces)
    group = builder.piece_group(tag, o_expr, spline.knots[:-1], spline.knots[1:], integer=False)
    for k, s in enumerate(group.selectors):
        builder.add_linear((np.array([s]), np.array([spline.values[k] - spline.slopes[k] * spline.knots[k]]), 0.0),
                           weight)
        builder.add_product(int(s), o_expr, weight * spline.slopes[k])


def _check_data(x_int, targets, classes: int | None = None):
    x = np.asarray(x_int)
    if x.ndim != 2 or not np.issubdtype(x.dtype, np.integer) or (x < 0).any():
        raise ValueError(f"inputs must be a (samples, features) array of non-negative integers (levels), got "
                         f"shape {x.shape} dtype {x.dtype}: quantize them first (annealq.qnn.input_levels)")
    y = np.asarray(targets)
    if y.shape != (x.shape[0],) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"targets must be {x.shape[0]} integer class labels, one per sample, got shape {y.shape}")
    if classes is not None and ((y < 0) | (y >= classes)).any():
        raise ValueError(f"targets must lie in 0 .. {classes - 1} (the output layer has {classes} units)")
    return x.astype(np.int64), y.astype(np.int64)


def _one_vs_rest(y: int, c: int) -> float:
    return 1.0 if y == c else -1.0


def hidden_block(x_int, targets, w_out, *, hidden: int, activation: str = "relu", pieces: int = 4,
                 loss: str = "squared", loss_pieces: int = 4, unit: float = 1.0,
                 unit_interval: tuple | None = None) -> QCBO:
    """The first layer's binary weights ``b`` (``hidden x features``, labels ``w1[j,i]``) with the
    output layer ``w_out`` (``classes x hidden``, real) fixed; mean loss over the samples.

    Args:
        x_int: ``(N, d)`` non-negative integer inputs; ``targets``: ``(N,)`` class labels.
        unit: real pre-activation of one integer step (``s_in * s1``).
        unit_interval: the FIP interval ``(lo, hi)`` of ``Z`` the activation spline is built on
            (default: from these samples); give the training set's so every batch shares knots.
    """
    w_out = np.asarray(w_out, dtype=np.float64)
    check_pieces(hidden, "hidden")
    check_pieces(pieces)
    check_pieces(loss_pieces, "loss_pieces")
    check_activation(activation)
    check_loss(loss)
    x, y = _check_data(x_int, targets, w_out.shape[0] if w_out.ndim == 2 else None)
    n, d = x.shape
    if w_out.shape[1:] != (hidden,) or w_out.ndim != 2:
        raise ValueError(f"w_out must be (classes, hidden={hidden}), got {w_out.shape}")
    lo_n, hi_n = fip_interval(x)
    lo, hi = unit_interval if unit_interval is not None else (lo_n.min(), hi_n.max())
    act = activation_spline(activation, int(lo), int(hi), pieces, unit)
    builder = _Builder([f"w1[{j},{i}]" for j in range(hidden) for i in range(d)])
    for s in range(n):
        h_exprs = []
        pieces_s = [k for k in range(act.pieces) if act.knots[k] < hi_n[s] and act.knots[k + 1] > lo_n[s]] or \
                   [int(act.piece(lo_n[s]))]
        lower = np.array([max(act.knots[k], lo_n[s]) for k in pieces_s])
        upper = np.array([min(act.knots[k + 1], hi_n[s]) for k in pieces_s])
        for j in range(hidden):
            z_expr = (j * d + np.arange(d), 2.0 * x[s], -float(x[s].sum()))  # Z = 2 X.b - |X|_1
            g = builder.piece_group(f"h[{s},{j}]", z_expr, lower, upper, integer=True)
            idx = np.concatenate([g.selectors] + g.offsets).astype(np.int64)
            coef = np.concatenate([act(lower)] + [act.slopes[k] * 2.0 ** np.arange(len(o))
                                                  for k, o in zip(pieces_s, g.offsets)])
            h_exprs.append((idx, coef))
        hmax = activation_peak(act, lo_n[s], hi_n[s])
        o_idx = np.concatenate([e[0] for e in h_exprs])
        for c in range(w_out.shape[0]):
            o_coef = np.concatenate([w_out[c, j] * e[1] for j, e in enumerate(h_exprs)])
            ext = np.abs(w_out[c]).sum() * hmax
            _add_loss(builder, f"o[{s},{c}]", _merge((o_idx, o_coef, 0.0)), _one_vs_rest(y[s], c), loss,
                      loss_pieces, -ext, ext, 1.0 / n)
    return builder.build()


def output_block(h, targets, *, classes: int, scale: float, loss: str = "squared", loss_pieces: int = 4) -> QCBO:
    """The output layer's binary weights ``u`` (``classes x hidden``, labels ``w2[c,j]``,
    ``W2 = scale (2u - 1)``) on fixed hidden activations ``h`` ``(N, hidden)``; mean loss."""
    check_loss(loss)
    check_pieces(loss_pieces, "loss_pieces")
    h = np.asarray(h, dtype=np.float64)
    y = np.asarray(targets)
    if h.ndim != 2 or y.shape != (h.shape[0],):
        raise ValueError(f"h must be (samples, hidden) with one target per sample, got {h.shape} and {y.shape}")
    n, hidden = h.shape
    builder = _Builder([f"w2[{c},{j}]" for c in range(classes) for j in range(hidden)])
    for s in range(n):
        ext = scale * np.abs(h[s]).sum()
        for c in range(classes):
            o_expr = (c * hidden + np.arange(hidden), 2.0 * scale * h[s], -scale * float(h[s].sum()))
            _add_loss(builder, f"o[{s},{c}]", o_expr, _one_vs_rest(int(y[s]), c), loss, loss_pieces,
                      -ext, ext, 1.0 / n)
    return builder.build()


def size_formula(samples: int, hidden: int, classes: int, pieces: int, width_bits: int, loss_pieces: int,
                 features: int, spline_loss: bool) -> dict:
    """Upper bounds on the hidden block's size (the FIP pruning of pieces per sample only lowers them).

    >>> size_formula(8, 16, 10, 4, 4, 4, 16, False)
    {'weight_bits': 256, 'variables': 2816, 'constraints': 768}
    """
    per_unit = pieces * (1 + width_bits)
    variables = hidden * features + samples * hidden * per_unit
    constraints = samples * hidden * (2 + pieces)
    if spline_loss:
        variables += samples * classes * loss_pieces
        constraints += samples * classes * 3
    return {"weight_bits": hidden * features, "variables": variables, "constraints": constraints}
