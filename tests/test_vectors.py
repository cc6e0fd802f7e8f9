"""The public test vectors live in the repository (tests/vectors/), so a clone tests fully on
its own: each set keeps its SOURCE.md (and LICENSE where its upstream has one), and no test
reads vectors or data from outside the checkout."""

from __future__ import annotations

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
