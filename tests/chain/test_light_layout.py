"""The light reader's hard-coded storage layout and immutable offsets are the compiler's.

The contract is compiled as ``make contracts`` compiles it (same sources and settings,
through tools/solc-wrapper), asking solc for ``storageLayout``, the runtime code's
``immutableReferences`` and the AST (to name each immutable). A contract change that
moves a slot, a struct member or an immutable fails here, not silently in a verification.
"""

from __future__ import annotations

import functools
import shutil
from pathlib import Path
from typing import Any

import pytest

from evidence.chain import anchorstate, build, light

REPO = Path(__file__).resolve().parents[2]


def _compiler_missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if not (REPO / "node_modules" / "solc" / "package.json").exists():
        return "node_modules/solc is missing (run `make node`)"
    if not (REPO / "node_modules" / "@openzeppelin" / "contracts").exists():
        return "node_modules/@openzeppelin/contracts is missing (run `make node`)"
    return None


pytestmark = pytest.mark.skipif(_compiler_missing() is not None,
                                reason=f"cannot compile: {_compiler_missing()}")


@functools.cache
def _compiled() -> tuple[dict[str, Any], dict[str, Any], dict[int, str]]:
    """(storageLayout, immutableReferences, {AST id: variable name})."""
    import solcx

    source = build.compiler_input(build.collect_sources())
    source["settings"]["outputSelection"] = {  # type: ignore[index]
        "*": {"": ["ast"]},
        build.MAIN_SOURCE: {build.CONTRACT_NAME: [
            "storageLayout", "evm.deployedBytecode.immutableReferences"]},
    }
    output = solcx.compile_standard(source, solc_binary=build.WRAPPER)
    contract = output["contracts"][build.MAIN_SOURCE][build.CONTRACT_NAME]
    names: dict[int, str] = {}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("nodeType") == "VariableDeclaration" and "id" in node:
                names[int(node["id"])] = str(node["name"])
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    for unit in output["sources"].values():
        walk(unit["ast"])
    return (contract["storageLayout"],
            contract["evm"]["deployedBytecode"]["immutableReferences"], names)


def test_state_variable_slots() -> None:
    layout, _, _ = _compiled()
    types = layout["types"]
    by_label = {v["label"]: v for v in layout["storage"]}
    for label, (slot, type_label) in light.STATE_VARIABLES.items():
        entry = by_label[label]
        assert (int(entry["slot"]), int(entry["offset"])) == (slot, 0), label
        assert types[entry["type"]]["label"] == type_label, label


@pytest.mark.parametrize(("variable", "fields"), [
    ("_anchors", light.ANCHOR_FIELDS),
    ("_witnesses", light.WITNESS_FIELDS),
    ("_confirmations", light.CONFIRMATION_FIELDS),
])
def test_struct_members(variable: str, fields: dict[str, tuple[int, int]]) -> None:
    layout, _, _ = _compiled()
    types = layout["types"]
    [entry] = [v for v in layout["storage"] if v["label"] == variable]
    kind = types[entry["type"]]
    while kind["encoding"] == "mapping":
        kind = types[kind["value"]]
    assert int(kind["numberOfBytes"]) == 32  # one slot: the reader reads one word
    members = {m["label"]: (int(m["slot"]), int(m["offset"]),
                            int(types[m["type"]]["numberOfBytes"])) for m in kind["members"]}
    assert members == {name: (0, offset, size) for name, (offset, size) in fields.items()}


def test_immutable_offsets() -> None:
    _, references, names = _compiled()
    compiled = {names[int(ast_id)]: tuple(sorted(int(r["start"]) for r in refs))
                for ast_id, refs in references.items()}
    assert compiled == light.IMMUTABLE_OFFSETS
    assert all(int(r["length"]) == 32 for refs in references.values() for r in refs)


def test_offsets_are_the_shipped_artifacts() -> None:
    """Without the compiler's help: the artifact's ranges are the ones hard-coded."""
    _, ranges = anchorstate._artifact()
    assert ranges == tuple(sorted((start, 32) for starts in light.IMMUTABLE_OFFSETS.values()
                                  for start in starts))


def test_anchored_event_is_the_abis() -> None:
    from evidence.chain.artifact import load_artifact

    [event] = [e for e in load_artifact().abi
               if e.get("type") == "event" and e.get("name") == "Anchored"]
    inputs = event["inputs"]
    signature = f"Anchored({','.join(str(i['type']) for i in inputs)})"
    assert signature == light.ANCHORED_EVENT
    assert [i["indexed"] for i in inputs][:1] == [True]  # root is topic 1
