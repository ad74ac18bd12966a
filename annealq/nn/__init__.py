"""The torch side: walk models, capture calibration inputs, write quantized weights back."""
from annealq.nn.modules import layer_inputs, linear_layers, passed_through
from annealq.nn.quantize import LayerReport, QuantizationResult, quantize

__all__ = ["LayerReport", "QuantizationResult", "layer_inputs", "linear_layers", "passed_through", "quantize"]
