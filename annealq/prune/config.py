"""The pruning workflow's config: a frozen dataclass validated at construction.

Example:
    >>> cfg = PruneConfig(sparsity=0.36, method="fisher-qubo-refined", refine_budget=40)
    >>> PruneConfig.from_dict(cfg.to_dict()) == cfg
    True
    >>> PruneConfig(sparsity=1.0)
    Traceback (most recent call last):
    ...
    ValueError: sparsity must be a fraction in [0, 1) of the units to remove, got 1.0
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from annealq.prune.capacity import PATHS
from annealq.prune.refine import METHODS as REFINEMENTS
from annealq.prune.registry import METHODS, method_spec  # noqa: F401 (METHODS re-exported)
from annealq.prune.scores import SIMILARITIES, check_weights
from annealq.samplers.config import (Config, SolverConfig, check_choice, check_count, check_positive, check_seed)

#: the QUBO's quadratic term: activation redundancy, or the criterion's own second-order (set) estimate
QUADRATICS = ("redundancy", "second-order")
#: the pair term when ``quadratic`` is None, per criterion (any other criterion, or a mix: ``redundancy``);
#: measured with and without fine-tuning in benchmarks/results/prune_*.json
DEFAULT_QUADRATIC = {"fisher": "second-order"}
SCOPES = ("layer", "global", "joint")
#: chosen on the held-out splits of both tasks (benchmarks/results/prune_selection.json)
DEFAULT_IMPORTANCE = {"fisher": 1.0}


@dataclass(frozen=True)
class PruneConfig(Config):
    """How to prune.

    Attributes:
        sparsity: fraction of each prunable layer's units removed (``round`` of it; at least one
            unit stays per layer).
        method: one of :data:`METHODS`: ``<criterion>-<selector>[-refined]`` or ``random``
            (:mod:`annealq.prune.registry`); ``qubo`` / ``qubo-refined`` use ``importance``.
        importance: ``{criterion: weight}`` over ``taylor``, ``fisher``, ``l1``, each criterion
            divided by its layer mean before mixing (the methods ``qubo`` and ``qubo-refined``).
        quadratic: the QUBO's pair term: ``redundancy`` (activation similarity weighted by
            ``redundancy``) or ``second-order``: the criterion's estimate of removing a *set*,
            ``(1 - x)^T F (1 - x)`` with ``F = Z^T Z / N`` for Fisher (per-sample contributions ``Z``),
            ``t t^T`` for Taylor (batch sums ``t``): pairs of units whose effects add or cancel.
            None (the default): :data:`DEFAULT_QUADRATIC`, ``second-order`` for the Fisher criterion and
            ``redundancy`` for every other (Taylor, L1, a mix); :attr:`pair_term` is the one in use.
        redundancy: weight of the similarity term; a layer of ``n`` units gets
            ``Q0 = redundancy / (n - 1) * similarity``, so a unit kept with every other fully
            similar unit kept pays about ``2 * redundancy`` times the mean importance.
        similarity: ``cosine`` or ``correlation`` of activation maps.
        exact_k: ``capacity`` (bisection on a linear multiplier), ``cqm`` or ``penalty``.
        capacity_steps: most bisection steps per layer.
        scope: ``layer`` (one QUBO and budget per layer), ``global`` (one block-diagonal QUBO over
            every layer keeping the summed budget, so layers may keep more or fewer than their share)
            or ``joint`` (``second-order`` only: one QUBO over every layer with the cross-layer terms
            and per-layer budgets, solved layer by layer with the other layers' masks held, two sweeps).
        rounds: QUBO rounds (``qubo``, ``l1-qubo``): the budget is reached in this many equal
            steps, the scores recomputed under the masks so far before each.
        refine: ``swap`` or ``tt`` (``ttopt``), for the ``-refined`` methods.
        refine_budget: evaluations of the true metric spent by the refinement.
        recalibrate_bn: recompute every BatchNorm's running statistics on the data with the masks
            applied, after choosing them (before fine-tuning and export).
        finetune_epochs: epochs of fine-tuning on the data after pruning (masks held), 0 for none.
        finetune_lr: Adam learning rate of the fine-tuning.
        loss: ``cross_entropy``, ``mse`` or None (cross-entropy for integer targets, else MSE).
        seed: the ``random`` baseline's and the refinement's seed.
        solver: route, budget and seed of the QUBO solves.
    """

    sparsity: float = 0.36
    method: str = "qubo"
    importance: dict = field(default_factory=lambda: dict(DEFAULT_IMPORTANCE))
    quadratic: str | None = None
    redundancy: float = 0.1
    similarity: str = "cosine"
    exact_k: str = "capacity"
    capacity_steps: int = 12
    scope: str = "layer"
    rounds: int = 1
    refine: str = "swap"
    refine_budget: int = 40
    recalibrate_bn: bool = False
    finetune_epochs: int = 0
    finetune_lr: float = 1e-3
    loss: str | None = None
    seed: int = 0
    solver: SolverConfig = SolverConfig()

    def __post_init__(self):
        s = self.sparsity
        if isinstance(s, bool) or not isinstance(s, (int, float)) or not math.isfinite(s) or not 0 <= s < 1:
            raise ValueError(f"sparsity must be a fraction in [0, 1) of the units to remove, got {s!r}")
        spec = method_spec(self.method)
        if self.quadratic is not None:
            check_choice("quadratic", self.quadratic, QUADRATICS)
        if self.quadratic == "second-order" and spec.selector == "qubo":
            criterion = self.criterion or "a mix"
            if criterion not in ("taylor", "fisher"):
                raise ValueError(f"quadratic='second-order' needs the taylor or fisher criterion, not {criterion}: "
                                 f"use quadratic='redundancy' or a taylor-/fisher- method")
        check_weights(self.importance)
        r = self.redundancy
        if isinstance(r, bool) or not isinstance(r, (int, float)) or not math.isfinite(r) or r < 0:
            raise ValueError(f"redundancy must be a finite weight >= 0, got {r!r}")
        check_choice("similarity", self.similarity, SIMILARITIES)
        check_choice("exact_k", self.exact_k, PATHS)
        check_count("capacity_steps", self.capacity_steps)
        check_choice("scope", self.scope, SCOPES)
        if self.scope == "joint" and self.pair_term != "second-order":
            raise ValueError("scope='joint' couples layers through the second-order term: set quadratic='second-order'")
        check_count("rounds", self.rounds)
        check_choice("refine", self.refine, REFINEMENTS)
        check_count("refine_budget", self.refine_budget)
        if not isinstance(self.recalibrate_bn, bool):
            raise ValueError(f"recalibrate_bn must be True or False, got {self.recalibrate_bn!r}")
        check_count("finetune_epochs", self.finetune_epochs, minimum=0)
        check_positive("finetune_lr", self.finetune_lr)
        if self.loss is not None:
            check_choice("loss", self.loss, ("cross_entropy", "mse"))
        if check_seed(self.seed) is None:
            raise ValueError("seed must be an integer (the random baseline and the refinement need one)")
        if not isinstance(self.solver, SolverConfig):
            raise ValueError(f"solver must be a SolverConfig, got {type(self.solver).__name__}")

    @property
    def criterion(self) -> str | None:
        """The method's criterion, else the single criterion of ``importance`` (None: a mix)."""
        name = method_spec(self.method).criterion
        return name or (next(iter(self.importance)) if len(self.importance) == 1 else None)

    @property
    def pair_term(self) -> str:
        """The QUBO's pair term in use: ``quadratic``, or when None :data:`DEFAULT_QUADRATIC` of the criterion.

        Example:
            >>> [PruneConfig(method=m).pair_term for m in ("fisher-qubo", "taylor-qubo", "l1-qubo")]
            ['second-order', 'redundancy', 'redundancy']
            >>> PruneConfig(method="taylor-qubo", quadratic="second-order").pair_term
            'second-order'
        """
        return self.quadratic or DEFAULT_QUADRATIC.get(self.criterion, "redundancy")

    def __hash__(self):  # the importance dict is not hashable by itself
        return hash(repr(self.to_dict()))
