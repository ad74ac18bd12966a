"""The torch side shared by the workflows: walk models, capture layer inputs, reference models."""
from annealq.nn.layers import LayerSpec, layer_grams, quantizable_layers
from annealq.nn.modules import layer_inputs, linear_layers, passed_through

__all__ = ["LayerSpec", "layer_grams", "layer_inputs", "linear_layers", "passed_through", "quantizable_layers"]
