"""Walk a torch model: which layers are quantized, which pass through, and their inputs."""
from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import torch
from torch import nn

from annealq.data.checks import check_inputs


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


def as_tensor(calibration, dtype=torch.float32, what: str = "calibration data") -> torch.Tensor:
    """Calibration data as a float tensor, with a clear error when it is not numbers, empty or not finite
    (also once in ``dtype``: a value beyond float16's range is refused, not turned into inf)."""
    x = torch.as_tensor(check_inputs(calibration, what))
    return check_inputs(x.to(dtype), f"{what} (as {str(dtype).removeprefix('torch.')})")


def float_dtype(model: nn.Module) -> torch.dtype:
    """The dtype of ``model``'s first floating-point parameter (float32 without one): what its inputs must be."""
    return next((p.dtype for p in model.parameters() if p.is_floating_point()), torch.float32)


@contextmanager
def in_float32(model: nn.Module):
    """``model``'s float16/bfloat16 parameters and buffers held as float32 inside the block, in their own
    dtype again after (gradients dropped): scores and fine-tuning steps computed at float32 precision.

    >>> layer = nn.Linear(2, 2).half()
    >>> with in_float32(layer):
    ...     inside = layer.weight.dtype
    >>> inside, layer.weight.dtype
    (torch.float32, torch.float16)
    """
    low = [(t, t.dtype) for t in (*model.parameters(), *model.buffers()) if t.dtype in (torch.float16, torch.bfloat16)]
    for t, _ in low:
        t.data = t.data.float()
    try:
        yield model
    finally:
        for t, dtype in low:
            t.data = t.data.to(dtype)
            t.grad = None
