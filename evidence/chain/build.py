"""Reproducible build of the EvidenceAnchor contract into the committed artifact.

``python -m evidence.chain.build`` (``make contracts``) compiles ``contracts/EvidenceAnchor.sol``
with solc's standard-JSON interface through py-solc-x and writes
``evidence/chain/EvidenceAnchor.json`` atomically (sorted keys, final newline).

Why it is reproducible:

* every source goes into the compiler input as ``content`` under a *relative* source unit
  name (``contracts/EvidenceAnchor.sol``, ``@openzeppelin/contracts/...``), so the bytecode
  does not depend on where the checkout lives; the import closure is gathered here, so a
  native solc and the solcjs wrapper get the very same input;
* the settings are fixed (:data:`COMPILER_SETTINGS`), the metadata hash is left out of the
  bytecode (``bytecodeHash: "none"``), and the compiler version is pinned (:data:`SOLC_VERSION`);
* the artifact records the sha256 of every source, so a test can tell a stale artifact.

The compiler is ``tools/solc-wrapper`` (solcjs from ``node_modules``; no native solc download
is needed) unless the ``SOLC_BINARY`` environment variable names a native ``solc`` 0.8.30.
py-solc-x is a development dependency: it is imported only when compiling.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
from pathlib import Path

from evidence.errors import ConfigurationError, EvidenceError, FormatError
from evidence.fsutil import atomic_write_bytes

__all__ = [
    "ARTIFACT_FORMAT",
    "ARTIFACT_PATH",
    "COMPILER_SETTINGS",
    "CONTRACT_NAME",
    "MAIN_SOURCE",
    "SOLC_VERSION",
    "collect_sources",
    "compile_contracts",
    "compiler_input",
    "main",
    "render_artifact",
    "write_artifact",
]

#: The checkout's root: this file is ``<root>/evidence/chain/build.py``.
REPO_ROOT = Path(__file__).resolve().parents[2]
#: Where the artifact is written; it ships inside the package (see artifact.py).
ARTIFACT_PATH = Path(__file__).resolve().with_name("EvidenceAnchor.json")
#: The default compiler: solcjs behind a solc-like command line.
WRAPPER = REPO_ROOT / "tools" / "solc-wrapper"
#: Environment variable naming another (native) solc binary.
SOLC_BINARY_ENV = "SOLC_BINARY"

CONTRACT_NAME = "EvidenceAnchor"
MAIN_SOURCE = "contracts/EvidenceAnchor.sol"
#: The contracts' exact pragma; any other compiler would not give the committed bytecode.
SOLC_VERSION = "0.8.30"
#: Version of the artifact's JSON layout; artifact.py rejects any other.
ARTIFACT_FORMAT = 1

#: Fixed compiler settings. ``cancun`` runs on py-evm (eth-tester) and on anvil; the
#: metadata hash is left out so that comments and paths cannot change the bytecode.
COMPILER_SETTINGS: dict[str, object] = {
    "evmVersion": "cancun",
    "metadata": {"bytecodeHash": "none"},
    "optimizer": {"enabled": True, "runs": 200},
}

_OUTPUTS = [
    "abi",
    "evm.bytecode.object",
    "evm.deployedBytecode.object",
    "evm.deployedBytecode.immutableReferences",
]

# `import "x";`, `import {A} from "x";`, `import * as A from "x";`, `import "x" as A;`
_IMPORT_RE = re.compile(r"^\s*import\s+[^;]*?[\"']([^\"']+)[\"'][^;]*;", re.MULTILINE)
_BLOCK_COMMENT_RE = re.compile(r"/\*.*?\*/", re.DOTALL)
_LINE_COMMENT_RE = re.compile(r"//[^\n]*")

#: Bound on the import closure: OpenZeppelin's deepest contracts pull in a few dozen files;
#: far more means an import cycle through a bad path.
MAX_SOURCES = 500


def _locate(unit: str, root: Path) -> Path:
    """Map a source unit name to a file: ``@openzeppelin/...`` lives in node_modules."""
    if unit.startswith("@"):
        return root / "node_modules" / unit
    return root / unit


def _imports(text: str) -> list[str]:
    stripped = _LINE_COMMENT_RE.sub("", _BLOCK_COMMENT_RE.sub("", text))
    return _IMPORT_RE.findall(stripped)


def _resolve(importer: str, name: str) -> str:
    """Solidity's import resolution: ``./`` and ``../`` are relative to the importing unit."""
    if name.startswith(("./", "../")):
        return posixpath.normpath(posixpath.join(posixpath.dirname(importer), name))
    return name


