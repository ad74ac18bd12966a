"""Every workflow's figure, for a one-point and a many-point run: title, axis labels with units,
integer bit ticks and a vector copy (read from the figure object, not from pixels)."""
import pytest

from annealq.head import report as head_report
from annealq.prune import report as prune_report
from annealq.ptq import report as ptq_report
from annealq.qnn import report as qnn_report


@pytest.fixture
def captured(monkeypatch):
    """The figures the plots save, by module."""
    figures = []
    for module in (ptq_report, head_report, prune_report, qnn_report):
        original = module.save_figure

        def keep(fig, path, rect=None, original=original):
            figures.append(fig)
            return original(fig, path, rect)

        monkeypatch.setattr(module, "save_figure", keep)
    return figures


def ptq_rows(bits):
    rows = [{"method": "float", "bits": 32, "accuracy": 0.98, "recon_error": 0.0}]
    for b in bits:
        rows += [{"method": m, "bits": b, "accuracy": 0.9 + 0.01 * b - 0.01 * k, "recon_error": 10.0 / b + k}
                 for k, m in enumerate(("rtn", "gptq", "qubo"))]
    return rows


def integer_ticks(ax) -> bool:
    return all(float(t).is_integer() for t in ax.get_xticks())


@pytest.mark.parametrize("bits", [[4], [4, 2], [8, 4, 3, 2, 1]])
def test_ptq_figure(bits, captured, tmp_path):
    path = ptq_report.plot_ptq(ptq_rows(bits), tmp_path / "ptq.png", "reference MLP 64-128-64-10 on digits, route sa")
    fig = captured[-1]
    acc, err = fig.axes
    assert "digits" in fig._suptitle.get_text() and "route sa" in fig._suptitle.get_text()
    assert acc.get_xlabel() == "weight bits" and acc.get_ylabel() == "test accuracy (%)"
    assert integer_ticks(acc) and integer_ticks(err) and set(bits) <= {int(t) for t in acc.get_xticks()}
    assert acc.get_ylim()[1] < 100  # fitted to the methods that compete, not to an empty 0-102 axis
    assert path.with_suffix(".svg").is_file()


@pytest.mark.parametrize("bits", [[4], [1, 2, 4, 10]])
def test_head_figure(bits, captured, tmp_path):
    rows = [{"method": "lbfgs", "bits": None, "accuracy": 0.96}]
    rows += [{"method": m, "bits": k, "accuracy": 0.9 + 0.005 * k - 0.02 * i} for k in bits
             for i, m in enumerate(("qubo", "no-annealer", "lbfgs-rtn"))]
    head_report.plot_accuracy(rows, tmp_path / "head.png", "digits, d = 64, route batched")
    ax = captured[-1].axes[0]
    assert ax.get_title() == "digits, d = 64, route batched"
    assert ax.get_xlabel() == "bits per weight (K)" and ax.get_ylabel() == "test accuracy (%)" and integer_ticks(ax)


@pytest.mark.parametrize("sparsities", [[0.36], [0.2, 0.36, 0.5]])
def test_prune_figure_names_the_outlier_and_the_unit(sparsities, captured, tmp_path):
    rows = [{"method": m, "sparsity": s, "value": v - 10 * s, "metric": "psnr", "task": "denoise", "finetune_epochs": 0}
            for s in sparsities for m, v in (("fisher-qubo", 27.0), ("fisher-greedy", 27.1), ("fisher-topk", 26.9),
                                             ("random", 15.0))]
    prune_report.plot_metric(rows, 27.6, tmp_path / "prune.png", "denoise, route sa")
    ax = captured[-1].axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert "random (off scale)" in labels and ax.get_ylim()[0] > 15.0  # the axis is the competitors'
    assert ax.get_ylabel() == "psnr (test) [dB]" and "%" in ax.get_xlabel() and ax.get_title() == "denoise, route sa"
    assert {round(t) for t in ax.get_xticks()} == {round(100 * s) for s in sparsities}


def test_qnn_figure_compares_like_with_like(captured, tmp_path):
    rows = [{"method": "qcgd", "route": "sa", "bits_per_weight": 1.1, "accuracy": 0.5},
            {"method": "ste", "route": None, "bits_per_weight": 1.1, "accuracy": 0.45}]
    curves = {"qcgd": [{"seconds": 1.0, "accuracy": 0.3}, {"seconds": 2.0, "accuracy": 0.5}]}
    qnn_report.plot_qnn(rows, curves, tmp_path / "qnn.png", "digits, 16 hidden units, route sa")
    fig = captured[-1]
    time_ax, bits_ax = fig.axes
    assert time_ax.get_xlabel() == "wall time (s)" and time_ax.get_ylabel() == "test accuracy (%)"
    assert "route sa" in fig._suptitle.get_text() and "bits per weight" in bits_ax.get_xlabel()


def test_head_figure_draws_the_loss_curves_of_the_iterated_heads(captured, tmp_path):
    rows = [{"method": "lbfgs", "bits": None, "accuracy": 0.96}]
    rows += [{"method": m, "bits": k, "accuracy": 0.9, "history": [{"loss": 1.0 / (t + 1)} for t in range(3 + k)]}
             for k in (2, 4) for m in ("qubo", "no-annealer")]
    rows += [{"method": "lbfgs-rtn", "bits": 4, "accuracy": 0.88}]
    head_report.plot_accuracy(rows, tmp_path / "head.png", "digits, d = 64, route batched")
    acc, loss = captured[-1].axes[:2]
    assert acc.get_title() == "digits, d = 64, route batched"
    assert loss.get_xlabel() == "iteration" and loss.get_yscale() == "log" and integer_ticks(loss)
    assert sorted(line.get_label() for line in loss.get_lines()) == ["K=2 no-annealer", "K=2 qubo", "K=4 no-annealer",
                                                                    "K=4 qubo"]
    assert [len(line.get_xdata()) for line in loss.get_lines()] == [5, 5, 7, 7]
