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


class BoundedExactCQMSolver(dimod.ExactCQMSolver):
    """dimod's brute-force ExactCQMSolver (route ``exact-cqm``), refusing models too large to enumerate.

    Example:
        >>> import dimod
        >>> x, y = dimod.Binaries("xy")
        >>> cqm = dimod.ConstrainedQuadraticModel.from_bqm(dimod.BQM({"x": -1, "y": -2}, {}, 0, "BINARY"))
        >>> _ = cqm.add_constraint(x + y == 1)
        >>> best = BoundedExactCQMSolver().sample_cqm(cqm).filter(lambda d: d.is_feasible).first.sample
        >>> int(best["x"]), int(best["y"])
        (0, 1)
    """

    parameters: dict = {}
    properties: dict = {}

    def __init__(self, max_variables: int = 20):
        self.max_variables = max_variables

    def sample_cqm(self, cqm, **kwargs):
        if len(cqm.variables) > self.max_variables:
            raise ValueError(
                f"route 'exact-cqm' enumerates 2**n states and refuses n={len(cqm.variables)} > "
                f"{self.max_variables} variables: use route 'sa' (penalty BQM) or 'hybrid-cqm' for models of this size")
        return super().sample_cqm(cqm, **kwargs)
