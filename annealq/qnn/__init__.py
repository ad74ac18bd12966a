"""Training quantized networks as constrained binary optimisation (see docs/qnn.md)."""
