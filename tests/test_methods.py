"""RTN / GPTQ / QUBO on one layer: solver quality, warm-start guarantee, bad input."""
import dimod
import numpy as np
import pytest

from annealq.formulations import Grid, bias_grid, rounding_problem
from annealq.formulations.rounding import window
from annealq.ptq import QuantConfig, quantize_layer
from annealq.ptq.layer import refit_scales
from annealq.ptq.gptq import gptq
from annealq.samplers import SolverConfig, solve


def small_layer(seed, n=4, f=5, samples=60):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, f)) / np.sqrt(f), rng.normal(size=n) * 0.2, rng.uniform(0, 1, size=(samples, f))


@pytest.mark.parametrize("bits", [1, 2, 4, 8])
@pytest.mark.parametrize("route", ["sa", "tabu"])
def test_route_reaches_brute_force_optimum(bits, route):
    w, b, x = small_layer(bits, f=5)
    p = rounding_problem(w, b, x, weight_grid=Grid.fit(w, bits), bias_grid=bias_grid(b, 8))
    assert p.num_variables <= 14
    answers = solve(p, route, config=SolverConfig(num_reads=10, num_sweeps=500, seed=1))
    for a in answers:
        exact = dimod.ExactSolver().sample(p.qubo.bqm(a.id)).first.energy
        assert a.energy == pytest.approx(exact, rel=1e-9, abs=1e-9)


class AllOnes(dimod.Sampler):
    """A poor sampler: every read is the all-ones state."""

    parameters, properties = {"num_reads": []}, {}

    def sample(self, bqm, num_reads=1, **kwargs):
        states = np.ones((num_reads, bqm.num_variables), dtype=np.int8)
        return dimod.SampleSet.from_samples_bqm((states, list(bqm.variables)), bqm)


def test_qubo_is_never_worse_than_its_warm_starts_per_neuron():
    from annealq.samplers.router import register_route, unregister_route

    register_route("all-ones", lambda arg: AllOnes())
    try:
        w, b, x = small_layer(11, n=8, f=12)
        errs = {m: quantize_layer(w, b, x, QuantConfig(bits=2, method=m, route="all-ones", num_reads=1)).energies
                for m in ("rtn", "gptq", "qubo")}
        no_warm = quantize_layer(w, b, x, QuantConfig(bits=2, route="all-ones", num_reads=1, warm_start=False))
    finally:
        unregister_route("all-ones")
    assert np.all(errs["qubo"] <= np.minimum(errs["rtn"], errs["gptq"]) + 1e-9)
    assert np.any(no_warm.energies > errs["qubo"] + 1e-9)  # the sampler alone is worse: the warm starts did it
    assert np.all(errs["qubo"] <= errs["gptq"] + 1e-9)


def test_rtn_equals_plain_rounding():
    w, b, x = small_layer(2)
    q = quantize_layer(w, b, x, QuantConfig(bits=3, method="rtn", scale="absmax"))
    s = np.abs(w).max(axis=1) / 3.5
    assert np.allclose(q.weight, np.clip(np.round(w / s[:, None]), -4, 3) * s[:, None])


def test_gptq_compensates_error():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(16, 32))
    x = rng.normal(size=(256, 32)) @ rng.normal(size=(32, 32))  # correlated inputs
    g = Grid.fit(w, 3)
    gram = x.T @ x
    err = lambda q: np.einsum("ij,jk,ik->", w - q, gram, w - q)  # noqa: E731
    assert err(gptq(w, gram, [g] * 32)) < err(g.nearest(w))


def test_seed_makes_runs_reproducible():
    w, b, x = small_layer(4, n=3, f=10)
    cfg = QuantConfig(bits=2, route="sa", num_reads=3, num_sweeps=50, warm_start=False, seed=5)
    a, c = quantize_layer(w, b, x, cfg), quantize_layer(w, b, x, cfg)
    assert np.array_equal(a.weight, c.weight)


def test_export_integers_reconstruct_weights():
    w, b, x = small_layer(6)
    q = quantize_layer(w, b, x, QuantConfig(bits=4, route="sa", num_reads=2))
    ints = q.integers()
    assert ints["weight_int"].dtype == np.int8
    assert np.allclose(ints["weight_scale"][:, None] * ints["weight_int"], q.weight)
    assert np.allclose(ints["bias_scale"] * ints["bias_int"], q.bias)


def test_float_target_with_quantized_inputs_is_exact():
    w, b, x = small_layer(8)
    xq = x + np.random.default_rng(0).normal(scale=0.05, size=x.shape)
    p = rounding_problem(w, b, xq, weight_grid=Grid.fit(w, 2), bias_grid=bias_grid(b), float_inputs=x)
    v = np.random.default_rng(1).integers(0, 2, size=(4, p.num_variables))
    wq = p.decode(v)
    direct = (((np.c_[x, np.ones(len(x))] @ np.c_[w, b].T) - np.c_[xq, np.ones(len(x))] @ wq.T) ** 2).sum(0)
    assert np.allclose([p.qubo.bqm(i).energy(v[i]) for i in range(4)], direct)


