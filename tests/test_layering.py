"""The package's layering, read from the source with ``ast`` (every import, function-level ones included; the
ones under ``if TYPE_CHECKING:`` are not run and are skipped): no import cycle between modules, ``gnnlab.nn``
does not depend on data, training or experiments, no module reaches into another package's private module or
private name, and no function is 80 lines or longer (its docstring left out)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "gnnlab"

#: known violations: none (the lists stay so that a reviewed exception is written down, with its reason)
KNOWN_PRIVATE_IMPORTS: set[tuple[str, str]] = set()
KNOWN_NN_DEPENDENCIES: set[tuple[str, str]] = set()
KNOWN_LONG_FUNCTIONS: set[str] = set()
MAX_FUNCTION_LINES = 80


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_nodes(tree: ast.AST):
    """Every node of ``tree`` except the bodies of ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                stack.extend(child.orelse)
            else:
                stack.append(child)


def _imports(module: str) -> list[tuple[str, str | None]]:
    """``(imported gnnlab module, imported name or None)`` for each import in ``module``."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in _runtime_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.append((submodule, None) if submodule in MODULES else (base, alias.name))
    return [(target, name) for target, name in found if target == "gnnlab" or target.startswith("gnnlab.")]


GRAPH = {module: sorted({target for target, _ in _imports(module) if target in MODULES and target != module})
         for module in MODULES}


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return components


def test_the_import_walk_sees_function_level_and_relative_imports(tmp_path):
    source = "import gnnlab.data\nfrom . import b\ndef f():\n    from gnnlab.nn.conv import _x\n"
    tree = ast.parse(source)
    kinds = {type(node).__name__ for node in _runtime_nodes(tree)}
    assert {"Import", "ImportFrom", "FunctionDef"} <= kinds
    # a cycle is found however long, and a chain is not one
    assert _cycles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == [["a", "b", "c"]]
    assert _cycles({"a": ["b"], "b": ["c"], "c": []}) == []
    # the command line is seen importing the distributed module, from inside a function
    assert "gnnlab.train.distributed" in GRAPH["gnnlab.cli"]
    assert "gnnlab.experiments.comparison" in GRAPH["gnnlab.experiments"]


def test_no_import_cycles():
    assert _cycles(GRAPH) == []


@pytest.mark.parametrize("layer", ["gnnlab.data", "gnnlab.train", "gnnlab.experiments"])
def test_nn_does_not_depend_on(layer):
    found = {(module, target) for module in MODULES if module.startswith("gnnlab.nn")
             for target in GRAPH[module] if target == layer or target.startswith(layer + ".")}
    assert found - KNOWN_NN_DEPENDENCIES == set()


def _private_owner(module: str) -> str | None:
    """The package a private module belongs to (``gnnlab.nn.models`` for ``gnnlab.nn.models._base``)."""
    parts = module.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:i])
    return None


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_no_module_reaches_into_another_packages_private_parts():
    found = set()
    for module in MODULES:
        for target, name in _imports(module):
            owner = _private_owner(target)
            if owner is not None and not _inside(module, owner):
                found.add((module, target))
            defining_package = target if MODULES.get(target, Path()).name == "__init__.py" else \
                target.rpartition(".")[0]
            if name and name.startswith("_") and not name.startswith("__") and not _inside(module,
                                                                                           defining_package):
                found.add((module, f"{target}.{name}"))
    assert found - KNOWN_PRIVATE_IMPORTS == set()


def test_no_function_is_80_lines_or_longer():
    long = {}
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                # the code, not its documentation: the docstring's Args and Example do not count
                lines = node.end_lineno - node.lineno + 1
                if ast.get_docstring(node, clean=False) is not None:
                    lines -= node.body[0].end_lineno - node.body[0].lineno + 1
                if lines >= MAX_FUNCTION_LINES:
                    long[f"{module}.{node.name}"] = lines
    assert {name: lines for name, lines in long.items() if name not in KNOWN_LONG_FUNCTIONS} == {}
