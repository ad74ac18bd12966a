"""Layer quantization methods on shared grids: round-to-nearest, GPTQ, rounding QUBO."""
from annealq.methods.gptq import gptq
from annealq.methods.layer import LayerQuantization, quantize_layer

__all__ = ["LayerQuantization", "gptq", "quantize_layer"]
