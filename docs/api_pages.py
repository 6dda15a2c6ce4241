"""The API reference's pages, written from the package itself: every class and function a public module lists in
``__all__``, once, under the shortest name users import it by (``gnnlab.nn.GCNConv``, not
``gnnlab.nn.conv.gcn_conv.GCNConv``). ``conf.py`` calls :func:`write_pages` before each build; the test suite
calls :func:`public_objects` to check that the pages miss nothing."""
from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path


def public_modules() -> list[str]:
    """gnnlab and every module under it whose path has no ``_``-prefixed part (``__main__`` excluded)."""
    import gnnlab

    names = ["gnnlab"]
    for info in pkgutil.walk_packages(gnnlab.__path__, "gnnlab."):
        if not any(part.startswith("_") for part in info.name.split(".")[1:]):
            names.append(info.name)
    return sorted(names)


def public_objects() -> dict[str, object]:
    """``{shortest public name: object}`` for every gnnlab class and function in a public ``__all__``."""
    found: dict[int, tuple[str, object]] = {}
    for module_name in public_modules():
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            if not obj.__module__.startswith("gnnlab"):
                continue
            qualified = f"{module_name}.{name}"
            shorter = id(obj) not in found or (len(qualified), qualified) < (len(found[id(obj)][0]), found[id(obj)][0])
            if shorter:
                found[id(obj)] = (qualified, obj)
    return dict(sorted(found.values()))


def write_pages(folder: Path) -> list[str]:
    """One page per module that holds a shortest name; returns the page names (for the reference's toctree)."""
    by_module: dict[str, list[tuple[str, object]]] = {}
    for qualified, obj in public_objects().items():
        module_name, name = qualified.rsplit(".", 1)
        by_module.setdefault(module_name, []).append((name, obj))
    folder.mkdir(parents=True, exist_ok=True)
    pages = []
    for module_name, members in sorted(by_module.items()):
        lines = [module_name, "=" * len(module_name), "", f".. automodule:: {module_name}", "   :no-members:", ""]
        for name, obj in members:
            directive = "autoclass" if inspect.isclass(obj) else "autofunction"
            lines += [f".. {directive}:: {module_name}.{name}"]
            if inspect.isclass(obj):
                lines += ["   :members:", "   :show-inheritance:"]
            lines += [""]
        text = "\n".join(lines)
        page = folder / f"{module_name}.rst"
        if not page.exists() or page.read_text(encoding="utf-8") != text:
            page.write_text(text, encoding="utf-8")
        pages.append(module_name)
    return pages
