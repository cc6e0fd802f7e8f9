"""A laboratory for verification rows: a workspace on a chain, witnesses made to order.

:class:`Lab` wraps one workspace whose chain (the embedded one, or an anvil node) has the
EvidenceAnchor contract deployed by the workspace account, which is therefore both the
registrar of witnesses and the submitter of anchors. Each row of the table asks the lab
for its own bundle and its own witnesses, so rows never see each other's confirmations
or revocations and can share one chain per test module (and per xdist worker).

Keystores are written with a tiny scrypt cost: they guard worthless development keys and
are unlocked on every anchoring, and the default cost (2**18) would dominate the suite.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ..chain.conftest import AnvilNode, free_port
from ..conftest import EXAMPLES, PASSPHRASE
from ..inprocess import run_cli_inprocess

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from evidence.bundle.receipts import Receipt
    from evidence.chain.backend import ChainClient
    from evidence.keys import SigningKey
    from evidence.workspace import Workspace

#: scrypt work factor for the test keystores: tiny, so unlocking is instant, while the
#: keystores are still real v3 scrypt files read by the production code.
TEST_SCRYPT_N = 2**4

#: Ether given to each witness for gas (development chains only).
WITNESS_FUNDING_WEI = 10**18

#: Balance set on anvil for the workspace account before `evidence init --chain`.
ANVIL_ACCOUNT_BALANCE_WEI = 10**21

SCHEMA_NAME = "verification-result.schema.json"

#: Upper bound for one `evidence verify` run (a hang, not a timing assertion).
CLI_TIMEOUT_S = 600


@dataclass(frozen=True)
class Witness:
    """A registered witness and its key."""

    account: LocalAccount
    jurisdiction: str
    operator: str

    @property
    def address(self) -> str:
        return str(self.account.address)


class Lab:
    """One workspace on one chain, with helpers to build each row's evidence.

    Verification runs under a trust profile, as issue 19 requires for any presumption: on
    the embedded chain the workspace's demonstration profile (so a presumption there is
    always a demonstration), on anvil a court's profile (:attr:`trust_path`) that pins the
    node's genesis hash, the contract and its registrar, and every witness the lab
    registers, one operator per operator name (the first jurisdiction it is registered in).
    """

    def __init__(self, root: Path, kind: str, url: str | None = None) -> None:
        self.root = root
        self.kind = kind
        self.url = url
        self._serial = 0
        self._key: SigningKey | None = None
        self._operators: dict[str, tuple[str, list[str]]] = {}  # name -> (jurisdiction, addrs)

    @property
    def trust_path(self) -> Path | None:
        """The court's trust profile (anvil), or None: the workspace's demonstration one."""
        return self.root / "court-trust.toml" if self.kind == "rpc" else None

    def write_trust(self) -> None:
        """(Re)write the court's profile with every witness registered so far."""
        if self.trust_path is None:
            return
        from .court import Operator, court_profile, genesis_hash

        ws = self.ws
        assert self.url is not None and ws.chain.chain_id and ws.chain.contract
        ops = [Operator(f"TEST:{i}", name, jur, tuple(addrs))
               for i, (name, (jur, addrs)) in enumerate(self._operators.items())]
        court_profile(self.trust_path, chain_id=ws.chain.chain_id,
                      genesis=genesis_hash(self.url), contract=ws.chain.contract,
                      registrar=str(self.registrar.address), operators=ops)

    def _pin(self, address: str, jurisdiction: str, operator: str) -> None:
        self._operators.setdefault(operator, (jurisdiction, []))[1].append(address)
        self.write_trust()

    def verify(self, path: Path) -> Any:
        """``evidence.verify`` as the rows' own controls run it (under the lab's trust)."""
        from evidence.verification.verifier import verify

        return verify(path, workspace=self.ws_path, trust=self.trust_path)

    # -- the workspace ---------------------------------------------------------------

    @property
    def ws_path(self) -> Path:
        return self.root / "ws"

    @property
    def ws(self) -> Workspace:
        from evidence.workspace import open_workspace

        return open_workspace(self.ws_path)

    @property
    def key(self) -> SigningKey:
        if self._key is None:  # unlocking it costs a deliberate scrypt
            self._key = self.ws.signing_key(PASSPHRASE)
        return self._key

    @property
    def registrar(self) -> LocalAccount:
        from evidence.chain.accounts import load_account

        ws = self.ws
        return load_account(ws.path(ws.chain.account_keystore), PASSPHRASE)

    def fresh(self, name: str) -> Path:
        """A new, unused path under the lab for ``name``."""
        self._serial += 1
        return self.root / f"{self._serial:03d}-{name}"

    def chain(self) -> ChainClient:
        from evidence.workspace_chain import open_workspace_chain

        return open_workspace_chain(self.ws)

    # -- witnesses -------------------------------------------------------------------

    def witness(self, jurisdiction: str, operator: str | None = None) -> Witness:
        """A new witness in ``jurisdiction``, funded and registered by the registrar."""
        from evidence.chain.accounts import create_keystore, load_account
        from evidence.workspace_chain import open_workspace_contract

        self._serial += 1
        path = self.ws_path / "keys" / "test-witnesses" / f"{self._serial:03d}-{jurisdiction}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        create_keystore(path, PASSPHRASE, scrypt_n=TEST_SCRYPT_N)
        account = load_account(path, PASSPHRASE)
        operator = operator or f"Test witness operator {self._serial} ({jurisdiction})"
        self._fund(str(account.address))
        with self.chain() as chain:
            contract = open_workspace_contract(self.ws, chain)
            contract.add_witness(account.address, jurisdiction, operator, self.registrar)
        self._pin(str(account.address), jurisdiction, operator)
        return Witness(account, jurisdiction, operator)

    def register_submitter(self, jurisdiction: str) -> Witness:
        """Register the workspace account (the anchors' submitter) as a witness."""
        from evidence.workspace_chain import open_workspace_contract

        registrar = self.registrar
        operator = "The submitter's own node"
        with self.chain() as chain:
            contract = open_workspace_contract(self.ws, chain)
            contract.add_witness(registrar.address, jurisdiction, operator, registrar)
        self._pin(str(registrar.address), jurisdiction, operator)
        return Witness(registrar, jurisdiction, operator)

    def revoke(self, witness: Witness, *, effective_at: int) -> None:
        from evidence.workspace_chain import open_workspace_contract

        with self.chain() as chain:
            contract = open_workspace_contract(self.ws, chain)
            contract.revoke_witness(witness.address, effective_at, self.registrar)

    def registered_at(self, witness: Witness) -> int:
        from evidence.workspace_chain import open_workspace_contract

        with self.chain() as chain:
            record = open_workspace_contract(self.ws, chain).witness_of(witness.address)
        assert record is not None
        return record.registered_at

    # -- evidence --------------------------------------------------------------------

    def bundle(self, name: str) -> Path:
        """Capture the shipped examples (two screenshots, one export of 12 records)."""
        from evidence.capturing.pipeline import capture

        out = self.fresh(name)
        capture([EXAMPLES / "screenshots"], records=[EXAMPLES / "transactions.csv"], out=out,
                case=f"2026-VERIFY-{name}", key=self.key, platform="ExampleMart",
                source_url="https://shop.example.invalid/store/aurora-outlet",
                note=f"verification table row {name}")
        return out

    def anchor(self, bundle: Path) -> Receipt:
        from evidence.anchoring import anchor_bundles

        outcome = anchor_bundles(self.ws, [bundle], passphrase=PASSPHRASE, key=self.key)
        assert not outcome.confirmations, "the lab's workspace must have no demo witnesses"
        return outcome.anchored[0][1]

    def confirm(self, receipt: Receipt, *witnesses: Witness) -> None:
        from evidence.workspace_chain import open_workspace_contract

        with self.chain() as chain:
            contract = open_workspace_contract(self.ws, chain)
            for w in witnesses:
                contract.confirm(receipt.batch_root, w.account)

    def confirmed_bundle(self, name: str, *jurisdictions: str) -> tuple[Path, Receipt]:
        """A bundle anchored and confirmed by new witnesses in ``jurisdictions``."""
        witnesses = [self.witness(cc) for cc in jurisdictions]
        bundle = self.bundle(name)
        receipt = self.anchor(bundle)
        self.confirm(receipt, *witnesses)
        return bundle, receipt

    def _fund(self, address: str) -> None:
        """Gas for a witness. The anvil node is not a development chain to the tool (its
        chain id is a court's), so its cheat codes are called directly, between two empty
        blocks (see tests/verification/court.py, ``fund``)."""
        if self.kind != "rpc":
            with self.chain() as chain:
                chain.fund(address, WITNESS_FUNDING_WEI)
            return
        from .court import rpc

        assert self.url is not None
        rpc(self.url, "evm_mine")
        rpc(self.url, "anvil_setBalance", address, hex(WITNESS_FUNDING_WEI))
        rpc(self.url, "evm_mine")

    def advance_time(self, seconds: int) -> int:
        if self.kind != "rpc":
            with self.chain() as chain:
                return chain.advance_time(seconds)
        from .court import rpc

        assert self.url is not None
        rpc(self.url, "evm_increaseTime", max(1, seconds))
        rpc(self.url, "evm_mine")
        block = rpc(self.url, "eth_getBlockByNumber", "latest", False)
        assert isinstance(block, dict)
        return int(str(block["timestamp"]), 16)

    def deploy_second_contract(self) -> str:
        from evidence.chain.contract import deploy_anchor_contract

        with self.chain() as chain:
            return deploy_anchor_contract(chain, self.registrar)

    def disclose(self, bundle: Path, item_id: str) -> Path:
        from evidence.disclosure import disclose

        return disclose(bundle, item_id, out=self.fresh(f"disclosure-{item_id}"), key=self.key)


