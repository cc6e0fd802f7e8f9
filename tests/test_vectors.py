"""The public test vectors live in the repository (tests/vectors/), so a clone tests fully on
its own: each set keeps its SOURCE.md (and LICENSE where its upstream has one), and no test
reads vectors or data from outside the checkout."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from .conftest import REPO, VECTORS

#: Every vendored vector set (folder under tests/vectors/).
VECTOR_SETS = (
    "bagit", "eip712", "ethereum-headers", "ethereum-trie", "rfc3161", "rfc6962", "rfc8785",
)

#: A path built out of the checkout: the shared folder beside it, or a step up past the repo.
_OUTSIDE = re.compile(r'"shared"|/ "\.\."|\.\./shared')


@pytest.mark.parametrize("name", VECTOR_SETS)
def test_each_vector_set_is_vendored_with_its_source(name: str) -> None:
    folder = VECTORS / name
    assert (folder / "SOURCE.md").is_file(), f"{folder}/SOURCE.md missing"
    assert any(p.is_file() and p.name != "SOURCE.md" for p in folder.rglob("*")), folder


def test_every_vector_folder_is_a_listed_set() -> None:
    """A new folder of vectors is listed above, so it must have its SOURCE.md too."""
    folders = {p.name for p in VECTORS.iterdir() if p.is_dir()}
    assert folders == set(VECTOR_SETS)


def test_bagit_suite_keeps_its_licence() -> None:
    assert (VECTORS / "bagit" / "LICENSE.md").is_file()


def test_vectors_point_inside_the_repository() -> None:
    assert VECTORS.resolve().is_relative_to(REPO.resolve())


def test_no_test_reads_outside_the_repository() -> None:
    me = Path(__file__).resolve()
    offenders = [
        f"{path.relative_to(REPO)}:{number}"
        for path in sorted((REPO / "tests").rglob("*.py"))
        if path.resolve() != me
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _OUTSIDE.search(line)
    ]
    assert not offenders, f"tests reading outside the checkout: {offenders}"


#: A path piece that leaves the folder it is joined to, or is absolute (a home folder, this
#: machine's folders: nothing a clone on another machine has), other than the system's
#: programs and devices (/usr/bin/chromium, /dev/null).
_OUTSIDE_PIECE = re.compile(r"(^|/)\.\.(/|$)|^(~|/(?!(usr|bin|dev)/))")

#: Calls that build a path from their string arguments.
_PATH_CALLS = ("Path", "join", "PurePath", "resolve", "joinpath")


def _is_outside_piece(node: ast.AST) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, str)
            and _OUTSIDE_PIECE.search(node.value) is not None)


def _outside_reads(path: Path) -> list[str]:
    """Where ``path`` builds a path outside the checkout: ``parents[k]`` or ``.parent``
    chains that climb past the repository root from the test file; ``..``, ``~`` or a
    machine folder joined with ``/`` or passed to ``Path(...)``/``os.path.join``;
    ``Path.home()`` or ``expanduser``. (Strings that are test data, such as a manifest line
    with ``../``, are not paths built and are not counted.)"""
    depth = len(path.relative_to(REPO).parts) - 1  # parents[depth] is the repository
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        line = getattr(node, "lineno", 0)
        if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute)
                and node.value.attr == "parents" and isinstance(node.slice, ast.Constant)
                and isinstance(node.slice.value, int) and node.slice.value > depth):
            found.append(f"{line}: parents[{node.slice.value}]")
        elif isinstance(node, ast.Attribute) and node.attr == "parent":
            chain, inner = 1, node.value
            while isinstance(inner, ast.Attribute) and inner.attr == "parent":
                chain, inner = chain + 1, inner.value
            if chain > depth + 1:
                found.append(f"{line}: .parent x{chain}")
        elif (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)
              and _is_outside_piece(node.right)):
            found.append(f"{line}: / {ast.unparse(node.right)}")
        elif isinstance(node, ast.Call) and any(_is_outside_piece(a) for a in node.args):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in _PATH_CALLS:
                found.append(f"{line}: {ast.unparse(node)}")
        elif isinstance(node, ast.Attribute) and node.attr in ("home", "expanduser"):
            found.append(f"{line}: .{node.attr}")
    return found


def test_no_test_builds_a_path_outside_the_repository() -> None:
    me = Path(__file__).resolve()
    offenders = {
        str(path.relative_to(REPO)): found
        for path in sorted((REPO / "tests").rglob("*.py"))
        if path.resolve() != me and not path.is_relative_to(VECTORS)
        and (found := _outside_reads(path))
    }
    assert not offenders, f"tests reading outside the checkout: {offenders}"
