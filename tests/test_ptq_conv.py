"""Convolutions in PTQ: energy equals the convolution's reconstruction error, brute force, grids, export."""
import copy

import dimod
import numpy as np
import pytest
import torch
from torch import nn

import annealq
from annealq.formulations import Grid, bias_grid, grams_objective, rounding_problem
from annealq.nn.layers import LayerSpec, layer_grams, patches
from annealq.ptq import QuantConfig, quantize_layer

CONVS = [
    lambda: nn.Conv2d(2, 3, 3),
    lambda: nn.Conv2d(2, 4, (2, 3), stride=2, padding=1, bias=False),
    lambda: nn.Conv2d(4, 4, 3, padding=2, dilation=2, groups=2),
    lambda: nn.Conv2d(3, 6, 3, padding="same", groups=3, padding_mode="reflect"),  # depthwise, x2
    lambda: nn.Conv1d(2, 3, 3, stride=2, padding=1),
    lambda: nn.Conv1d(4, 4, 2, dilation=3, groups=4, bias=False, padding_mode="circular", padding=1),
]


class Perturb(nn.Module):
    def forward(self, x):
        return x + 0.05 * torch.sin(7 * x)


def conv_and_input(i, samples=6):
    torch.manual_seed(i)
    conv = CONVS[i]()
    shape = (samples, conv.in_channels) + ((7, 6) if isinstance(conv, nn.Conv2d) else (9,))
    return conv, torch.rand(shape)


@pytest.mark.parametrize("i", range(len(CONVS)))
def test_patches_reproduce_the_convolution(i):
    conv, x = conv_and_input(i)
    spec = LayerSpec.of(conv)
    p = patches(conv, x)  # (groups, samples * positions, fan-in)
    w = spec.weight_matrix()
    per = spec.out_channels // spec.groups
    out = np.stack([p[g].double().numpy() @ w[g * per:(g + 1) * per].T for g in range(spec.groups)], axis=0)
    with torch.no_grad():
        y = conv(x) - (0 if conv.bias is None else conv.bias[None, :, None, None][..., 0] if x.ndim == 3
                       else conv.bias[None, :, None, None])
    ref = y.double().reshape(x.shape[0], spec.groups, per, -1).permute(1, 0, 3, 2).reshape(spec.groups, -1, per)
    assert np.allclose(out, ref.numpy(), atol=1e-5)


