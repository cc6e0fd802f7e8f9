"""A real deployment's roles on one anvil node, and the court's trust profile.

Issue 19's roles: a **registrar** deploys EvidenceAnchor and registers witnesses; a
**capturer** joins that registry with ``init --chain URL --contract ADDR`` (no funds, no
transaction), then gets gas only to anchor; **witness operators** hold their own keys and
sign EIP-712 confirmations that anyone relays (no funded account); a **court** verifies from a
folder holding nothing but the bundle, with its own trust profile and its own node.

:func:`court_profile` writes a trust profile as a court's technical office would: the chain
pinned by its genesis hash, the registry (contract and registrar), and each operator with a
stable id, its jurisdiction as checked, and its witness addresses.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..chain.conftest import AnvilNode
from ..inprocess import ok_cli_inprocess

#: Balance given on anvil to an account that must pay gas (registrar, capturer).
GAS_WEI = 10**21

#: A chain id that is not a development id, so that a court profile may pin the node.
COURT_CHAIN_ID = 7140


@dataclass(frozen=True)
class Operator:
    id: str
    name: str
    jurisdiction: str
    witnesses: tuple[str, ...]
    source: str = "https://register.example.invalid/entry"


def fund(node: AnvilNode, address: str) -> None:
    """Give ``address`` gas on anvil between two empty blocks. ``anvil_setBalance`` changes
    the stored state of the latest block in place, so that block's proofs no longer match
    its header (no real chain does that): the block mined first takes the damage instead of
    an anchor's block, the block mined after holds the new balance properly."""
    node.rpc("evm_mine")
    node.rpc("anvil_setBalance", address, hex(GAS_WEI))
    node.rpc("evm_mine")


def ok_cli(*args: str, cwd: Path | None = None) -> str:
    """A set-up step (init, keys, registrations, capture, anchor, confirmations) that must
    succeed, run in-process: the court's verify runs stay subprocesses (tests/inprocess.py)."""
    return ok_cli_inprocess(*args, cwd=cwd)


def genesis_hash(node_url: str) -> str:
    return str(rpc(node_url, "eth_getBlockByNumber", "0x0", False)["hash"])