# -- tampering helpers (what an adversary with write access to a bundle would do) ----------


def rewrite_receipt(bundle: Path, **changes: Any) -> Path:
    """Change fields of the bundle's single receipt, keeping it canonical JSON."""
    from evidence.standards.jcs import canonicalize

    [path] = sorted((bundle / "evidence" / "receipts").glob("*.json"))
    doc = json.loads(path.read_bytes())
    doc.update(changes)
    path.write_bytes(canonicalize(doc) + b"\n")
    return path


def refresh_tag_manifest_entry(bundle: Path, changed: Path) -> None:
    """Recompute the tag manifests' lines for ``changed`` (hiding the edit from BagIt)."""
    rel = changed.relative_to(bundle).as_posix()
    for alg in ("sha256", "sha512"):
        manifest = bundle / f"tagmanifest-{alg}.txt"
        digest = hashlib.new(alg, changed.read_bytes()).hexdigest()
        lines = manifest.read_text(encoding="utf-8").splitlines()
        hits = [i for i, line in enumerate(lines) if line.split(None, 1)[1] == rel]
        assert len(hits) == 1, f"{rel} not listed once in {manifest.name}"
        lines[hits[0]] = f"{digest}  {rel}"
        manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def change_record_field(bundle: Path, line: int, field: str, value: str) -> None:
    """Change one field of the record on 1-based ``line`` of the records file."""
    from evidence.standards.jcs import canonicalize

    path = bundle / "data" / "records" / "transactions.csv.jsonl"
    lines = path.read_bytes().split(b"\n")
    record = json.loads(lines[line - 1])
    assert record[field] != value
    record[field] = value
    lines[line - 1] = canonicalize(record)
    path.write_bytes(b"\n".join(lines))


