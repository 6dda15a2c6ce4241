"""The API reference's promises: every public class and function documents its arguments and has an example,
and every example in a docstring runs and prints what it shows (doctest)."""
from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil
import sys
from pathlib import Path

import pytest
import torch

import gnnlab


def _all_modules() -> list[str]:
    """Every module of gnnlab, private ones included (their examples run too), but ``__main__``."""
    names = [info.name for info in pkgutil.walk_packages(gnnlab.__path__, "gnnlab.") if info.name != "gnnlab.__main__"]
    return ["gnnlab", *sorted(names)]


# the names the API reference documents (docs/api_pages.py), so the pages and this test cannot disagree
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs"))
from api_pages import public_objects  # noqa: E402

PUBLIC = public_objects()


def _parameters(obj) -> list[str]:
    target = obj.__init__ if inspect.isclass(obj) else obj
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return []
    return [name for name in signature.parameters if name not in ("self", "cls")]


def _documentation(obj) -> str:
    doc = inspect.getdoc(obj) or ""
    if inspect.isclass(obj) and "__init__" in vars(obj):
        doc += "\n" + (vars(obj)["__init__"].__doc__ or "")
    return doc


def test_the_public_api_is_found():
    # a broken walk would make the two tests below pass vacuously
    for name in ("gnnlab.nn.GCNConv", "gnnlab.embedding.Node2Vec", "gnnlab.train.fit_node_classifier",
                 "gnnlab.data.load_planetoid", "gnnlab.utils.scatter", "gnnlab.optim.SGD"):
        assert name in PUBLIC, sorted(PUBLIC)
    assert len(PUBLIC) > 80


@pytest.mark.parametrize("name", [n for n, o in PUBLIC.items() if _parameters(o)])
def test_public_names_document_their_arguments(name):
    doc = _documentation(PUBLIC[name])
    assert "Args:" in doc, f"{name}'s docstring has no 'Args:' section"


@pytest.mark.parametrize("name", list(PUBLIC))
def test_public_names_have_an_example(name):
    doc = _documentation(PUBLIC[name])
    assert "Example" in doc and ">>>" in doc, f"{name}'s docstring has no 'Example::' with '>>>' lines"


def _doctest_modules() -> list[str]:
    finder = doctest.DocTestFinder()
    modules = []
    for module_name in _all_modules():
        module = importlib.import_module(module_name)
        if any(test.examples for test in finder.find(module)):
            modules.append(module_name)
    return modules


@pytest.mark.parametrize("module_name", _doctest_modules())
def test_docstring_examples_run(module_name):
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    state = torch.random.get_rng_state()
    try:
        for test in finder.find(module):
            if test.examples:
                runner.run(test)
    finally:
        torch.random.set_rng_state(state)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} docstring examples in {module_name} failed"
