"""Names a package exports, loaded on first use, so importing a package (and ``annealq --help``)
stays light: torch, dimod and scikit-learn load only when a name that needs them is used.

Example:
    >>> getattr_, names = exports("demo", {"sqrt": "math"})
    >>> getattr_("sqrt")(9.0), names
    (3.0, ['sqrt'])
"""
from __future__ import annotations

from importlib import import_module


def exports(package: str, names: dict[str, str]):
    """``(__getattr__, __all__)`` for ``package``: each name from the module ``names`` maps it to."""
    def __getattr__(name):
        if name in names:
            return getattr(import_module(names[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    return __getattr__, sorted(names)
