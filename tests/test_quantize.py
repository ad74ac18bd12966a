"""The model API: annealq.quantize on torch models."""
import pytest
import torch
from torch import nn

import annealq


def mlp():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 6), nn.ReLU(), nn.Linear(6, 3))


def test_quantize_every_linear_and_leave_the_original_untouched():
    model = mlp()
    before = [p.clone() for p in model.parameters()]
    result = annealq.quantize(model, torch.rand(64, 8), annealq.QuantConfig(bits=2, route="sa", num_reads=4))
    assert [l.name for l in result.layers] == ["0", "2"]
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    for layer, report in zip([result.model[0], result.model[2]], result.layers):
        ints = result.export()[report.name]
        assert torch.allclose(ints["weight_scale"][:, None] * ints["weight_int"].double(), layer.weight.double(),
                              atol=1e-6)
        assert len(report.energies) == layer.out_features and report.seconds > 0
    assert result.recon_error == pytest.approx(sum(l.recon_error for l in result.layers))


@pytest.mark.parametrize("inputs", ["quantized", "float"])
def test_qubo_beats_round_to_nearest(inputs):
    model, x = mlp(), torch.rand(128, 8)
    errs = {m: annealq.quantize(model, x, annealq.QuantConfig(bits=2, method=m, inputs=inputs, num_reads=5)).recon_error
            for m in ("rtn", "qubo")}
    assert errs["qubo"] < errs["rtn"]


def test_other_layers_pass_through_and_are_reported():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv1d(1, 2, 3), nn.BatchNorm1d(2), nn.Flatten(), nn.Linear(12, 4))
    result = annealq.quantize(model, torch.rand(16, 1, 8), annealq.QuantConfig(bits=4, method="rtn"))
    assert result.skipped == [("1", "BatchNorm1d")]
    assert torch.equal(result.model[1].weight, model[1].weight)
    assert [(l.name, l.kind) for l in result.layers] == [("0", "Conv1d"), ("3", "Linear")]


def test_model_without_linear_is_an_error():
    with pytest.raises(ValueError, match="no nn.Linear, nn.Conv1d or nn.Conv2d"):
        annealq.quantize(nn.Sequential(nn.ReLU()), torch.rand(4, 3))


@pytest.mark.parametrize("calibration, match", [
    (torch.rand(0, 8), "empty"), (torch.full((4, 8), float("nan")), "NaN"), (torch.rand(4, 5), "failed"),
])
def test_bad_calibration_is_an_error(calibration, match):
    with pytest.raises(ValueError, match=match):
        annealq.quantize(mlp(), calibration, annealq.QuantConfig(method="rtn"))


def test_nan_weights_are_an_error():
    model = mlp()
    with torch.no_grad():
        model[2].weight[0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        annealq.quantize(model, torch.rand(8, 8), annealq.QuantConfig(method="rtn"))
