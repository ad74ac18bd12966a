"""One handler registry keyed by config type: a workflow's verb runs what its config names.

Each workflow registers the function that runs it for its config type
(``register_handler(QuantConfig)(quantize_model)``); a verb such as :func:`annealq.quantize`
looks its handler up by the type of the config it is given, so a new config type plugs in
without touching the verb.

Example:
    >>> import annealq
    >>> handler(annealq.QuantConfig()).__name__
    'quantize_model'
    >>> handler(object())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: no workflow handles a config of type object: pass one of ...QuantConfig...
"""
from __future__ import annotations

from typing import Callable, Hashable


class Registry:
    """Functions by key, added with :meth:`register` (a call or a decorator).

    >>> methods = Registry("PTQ method")
    >>> _ = methods.register("rtn", round)
    >>> methods.get("gptq")
    Traceback (most recent call last):
    ...
    ValueError: unknown PTQ method 'gptq': use one of ['rtn']
    """

    def __init__(self, what: str):
        self.what, self.items = what, {}

    def register(self, key: Hashable, fn: Callable | None = None):
        def add(f):
            self.items[key] = f
            return f
        return add if fn is None else add(fn)

    def names(self) -> list:
        return sorted(self.items)

    def get(self, key) -> Callable:
        try:
            return self.items[key]
        except KeyError:
            raise ValueError(f"unknown {self.what} {key!r}: use one of {self.names()}") from None


_HANDLERS = Registry("workflow config")


def register_handler(config_type: type, fn: Callable | None = None):
    """Make ``fn`` (or the decorated function) run configs of ``config_type``."""
    return _HANDLERS.register(config_type, fn)


def handler(config) -> Callable:
    """The handler of ``config``'s type (or of its nearest registered base class)."""
    for kind in type(config).__mro__:
        if kind in _HANDLERS.items:
            return _HANDLERS.items[kind]
    names = ", ".join(sorted(k.__name__ for k in _HANDLERS.items))
    raise TypeError(f"no workflow handles a config of type {type(config).__name__}: pass one of {names}")
