"""The shape of catalog_cli, read from its imports (see docs/architecture.md).

Every import of every module counts, including those inside functions (lazy
imports are still dependencies) and under ``if TYPE_CHECKING:`` (types are too).
Two checks:

- LAYERS: a lower layer never imports a higher one;
- no cycle among imports that run when a module is loaded (module level, not
  under TYPE_CHECKING): a cycle there makes import order matter.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "catalog_cli"

#: (importers, what they may not import, why). Patterns are regular expressions
#: matched against whole dotted module names.
LAYERS: list[tuple[str, str, str]] = [
    (r"catalog_cli\.(?!cli\.|__main__$).*|catalog_cli", r"catalog_cli\.cli(\..*)?",
     "the library never depends on its command line"),
    (r"catalog_cli\.sources(\..*)?", r"catalog_cli\.actions(\..*)?",
     "sources are read by the verbs, never the other way"),
    (r"catalog_cli\.cluster(\..*)?", r"catalog_cli\.(actions|sources)(\..*)?",
     "the cluster seam knows Kubernetes, not verbs or catalogs"),
    (r"catalog_cli\.(lint|scaffold)(\..*)?", r"catalog_cli\.(actions|sources)(\..*)?",
     "lint and scaffold work on parsed resources handed to them"),
    (r"catalog_cli\.tekton_refs(\..*)?", r"catalog_cli\.actions(\..*)?",
     "the .tekton/ verbs stand beside the others, not on them"),
    (r"catalog_cli\.graph(\..*)?", r"catalog_cli\.(actions|sources|cluster|site)(\..*)?",
     "graphs are drawn from parsed documents, resolutions and locks handed to them"),
    (r"catalog_cli\.site(\..*)?", r"catalog_cli\.(actions|cluster)(\..*)?",
     "the site is drawn from a catalog handed to it; it installs nothing"),
    (r"catalog_cli\.resolver(\..*)?", r"catalog_cli\.(?!resolver\.|resolver$|errors$).*",
     "the resolver is generic: it imports nothing of catalog but the error tree"),
    (r"catalog_cli\.signing(\..*)?", r"catalog_cli\.(?!signing\.|signing$|errors$|fsutil$|yamlio$).*",
     "signing is keys and bytes: the verbs hand it what to sign or verify"),
]

#: Imports that break a layer today: (importer, package or module it imports) with
#: the issue that removes them. The test fails when one is gone too, so that this
#: table only lists real debts.
KNOWN: dict[tuple[str, str], str] = {}


def _known(importer: str, target: str) -> tuple[str, str] | None:
    for key in KNOWN:
        if importer == key[0] and (target == key[1] or target.startswith(key[1] + ".")):
            return key
    return None


@dataclass(frozen=True)
class Import:
    importer: str
    target: str
    line: int
    at_load: bool  # runs when the importer is loaded: module level, not TYPE_CHECKING


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(importer: str, is_package: bool, level: int, module: str | None) -> str:
    """The absolute name ``from <level dots><module>`` refers to."""
    if level == 0:
        return module or ""
    base = importer.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(name: str, path: Path) -> Iterator[Import]:
    """Every import in a module of catalog_cli that names another module of it."""
    is_package = path.name == "__init__.py"

    def walk(node: ast.AST, at_load: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield from targets(alias.name, [], child.lineno, at_load)
            elif isinstance(child, ast.ImportFrom):
                base = _resolve(name, is_package, child.level, child.module)
                yield from targets(base, [a.name for a in child.names], child.lineno, at_load)
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                yield from walk(child, False)
            elif isinstance(child, ast.If) and _type_checking(child):
                for stmt in child.body:
                    yield from walk(ast.Module(body=[stmt], type_ignores=[]), False)
                for stmt in child.orelse:
                    yield from walk(ast.Module(body=[stmt], type_ignores=[]), at_load)
            else:
                yield from walk(child, at_load)

    def targets(base: str, names: list[str], line: int, at_load: bool) -> Iterator[Import]:
        if not base.startswith("catalog_cli"):
            return
        # ``from pkg import mod`` imports the module; ``from pkg import name`` the package.
        subs = [f"{base}.{n}" for n in names if f"{base}.{n}" in MODULES]
        for target in subs or [base]:
            if target in MODULES:
                yield Import(name, target, line, at_load)
        if subs and len(subs) < len(names) and base in MODULES:
            yield Import(name, base, line, at_load)

    yield from walk(ast.parse(path.read_text(), str(path)), True)


ALL = [i for name, path in MODULES.items() for i in imports(name, path)]


def test_the_reader_sees_imports_everywhere() -> None:
    # The reader itself, on code whose imports are known.
    found = {(i.importer, i.target, i.at_load) for i in ALL}
    assert ("catalog_cli.provider", "catalog_cli.resolver", True) in found
    assert ("catalog_cli.provider", "catalog_cli.lockfile", False) in found  # TYPE_CHECKING
    assert ("catalog_cli.cli.root", "catalog_cli.cli.completion", True) in found  # from . import x
    assert ("catalog_cli.cli.root", "catalog_cli.progress", False) in found  # inside a function
    assert ("catalog_cli.resolver.solver", "catalog_cli.errors", True) in found  # from .. import
    assert len(MODULES) > 50


def _layer_breaks() -> list[tuple[Import, str]]:
    out = []
    for imp in ALL:
        for importer, forbidden, why in LAYERS:
            if re.fullmatch(importer, imp.importer) and re.fullmatch(forbidden, imp.target):
                out.append((imp, why))
    return out


def test_no_layer_imports_a_higher_one() -> None:
    breaks = [f"{MODULES[i.importer].relative_to(ROOT)}:{i.line}: {i.importer} imports {i.target} "
              f"({why})" for i, why in _layer_breaks() if _known(i.importer, i.target) is None]
    assert not breaks, "\n".join(breaks)


def test_known_exceptions_are_still_real() -> None:
    real = {_known(i.importer, i.target) for i, _ in _layer_breaks()}
    gone = sorted(set(KNOWN) - real)
    assert not gone, f"fixed: take these out of KNOWN: {gone}"


@pytest.mark.parametrize(("importer", "target", "broken"), [
    ("catalog_cli.index", "catalog_cli.cli.output", True),
    ("catalog_cli.__main__", "catalog_cli.cli.main", False),
    ("catalog_cli.sources.http", "catalog_cli.actions.install", True),
    ("catalog_cli.cluster.client", "catalog_cli.sources", True),
    ("catalog_cli.lint.rules", "catalog_cli.actions.plan", True),
    ("catalog_cli.scaffold.render", "catalog_cli.sources.folder", True),
    ("catalog_cli.resolver.solver", "catalog_cli.versions", True),
    ("catalog_cli.resolver.solver", "catalog_cli.errors", False),
    ("catalog_cli.resolver.solver", "catalog_cli.resolver.terms", False),
    ("catalog_cli.actions.install", "catalog_cli.sources", False),
    ("catalog_cli.cli.discover", "catalog_cli.sources", False),
])
def test_the_table_says_what_it_means(importer: str, target: str, broken: bool) -> None:
    hit = any(re.fullmatch(i, importer) and re.fullmatch(f, target) for i, f, _ in LAYERS)
    assert hit is broken


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module, or with a self-import
    (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    group.append(top)
                    if top == node:
                        break
                if len(group) > 1 or node in edges.get(node, ()):
                    out.append(sorted(group))
    return out


def test_cycles_finds_what_it_should() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"a"}}) == [["a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_at_load_time() -> None:
    edges: dict[str, set[str]] = {}
    for imp in ALL:
        if imp.at_load and imp.target != imp.importer:
            edges.setdefault(imp.importer, set()).add(imp.target)
    assert cycles(edges) == []


def test_every_package_ships() -> None:
    # A package missing from pyproject's list is missing from the wheel, silently.
    text = (ROOT / "pyproject.toml").read_text()
    listed = set(re.findall(r'"(catalog_cli(?:\.\w+)*)"', text))
    packages = {name for name, path in MODULES.items() if path.name == "__init__.py"}
    assert packages <= listed, sorted(packages - listed)


#: Reading the environment or the home folder: only the CLI and settings.py may.
ENV_READ = re.compile(r"\bos\.environ\b|\bgetenv\b|\bexpanduser\b|\bPath\.home\b|\benviron\b")


def test_only_the_edge_reads_the_environment() -> None:
    # Settings travel as one object (settings.py, built by cli/root.py): a variable
    # read deep inside would be a setting that --offline, tests and callers cannot set.
    found = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
             for name, path in MODULES.items()
             if not name.startswith("catalog_cli.cli") and name != "catalog_cli.settings"
             for n, line in enumerate(path.read_text().splitlines(), 1) if ENV_READ.search(line)]
    assert not found, "\n".join(found)
