"""A ``.pt2`` archive inspected for members that would run code, before :func:`torch.export.load` reads it.

``torch.export.load`` (torch 2.13, ``torch/export/pt2_archive/_package.py`` and
``torch/_export/serde/serialize.py``) runs code from the file in these places:

- weights and tensor constants whose payload config (``data/weights/<m>_weights_config.json``,
  ``data/constants/<m>_constants_config.json``) says ``use_pickle``: ``torch.load(weights_only=False)``;
- opaque-object and TorchScript-object constants (``data/constants/opaque_obj_*``,
  ``custom_obj_*``): ``pickle.loads`` / the TorchScript unpickler;
- the sample inputs (``data/sample_inputs/<m>.pt``) and the legacy weight/constant files
  (``data/weights/<m>.pt``, ``data/constants/<m>.pt``): ``torch.load`` with weights only, and
  when that refuses them, again without (a pickle payload then runs);
- every symbolic shape expression (``expr_str`` in ``models/<m>.json``): ``sympy.sympify``,
  which is Python ``eval``;
- AOTInductor members (``data/aotinductor/``): shared libraries loaded into the process;
- an archive with a top-level ``version`` member may be read in the torch 2.7 layout, whose
  ``serialized_*`` members are unpickled the same way.

:func:`unsafe_member` names the first such member (members that only load with the weights-only
unpickler pass); :func:`load_program` loads from the inspected bytes, so the file cannot change
in between, with torch's logging and warnings silenced (a failure is then one error line).

Example:
    >>> import io, torch
    >>> buffer = io.BytesIO()
    >>> torch.export.save(torch.export.export(torch.nn.Linear(2, 1), (torch.rand(3, 2),)), buffer)
    >>> print(unsafe_member(buffer.getvalue()))
    None
"""
from __future__ import annotations

import contextlib
import io
import json
import logging
import re
import tokenize
import warnings
import zipfile

import sympy
import torch
import torch.utils._sympy.functions as torch_sympy
from torch.export.pt2_archive import PT2ArchiveReader
from torch.export.pt2_archive import constants as layout

#: Calls a shape expression may make: sympy's expression classes and torch's sympy functions (no string evaluators).
_SYMPY_CALLS = frozenset(
    {"Symbol", "Dummy", "Integer", "Rational", "Float", "Add", "Mul", "Pow", "Max", "Min", "Mod", "Abs", "floor",
     "ceiling", "sqrt", "Eq", "Ne", "Lt", "Le", "Gt", "Ge", "StrictLessThan", "StrictGreaterThan", "LessThan",
     "GreaterThan", "Equality", "Unequality", "And", "Or", "Not", "Xor", "Piecewise", "ExprCondPair"}
    | {name for name, value in vars(torch_sympy).items() if isinstance(value, type) and issubclass(value, sympy.Basic)})
_SYMPY_CONSTANTS = frozenset({"True", "False", "true", "false", "oo", "zoo", "nan", "pi", "E"})
_SYMBOL = re.compile(r"[a-z]+\d+")
_PLAIN_STRING = re.compile(r"""(['"])(?!.*__)([A-Za-z_][A-Za-z0-9_]*|[-+0-9.eE]+)\1""")
_KEYWORD = re.compile(r"[a-z][a-z_]*")
_OPERATORS = frozenset({"(", ")", ",", "+", "-", "*", "/", "**", "//", "%", "<", ">", "<=", ">=", "==", "!=", "&", "|",
                        "~", "^", "="})
_PICKLE_CONFIGS = ((layout.WEIGHTS_CONFIG_FILENAME_FORMAT, layout.WEIGHTS_DIR),
                   (layout.CONSTANTS_CONFIG_FILENAME_FORMAT, layout.CONSTANTS_DIR))


def safe_expression(text: str) -> bool:
    """Whether ``sympy.sympify(text)`` only builds an expression: allowed calls, symbols, numbers, plain strings.

    >>> safe_expression("Symbol('s31', positive=True, integer=True)"), safe_expression("FloorDiv(s0, 2) + 1")
    (True, True)
    >>> safe_expression("__import__('os').system('true')"), safe_expression("exec(chr(49))")
    (False, False)
    """
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(text).readline)
                  if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER)]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return False
    for k, token in enumerate(tokens):
        after = tokens[k + 1].string if k + 1 < len(tokens) else ""
        if token.type == tokenize.NUMBER or (token.type == tokenize.OP and token.string in _OPERATORS):
            continue
        if token.type == tokenize.STRING and _PLAIN_STRING.fullmatch(token.string):
            continue
        if token.type == tokenize.NAME and (
                token.string in _SYMPY_CALLS if after == "(" else
                bool(_KEYWORD.fullmatch(token.string)) if after == "=" else
                token.string in _SYMPY_CONSTANTS or bool(_SYMBOL.fullmatch(token.string))):
            continue
        return False
    return True


