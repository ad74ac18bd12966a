"""The rounding QUBO: energy == reconstruction error, decomposition, grids."""
import numpy as np
import pytest

from annealq.formulations import Grid, LayerProblem, augment, bias_grid, rounding_problem


def layer(rng, n, f, with_bias):
    w = rng.normal(size=(n, f)) / np.sqrt(f)
    b = rng.normal(size=n) * 0.1 if with_bias else None
    x = rng.uniform(-1, 1, size=(40, f))
    return w, b, x


@pytest.mark.parametrize("bits", range(1, 9))
@pytest.mark.parametrize("shape", [(3, 5), (6, 2), (2, 9)])
@pytest.mark.parametrize("with_bias", [True, False])
@pytest.mark.parametrize("levels", [2, 4])
def test_energy_plus_constant_is_reconstruction_error(bits, shape, with_bias, levels):
    rng = np.random.default_rng(bits * 100 + shape[1] * 10 + levels)
    w, b, x = layer(rng, *shape, with_bias)
    p = rounding_problem(w, b, x, weight_grid=Grid.fit(w, bits), bias_grid=bias_grid(b) if with_bias else None,
                         levels=levels)
    xa = augment(x, with_bias)
    target = np.hstack([w, b[:, None]]) if with_bias else w
    for i in range(p.num_neurons):
        bqm = p.qubo.bqm(i)
        for v in rng.integers(0, 2, size=(5, p.num_variables)):
            wq = p.decode(v[None], neurons=[i])[0]
            direct = float(((xa @ (target[i] - wq)) ** 2).sum())
            assert bqm.energy(v) == pytest.approx(direct, rel=1e-9, abs=1e-9)
        # the constant alone is the error of the all-zero state (the weights at their lower levels)
        lower = p.decode(np.zeros((1, p.num_variables)), neurons=[i])[0]
        assert bqm.offset == pytest.approx(float(((xa @ (target[i] - lower)) ** 2).sum()), rel=1e-9, abs=1e-9)


def test_per_neuron_decomposition_sums_to_layer_objective():
    rng = np.random.default_rng(7)
    w, b, x = layer(rng, 5, 6, True)
    p = rounding_problem(w, b, x, weight_grid=Grid.fit(w, 3), bias_grid=bias_grid(b))
    v = rng.integers(0, 2, size=(p.num_neurons, p.num_variables))
    wq = p.decode(v)
    xa = augment(x, True)
    whole = float((((xa @ np.hstack([w, b[:, None]]).T) - xa @ wq.T) ** 2).sum())
    parts = sum(p.qubo.bqm(i).energy(v[i]) for i in range(p.num_neurons))
    assert parts == pytest.approx(whole, rel=1e-10)


@pytest.mark.parametrize("bits", range(1, 9))
@pytest.mark.parametrize("levels", [2, 4, 8])
def test_decoded_weights_lie_on_the_grid_and_in_range(bits, levels):
    rng = np.random.default_rng(bits)
    w, b, x = layer(rng, 4, 7, True)
    g = Grid.fit(w, bits)
    bg = bias_grid(b)
    p = rounding_problem(w, b, x, weight_grid=g, bias_grid=bg, levels=levels)
    wq = p.decode(rng.integers(0, 2, size=(4, p.num_variables)))
    codes = g.codes(wq[:, :-1])
    assert np.allclose(g.values(codes), wq[:, :-1])
    assert codes.min() >= 0 and codes.max() < 2**bits
    assert np.allclose(bg.values(bg.codes(wq[:, -1:])), wq[:, -1:])
    ints = g.signed(codes)
    assert ints.min() >= (-1 if bits == 1 else -(2 ** (bits - 1))) and ints.max() <= (1 if bits == 1 else 2 ** (bits - 1) - 1)


def test_floor_ceil_candidates_bracket_each_weight():
    rng = np.random.default_rng(3)
    w, _, x = layer(rng, 3, 8, False)
    g = Grid.fit(w, 4, "absmax")
    p = rounding_problem(w, None, x, weight_grid=g)
    lo, hi = p.decode(np.zeros((3, 8))), p.decode(np.ones((3, 8)))
    inside = (w >= g.values(np.zeros_like(w)) - 1e-12) & (w <= g.values(np.full_like(w, 15)) + 1e-12)
    assert np.all((lo[inside] <= w[inside] + 1e-12) & (w[inside] <= hi[inside] + 1e-12))
    assert np.allclose(hi - lo, g.step[:, None])


def test_binary_grid_is_symmetric():
    g = Grid.fit(np.array([[0.2, -0.4, 0.6]]), 1, "absmax")
    assert np.allclose(g.values(np.array([[0, 1]])), [[-0.4, 0.4]])
    assert set(g.signed(np.array([[0, 1]]))[0].tolist()) == {-1, 1}


def test_mse_scale_never_worse_than_absmax():
    w = np.random.default_rng(0).standard_t(3, size=(16, 64))
    for bits in (1, 2, 3, 4):
        errs = {s: ((Grid.fit(w, bits, s).nearest(w) - w) ** 2).sum() for s in ("absmax", "mse")}
        assert errs["mse"] <= errs["absmax"] * (1 + 1e-12)


def test_round_to_nearest_is_plain_rounding():
    w = np.random.default_rng(1).normal(size=(4, 9))
    g = Grid.fit(w, 4, "absmax")
    q = np.clip(np.round(w / g.scale[:, None]), -8, 7) * g.scale[:, None]
    assert np.allclose(g.nearest(w), q)


def test_encode_decode_roundtrip():
    rng = np.random.default_rng(5)
    w, b, x = layer(rng, 3, 4, True)
    p = rounding_problem(w, b, x, weight_grid=Grid.fit(w, 3), bias_grid=bias_grid(b), levels=4)
    v = rng.integers(0, 2, size=(3, p.num_variables)).astype(np.int8)
    assert np.array_equal(p.encode(p.decode(v)), v)


def test_dead_inputs_keep_round_to_nearest():
    rng = np.random.default_rng(2)
    w, b, x = layer(rng, 3, 5, True)
    x[:, 1] = 0.0
    g = Grid.fit(w, 2)
    p = rounding_problem(w, b, x, weight_grid=g, bias_grid=bias_grid(b))
    for v in (np.zeros((3, p.num_variables)), np.ones((3, p.num_variables))):
        assert np.allclose(p.decode(v)[:, 1], g.nearest(w)[:, 1])
    assert p.meta["dead_inputs"] == 1


@pytest.mark.parametrize("bad", [0, 9, -1, 2.5, True])
def test_bad_bits_are_refused(bad):
    with pytest.raises(ValueError, match="bits"):
        Grid.fit(np.ones((2, 2)), bad)


def test_bad_problem_input_is_refused():
    with pytest.raises(ValueError, match="NaN"):
        LayerProblem(gram=np.eye(2), target=[[np.nan, 0]], base=np.zeros((1, 2)), coeffs=np.ones((1, 2)))
    with pytest.raises(ValueError, match="levels"):
        rounding_problem(np.ones((1, 2)), None, np.ones((3, 2)), weight_grid=Grid.symmetric(2, [1.0]), levels=3)
    with pytest.raises(ValueError, match="gram"):
        LayerProblem(gram=np.eye(3), target=[[1.0, 0.0]], base=np.zeros((1, 2)), coeffs=np.ones((1, 2)))
    with pytest.raises(ValueError, match="variable_weight"):
        LayerProblem(gram=np.eye(2), target=[[1.0, 0.0]], base=np.zeros((1, 2)), coeffs=np.ones((1, 2)),
                     variable_weight=[1, 0])
