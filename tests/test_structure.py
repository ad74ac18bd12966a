"""The house: no import circle, no lower stage importing a higher one, a light command line whose
every option says what it does."""
import ast
import subprocess
import sys
from pathlib import Path

import click
import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "annealq"
WORKFLOWS = {"ptq", "head", "prune", "qnn"}
#: what each stage may not import (module-level imports; a room's own cli.py may use the harness)
FORBIDDEN = {
    "report": {"formulations", "compile", "embedding", "samplers", "records", "nn", "data", "studies", "harness",
               "workflows", "cli", *WORKFLOWS},
    "formulations": {"samplers", "records", "nn", "studies", "harness", "workflows", "cli", *WORKFLOWS},
    "compile": {"samplers", "records", "nn", "studies", "harness", "workflows", "cli", *WORKFLOWS},
    "embedding": {"samplers", "records", "nn", "studies", "harness", "workflows", "cli", *WORKFLOWS},
    "samplers": {"records", "nn", "studies", "harness", "workflows", "cli", *WORKFLOWS},
    "records": {"nn", "studies", "harness", "workflows", "cli", *WORKFLOWS},
    "studies": {"harness", "cli", *WORKFLOWS},
    **{room: {"harness", "cli"} for room in WORKFLOWS},
    "harness": {"cli"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def top_level_imports(path: Path) -> set[str]:
    """Modules imported when ``path`` is imported (not those imported inside functions)."""
    out = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return {m for m in out if m.startswith("annealq")}


def graph() -> nx.DiGraph:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    g = nx.DiGraph()
    for name, path in modules.items():
        g.add_node(name)
        for target in top_level_imports(path):
            if target in modules and target != name:
                g.add_edge(name, target)
    return g


def test_no_import_circle():
    cycles = list(nx.simple_cycles(graph()))
    assert cycles == [], cycles[:3]


def test_no_stage_imports_a_higher_one():
    wrong = []
    for source, target in graph().edges:
        src, dst = source.split("."), target.split(".")
        if len(src) < 2 or len(dst) < 2:
            continue
        stage, other = src[1], dst[1]
        if stage in WORKFLOWS and src[-1] == "cli":
            continue  # a room's command runs in the harness
        if other in FORBIDDEN.get(stage, ()):
            wrong.append(f"{source} -> {target}")
    assert wrong == []


def all_commands():
    from annealq.cli import main

    ctx = click.Context(main)
    stack = [(name, main.get_command(ctx, name)) for name in main.list_commands(ctx)]
    while stack:
        name, command = stack.pop()
        yield name, command
        if isinstance(command, click.Group):
            stack.extend((f"{name} {n}", command.get_command(ctx, n)) for n in command.list_commands(ctx))


def test_every_option_of_every_command_says_what_it_does():
    missing = [f"{name} {p.opts[0]}" for name, command in all_commands() for p in command.params
               if isinstance(p, click.Option) and not p.help]
    assert missing == []


@pytest.mark.parametrize("args", [["--help"], ["quantize", "--help"], ["train-head", "--help"], ["prune", "--help"],
                                  ["train-qnn", "--help"], ["compare", "--help"]])
def test_help_loads_neither_torch_nor_dimod(args):
    code = ("import sys; from click.testing import CliRunner; from annealq.cli import main; "
            f"r = CliRunner().invoke(main, {args!r}); assert r.exit_code == 0, r.output; "
            "print(sorted(m for m in ('torch', 'dimod', 'sklearn', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("script", sorted((PACKAGE.parent / "benchmarks").glob("*.py")), ids=lambda p: p.name)
def test_benchmarks_import_names_that_exist(script):
    """A moved function must not leave a benchmark that fails at its first line."""
    import importlib
    import pkgutil

    for node in ast.walk(ast.parse(script.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("annealq"):
            module = importlib.import_module(node.module)
            submodules = {m.name for m in pkgutil.iter_modules(getattr(module, "__path__", []))}
            missing = [a.name for a in node.names if not hasattr(module, a.name) and a.name not in submodules]
            assert not missing, f"{script.name}:{node.lineno} imports {missing} from {node.module}"