def collect_sources(root: Path = REPO_ROOT, *, main_source: str = MAIN_SOURCE) -> dict[str, str]:
    """Return ``{source unit name: text}`` for ``main_source`` and everything it imports.

    Raises :class:`ConfigurationError` when a file is missing (``node_modules`` not installed:
    run ``make node``) and :class:`FormatError` when a source is not UTF-8.
    """
    sources: dict[str, str] = {}
    pending = [main_source]
    while pending:
        unit = pending.pop()
        if unit in sources:
            continue
        if len(sources) >= MAX_SOURCES:
            raise ConfigurationError(f"{main_source} imports more than {MAX_SOURCES} files")
        path = _locate(unit, root)
        try:
            text = path.read_bytes().decode("utf-8")
        except FileNotFoundError as exc:
            raise ConfigurationError(
                f"Solidity source {unit} not found at {path}; "
                "run `make node` to install node_modules"
            ) from exc
        except UnicodeDecodeError as exc:
            raise FormatError("not UTF-8 text", path=str(path)) from exc
        except OSError as exc:
            raise ConfigurationError(f"cannot read {path}: {exc.strerror}") from exc
        sources[unit] = text
        pending.extend(_resolve(unit, name) for name in _imports(text))
    return dict(sorted(sources.items()))


def compiler_input(sources: dict[str, str]) -> dict[str, object]:
    """The solc standard-JSON input for ``sources`` with :data:`COMPILER_SETTINGS`."""
    return {
        "language": "Solidity",
        "sources": {unit: {"content": text} for unit, text in sources.items()},
        "settings": {
            **COMPILER_SETTINGS,
            "outputSelection": {MAIN_SOURCE: {CONTRACT_NAME: _OUTPUTS}},
        },
    }


def _solc_binary() -> Path:
    override = os.environ.get(SOLC_BINARY_ENV)
    return Path(override) if override else WRAPPER


def _immutable_ranges(refs: object) -> list[dict[str, int]]:
    """Flatten solc's ``{astId: [{start, length}, ...]}`` into a sorted list of byte ranges."""
    if not isinstance(refs, dict):
        return []
    ranges = {
        (int(item["start"]), int(item["length"])) for items in refs.values() for item in items
    }
    return [{"start": start, "length": length} for start, length in sorted(ranges)]


def compile_contracts(
    *, root: Path = REPO_ROOT, solc_binary: Path | None = None
) -> dict[str, object]:
    """Compile the contract and return the artifact (the JSON object written to disk).

    Raises :class:`ConfigurationError` when the compiler or node_modules is missing or is not
    solc :data:`SOLC_VERSION`, and :class:`FormatError` (naming the source) when solc reports an
    error.
    """
    try:
        import solcx  # development dependency: only needed to compile
        from solcx.exceptions import SolcError
        from solcx.wrapper import get_solc_version
    except ImportError as exc:
        raise ConfigurationError("py-solc-x is not installed; run `make install-dev`") from exc

    binary = solc_binary or _solc_binary()
    sources = collect_sources(root)
    try:
        version = get_solc_version(binary, with_commit_hash=True)
        if version.base_version != SOLC_VERSION:
            raise ConfigurationError(
                f"{binary} is solc {version}; the contracts need solc {SOLC_VERSION} exactly"
            )
        output = solcx.compile_standard(compiler_input(sources), solc_binary=binary)
    except SolcError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "solc failed"
        raise FormatError(f"solc failed: {first}", path=MAIN_SOURCE) from exc
    except (OSError, ValueError) as exc:
        raise ConfigurationError(
            f"cannot run the Solidity compiler {binary} ({exc}); run `make node` or set "
            f"{SOLC_BINARY_ENV} to a native solc {SOLC_VERSION}"
        ) from exc

    try:
        contract = output["contracts"][MAIN_SOURCE][CONTRACT_NAME]
        evm = contract["evm"]
        bytecode = evm["bytecode"]["object"]
        runtime = evm["deployedBytecode"]["object"]
        immutables = evm["deployedBytecode"].get("immutableReferences", {})
    except (KeyError, TypeError) as exc:
        raise EvidenceError(f"solc gave no output for {CONTRACT_NAME} in {MAIN_SOURCE}") from exc

    return {
        "artifactFormat": ARTIFACT_FORMAT,
        "contractName": CONTRACT_NAME,
        "sourceName": MAIN_SOURCE,
        "abi": contract["abi"],
        "bytecode": "0x" + bytecode,
        "runtimeBytecode": "0x" + runtime,
        "immutableReferences": _immutable_ranges(immutables),
        "compiler": {
            "name": "solc",
            "version": str(version),
            "settings": COMPILER_SETTINGS,
        },
        "sources": {
            unit: hashlib.sha256(text.encode("utf-8")).hexdigest() for unit, text in sources.items()
        },
    }


def render_artifact(artifact: dict[str, object]) -> bytes:
    """The artifact's bytes on disk: JSON, sorted keys, two-space indent, final newline."""
    return (json.dumps(artifact, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def write_artifact(artifact: dict[str, object], path: Path = ARTIFACT_PATH) -> None:
    """Write ``artifact`` to ``path`` atomically (temporary file, fsync, rename)."""
    try:
        atomic_write_bytes(path, render_artifact(artifact))
    except OSError as exc:
        raise ConfigurationError(f"cannot write {path}: {exc.strerror}") from exc


def main() -> None:
    """Compile and write the artifact (``make contracts``)."""
    write_artifact(compile_contracts())


if __name__ == "__main__":
    try:
        main()
    except EvidenceError as exc:  # the only place this module leaves the process
        raise SystemExit(f"evidence.chain.build: {exc}") from exc
