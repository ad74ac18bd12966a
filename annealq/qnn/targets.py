"""Target-fit training (method ``targets``) and its ablations through the same rounds and acceptance.

Round ``t`` takes the next ``batch`` training samples and, for the hidden layer and then the
output layer (on the hidden activations of the accepted hidden weights):

1. **targets**: the layer's pre-activation targets ``z* = z - eta r dL/dz`` (loss gradient per
   sample; ``r`` = RMS of ``z`` over RMS of the gradient, so ``eta`` is a relative step).  The
   output targets step the logits; the hidden targets step ``h = f(z)`` by ``dL/dh`` through the
   fixed output layer and go back through the activation (ReLU: a unit at ``z <= 0`` whose
   stepped target is ``<= 0`` keeps ``z``, the "stay off" target).  Every target is clipped to
   its FIP interval (:func:`~annealq.formulations.qnn_fit.fip_bounds`: the pre-activations any
   weights on the layer's levels can reach from the layer's actual inputs), in every layer.
2. **fit**: per neuron, ``min || A w - z*||^2`` over ``w`` on the layer's levels — one QUBO per
   neuron over its fan-in weight bits, all sharing ``A^T A`` (:func:`~annealq.formulations.qnn_fit.fit_problem`,
   a :class:`~annealq.formulations.batch.QUBOBatch`), solved by :func:`annealq.solve` on the
   configured route with the current weights as warm start (the answer is never worse than
   them on the QUBO) and recorded as journal step ``round-<t>-<layer>``.  The weight bits are the
   QUBO's only variables: they carry its terms from the first call.
3. **accept**: a neuron whose proposed weights differ from its current ones is a candidate;
   candidates are tried in order of their single-neuron loss change on ``eval_samples``
   training samples and kept when they lower the true training loss there (so it never rises).

The ablations change only where proposals come from: ``random`` (per neuron, ``k`` weights set
to other random levels, ``k`` log-uniform in ``1 .. fan-in``), ``rounding`` (the relaxed
least-squares fit rounded to the nearest levels: RTN of the fit) and ``greedy`` (single-flip
steepest descent on the same QUBO, route ``steepest``, from the current weights and
``greedy_reads - 1`` random states).  Each round's record counts, per layer, the proposals,
the accepted neurons and weight changes and how many of those came from the oracle's answer.

Example:
    >>> from annealq.qnn.toy import toy_dataset
    >>> from annealq.qnn.training import train
    >>> from annealq.qnn.config import QNNConfig
    >>> result = train(toy_dataset(), QNNConfig(hidden=3, batch=8, iterations=2, pool=0, route="exact"))
    >>> r = result.history[-1]
    >>> r["oracle_calls"], r["hidden_changes"] == r["hidden_changes_oracle"]
    (10, True)
"""
from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from annealq.formulations.qnn_fit import LEVELS, fip_bounds, fit_problem
from annealq.formulations.splines import ACTIVATIONS
from annealq.qnn.network import QuantizedMLP, loss_gradient, per_sample_loss
from annealq.samplers.solve import solve

LAYERS = ("hidden", "output")


def _rms(a) -> float:
    return float(np.sqrt(np.mean(np.square(a)))) or 1.0


def output_targets(o, y, loss: str, eta: float, bounds) -> np.ndarray:
    """``o - eta r dL/do``, clipped to ``bounds`` (module docstring)."""
    g = loss_gradient(o, y, loss)
    return np.clip(o - eta * _rms(o) / _rms(g) * g, *(b[:, None] for b in bounds))


def hidden_targets(z, w_out, o, y, loss: str, activation: str, eta: float, bounds) -> np.ndarray:
    """Hidden pre-activation targets through the fixed output layer ``w_out`` (module docstring)."""
    g_h = loss_gradient(o, y, loss) @ w_out
    h = ACTIVATIONS[activation](z)
    if activation == "relu":
        h_star = h - eta * _rms(z) / _rms(g_h) * g_h
        target = np.where((h_star <= 0) & (z <= 0), z, h_star)
    else:
        slope = 1.0 - np.tanh(z) ** 2 if activation == "tanh" else np.ones_like(z)
        g_z = g_h * slope
        target = z - eta * _rms(z) / _rms(g_z) * g_z
    return np.clip(target, *(b[:, None] for b in bounds))


def codes_to_states(codes, levels) -> np.ndarray:
    """Binary states ``(neurons, fan_in * bits)`` of weight codes (the fit QUBO's variable order)."""
    codes = np.asarray(codes)
    return levels.code_bits(codes).reshape(codes.shape[0], -1)


def states_to_codes(problem, states, scale: float, levels) -> np.ndarray:
    return levels.codes_of(problem.decode(np.asarray(states)) / scale).astype(np.int8)


def _random_proposal(codes, levels, rng) -> np.ndarray:
    out = np.array(codes)
    n, f = out.shape
    for i in range(n):
        k = int(np.clip(np.round(np.exp(rng.uniform(0, np.log(f)))), 1, f))
        idx = rng.choice(f, size=k, replace=False)
        shift = rng.integers(1, len(levels.values), size=k)
        out[i, idx] = (out[i, idx] + shift) % len(levels.values)
    return out


