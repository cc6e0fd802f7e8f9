"""The committed artifact: reproducible build, runtime-code check, revert decoding."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any, cast

import pytest
from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak

from evidence.chain import build
from evidence.chain.artifact import (
    check_runtime_code,
    decode_revert,
    describe_revert,
    error_signatures,
    load_artifact,
    mask_immutables,
)
from evidence.errors import ChainError, ConfigurationError, ContractMismatchError

from .conftest import Chain

REPO = Path(__file__).resolve().parents[2]
WRAPPER = REPO / "tools" / "solc-wrapper"

#: The API the rest of the code base is written against (names and argument types).
EXPECTED_FUNCTIONS = {
    "anchor(bytes32,uint32)",
    "addWitness(address,bytes2,string)",
    "revokeWitness(address,uint64)",
    "confirm(bytes32)",
    "confirmBySignature(bytes32,address,uint64,bytes)",
    "anchorOf(bytes32)",
    "isAnchored(bytes32)",
    "confirmationsOf(bytes32)",
    "confirmationOf(bytes32,address)",
    "witnessOf(address)",
    "witnesses()",
    "witnessCount()",
    "confirmationDigest(bytes32,address,uint64)",
    "version()",
    "registrar()",
    "eip712Domain()",
    "owner()",
    "pendingOwner()",
    "transferOwnership(address)",
    "acceptOwnership()",
    "renounceOwnership()",
}
EXPECTED_ERRORS = {
    "EvidenceAnchor__ZeroRoot()",
    "EvidenceAnchor__ZeroLeafCount()",
    "EvidenceAnchor__AlreadyAnchored(bytes32,uint64)",
    "EvidenceAnchor__UnknownRoot(bytes32)",
    "EvidenceAnchor__InvalidJurisdiction(bytes2)",
    "EvidenceAnchor__EmptyOperator()",
    "EvidenceAnchor__ZeroAddress()",
    "EvidenceAnchor__WitnessExists(address)",
    "EvidenceAnchor__NotAWitness(address)",
    "EvidenceAnchor__WitnessRevoked(address,uint64)",
    "EvidenceAnchor__WitnessAlreadyRevoked(address,uint64)",
    "EvidenceAnchor__InvalidRevocationTime(uint64)",
    "EvidenceAnchor__AlreadyConfirmed(bytes32,address)",
    "EvidenceAnchor__InvalidSignature(address)",
    "EvidenceAnchor__ObservedInFuture(uint64)",
}
EXPECTED_EVENTS = {
    "Anchored(bytes32,address,uint32,uint64)",
    "WitnessAdded(address,bytes2,string,uint64)",
    "WitnessRevoked(address,uint64)",
    "Confirmed(bytes32,address,bytes2,uint64,bool)",
}


def _signatures(kind: str) -> set[str]:
    abi = cast(list[dict[str, Any]], load_artifact().abi)
    return {
        f"{e['name']}({','.join(i['type'] for i in e['inputs'])})" for e in abi if e["type"] == kind
    }


def _compiler_available() -> str | None:
    """Why the compiler cannot run here, or None."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (REPO / "node_modules" / "solc" / "package.json").exists():
        return "node_modules/solc is missing (run `make node`)"
    if not (REPO / "node_modules" / "@openzeppelin" / "contracts").exists():
        return "node_modules/@openzeppelin/contracts is missing (run `make node`)"
    return None


needs_compiler = pytest.mark.skipif(
    _compiler_available() is not None, reason=f"cannot compile: {_compiler_available()}"
)


# ---------------------------------------------------------------- the artifact


def test_artifact_fields() -> None:
    artifact = load_artifact()
    assert artifact.contract_name == "EvidenceAnchor"
    assert artifact.compiler_version.startswith("0.8.30+commit.")
    assert artifact.bytecode and artifact.runtime_bytecode
    # OpenZeppelin EIP712 keeps 7 immutables read in the runtime code, 32 bytes each.
    assert artifact.immutable_references
    assert all(length == 32 for _, length in artifact.immutable_references)


def test_artifact_api_is_the_agreed_one() -> None:
    assert _signatures("function") == EXPECTED_FUNCTIONS
    assert _signatures("event") >= EXPECTED_EVENTS
    assert _signatures("error") >= EXPECTED_ERRORS


