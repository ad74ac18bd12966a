"""Local (classical) samplers offered as routes."""
from __future__ import annotations

import dimod


class BoundedExactSolver(dimod.ExactSolver):
    """dimod's brute-force ExactSolver, refusing problems too large to enumerate.

    Example:
        >>> import dimod
        >>> bqm = dimod.BinaryQuadraticModel({0: -1.0}, {}, 0, "BINARY")
        >>> float(BoundedExactSolver().sample(bqm).first.energy)
        -1.0
    """

    def __init__(self, max_variables: int = 24):
        super().__init__()
        self.max_variables = max_variables

    def sample(self, bqm, **kwargs):
        if bqm.num_variables > self.max_variables:
            raise ValueError(
                f"route 'exact' enumerates 2**n states and refuses n={bqm.num_variables} > "
                f"{self.max_variables} variables: use route 'sa' or 'tabu' for problems of this size")
        return super().sample(bqm, **kwargs)