@pytest.mark.parametrize("kwargs, match", [
    ({"bits": 0}, "bits"), ({"bits": 9}, "bits"), ({"method": "brecq"}, "method"),
    ({"levels": 3}, "levels"), ({"num_reads": 0}, "num_reads"), ({"num_reads": True}, "num_reads"),
    ({"seed": "abc"}, "seed"), ({"seed": -1}, "seed"), ({"warm_start": "no"}, "warm_start"),
    ({"chain_strength": float("inf")}, "chain_strength"), ({"prior": -1.0}, "prior"),
    ({"scale_refits": True}, "scale_refits"), ({"prior": float("nan")}, "prior"),
])
def test_bad_config_is_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        QuantConfig(**kwargs)


def test_routes_are_checked_when_used_not_when_configured():
    cfg = QuantConfig(route="quantum-magic")  # a route registered later may still be named here
    w, b, x = small_layer(9)
    with pytest.raises(ValueError, match="unknown route"):
        quantize_layer(w, b, x, cfg)


def test_bad_layer_input_is_refused():
    w, b, x = small_layer(9)
    cfg = QuantConfig(bits=2, method="rtn")
    with pytest.raises(ValueError, match="NaN"):
        quantize_layer(np.where(w > 0, np.nan, w), b, x, cfg)
    with pytest.raises(ValueError, match="empty"):
        quantize_layer(w, b, x[:0], cfg)
    with pytest.raises(ValueError, match="features"):
        quantize_layer(w, b, x[:, :3], cfg)


def test_exact_route_refuses_large_problems():
    w, b, x = small_layer(10, n=1, f=30)
    with pytest.raises(ValueError, match="exact"):
        quantize_layer(w, b, x, QuantConfig(bits=2, route="exact"))


def test_route_budgets_and_refit_defaults():
    assert QuantConfig(route="batched").solver.parameters() == {}  # the batched route's own budget
    assert QuantConfig(route="sa").solver.parameters() == {"num_reads": 20, "num_sweeps": 1000}
    assert QuantConfig(route="batched", num_reads=3).solver.num_reads == 3
    assert [QuantConfig(bits=b).refits for b in (1, 2, 3, 8)] == [2, 0, 0, 0]
    assert QuantConfig(bits=1, method="adaround").refits == 2
    assert QuantConfig(bits=1, method="gptq").refits == 0 and QuantConfig(bits=4, scale_refits=1).refits == 1


def test_scale_refit_is_least_squares_and_never_worse():
    w, b, x = small_layer(12, n=6, f=8)
    base = quantize_layer(w, b, x, QuantConfig(bits=1, route="steepest", scale_refits=0))
    refit = quantize_layer(w, b, x, QuantConfig(bits=1, route="steepest", scale_refits=2))
    assert np.all(refit.energies <= base.energies + 1e-9)
    # refit_scales: for fixed codes and bias, the least-squares scale (a small change of it only adds error)
    p = rounding_problem(w, b, x, weight_grid=Grid.fit(w, 2, "absmax"), bias_grid=bias_grid(b))
    q = quantize_layer(w, b, x, QuantConfig(bits=2, method="gptq"))
    q = np.c_[q.weight, q.bias]
    grid = Grid.fit(w, 2, "absmax")
    s = refit_scales(p, [q], grid, with_bias=True)
    z = grid.signed(grid.codes(q[:, :-1]))
    best = p.errors(np.c_[s[:, None] * z, q[:, -1]])
    assert np.all(best <= p.errors(q) + 1e-9)
    for eps in (1e-3, -1e-3):
        assert np.all(p.errors(np.c_[(s * (1 + eps))[:, None] * z, q[:, -1]]) >= best - 1e-12)


def test_adaround_picks_floor_or_ceil_of_every_weight():
    from annealq.ptq.adaround import adaround

    w, b, x = small_layer(3, n=6, f=8)
    grid = Grid.fit(w, 2)
    q = adaround(rounding_problem(w, None, x, weight_grid=grid), iterations=200)
    codes, first = grid.codes(q), window(grid, w, 2)
    assert np.allclose(grid.values(codes), q)
    assert np.all((codes == first) | (codes == first + 1))


def test_adaround_rounds_to_nearest_when_the_error_is_separable():
    from annealq.ptq.adaround import adaround

    rng = np.random.default_rng(0)
    w = rng.normal(size=(5, 7))
    grid = Grid.fit(w, 3)
    identity = np.eye(7) * 40.0  # orthogonal inputs: each weight's own squared error, nearest level best
    problem = rounding_problem(w, None, weight_grid=grid, objective={"gram": identity})
    assert np.allclose(adaround(problem, iterations=300), grid.nearest(w))


def test_adaround_is_a_ptq_method_and_refuses_wide_windows():
    from annealq.ptq.adaround import adaround

    w, b, x = small_layer(1)
    layer = quantize_layer(w, b, x, QuantConfig(bits=2, method="adaround"))
    assert layer.recon_error <= quantize_layer(w, b, x, QuantConfig(bits=2, method="rtn")).recon_error
    problem = rounding_problem(w, None, x, weight_grid=Grid.fit(w, 4), levels=4)
    with pytest.raises(ValueError, match="use levels=2"):
        adaround(problem)