def test_artifact_file_is_canonical_json() -> None:
    text = build.ARTIFACT_PATH.read_text(encoding="utf-8")
    data = json.loads(text)
    assert text == build.render_artifact(data).decode()
    assert data["compiler"]["settings"] == build.COMPILER_SETTINGS
    assert data["sourceName"] == "contracts/EvidenceAnchor.sol"


def test_project_sources_match_artifact_hashes() -> None:
    """A stale artifact (contract edited, `make contracts` not run) fails here, without solc."""
    hashes = load_artifact().source_hashes
    project = sorted(p for p in hashes if p.startswith("contracts/"))
    assert project == ["contracts/EvidenceAnchor.sol", "contracts/IEvidenceAnchor.sol"]
    for unit, digest in hashes.items():
        path = REPO / unit if unit.startswith("contracts/") else REPO / "node_modules" / unit
        if not path.exists():
            assert not unit.startswith("contracts/"), unit
            continue
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, (
            f"{unit}: run make contracts"
        )


# ---------------------------------------------------------------- runtime code check


def test_deployed_code_matches_with_immutables_masked(chain: Chain) -> None:
    artifact = load_artifact()
    second = chain.deploy(chain.accounts[3])
    codes = [bytes(chain.w3.eth.get_code(c.address)) for c in (chain.contract, second)]
    for code, contract in zip(codes, (chain.contract, second), strict=True):
        # Immutables (cached domain separator, address, chain id...) make the raw code differ.
        assert code != artifact.runtime_bytecode
        check_runtime_code(code, artifact, address=contract.address)
    assert codes[0] != codes[1]  # different addresses, different immutables
    ranges = artifact.immutable_references
    assert mask_immutables(codes[0], ranges) == mask_immutables(codes[1], ranges)


def test_changed_code_is_refused(chain: Chain) -> None:
    artifact = load_artifact()
    code = bytearray(chain.w3.eth.get_code(chain.contract.address))
    immutable = {
        i for start, length in artifact.immutable_references for i in range(start, start + length)
    }
    outside = next(i for i in range(len(code) // 2, len(code)) if i not in immutable)
    changed = bytearray(code)
    changed[outside] ^= 0x01
    with pytest.raises(ContractMismatchError, match=r"code at 0xABC differs from EvidenceAnchor"):
        check_runtime_code(bytes(changed), artifact, address="0xABC")
    # A change inside an immutable range is, by design, not seen.
    inside = bytearray(code)
    inside[min(immutable)] ^= 0x01
    check_runtime_code(bytes(inside), artifact)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (b"", "empty: no contract is deployed there"),
        (b"\x60\x80", "is 2 bytes, expected"),
    ],
)
def test_other_code_is_refused(code: bytes, message: str) -> None:
    with pytest.raises(ContractMismatchError, match=message):
        check_runtime_code(
            code, load_artifact(), address="0x0000000000000000000000000000000000000001"
        )


def test_other_contract_code_is_refused(chain: Chain) -> None:
    artifact = load_artifact()
    code = bytes(chain.w3.eth.get_code(chain.contract.address))
    with pytest.raises(ContractMismatchError):
        check_runtime_code(code + b"\x00", artifact)
    with pytest.raises(ContractMismatchError):
        check_runtime_code(code[:-1], artifact)


# ---------------------------------------------------------------- revert decoding


def test_error_signatures_cover_the_contract_errors() -> None:
    table = error_signatures()
    assert set(table.values()) >= EXPECTED_ERRORS | {"Error(string)", "Panic(uint256)"}
    assert "OwnableUnauthorizedAccount(address)" in table.values()
    for selector, signature in table.items():
        assert selector == keccak(text=signature)[:4]


def test_decode_revert_builtin_errors() -> None:
    error = keccak(text="Error(string)")[:4] + abi_encode(["string"], ["boom"])
    assert decode_revert(error) == ("Error", ("boom",))
    panic = keccak(text="Panic(uint256)")[:4] + abi_encode(["uint256"], [0x11])
    assert decode_revert(panic) == ("Panic", (0x11,))


