"""The import graph of ``dul``, ``dimse`` and ``hcs`` keeps the layers of DESIGN.md.

The graph is read with :mod:`ast` from the source (no third-party tool, nothing is
imported): every ``import`` and ``from ... import``, at the top of a module or inside a
function, is an edge. Two checks: no cycle among the modules (a lazy import inside a
function still counts: it only hides the cycle), and no module imports a layer it may
not (``docs/architecture.md`` writes the rules out; :data:`LAYERS` encodes them).

An import under ``if TYPE_CHECKING:`` is a type annotation, not a dependency at run
time: it is left out of the cycle check but still held to the layer rules.
"""

from __future__ import annotations

import ast
import sys
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("dul", "dimse", "hcs")

# Layers, lowest first. A module belongs to the first layer whose prefix it matches (a
# prefix is a module or a package); it may import its own layer and the layers listed.
# Third-party imports are held to THIRD_PARTY below.
LAYERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # name: (module prefixes, layers it may import)
    "dul": (("dul",), ()),
    "dimse": (("dimse",), ("dul",)),
    "kernels": (("hcs._fastpath",), ()),
    # hcs.extras: which optional extra brings a missing package (a sentence, no imports).
    "errors": (("hcs.errors", "hcs.defaults", "hcs.extras"), ()),
    # Exit codes and argument types of every command; maps dul's exceptions to exit codes.
    "command line": (("hcs.commandline",), ("dimse", "dul")),
    # The job model: the values of a print job, terms and limits. Of dimse it may use the
    # data: the UIDs (dimse.uids) and what a status means (dimse.status), nothing else.
    "job model": (("hcs.job",), ("errors", "dimse.status", "dimse.uids")),
    "film geometry": (("hcs.film",), ("errors", "job model")),
    "formatter": (
        ("hcs.formatter", "hcs.preview"),
        ("errors", "job model", "film geometry", "kernels"),
    ),
    "driver": (
        ("hcs.driver", "hcs.scu"),
        ("errors", "job model", "film geometry", "kernels", "dimse", "dul"),
    ),
    "virtual printer": (
        ("hcs.vprinter",),
        ("errors", "job model", "film geometry", "command line", "dimse", "dul"),
    ),
    "server": (
        ("hcs.server", "hcs.client"),
        (
            "errors",
            "job model",
            "film geometry",
            "formatter",
            "kernels",
            "driver",
            "command line",
            "dimse",
            "dul",
        ),
    ),
    "cli": (
        ("hcs.cli", "hcs.demo", "hcs.print_command", "hcs.probe", "hcs.peers", "hcs"),
        (
            "errors",
            "command line",
            "job model",
            "film geometry",
            "formatter",
            "kernels",
            "driver",
            "virtual printer",
            "server",
            "dimse",
            "dul",
        ),
    ),
}
# "dimse.status" and "dimse.uids" above are single modules of the dimse layer.
NARROW = {"dimse.status": ("dimse.status",), "dimse.uids": ("dimse.uids",)}

THIRD_PARTY = {
    "dul": set(),
    "dimse": {"pydicom"},
    "kernels": {"numpy"},
    "errors": set(),
    "job model": {"numpy"},
    "film geometry": set(),
}


def _module_files() -> dict[str, tuple[Path, bool]]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts = parts[:-1]
            modules[".".join(parts)] = (path, is_package)
    return modules


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    """ids of the import nodes under ``if TYPE_CHECKING:``."""
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
            if name == "TYPE_CHECKING":
                for inner in node.body:
                    hidden |= {id(n) for n in ast.walk(inner)}
    return hidden


@cache
def import_graph(include_type_checking: bool = False) -> dict[str, frozenset[str]]:
    """module -> the project modules and top-level third-party names it imports."""
    modules = _module_files()

    def resolve(name: str) -> str:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name

    graph = {}
    for module, (path, is_package) in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        hidden = set() if include_type_checking else _type_checking_nodes(tree)
        targets: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in hidden:
                continue
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = module.split(".") if is_package else module.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    source = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    source = node.module or ""
                # ``from pkg import mod`` imports the module pkg.mod when there is one;
                # any other name comes from pkg itself.
                names = [
                    f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source
                    for alias in node.names
                ]
            else:
                continue
            for name in names:
                top = name.partition(".")[0]
                if top in PACKAGES:
                    target = resolve(name)
                    if target and target != module:
                        targets.add(target)
                elif top and top not in sys.stdlib_module_names and top != "__future__":
                    targets.add(top)
        graph[module] = frozenset(targets)
    return graph


def layer_of(module: str) -> str:
    best, length = "", -1
    for layer, (prefixes, _) in LAYERS.items():
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > length:
                best, length = layer, len(prefix)
    assert best, f"{module} is in no layer: add it to LAYERS and docs/architecture.md"
    return best


def may_import(importer: str, target: str) -> bool:
    mine, theirs = layer_of(importer), layer_of(target)
    if mine == theirs:
        return True
    for allowed in LAYERS[mine][1]:
        if allowed in NARROW:
            if any(target == m or target.startswith(m + ".") for m in NARROW[allowed]):
                return True
        elif allowed == theirs:
            return True
    return False


def cycles(graph: dict[str, frozenset[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in graph:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle():
    found = cycles(import_graph())
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_every_import_keeps_the_layer_rules():
    graph = import_graph(include_type_checking=True)
    project = set(graph)
    wrong = []
    for module, targets in sorted(graph.items()):
        mine = layer_of(module)
        for target in sorted(targets):
            if target in project:
                if not may_import(module, target):
                    wrong.append(f"{module} ({mine}) imports {target} ({layer_of(target)})")
            elif mine in THIRD_PARTY and target not in THIRD_PARTY[mine]:
                wrong.append(f"{module} ({mine}) imports {target}, not allowed in {mine}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    ("importer", "target", "allowed"),
    [
        ("dul.net", "dimse.messages", False),
        ("dimse.client", "hcs.driver.session", False),
        ("hcs.job.model", "hcs.driver.session", False),
        ("hcs.job.model", "dimse.status", True),
        ("hcs.job.model", "dimse.messages", False),
        ("hcs.film", "hcs.formatter.job", False),
        ("hcs.formatter.job", "hcs.driver.session", False),
        ("hcs.vprinter.session", "hcs.driver.session", False),
        ("hcs.vprinter.session", "hcs.film", True),
        ("hcs.server.worker", "hcs.vprinter.server", False),
        ("hcs.cli", "hcs.vprinter.cli", True),
    ],
)
def test_the_rules_themselves(importer, target, allowed):
    assert may_import(importer, target) is allowed


def test_the_walk_sees_lazy_imports_and_finds_cycles():
    graph = import_graph()
    assert "hcs.film" in graph["hcs.formatter.engine"]
    assert "hcs.job.terms" in graph["hcs.film"]
    assert cycles({"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"})}) == [
        ["a", "b", "c"]
    ]