# -- verification through both doors ----------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One row verified by the library and by the command line."""

    library: dict[str, Any]
    library_exit: int
    cli: dict[str, Any]
    cli_exit: int
    cli_stderr: str


def verify_both(path: Path, *, workspace: Path | None, cwd: Path, policy: str | None = None,
                offline: bool = False, chain_url: str | None = None,
                trust: Path | None = None) -> Outcome:
    """``evidence verify --json`` as a user runs it and, meanwhile, ``evidence.verify``."""
    from evidence.verification.verifier import verify

    args = [] if workspace is None else ["--workspace", str(workspace)]
    args += ["verify", str(path), "--json"]
    if trust is not None:
        args += ["--trust", str(trust)]
    if offline:
        args.append("--offline")
    if policy is not None:
        args += ["--policy", policy]
    if chain_url is not None:
        args += ["--chain", chain_url]
    env = {**os.environ, "EVIDENCE_PASSPHRASE": PASSPHRASE}
    env.pop("EVIDENCE_WORKSPACE", None)
    exe = Path(sys.executable).with_name("evidence")
    # The CLI starts first: its imports take seconds, the library call runs meanwhile.
    with subprocess.Popen([str(exe), *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as proc:
        try:
            kwargs: dict[str, Any] = {"offline": offline, "chain_url": chain_url,
                                      "workspace": workspace, "trust": trust}
            if policy is not None:
                kwargs["policy"] = policy
            result = verify(path, **kwargs)
        finally:
            stdout, stderr = proc.communicate(timeout=CLI_TIMEOUT_S)
    assert stdout.strip(), f"no JSON from the CLI (exit {proc.returncode}): {stderr}"
    return Outcome(result.to_json(), result.exit_code, json.loads(stdout), proc.returncode,
                   stderr)


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def result_schema() -> dict[str, Any]:
    """The shipped JSON Schema of the verification result (read as the package ships it)."""
    text = resources.files("evidence").joinpath("schemas", SCHEMA_NAME).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@pytest.fixture(scope="session")
def schema_validator(result_schema: dict[str, Any]) -> Any:
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(result_schema)
    return jsonschema.Draft202012Validator(result_schema)


def _new_workspace(root: Path) -> Path:
    """A workspace with a capturer key and a cheap workspace account keystore, no chain."""
    from evidence.chain.accounts import create_keystore
    from evidence.workspace import init_workspace

    ws, _ = init_workspace(root, PASSPHRASE)
    keystore = ws.path(ws.chain.account_keystore)
    keystore.parent.mkdir(parents=True, exist_ok=True)
    create_keystore(keystore, PASSPHRASE, scrypt_n=TEST_SCRYPT_N)
    return root


@pytest.fixture(scope="module")
def embedded_lab(tmp_path_factory: pytest.TempPathFactory) -> Lab:
    """A lab on the embedded development chain (init + setup_chain), shared by a module."""
    from evidence.anchoring import setup_chain
    from evidence.workspace import open_workspace

    root = tmp_path_factory.mktemp("verify-embedded")
    lab = Lab(root, "embedded")
    _new_workspace(lab.ws_path)
    setup_chain(open_workspace(lab.ws_path), PASSPHRASE)
    return lab


@pytest.fixture(scope="module")
def anvil_node() -> Iterator[AnvilNode]:
    """An anvil node with a chain id that is not a development one (7140), so that the
    lab's court profile may pin it as the consortium chain a court trusts."""
    from .court import COURT_CHAIN_ID

    node = AnvilNode(free_port(), "--chain-id", str(COURT_CHAIN_ID))
    node.start()
    try:
        yield node
    finally:
        node.stop()


def rpc_lab(root: Path, node: AnvilNode) -> Lab:
    """A lab in ``root`` on the anvil ``node``, set up with ``evidence init WS --chain URL``
    (its account funded first)."""
    from evidence.chain.accounts import keystore_address
    from evidence.workspace import open_workspace

    lab = Lab(root, "rpc", node.url)
    _new_workspace(lab.ws_path)
    ws = open_workspace(lab.ws_path)
    account = keystore_address(ws.path(ws.chain.account_keystore))
    node.rpc("anvil_setBalance", account, hex(ANVIL_ACCOUNT_BALANCE_WEI))
    proc = run_cli_inprocess("init", str(lab.ws_path), "--chain", node.url, cwd=root)
    assert proc.returncode == 0, proc.stderr  # set-up: in-process (tests/inprocess.py)
    return lab


@pytest.fixture(scope="module")
def anvil_lab(tmp_path_factory: pytest.TempPathFactory, anvil_node: AnvilNode) -> Lab:
    """A lab on a local anvil node, set up with ``evidence init WS --chain URL``."""
    from evidence.workspace import open_workspace

    lab = rpc_lab(tmp_path_factory.mktemp("verify-anvil"), anvil_node)
    assert open_workspace(lab.ws_path).chain.kind == "rpc"
    return lab


def closed_port_url() -> str:
    """A JSON-RPC URL on 127.0.0.1 where nothing listens."""
    return f"http://127.0.0.1:{free_port()}"


def copy_alone(package: Path, dest: Path) -> Path:
    """Copy a package into a folder of its own (nothing else of the case beside it)."""
    dest.mkdir(parents=True)
    return Path(shutil.copytree(package, dest / package.name))