def test_decode_revert_checksums_addresses_and_keeps_bytes() -> None:
    selector = keccak(text="EvidenceAnchor__AlreadyConfirmed(bytes32,address)")[:4]
    witness = "0x7e5f4552091a69125d5dfcb7b8c2659029395bdf"
    data = selector + abi_encode(["bytes32", "address"], [b"\x01" * 32, witness])
    name, args = decode_revert(data)
    assert name == "EvidenceAnchor__AlreadyConfirmed"
    assert args == (b"\x01" * 32, "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf")
    assert describe_revert(data) == (
        "EvidenceAnchor__AlreadyConfirmed(0x"
        + "01" * 32
        + ", 0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf)"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "no error selector"),
        (b"\x12\x34", "no error selector"),
        (b"\xde\xad\xbe\xef", "revert selector 0xdeadbeef is not an EvidenceAnchor error"),
        (keccak(text="EvidenceAnchor__UnknownRoot(bytes32)")[:4] + b"\x01", "does not decode"),
    ],
)
def test_decode_revert_refuses_unknown_data(data: bytes, message: str) -> None:
    with pytest.raises(ChainError, match=message):
        decode_revert(data)
    assert message.split()[0] in describe_revert(data) or "revert" in describe_revert(data)


# ---------------------------------------------------------------- reproducible build


@pytest.fixture(scope="module")
def rebuilt() -> dict[str, Any]:
    reason = _compiler_available()
    if reason is not None:
        pytest.skip(f"cannot recompile the contract: {reason}")
    return build.compile_contracts()


@needs_compiler
def test_rebuild_gives_the_committed_artifact(rebuilt: dict[str, Any]) -> None:
    committed = json.loads(build.ARTIFACT_PATH.read_text(encoding="utf-8"))
    assert rebuilt["bytecode"] == committed["bytecode"], "stale artifact: run `make contracts`"
    assert rebuilt["runtimeBytecode"] == committed["runtimeBytecode"]
    assert rebuilt["immutableReferences"] == committed["immutableReferences"]
    assert rebuilt["abi"] == committed["abi"]
    # Byte for byte, so `make contracts` on a clean checkout leaves no diff.
    assert build.render_artifact(rebuilt) == build.ARTIFACT_PATH.read_bytes()


@needs_compiler
def test_wrapper_answers_version_like_native_solc() -> None:
    result = subprocess.run([str(WRAPPER), "--version"], capture_output=True, text=True, check=True)
    lines = result.stdout.splitlines()
    assert lines[0] == "solc, the solidity compiler commandline interface"
    assert lines[1].startswith("Version: 0.8.30+commit.")


@needs_compiler
def test_wrapper_rejects_unknown_options() -> None:
    result = subprocess.run(
        [str(WRAPPER), "--standard-json", "--via-something"],
        capture_output=True,
        text=True,
        input="{}",
    )
    assert result.returncode != 0
    assert result.stderr.startswith("unrecognised option '--via-something'")


@needs_compiler
def test_wrapper_import_callback_resolves_openzeppelin(rebuilt: dict[str, Any]) -> None:
    """Give the wrapper only the project's files: it must find OpenZeppelin itself."""
    import solcx

    sources = {
        unit: text
        for unit, text in build.collect_sources().items()
        if unit.startswith("contracts/")
    }
    output = solcx.compile_standard(
        build.compiler_input(sources), solc_binary=WRAPPER, allow_paths=[str(REPO)]
    )
    contract = output["contracts"][build.MAIN_SOURCE][build.CONTRACT_NAME]
    assert "0x" + contract["evm"]["bytecode"]["object"] == rebuilt["bytecode"]


def test_missing_compiler_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(build.SOLC_BINARY_ENV, str(tmp_path / "no-such-solc"))
    with pytest.raises(ConfigurationError, match="cannot run the Solidity compiler"):
        build.compile_contracts()


def test_missing_node_modules_is_a_configuration_error(tmp_path: Path) -> None:
    shutil.copytree(REPO / "contracts", tmp_path / "contracts")
    with pytest.raises(ConfigurationError, match="run `make node`"):
        build.collect_sources(tmp_path)


def test_collect_sources_resolves_relative_imports(tmp_path: Path) -> None:
    (tmp_path / "contracts" / "lib").mkdir(parents=True)
    (tmp_path / "contracts" / "A.sol").write_text(
        '// import "ignored.sol";\nimport {B} from "./lib/B.sol";\nimport "./lib/../C.sol" as C;\n'
    )
    (tmp_path / "contracts" / "lib" / "B.sol").write_text(
        '/* import "x.sol"; */ import "../C.sol";'
    )
    (tmp_path / "contracts" / "C.sol").write_text("contract C {}")
    sources = build.collect_sources(tmp_path, main_source="contracts/A.sol")
    assert list(sources) == ["contracts/A.sol", "contracts/C.sol", "contracts/lib/B.sol"]
