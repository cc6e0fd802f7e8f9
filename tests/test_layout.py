"""The layout shows the flow (docs/architecture.md): imports run one way, with no circles.

The import graph is read from the source with :mod:`ast` (every ``import`` and
``from ... import``, at module level, under ``TYPE_CHECKING`` and inside functions alike),
so a lazy import counts as much as an eager one. :data:`LAYERS` is the one place the
order of the layers is written; a module may import modules of its own layer or of a
lower one, never of a higher one, and the graph has no cycle.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ARCHITECTURE = REPO / "docs" / "architecture.md"

#: Source folders and the package names they install as (pyproject's package-dir).
ROOTS = {"evidence": "evidence", "cli": "evidence_cli"}

#: The layers, lowest first; each lists module or package names (a module belongs to the
#: longest name that is a prefix of it). Written once, here; docs/architecture.md shows it.
LAYERS: tuple[tuple[str, ...], ...] = (
    # foundations: the error tree, findings, the version, atomic files, TOML value types
    ("evidence.errors", "evidence.findings", "evidence.version", "evidence.fsutil",
     "evidence.tomltypes", "evidence.shipped", "evidence.anchorlock"),
    # standards that know nothing of evidence: RFC 8785 / I-JSON, RFC 6962, BagIt
    # (and the RFC 3161 protocol: a request, a token's parse and its CMS checks)
    ("evidence.standards", "evidence.timestamps.token", "evidence.timestamps.client"),
    # the chain, as infrastructure
    ("evidence.chain",),
    # shared by every stage: keys, the states' list, the result types, the workspace
    ("evidence.keys", "evidence.jurisdictions", "evidence.result", "evidence.workspace",
     "evidence.workspace_chain", "evidence.timestamps.settings"),
    # the bundle format, and the verifier's trust profiles
    ("evidence.bundle",),
    ("evidence.trust",),
    # RFC 3161 timestamps of a bundle: taken, carried, checked against the trust profile
    ("evidence.timestamps",),
    # the stages, in the order of the flow
    ("evidence.capturing",),
    # capture of a live web page in a browser, into an ordinary bundle
    ("evidence.webcapture",),
    ("evidence.anchoring",),
    # many capture clients, one anchor: the batching service and its client
    ("evidence.batcher",),
    ("evidence.witness",),
    ("evidence.policy",),
    ("evidence.verification",),
    ("evidence.report",),
    ("evidence.disclosure",),
    ("evidence.demo",),
    # the library's public face
    ("evidence",),
    # the command line: shared helpers, the commands, the lazy group
    # (timestamp_cmd also holds the timestamp that capture and anchor take by themselves)
    ("evidence_cli.common", "evidence_cli.render", "evidence_cli.timestamp_cmd"),
    ("evidence_cli.commands", "evidence_cli.report_cmd", "evidence_cli.trust_cmd",
     "evidence_cli.witness_cmd", "evidence_cli.web_cmd", "evidence_cli.recheck_cmd",
     "evidence_cli.batcher_cmd"),
    ("evidence_cli", "evidence_cli.main"),
)


def _module_files() -> Iterator[tuple[str, Path]]:
    for folder, package in ROOTS.items():
        for path in sorted((REPO / folder).rglob("*.py")):
            parts = [package, *path.relative_to(REPO / folder).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            yield ".".join(parts), path


@cache
def _modules() -> dict[str, Path]:
    return dict(_module_files())


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules ``name`` imports, anywhere in its source."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1]
                                + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            # `from pkg import mod` imports the module; `from mod import name` the module.
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                       for a in node.names]
        else:
            continue
        found.update(t for t in targets if t in modules and t != name)
    return found


@cache
def _graph() -> dict[str, frozenset[str]]:
    modules = _modules()
    return {name: frozenset(_imports(name, path, modules)) for name, path in modules.items()}


def _layer(name: str) -> int:
    best, layer = -1, -1
    for index, names in enumerate(LAYERS):
        for prefix in names:
            if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > best:
                best, layer = len(prefix), index
    return layer


def _cycles(graph: dict[str, frozenset[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_graph_is_read() -> None:
    """The reader sees eager, relative, `from pkg import mod`, TYPE_CHECKING and lazy imports."""
    graph = _graph()
    assert "evidence.errors" in graph["evidence.bundle.layout"]  # relative, module level
    assert "evidence.report.rechecks" in graph["evidence.report.model"]  # from . import mod
    assert "evidence.workspace_chain" in graph["evidence.verification.chain_checks"]  # lazy
    assert "evidence.chain.contract" in graph["evidence.workspace_chain"]  # TYPE_CHECKING
    assert "evidence.chain.embedded" in graph["evidence.chain.connect"]  # lazy, absolute


def test_no_import_cycles() -> None:
    cycles = _cycles(_graph())
    assert not cycles, f"import cycles: {cycles}"


def test_every_module_has_a_layer() -> None:
    missing = sorted(name for name in _modules() if _layer(name) < 0)
    assert not missing, f"add these modules to LAYERS in {Path(__file__).name}: {missing}"


def test_no_module_imports_a_higher_layer() -> None:
    upward = sorted(f"{name} -> {target}" for name, targets in _graph().items()
                    for target in targets if _layer(target) > _layer(name))
    assert not upward, f"imports from a lower layer into a higher one: {upward}"


def test_the_checks_catch_a_cycle_and_an_upward_import() -> None:
    """The two checks above fail on the faults they name."""
    assert _cycles({"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"}),
                    "d": frozenset({"a"})}) == [["a", "b", "c"]]
    assert _layer("evidence.standards.jcs") < _layer("evidence.bundle.layout")
    assert _layer("evidence.capturing.pipeline") < _layer("evidence.verification.verifier")
    assert _layer("evidence.chain.rpc") < _layer("evidence.anchoring")
    assert _layer("evidence_cli.main") > _layer("evidence_cli.commands") > _layer("evidence")


def test_no_private_name_is_imported_across_modules() -> None:
    """A name starting with `_` stays in its module (tests may reach in; the code may not)."""
    found = []
    modules = _modules()
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "")
                                                     .split(".")[0] in ROOTS.values()):
                found += [f"{name}: {a.name}" for a in node.names
                          if a.name.startswith("_") and a.name != "__version__"]
    assert not found, f"private names imported across modules: {found}"


# -- docs/architecture.md matches the tree ---------------------------------------------------

#: A source path in the document: evidence/... or cli/..., a module (.py) or a package (/).
_PATH = re.compile(r"\b((?:evidence|cli)/(?:[a-z_0-9]+/)*(?:[a-z_0-9]+\.py)?)")


def _packages() -> list[str]:
    """Every package folder, as a path relative to the repository, ending in `/`."""
    return sorted(f"{p.parent.relative_to(REPO).as_posix()}/"
                  for folder in ROOTS for p in (REPO / folder).rglob("__init__.py"))


def test_every_path_the_architecture_names_exists() -> None:
    named = set(_PATH.findall(ARCHITECTURE.read_text(encoding="utf-8")))
    assert len(named) > 20
    missing = sorted(p for p in named if not (REPO / p).exists())
    assert not missing, f"{ARCHITECTURE.name} names what is not in the tree: {missing}"


def test_every_package_is_in_the_architecture() -> None:
    named = set(_PATH.findall(ARCHITECTURE.read_text(encoding="utf-8")))
    missing = [p for p in _packages() if p not in named]
    assert not missing, f"describe these packages in {ARCHITECTURE.name}: {missing}"



@pytest.mark.parametrize("document", [*sorted((REPO / "docs").glob("*.md")), REPO / "README.md"],
                         ids=lambda p: p.name)
def test_no_document_cites_a_file_outside_the_repository(document: Path) -> None:
    assert "ARCHITECTURE.md" not in document.read_text(encoding="utf-8")
