"""Walk a torch model: which layers are quantized, which pass through, and their inputs."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn


def linear_layers(model: nn.Module) -> list[tuple[str, nn.Linear]]:
    """The model's ``nn.Linear`` modules in registration order (forward order for feed-forward nets)."""
    return [(name, m) for name, m in model.named_modules() if isinstance(m, nn.Linear)]


def passed_through(model: nn.Module) -> list[tuple[str, str]]:
    """Leaf modules with parameters that annealq does not quantize: ``(name, type)``."""
    from annealq.nn.layers import QUANTIZABLE

    return [(name, type(m).__name__) for name, m in model.named_modules()
            if not isinstance(m, QUANTIZABLE) and not list(m.children()) and any(True for _ in m.parameters(recurse=False))]


@torch.no_grad()
def layer_inputs(model: nn.Module, layer: nn.Module, calibration: torch.Tensor, batch_size: int = 4096) -> np.ndarray:
    """The inputs ``(N, in_features)`` that ``layer`` sees when ``model`` runs on ``calibration``."""
    seen = []
    hook = layer.register_forward_hook(lambda m, args, out: seen.append(args[0].detach().reshape(-1, args[0].shape[-1])))
    try:
        model.eval()
        for chunk in torch.split(calibration, batch_size):
            model(chunk)
    finally:
        hook.remove()
    return torch.cat(seen).double().cpu().numpy()


def as_tensor(calibration, dtype=torch.float32) -> torch.Tensor:
    """Calibration data as a float tensor, with a clear error when it is empty or not finite."""
    if not isinstance(calibration, torch.Tensor):
        array = np.asarray(calibration)
        if array.dtype.kind not in "biuf":
            raise ValueError(f"calibration data must be numbers (a tensor or array of shape (samples, ...)), got "
                             f"{type(calibration).__name__}")
        calibration = array
    x = torch.as_tensor(calibration)
    if x.ndim == 0 or x.shape[0] == 0:
        raise ValueError("calibration data is empty: pass a (samples, features) array with at least one sample")
    x = x.to(dtype)
    if not torch.isfinite(x).all():
        raise ValueError("calibration data holds NaN or inf values")
    return x