def rpc(url: str, method: str, *params: object) -> dict[str, object] | object:
    import urllib.request

    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
    request = urllib.request.Request(url, data=body.encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.loads(response.read())
    assert "error" not in answer, answer
    return answer["result"]


def _toml(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def court_profile(path: Path, *, chain_id: int, genesis: str, contract: str, registrar: str,
                  operators: Sequence[Operator], name: str = "court-of-example",
                  min_blocks_on_top: int = 0, development: bool = False,
                  demonstration: bool = False, nodes: Sequence[str] = (),
                  min_nodes: int = 1) -> Path:
    """Write a trust profile as a court's technical office would (module docstring)."""
    lines = [
        "version = 1",
        f"name = {_toml(name)}",
        'publisher = "Court of Example, technical office (test)"',
        "expires = 2099-12-31T00:00:00Z",
        f"demonstration = {'true' if demonstration else 'false'}",
        "",
        "[[chains]]",
        f"chain_id = {chain_id}",
        'name = "Example consortium chain (anvil in the tests)"',
        f'genesis_hash = "{genesis}"',
        f"min_blocks_on_top = {min_blocks_on_top}",
        f"development = {'true' if development else 'false'}",
        f"min_nodes = {min_nodes}",
    ]
    if nodes:
        lines.append("nodes = [" + ", ".join(_toml(n) for n in nodes) + "]")
    lines += ["", "[[registries]]", f"chain_id = {chain_id}", f'contract = "{contract}"',
              f'registrar = "{registrar}"']
    for op in operators:
        lines += ["", "[[operators]]", f"id = {_toml(op.id)}", f"name = {_toml(op.name)}",
                  f'jurisdiction = "{op.jurisdiction}"', f"source = {_toml(op.source)}",
                  "witnesses = ["
                  + ", ".join(f'{{ address = "{a}", from = 2020-01-01T00:00:00Z }}'
                              for a in op.witnesses) + "]"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass
class Deployment:
    """The registrar's workspace, the witnesses' keys, a capturer joined to the registry."""

    node: AnvilNode
    root: Path
    registrar_ws: Path
    registrar: str
    contract: str
    witness_keys: dict[str, Path]  # name -> keystore
    witness_addresses: dict[str, str]
    capturer_ws: Path
    capturer: str

    def witness(self, name: str, jurisdiction: str, operator: str) -> str:
        """A new witness key (its operator's own), registered by the registrar."""
        key = self.root / "witness-keys" / f"{name}.json"
        key.parent.mkdir(parents=True, exist_ok=True)
        address = ok_cli("witness", "keygen", "--light-kdf", "-o", str(key)).strip()
        ok_cli("-w", str(self.registrar_ws), "witness", "add", address, "--jurisdiction",
               jurisdiction, "--operator", operator)
        self.witness_keys[name] = key
        self.witness_addresses[name] = address
        return address

    def bundle(self, name: str) -> Path:
        """A capture by the capturer, anchored by it (its account pays the gas)."""
        from ..conftest import EXAMPLES

        out = self.root / "bundles" / name
        out.parent.mkdir(parents=True, exist_ok=True)
        ok_cli("-w", str(self.capturer_ws), "capture", str(EXAMPLES / "screenshots"),
               "--records", str(EXAMPLES / "transactions.csv"), "--case", f"2026-TRUST-{name}",
               "--platform", "ExampleMart", "-o", str(out))
        ok_cli("-w", str(self.capturer_ws), "anchor", str(out))
        return out

    def sign_and_relay(self, bundle: Path, *names: str) -> None:
        """Each named witness signs an EIP-712 confirmation with its own key (no gas); the
        capturer relays them."""
        signed = []
        for name in names:
            out = self.root / "signed" / f"{bundle.name}-{name}.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            ok_cli("-w", str(self.capturer_ws), "witness", "sign", str(bundle), "--key",
                   str(self.witness_keys[name]), "-o", str(out))
            signed.append(str(out))
        ok_cli("-w", str(self.capturer_ws), "witness", "relay", *signed)

    def confirm_directly(self, bundle: Path, *names: str) -> None:
        """Each named witness confirms by its own transaction (given gas first)."""
        for name in names:
            fund(self.node, self.witness_addresses[name])
            ok_cli("-w", str(self.capturer_ws), "witness", "confirm", str(bundle), "--key",
                   str(self.witness_keys[name]))

    def court_folder(self, bundle: Path, name: str) -> Path:
        """A folder holding a copy of the bundle and nothing else of the case."""
        import shutil

        folder = self.root / "court" / name
        folder.mkdir(parents=True)
        shutil.copytree(bundle, folder / bundle.name)
        return folder


def deploy(node: AnvilNode, root: Path) -> Deployment:
    """The registrar deploys; three operators' witnesses (CN, SG, DE) are registered; a
    capturer joins the registry with no funds, then is funded to anchor."""
    registrar_ws = root / "registrar"
    ok_cli("init", str(registrar_ws), "--no-chain")
    registrar = ok_cli("witness", "keygen", "--light-kdf", "-o",
                       str(registrar_ws / "keys" / "account.json")).strip()
    fund(node, registrar)
    ok_cli("init", str(registrar_ws), "--chain", node.url)
    contract = _contract_of(registrar_ws)
    capturer_ws = root / "capturer"
    ok_cli("init", str(capturer_ws), "--no-chain")
    capturer = ok_cli("witness", "keygen", "--light-kdf", "-o",
                      str(capturer_ws / "keys" / "account.json")).strip()
    # Joining an existing registry needs no funds and sends nothing.
    before = rpc(node.url, "eth_getTransactionCount", capturer, "latest")
    ok_cli("init", str(capturer_ws), "--chain", node.url, "--contract", contract)
    assert rpc(node.url, "eth_getTransactionCount", capturer, "latest") == before == "0x0"
    fund(node, capturer)  # gas to anchor, nothing else
    d = Deployment(node, root, registrar_ws, registrar, contract, {}, {}, capturer_ws,
                   capturer)
    d.witness("cn", "CN", "Beijing Example Notary Office")
    d.witness("sg", "SG", "Singapore Example Law Chambers")
    d.witness("de", "DE", "Berlin Example Notariat")
    return d


def _contract_of(ws: Path) -> str:
    import tomllib

    return str(tomllib.loads((ws / "evidence.toml").read_text())["chain"]["contract"])


def operators_of(d: Deployment, *names: str) -> list[Operator]:
    """The court's entries for the named witnesses, each its own operator."""
    table = {"cn": ("LEI:TEST0000000000000CN1", "Beijing Example Notary Office", "CN"),
             "sg": ("UEN:TEST00000SG1", "Singapore Example Law Chambers", "SG"),
             "de": ("HRB:TEST-DE-1", "Berlin Example Notariat", "DE")}
    return [Operator(table[n][0], table[n][1], table[n][2], (d.witness_addresses[n],))
            for n in names]