def _expressions(node):
    """Every ``expr_str`` value in a parsed JSON document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "expr_str" and isinstance(value, str):
                yield value
            else:
                yield from _expressions(value)
    elif isinstance(node, list):
        for value in node:
            yield from _expressions(value)


def _weights_only(data: bytes) -> bool:
    """Whether ``data`` (a ``torch.save`` file or a pickle) loads with torch's weights-only unpickler."""
    try:
        torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 (whatever the restricted unpickler raises: torch would unpickle it fully)
        return False
    return True


def unsafe_member(data: bytes) -> str | None:
    """The first member of the ``.pt2`` archive ``data`` that loading would execute, with why; None if none.

    Bytes that are not a zip archive return None (torch then fails to read them, running nothing).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "version" in archive.namelist():
                return "'version' (an archive of the torch 2.7 layout, whose members are pickles)"
    except zipfile.BadZipFile:
        return None
    try:
        reader = PT2ArchiveReader(io.BytesIO(data))
        names = reader.get_file_names()
    except Exception:  # noqa: BLE001 (torch's reader fails on it the same way, before anything is unpickled)
        return None
    aoti = next((n for n in names if n.startswith(layout.AOTINDUCTOR_DIR)), None)
    if aoti is not None:
        return f"{aoti!r} (compiled code, loaded into the process)"
    prefix, suffix = layout.MODELS_FILENAME_FORMAT.split("{}")
    models = [n[len(prefix):-len(suffix)] for n in names if n.startswith(prefix) and n.endswith(suffix)]
    for model in models:
        try:
            program = json.loads(reader.read_bytes(layout.MODELS_FILENAME_FORMAT.format(model)))
        except ValueError:
            program = None  # torch's JSON reader fails on it too
        bad = next((e for e in _expressions(program) if not safe_expression(e)), None)
        if bad is not None:
            return f"'{prefix}{model}{suffix}' (a shape expression that is Python code: {bad[:60]!r})"
        for config_format, folder in _PICKLE_CONFIGS:
            config_name = config_format.format(model)
            if config_name not in names:
                continue
            try:
                entries = json.loads(reader.read_bytes(config_name)).get("config", {})
            except (ValueError, AttributeError):
                entries = {}
            kind = "constant" if folder == layout.CONSTANTS_DIR else "weight"
            for fqn, meta in entries.items():
                path = str(meta.get("path_name", "")) if isinstance(meta, dict) else ""
                code = path.startswith((layout.OPAQUE_OBJ_FILENAME_PREFIX, layout.CUSTOM_OBJ_FILENAME_PREFIX))
                if code or (isinstance(meta, dict) and meta.get("use_pickle")):
                    return f"'{folder}{path}' (a pickled {kind} {fqn!r})"
        for unpickled in (layout.SAMPLE_INPUTS_FILENAME_FORMAT.format(model), f"{layout.WEIGHTS_DIR}{model}.pt",
                          f"{layout.CONSTANTS_DIR}{model}.pt"):
            if unpickled in names:
                payload = reader.read_bytes(unpickled)
                if payload and not _weights_only(payload):
                    return f"{unpickled!r} (a pickle of Python objects)"
    return None


@contextlib.contextmanager
def quiet_torch():
    """torch's logging and warnings silenced (process-wide, for the duration of a model load)."""
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(previous)


class UnsafeArchiveError(ValueError):
    """A ``.pt2`` archive with a member that loading could run (the message names it)."""


def load_program(data: bytes, *, trust_pickle: bool = False):
    """``torch.export.load`` of the archive bytes ``data``; an :class:`UnsafeArchiveError` naming the member
    that could run code unless ``trust_pickle``."""
    if not trust_pickle:
        member = unsafe_member(data)
        if member is not None:
            raise UnsafeArchiveError(f"member {member}")
    with quiet_torch():
        return torch.export.load(io.BytesIO(data))
