"""The workflow protocol: each workflow declares its config type, its run function and its report rows.

A workflow registers itself once (:func:`register_workflow`); its verb (``annealq.quantize``,
``annealq.prune``, ``annealq.head.fit_head``, ``annealq.qnn.train``) runs it through
:func:`run`, which refuses another workflow's config with one line naming the right verb.
The command-line harness (:mod:`annealq.harness`) reads the same declaration for the report:
the fields that tell a row apart within one run's settings (``row_key``) and the table's
columns.

Example:
    >>> import annealq
    >>> sorted(workflows())
    ['head', 'prune', 'ptq', 'qnn']
    >>> workflow(annealq.QuantConfig()).verb
    'annealq.quantize'
    >>> run("ptq", None, annealq.PruneConfig())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: annealq.quantize takes a QuantConfig, got a PruneConfig: run that config with annealq.prune(...)
"""
from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class Workflow:
    """A workflow's declaration.

    Attributes:
        name: the journal's workflow name (``ptq``, ``head``, ``prune``, ``qnn``).
        verb: the Python verb that runs it.
        config_type: its config class.
        function: ``function(*inputs, config, **options)``, the run.
        row_key: the row fields that tell rows of one run's settings apart (method, bits, ...).
        columns: the report table's columns.
        scorer: ``"module:function"`` that measures the models decoded from a run's records and from
            local re-solves of them (``annealq compare``), or None.
    """

    name: str
    verb: str
    config_type: type
    function: Callable
    row_key: tuple = ("method",)
    columns: tuple = ()
    scorer: str | None = None


_WORKFLOWS: dict[str, Workflow] = {}
#: the modules whose import registers the four workflows
MODULES = ("annealq.ptq.pipeline", "annealq.head.classifier", "annealq.prune.pipeline", "annealq.qnn.training")


def _load() -> None:
    from importlib import import_module

    for module in MODULES:
        import_module(module)


def register_workflow(name: str, verb: str, config_type: type, *, row_key=("method",), columns=(), scorer=None):
    """Decorator: declare the decorated function as the run of workflow ``name``."""
    def add(function):
        _WORKFLOWS[name] = Workflow(name, verb, config_type, function, tuple(row_key), tuple(columns), scorer)
        return function
    return add


def workflows() -> dict[str, Workflow]:
    """Every registered workflow, by name."""
    _load()
    return dict(_WORKFLOWS)


def workflow(config) -> Workflow:
    """The workflow whose config type ``config`` is."""
    _load()
    for w in _WORKFLOWS.values():
        if isinstance(config, w.config_type):
            return w
    names = ", ".join(sorted(w.config_type.__name__ for w in _WORKFLOWS.values()))
    raise TypeError(f"no workflow takes a config of type {type(config).__name__}: pass one of {names}")


def run(name: str, *args, **kwargs):
    """Run workflow ``name`` on ``args``, the last of which is its config; another workflow's config
    is refused with one line naming its verb."""
    w = workflows()[name]
    config = args[-1]
    if not isinstance(config, w.config_type):
        try:
            hint = f"run that config with {workflow(config).verb}(...)"
        except TypeError:
            hint = f"pass a {w.config_type.__name__}"
        raise TypeError(f"{w.verb} takes a {w.config_type.__name__}, got a {type(config).__name__}: {hint}")
    if "journal" not in kwargs:
        return w.function(*args, **kwargs)
    from annealq.records.journal import opened

    with opened(kwargs.pop("journal")) as journal:  # a run folder path is opened for the run
        return w.function(*args, journal=journal, **kwargs)
