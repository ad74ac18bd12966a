"""The torch side shared by the workflows: walk models, capture layer inputs, reference models."""
from annealq.nn.modules import layer_inputs, linear_layers, passed_through

__all__ = ["layer_inputs", "linear_layers", "passed_through"]
