"""One handler registry keyed by config type: a workflow's verb runs what its config names.

Each workflow registers the function that runs it for its config type
(``register_handler(QuantConfig)(quantize_model)``); a verb such as :func:`annealq.quantize`
looks its handler up by the type of the config it is given, so a new config type plugs in
without touching the verb.

Example:
    >>> import annealq
    >>> handler(annealq.QuantConfig()).__name__
    'quantize_model'
    >>> handler(object())
    Traceback (most recent call last):
    ...
    TypeError: no workflow handles a config of type object: pass one of QuantConfig
"""
from __future__ import annotations

from typing import Callable

_HANDLERS: dict[type, Callable] = {}


def register_handler(config_type: type, fn: Callable | None = None):
    """Make ``fn`` (or the decorated function) run configs of ``config_type``."""
    def add(f):
        _HANDLERS[config_type] = f
        return f
    return add if fn is None else add(fn)


def handler(config) -> Callable:
    """The handler of ``config``'s type (or of its nearest registered base class)."""
    for kind in type(config).__mro__:
        if kind in _HANDLERS:
            return _HANDLERS[kind]
    names = ", ".join(sorted(k.__name__ for k in _HANDLERS))
    raise TypeError(f"no workflow handles a config of type {type(config).__name__}: pass one of {names}")
