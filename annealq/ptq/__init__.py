"""Post-training quantization by the exact rounding QUBO, with RTN and GPTQ on the same grids."""
from annealq.ptq.config import QuantConfig
from annealq.ptq.layer import LayerQuantization, quantize_layer
from annealq.ptq.methods import LayerContext, method_names, register_method
from annealq.ptq.pipeline import LayerReport, QuantizationResult, quantize, quantize_model

__all__ = ["LayerContext", "LayerQuantization", "LayerReport", "QuantConfig", "QuantizationResult", "method_names",
           "quantize", "quantize_layer", "quantize_model", "register_method"]
