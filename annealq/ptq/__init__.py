"""Post-training quantization by the exact rounding QUBO, with RTN and GPTQ on the same grids."""
from annealq.lazy import exports

__getattr__, __all__ = exports(__name__, {
    "QuantConfig": "annealq.ptq.config",
    "LayerQuantization": "annealq.ptq.layer",
    "quantize_layer": "annealq.ptq.layer",
    "LayerContext": "annealq.ptq.methods",
    "method_names": "annealq.ptq.methods",
    "register_method": "annealq.ptq.methods",
    "Allocation": "annealq.ptq.mixed",
    "allocate_bits": "annealq.ptq.mixed",
    "LayerReport": "annealq.ptq.pipeline",
    "QuantizationResult": "annealq.ptq.pipeline",
    "quantize": "annealq.ptq.pipeline",
    "quantize_model": "annealq.ptq.pipeline",
})
