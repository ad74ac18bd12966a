"""Method names: an importance criterion crossed with a selector (plus ``random``), optionally refined.

A method is ``<criterion>-<selector>[-refined]``: the criterion (``taylor``, ``fisher``, ``l1``)
gives the per-unit scores, the selector turns the same scores into masks (``topk``: the ``k``
largest per layer; ``greedy``: remove one unit, re-score, repeat; ``qubo``: the pruning QUBO,
scores as its linear term plus the configured quadratic term), ``-refined`` adds the search
against the true metric.  ``random`` ignores the scores.  The names of earlier versions stay
as aliases: ``qubo`` and ``qubo-refined`` (the config's importance mix), ``l1`` (= ``l1-topk``).

Example:
    >>> method_spec("fisher-greedy")
    MethodSpec(criterion='fisher', selector='greedy', refined=False)
    >>> method_spec("qubo-refined")
    MethodSpec(criterion=None, selector='qubo', refined=True)
    >>> [m for m in METHODS if m.startswith("l1")][:3]
    ['l1-topk', 'l1-greedy', 'l1-qubo']
"""
from __future__ import annotations

from dataclasses import dataclass

CRITERIA = ("taylor", "fisher", "l1")
SELECTORS = ("topk", "greedy", "qubo")


@dataclass(frozen=True)
class MethodSpec:
    """``criterion`` (None: the config's importance mix), ``selector`` (``topk``, ``greedy``, ``qubo``,
    ``random``) and whether the masks are then refined against the true metric."""

    criterion: str | None
    selector: str
    refined: bool = False


def _registry() -> dict[str, MethodSpec]:
    specs = {}
    for criterion in CRITERIA:
        for selector in SELECTORS:
            specs[f"{criterion}-{selector}"] = MethodSpec(criterion, selector)
    for criterion in CRITERIA:
        for selector in SELECTORS:
            specs[f"{criterion}-{selector}-refined"] = MethodSpec(criterion, selector, True)
    specs["random"] = MethodSpec(None, "random")
    specs["qubo"] = MethodSpec(None, "qubo")
    specs["qubo-refined"] = MethodSpec(None, "qubo", True)
    specs["l1"] = specs["l1-topk"]
    return specs


#: every method name, the criterion x selector grid first
METHOD_SPECS = _registry()
METHODS = tuple(METHOD_SPECS)
#: the rows every benchmark table carries: each criterion under each selector, and random
SELECTOR_ROWS = tuple(f"{c}-{s}" for c in CRITERIA for s in SELECTORS) + ("random",)


def method_spec(name: str) -> MethodSpec:
    """The spec of method ``name``, or a clear error listing the names."""
    if name not in METHOD_SPECS:
        raise ValueError(f"method={name!r} is not supported: use one of {METHODS}")
    return METHOD_SPECS[name]
