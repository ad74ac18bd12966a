"""Exact rounding QUBO for post-training quantization (AdaRound's objective, solved exactly).

For a layer ``y = W x + b`` and calibration inputs ``X`` (N, f), each weight picks one of
``levels`` neighbouring grid levels around its float value (2: floor/ceil; 4 or 8: a wider
window, ``log2(levels)`` binary variables per weight, shifted to stay inside the grid), and
the objective ``sum_samples ||(W - W_q) x + (b - b_q)||^2`` splits exactly into one QUBO per
output neuron over the shared Gram matrix ``G = X~^T X~`` (``X~ = [X, 1]``).

Bias: it sits on its own per-layer grid of ``bias_bits`` (default 8) with an abs-max scale,
because a bias is one number per neuron (storage is negligible) and integer kernels keep it
at least at int8.  Its variables join the neuron's QUBO like a weight's.  Given the weights,
the best bias on its grid is known in closed form (:func:`refit_bias`): the bias absorbs
the mean error of the weights' rounding, which can lie several bias steps away from the
float bias (GPTQ moves it there through error compensation too).

Inputs that are zero on every calibration sample (``G_jj = 0``) carry no signal: their
weights keep round-to-nearest and their variables get coefficient 0.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> W, b, X = rng.normal(size=(3, 5)), rng.normal(size=3), rng.normal(size=(40, 5))
    >>> from annealq.formulations import Grid
    >>> p = rounding_problem(W, b, X, weight_grid=Grid.fit(W, 4), bias_grid=bias_grid(b, 8))
    >>> (p.num_neurons, p.num_variables)  # 5 weights + the bias
    (3, 6)
"""
from __future__ import annotations

import numpy as np

from annealq.formulations.grids import Grid, check_bits
from annealq.formulations.problem import LayerProblem

LEVELS = (2, 4, 8)


def bias_grid(bias: np.ndarray, bits: int = 8) -> Grid:
    """One abs-max scale for the whole bias vector, repeated per neuron."""
    bits = check_bits(bits, what="bias_bits")
    b = np.asarray(bias, dtype=np.float64).reshape(-1, 1)
    amax = np.abs(b).max() if b.size else 0.0
    scale = amax / ((2**bits - 1) / 2) if amax > 0 else 1.0
    return Grid.symmetric(bits, np.full(b.shape[0], scale))


def variables_per_weight(levels: int, bits: int, bias_bits: int | None = None) -> int:
    """Binary variables each weight (and the bias) gets: ``log2(levels)``, capped by the grids.

    >>> variables_per_weight(4, bits=1), variables_per_weight(8, bits=4, bias_bits=8)
    (1, 3)
    """
    if levels not in LEVELS:
        raise ValueError(f"levels={levels!r} is not supported: use one of {LEVELS} candidate levels per weight")
    return min(int(np.log2(levels)), bits, *(() if bias_bits is None else (bias_bits,)))


def augment(inputs: np.ndarray, with_bias: bool) -> np.ndarray:
    """``[X, 1]`` when the layer has a bias, else ``X`` (float64)."""
    x = np.asarray(inputs, dtype=np.float64)
    return np.hstack([x, np.ones((x.shape[0], 1))]) if with_bias else x


def layer_objective(inputs, target: np.ndarray, *, with_bias: bool, float_inputs=None) -> dict:
    """Gram matrix and target terms of the layer's reconstruction error (``LayerProblem`` fields).

    With ``float_inputs`` the target is the float network's output on its own inputs while
    the quantized layer sees ``inputs`` (from the quantized layers before it).
    """
    xq = augment(inputs, with_bias)
    if float_inputs is None:
        return grams_objective(target, xq.T @ xq)
    xf = augment(float_inputs, with_bias)
    if xf.shape != xq.shape:
        raise ValueError(f"float inputs {xf.shape} and quantized inputs {xq.shape} differ in shape")
    return grams_objective(target, xq.T @ xq, xf.T @ xq, xf.T @ xf)