@pytest.mark.parametrize("i", range(len(CONVS)))
def test_energy_equals_the_convolution_reconstruction_error(i):
    """With quantized inputs and a float target: QUBO energy == ||conv_f(x_f) - conv_q(x_q)||^2, per channel."""
    conv, x = conv_and_input(i)
    xq = Perturb()(x)  # what the layer sees behind quantized layers
    spec = LayerSpec.of(conv)
    float_conv = copy.deepcopy(conv)
    acc = layer_grams(conv, nn.Sequential(Perturb(), conv), x, float_model=nn.Sequential(nn.Identity(), float_conv),
                      float_layer=float_conv, batch_size=4)
    w, b = spec.weight_matrix(), spec.bias()
    wg, bg = Grid.fit(w, 2), None if b is None else bias_grid(b)
    per = spec.out_channels // spec.groups
    rng = np.random.default_rng(i)
    wq = np.zeros((spec.out_channels, spec.fan_in + (b is not None)))
    energies = []
    for g in range(spec.groups):
        rows = np.arange(g * per, (g + 1) * per)
        target = w[rows] if b is None else np.hstack([w[rows], b[rows, None]])
        p = rounding_problem(w[rows], None if b is None else b[rows], weight_grid=Grid.symmetric(2, wg.scale[rows]),
                             bias_grid=None if bg is None else Grid.symmetric(8, bg.scale[rows]),
                             objective=grams_objective(target, **acc.objective(g)), neuron_ids=rows)
        v = rng.integers(0, 2, size=(per, p.num_variables))
        wq[rows] = p.decode(v)
        energies.append(p.qubo.energies(v))
    qconv = CONVS[i]()
    LayerSpec.of(qconv).write(wq[:, :spec.fan_in], None if b is None else wq[:, -1])
    with torch.no_grad():
        diff = (conv(x).double() - qconv(xq).double()) ** 2
    direct = diff.transpose(0, 1).reshape(spec.out_channels, -1).sum(1).numpy()
    assert np.allclose(np.concatenate(energies), direct, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("i", [1, 5])
def test_small_convolution_reaches_the_brute_force_optimum(i):
    conv, x = conv_and_input(i)
    spec = LayerSpec.of(conv)
    acc = layer_grams(conv, conv, x)
    w, b = spec.weight_matrix(), spec.bias()
    assert spec.fan_in + (b is not None) <= 12
    layer = quantize_layer(w, b, config=QuantConfig(bits=3, route="tabu", num_reads=4, warm_start=False),
                           grams=[acc.objective(g) for g in range(spec.groups)])
    wg = Grid.fit(w, 3, "absmax")
    per = spec.out_channels // spec.groups
    for g in range(spec.groups):
        rows = np.arange(g * per, (g + 1) * per)
        p = rounding_problem(w[rows], None, weight_grid=Grid.symmetric(3, wg.scale[rows]),
                             objective=grams_objective(w[rows], **acc.objective(g)))
        exact = [dimod.ExactSolver().sample(p.qubo.bqm(r)).first.energy for r in range(per)]
        assert np.allclose(layer.energies[rows], exact, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("bits", [1, 3])
def test_rtn_gptq_qubo_share_the_grids_on_a_grouped_convolution(bits):
    conv, x = conv_and_input(2, samples=16)
    model = nn.Sequential(conv, nn.ReLU(), nn.Flatten(), nn.LazyLinear(5))
    model(x)
    results = {m: annealq.quantize(model, x, QuantConfig(bits=bits, method=m, route="batched", scale_refits=0)) for m in
               ("rtn", "gptq", "qubo")}
    for r in results.values():
        assert [l.kind for l in r.layers] == ["Conv2d", "Linear"] and r.layers[0].groups == 2
        for layer, module in zip(r.layers, (r.model[0], r.model[3])):
            ints = r.export()[layer.name]
            assert ints["weight_int"].shape == module.weight.shape
            shape = (-1,) + (1,) * (module.weight.ndim - 1)
            assert torch.allclose(ints["weight_scale"].reshape(shape) * ints["weight_int"].double(),
                                  module.weight.double(), atol=1e-6)
            assert int(ints["weight_int"].abs().max()) <= 2 ** max(bits - 1, 0)
    rtn_scale = results["rtn"].export()["0"]["weight_scale"]
    assert torch.allclose(results["gptq"].export()["0"]["weight_scale"], rtn_scale)
    assert torch.allclose(results["qubo"].export()["0"]["weight_scale"], rtn_scale)
    assert np.all(results["qubo"].layers[0].energies <= results["rtn"].layers[0].energies + 1e-9)
    assert results["qubo"].recon_error <= min(results["rtn"].recon_error, results["gptq"].recon_error) + 1e-9


def test_gram_accumulates_over_batches():
    conv, x = conv_and_input(3, samples=10)
    whole = layer_grams(conv, conv, x, batch_size=10).objective(1)["gram"]
    parts = layer_grams(conv, conv, x, batch_size=3).objective(1)["gram"]
    assert np.allclose(whole, parts)


def test_prior_adds_lambda_identity_and_scale_refit_never_hurts():
    conv, x = conv_and_input(0, samples=4)
    base = annealq.quantize(conv, x, QuantConfig(bits=1, route="batched", scale_refits=0))
    refit = annealq.quantize(conv, x, QuantConfig(bits=1, route="batched", scale_refits=2))
    assert np.all(refit.layers[0].energies <= base.layers[0].energies + 1e-9)
    w = LayerSpec.of(conv).weight_matrix()
    t = np.hstack([w, conv.bias.detach().double().numpy()[:, None]])
    gram = layer_grams(conv, conv, x).objective(0)["gram"]
    obj = grams_objective(t, gram, prior=0.5)
    lam = 0.5 * np.mean(np.diag(gram))
    q = t + np.random.default_rng(0).normal(size=t.shape)
    plain = np.einsum("ij,jk,ik->i", t - q, gram, t - q)
    with_prior = obj["target_energy"] - 2 * np.sum(q * obj["target_field"], 1) + np.einsum("ij,jk,ik->i", q,
                                                                                          obj["gram"], q)
    assert np.allclose(with_prior, plain + lam * ((t - q) ** 2).sum(1))
