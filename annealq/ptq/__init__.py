"""Post-training quantization by the exact rounding QUBO, with RTN and GPTQ on the same grids."""
from annealq.ptq.config import QuantConfig
from annealq.ptq.layer import LayerQuantization, quantize_layer
from annealq.ptq.methods import LayerContext, method_names, register_method
from annealq.ptq.mixed import Allocation, allocate_bits
from annealq.ptq.pipeline import LayerReport, QuantizationResult, quantize, quantize_model

__all__ = ["Allocation", "LayerContext", "LayerQuantization", "LayerReport", "QuantConfig", "QuantizationResult", "allocate_bits", "method_names",
           "quantize", "quantize_layer", "quantize_model", "register_method"]