def grams_objective(target: np.ndarray, gram: np.ndarray, cross=None, float_gram=None, *,
                    prior: float = 0.0) -> dict:
    """``LayerProblem`` fields from Gram matrices accumulated elsewhere (batches, convolution patches).

    ``gram = X~_q^T X~_q``; ``cross = X~_f^T X~_q`` and ``float_gram = X~_f^T X~_f`` when the
    target is the float layer's output on other inputs.  ``prior`` adds
    ``lam ||w_q - t||^2`` with ``lam = prior * mean(diag(gram))`` to every neuron's error
    (``lam I`` added to the shared matrix: still one quadratic), which holds weights the
    calibration data cannot see (a rank-deficient Gram) near their float values.
    """
    gram = np.asarray(gram, dtype=np.float64)
    out = {"gram": gram}
    if cross is not None:
        out["target_field"] = target @ np.asarray(cross, dtype=np.float64)
        out["target_energy"] = np.einsum("ij,ij->i", target @ np.asarray(float_gram, dtype=np.float64), target)
    if prior:
        lam = prior * float(np.mean(np.diag(gram)))
        field = out.get("target_field", target @ gram)
        energy = out.get("target_energy", np.einsum("ij,ij->i", target @ gram, target))
        out = {"gram": gram + lam * np.eye(len(gram)), "target_field": field + lam * target,
               "target_energy": energy + lam * np.einsum("ij,ij->i", target, target)}
    return out


def window(grid: Grid, w: np.ndarray, width: int) -> np.ndarray:
    """First code of the ``width``-level window around each weight, shifted to stay on the grid."""
    first = np.floor(grid.position(w)) - (width // 2 - 1)
    return np.clip(first, 0, grid.num_levels - width).astype(np.int64)


def rounding_problem(weight, bias, inputs=None, *, weight_grid: Grid, bias_grid: Grid | None = None,
                     levels: int = 2, float_inputs=None, objective: dict | None = None,
                     neuron_ids=None) -> LayerProblem:
    """The layer's per-neuron rounding QUBOs.

    Args:
        weight: ``(n, f)`` float weights; bias: ``(n,)`` or None.
        inputs: ``(N, f)`` calibration inputs of this layer (ignored when ``objective`` is given).
        weight_grid, bias_grid: the grids (``bias_grid`` required when there is a bias).
        levels: candidate levels per weight (2, 4 or 8).
        float_inputs: the float network's inputs to this layer, when ``inputs`` come from the
            quantized network: the target is then the float layer's output.
        objective: a precomputed :func:`layer_objective` or :func:`grams_objective` (ignores ``inputs``).
        neuron_ids: each neuron's index in the whole layer (a convolution group's channels).
    """
    w = np.asarray(weight, dtype=np.float64)
    grids, cols = [weight_grid], [w]
    if bias is not None:
        if bias_grid is None:
            raise ValueError("a layer with a bias needs a bias_grid")
        grids.append(bias_grid)
        cols.append(np.asarray(bias, dtype=np.float64).reshape(-1, 1))
    target = np.hstack(cols)
    if objective is None:
        objective = layer_objective(inputs, target, with_bias=bias is not None, float_inputs=float_inputs)
    gram = objective["gram"]
    k = variables_per_weight(levels, *(g.bits for g in grids))
    base, coeffs = [], []
    for g, col in zip(grids, cols):
        first = window(g, col, 2**k)
        base.append(g.values(first))
        coeffs.append(np.tile(g.step[:, None] * 2 ** np.arange(k), (1, col.shape[1])))
    base, coeffs = np.hstack(base), np.hstack(coeffs)
    variable_weight = np.repeat(np.arange(target.shape[1]), k)
    dead = np.diag(gram) <= 0
    if dead.any():
        rtn = np.hstack([g.nearest(col) for g, col in zip(grids, cols)])
        base[:, dead] = rtn[:, dead]
        coeffs[:, dead[variable_weight]] = 0.0
    return LayerProblem(target=target, base=base, coeffs=coeffs, variable_weight=variable_weight, **objective,
                        meta={"formulation": "rounding", "levels": 2**k, "dead_inputs": int(dead.sum())},
                       neuron_ids=neuron_ids)


def refit_bias(problem: LayerProblem, weights: np.ndarray, grid: Grid) -> np.ndarray:
    """The same weights with each bias (last column) moved to its best level on ``grid``.

    For fixed weights the error is ``N (b - b*)^2 + const`` in the bias ``b``, so the nearest
    grid level to the least-squares ``b*`` is the exact best bias; the error never grows.
    """
    w = np.array(weights, dtype=np.float64)
    g = problem.gram
    if g[-1, -1] <= 0:
        return w
    best = (problem.target_field[:, -1] - w[:, :-1] @ g[:-1, -1]) / g[-1, -1]
    w[:, -1] = grid.nearest(best[:, None])[:, 0]
    return w