def propose(method: str, problem, current, *, scale: float, levels, sampler, config, journal, rng):
    """``(codes, QUBOs solved)`` of one layer's proposals by ``method``."""
    if method == "random":
        return _random_proposal(current, levels, rng), 0
    if method == "rounding":
        return levels.codes_of(problem.target / scale).astype(np.int8), 0
    warm = codes_to_states(current, levels)
    batch = problem.qubo
    if method == "greedy":
        sampler, config = "steepest", replace(config.solver, num_reads=config.greedy_reads, warm_start=True)
        starts = rng.integers(0, 2, (len(warm), config.num_reads - 1, warm.shape[1]))
        warm_starts = np.concatenate([warm[:, None], starts], axis=1).astype(np.int8)
        journal = None
    else:
        config, warm_starts = config.solver, warm[:, None]
    answers = solve(batch, sampler, config=config, warm_starts=warm_starts, journal=journal)
    return states_to_codes(problem, np.array([a.state for a in answers]), scale, levels), len(answers)


def accept(net: QuantizedMLP, layer: int, proposal, x_eval, y_eval, loss: str) -> tuple[QuantizedMLP, dict]:
    """Keep, one neuron at a time in order of its own loss change, the proposed rows that lower
    the mean loss on ``(x_eval, y_eval)``; returns the network and the counts."""
    current = net.w1 if layer == 0 else net.w2
    proposal = np.asarray(proposal, current.dtype)
    rows = np.flatnonzero((proposal != current).any(axis=1))
    a = net.inputs(x_eval)
    h = net.hidden(x_eval)
    w2 = net.weights(1)
    logits = h @ w2.T
    act = ACTIVATIONS[net.activation]
    scale, values = (net.s1, net.s2)[layer], np.asarray(LEVELS[net.weight_levels[layer]].values)

    def changed(r, logits_now, h_now):
        w = scale * values[proposal[r]]
        if layer == 0:
            col = act(a @ w)
            return logits_now + np.outer(col - h_now[:, r], w2[:, r]), col
        new = logits_now.copy()
        new[:, r] = h_now @ w
        return new, None

    base = per_sample_loss(logits, y_eval, loss).mean()
    gains = [per_sample_loss(changed(r, logits, h)[0], y_eval, loss).mean() - base for r in rows]
    order = rows[np.argsort(gains, kind="stable")]
    out, kept, weights_changed = current.copy(), [], 0
    for r, gain in zip(order, np.sort(gains, kind="stable")):
        if gain >= 0:
            break
        new_logits, col = changed(r, logits, h)
        value = per_sample_loss(new_logits, y_eval, loss).mean()
        if value < base - 1e-12:
            base, logits = value, new_logits
            if col is not None:
                h = h.copy()
                h[:, r] = col
            weights_changed += int((proposal[r] != out[r]).sum())
            out[r] = proposal[r]
            kept.append(int(r))
    net = net.with_codes(w1=out) if layer == 0 else net.with_codes(w2=out)
    return net, {"proposed": int(len(rows)), "accepted": len(kept), "changes": weights_changed,
                 "loss": float(base)}


def train_fit(net: QuantizedMLP, config, sampler, data_split, *, step, progress=None) -> tuple[list, QuantizedMLP]:
    """The rounds of the module docstring; ``data_split`` is ``(x_tr, y_tr, x_te, y_te, order,
    evals)``; ``step(name)`` gives the journal step.  Returns the history and the final network."""
    x_tr, y_tr, x_te, y_te, order, evals = data_split
    proposals_rng = np.random.default_rng([config.seed, 1])  # the ablations' own stream
    x_ev, y_ev = x_tr[evals], y_tr[evals]
    names = net.weight_levels
    history, calls, start = [], 0, time.perf_counter()
    for t in range(config.iterations):
        batch = order[t * config.batch:(t + 1) * config.batch]
        xb, yb = x_tr[batch], y_tr[batch]
        record = {"method": config.method, "iteration": t}
        for layer, name in enumerate(LAYERS):
            levels, scale = LEVELS[names[layer]], (net.s1, net.s2)[layer]
            a = net.inputs(xb) if layer == 0 else net.hidden(xb)
            w = net.weights(layer)
            bounds = fip_bounds(a, scale, levels)
            if layer == 0:
                z = a @ w.T
                target = hidden_targets(z, net.weights(1), ACTIVATIONS[net.activation](z) @ net.weights(1).T, yb,
                                        config.loss, net.activation, config.step, bounds)
            else:
                target = output_targets(a @ w.T, yb, config.loss, config.step, bounds)
            current = net.w1 if layer == 0 else net.w2
            first = t * (config.hidden + len(net.w2)) + (0 if layer == 0 else config.hidden)
            problem = fit_problem(a, target, scale=scale, levels=levels, neuron_ids=first + np.arange(len(current)))
            codes, n = propose(config.method, problem, current, scale=scale, levels=levels, sampler=sampler,
                               config=config, journal=step(f"round-{t}-{name}"), rng=proposals_rng)
            calls += n
            net, counts = accept(net, layer, codes, x_ev, y_ev, config.loss)
            oracle = config.method == "targets"
            record.update({f"{name}_proposed": counts["proposed"], f"{name}_accepted": counts["accepted"],
                           f"{name}_changes": counts["changes"],
                           f"{name}_changes_oracle": counts["changes"] if oracle else 0,
                           f"{name}_fit_error": float(problem.energies(codes_to_states(net.w1 if layer == 0
                                                                                       else net.w2, levels)[:, None]
                                                                       ).sum() / len(xb))})
        record.update({"oracle_calls": calls, "objective": record["output_fit_error"],
                       "train_loss": net.loss(x_ev, y_ev, config.loss), "train_accuracy": net.accuracy(x_ev, y_ev),
                       "accuracy": net.accuracy(x_te, y_te), "violations": 0 if net.on_levels() else 1,
                       "samples": [int(batch[0]), int(batch[-1])], "seconds": time.perf_counter() - start})
        history.append(record)
        if progress:
            progress(record)
    return history, net
