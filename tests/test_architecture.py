"""The layout that docs/architecture.md describes, enforced by reading the source.

Dependencies point one way (DESIGN §2, CONVENTIONS §1)::

    salesalloc/core  <-  allocation  <-  customers  <-  performance  <-  salesalloc (the roof)

``salesalloc/core`` is the floor: it imports no app and nothing of the roof. The roof
(``salesalloc/`` outside ``core``: urls, the pipeline, the demo, cross-app commands) may
import everything, and nothing below imports it. Every ``import`` statement of every module
counts, including those inside functions. Also: no file over 600 lines, no function over 80
lines unless its docstring says why ("Long because ...").
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = ("allocation", "customers", "performance")
PACKAGES = ("salesalloc", *APPS)
SKIPPED_DIRS = {"migrations", "__pycache__"}

# What each layer must not import (by top-level layer name, see ``_layer``).
FORBIDDEN: dict[str, set[str]] = {
    "core": {"allocation", "customers", "performance", "roof"},
    "allocation": {"customers", "performance", "roof"},
    "customers": {"performance", "roof"},
    "performance": {"roof"},
}

# Known violations, each with the reason it is tolerated. An entry that no longer matches
# anything fails the test, so the list cannot silently rot.
KNOWN_IMPORT_VIOLATIONS: set[tuple[str, str]] = set()

MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 80
LONG_FUNCTION_REASON = "Long because"
# Files and functions tolerated over the limits: none. Should one be needed, list it here
# with the reason; an entry that no longer matches anything fails the test.
KNOWN_LONG_FILES: set[str] = set()
KNOWN_LONG_FUNCTIONS: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class Module:
    path: str  # relative to the repository, with forward slashes
    name: str  # dotted module name
    source: str


def _modules(packages: Iterable[str] = PACKAGES) -> Iterator[Module]:
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if SKIPPED_DIRS & set(relative.parts):
                continue
            parts = list(relative.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            yield Module(relative.as_posix(), ".".join(parts), path.read_text(encoding="utf-8"))


def _layer(module_name: str) -> str | None:
    """The layer a dotted module name belongs to, or None for third-party code."""
    top = module_name.split(".")[0]
    if top in APPS:
        return top
    if top != "salesalloc":
        return None
    if module_name == "salesalloc.core" or module_name.startswith("salesalloc.core."):
        return "core"
    return "roof"


def _imported_names(module: Module) -> Iterator[tuple[str, str]]:
    """(module named by the statement, full name imported) for each import in ``module``.

    ``from allocation.selectors import viewer_scope`` gives ``("allocation.selectors",
    "allocation.selectors.viewer_scope")``; relative imports are resolved against the module.
    """
    package = module.name.split(".")
    if not module.path.endswith("__init__.py"):
        package = package[:-1]
    for node in ast.walk(ast.parse(module.source, filename=module.path)):
        if isinstance(node, ast.Import):
            yield from ((alias.name, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            name = ".".join([*base, node.module] if node.module else base)
            for alias in node.names:
                full = name if alias.name == "*" else f"{name}.{alias.name}"
                # ``from salesalloc import core`` names the submodule, not the package.
                yield (full if name == "salesalloc" else name), full


def import_violations(modules: Iterable[Module]) -> set[tuple[str, str]]:
    """(module path, imported module) for each import that points the wrong way."""
    found = set()
    for module in modules:
        forbidden = FORBIDDEN.get(_layer(module.name) or "", set())
        for name, full in _imported_names(module):
            if _layer(full) in forbidden:
                found.add((module.path, name))
    return found


def test_dependencies_point_one_way():
    found = import_violations(_modules())

    unexpected = sorted(found - KNOWN_IMPORT_VIOLATIONS)
    stale = sorted(KNOWN_IMPORT_VIOLATIONS - found)
    assert unexpected == [], "imports against the direction of dependency (docs/architecture.md)"
    assert stale == [], "fixed: remove these from KNOWN_IMPORT_VIOLATIONS"


@pytest.mark.parametrize(
    ("path", "name", "source", "expected"),
    [
        ("salesalloc/core/x.py", "salesalloc.core.x", "from allocation.models import A", True),
        ("salesalloc/core/x.py", "salesalloc.core.x", "import salesalloc.pipeline", True),
        ("salesalloc/core/x.py", "salesalloc.core.x", "from salesalloc import demo", True),
        ("salesalloc/core/x.py", "salesalloc.core.x", "from .money import CENT", False),
        ("salesalloc/core/x.py", "salesalloc.core.x", "from .. import urls", True),
        ("allocation/x.py", "allocation.x", "from customers.models import Order", True),
        ("allocation/x.py", "allocation.x", "def f():\n    import performance.models", True),
        ("allocation/x.py", "allocation.x", "from salesalloc.core.money import CENT", False),
        ("customers/x.py", "customers.x", "from performance.services import f", True),
        ("customers/x.py", "customers.x", "from allocation.services import f", False),
        ("customers/x.py", "customers.x", "from salesalloc.pipeline import f", True),
        ("performance/x.py", "performance.x", "from salesalloc.urls import urlpatterns", True),
        ("performance/x.py", "performance.x", "from customers.models import Order", False),
        ("salesalloc/pipeline.py", "salesalloc.pipeline", "import performance.services", False),
    ],
)
def test_the_import_check_sees_each_kind_of_import(path, name, source, expected):
    assert bool(import_violations([Module(path, name, source)])) is expected


# --- size -----------------------------------------------------------------------------------


def _code_modules() -> Iterator[Module]:
    """Application and tooling code: everything but tests and migrations."""
    yield from _modules((*PACKAGES, "bench"))


def long_files(modules: Iterable[Module]) -> set[str]:
    return {m.path for m in modules if len(m.source.splitlines()) > MAX_FILE_LINES}


def long_functions(modules: Iterable[Module]) -> set[tuple[str, str]]:
    """(path, function) of functions over the limit whose docstring does not say why."""
    found = set()
    for module in modules:
        for node in ast.walk(ast.parse(module.source, filename=module.path)):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES and LONG_FUNCTION_REASON not in (
                ast.get_docstring(node) or ""
            ):
                found.add((module.path, node.name))
    return found


def test_no_file_is_over_600_lines():
    found = long_files(_code_modules())

    assert sorted(found - KNOWN_LONG_FILES) == [], "split these into well-named modules"
    assert sorted(KNOWN_LONG_FILES - found) == [], "fixed: remove these from KNOWN_LONG_FILES"


def test_no_function_is_over_80_lines_without_a_reason():
    found = long_functions(_code_modules())

    assert sorted(found - KNOWN_LONG_FUNCTIONS) == [], (
        f"split these, or say why in the docstring ({LONG_FUNCTION_REASON} ...)"
    )
    assert sorted(KNOWN_LONG_FUNCTIONS - found) == [], "fixed: remove from KNOWN_LONG_FUNCTIONS"


def test_the_size_checks_count_lines_and_accept_a_stated_reason():
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    long = Module("a/long.py", "a.long", f"def f():\n{body}\n")
    explained = Module(
        "a/ok.py", "a.ok", f'def f():\n    """{LONG_FUNCTION_REASON}: a table."""\n{body}\n'
    )
    short = Module("a/short.py", "a.short", "def f():\n    return 1\n" * 200)
    huge = Module("a/huge.py", "a.huge", "x = 1\n" * (MAX_FILE_LINES + 1))

    assert long_functions([long, explained, short]) == {("a/long.py", "f")}
    assert long_files([long, short, huge]) == {"a/huge.py"}
