"""Chain faults on a real JSON-RPC node (anvil): a node that stops in the middle of an
anchoring, a restarted node, a node that comes back as another chain, and reorganisations
that drop or move an anchor.

What must hold (issue 6, item 4): ``evidence anchor`` stops with exit 3 and one line when
the node goes away, damages nothing, and a rerun after the node is back completes with
exactly one anchor; a node reporting another chain id is refused (anchor) or makes the
verification inconclusive, never fine; an anchor dropped by a reorganisation is reported as
missing (failed), and ``evidence anchor --reanchor`` anchors it again, after which the
verification uses the new anchor. A stale receipt beside a valid one is a warning
(``receipt-stale``), not a failure (docs/security.md).

Each test runs its own anvil with ``--state FILE`` (anvil dumps its chain there when it is
stopped with SIGTERM and loads it when started again), so "restart" keeps the chain. The
node stopping mid-anchor is staged by a small JSON-RPC proxy between the command and the
node, which stops anvil at an exact request: before the anchor transaction reaches it, or
right after the command has read the mined transaction's receipt.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_utils import keccak

from ..chain.conftest import AnvilNode, free_port
from ..conftest import EXAMPLES, PASSPHRASE, run_cli
from ..inprocess import run_cli_inprocess

pytestmark = pytest.mark.anvil

#: scrypt cost of the test keystores: development keys, unlocked on every anchoring.
TEST_SCRYPT_N = 2**4
#: Balance given to the workspace account and the test witnesses (gas only).
FUNDING_WEI = 10**21
#: anvil's default chain id, and the one it is restarted with to play "another chain".
ANVIL_CHAIN_ID = 31337
OTHER_CHAIN_ID = 999
#: topic0 of ``Anchored(bytes32,address,uint32,uint64)``, computed here, not by the code under
#: test, to count anchors straight from the node's logs.
ANCHORED_TOPIC = "0x" + keccak(text="Anchored(bytes32,address,uint32,uint64)").hex()


# -- a JSON-RPC proxy that can stop the node at a chosen request ---------------------------


Hook = Callable[[str, str, bytes | None], None]


class RpcProxy:
    """Forwards JSON-RPC POSTs to ``upstream``; ``hook(method, phase, answer)`` runs before
    (``phase="before"``, answer None) and after (``"after"``) each forward. When the node is
    down the proxy answers HTTP 502, as a gateway in front of a dead node does."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.hook: Hook = lambda _m, _p, _a: None
        self.methods: list[str] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    method = str(json.loads(body).get("method", ""))
                except (ValueError, AttributeError):
                    method = ""
                proxy.methods.append(method)
                proxy.hook(method, "before", None)
                request = urllib.request.Request(
                    proxy.upstream, data=body, headers={"Content-Type": "application/json"})
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        answer = response.read()
                except (OSError, urllib.error.URLError):
                    self.send_response(502)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                proxy.hook(method, "after", answer)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# -- one case: a node with preserved state, a workspace on it, a captured bundle -----------


@dataclass
class Case:
    root: Path
    port: int
    state: Path
    node: AnvilNode
    url: str  # what the workspace uses: the node, or the proxy in front of it
    ws: Path

    def start(self, *extra: str) -> AnvilNode:
        """(Re)start anvil on the same port from the same state file."""
        self.node = AnvilNode(self.port, "--state", str(self.state), *extra)
        self.node.start()
        return self.node

    def stop(self) -> None:
        self.node.stop()

    def cli(self, *args: str) -> Any:
        return run_cli("--workspace", str(self.ws), *args, cwd=self.root)

    def bundle(self, name: str) -> Path:
        from evidence.capturing.pipeline import capture
        from evidence.workspace import open_workspace

        out = self.root / name
        capture([EXAMPLES / "screenshots"], records=[EXAMPLES / "transactions.csv"], out=out,
                case=f"2026-FAULT-{name}", key=open_workspace(self.ws).signing_key(PASSPHRASE),
                platform="ExampleMart", source_url="https://shop.example.invalid/store/x")
        return out

    def contract(self) -> str:
        from evidence.workspace import open_workspace

        address = open_workspace(self.ws).chain.contract
        assert address is not None
        return address

    def anchors_of(self, batch_root: str) -> int:
        """How many Anchored events for ``batch_root`` the node's canonical chain holds."""
        logs = self.node.rpc("eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest",
                                             "address": self.contract(),
                                             "topics": [ANCHORED_TOPIC, batch_root]})
        assert isinstance(logs, list)
        return len(logs)

    def all_anchors(self) -> int:
        logs = self.node.rpc("eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest",
                                             "address": self.contract(),
                                             "topics": [ANCHORED_TOPIC]})
        assert isinstance(logs, list)
        return len(logs)


def _make_case(root: Path, *, via_proxy: bool) -> Iterator[tuple[Case, RpcProxy | None]]:
    from evidence.chain.accounts import create_keystore, keystore_address
    from evidence.workspace import init_workspace

    port = free_port()
    state = root / "anvil-state.json"
    node = AnvilNode(port, "--state", str(state))
    node.start()
    proxy = RpcProxy(node.url) if via_proxy else None
    case = Case(root, port, state, node, proxy.url if proxy else node.url, root / "ws")
    try:
        ws, _ = init_workspace(case.ws, PASSPHRASE)
        keystore = ws.path(ws.chain.account_keystore)
        create_keystore(keystore, PASSPHRASE, scrypt_n=TEST_SCRYPT_N)
        node.rpc("anvil_setBalance", keystore_address(keystore), hex(FUNDING_WEI))
        # Set-up, not under test: in-process (tests/inprocess.py).
        proc = run_cli_inprocess("init", str(case.ws), "--chain", case.url, cwd=root)
        assert proc.returncode == 0, proc.stderr
        yield case, proxy
    finally:
        if proxy is not None:
            proxy.close()
        case.node.stop()


@pytest.fixture
def case(tmp_path: Path) -> Iterator[Case]:
    for made, _ in _make_case(tmp_path, via_proxy=False):
        yield made


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[tuple[Case, RpcProxy]]:
    for made, proxy in _make_case(tmp_path, via_proxy=True):
        assert proxy is not None
        yield made, proxy


# -- helpers ---------------------------------------------------------------------------------


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its SHA-256: to show nothing was changed."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def receipts_of(bundle: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_bytes())
            for p in sorted((bundle / "evidence" / "receipts").glob("*.json"))]


def one_line_error(proc: Any) -> str:
    """The command failed with exactly one line on stderr, no traceback."""
    err = proc.stderr.strip()
    assert err.startswith("error: "), proc.stderr
    assert "\n" not in err, proc.stderr
    assert "Traceback" not in proc.stderr
    return str(err)


def verify_json(case: Case, bundle: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    proc = case.cli("verify", str(bundle), "--json", *extra)
    assert proc.stdout.strip(), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def codes(doc: dict[str, Any], severity: str | None = None) -> list[str]:
    return [f["code"] for f in doc["findings"] if severity is None or f["severity"] == severity]


def finding(doc: dict[str, Any], code: str) -> dict[str, Any]:
    [found] = [f for f in doc["findings"] if f["code"] == code]
    return dict(found)


def custody_actions(bundle: Path) -> list[str]:
    lines = (bundle / "evidence" / "custody.jsonl").read_bytes().splitlines()
    return [json.loads(line)["action"] for line in lines if line.strip()]


def replaces_of(bundle: Path) -> list[dict[str, Any]]:
    """What the signed "anchored" custody entries say they replace."""
    lines = (bundle / "evidence" / "custody.jsonl").read_bytes().splitlines()
    entries = [json.loads(line) for line in lines if line.strip()]
    return [e["details"]["replaces"] for e in entries
            if e["action"] == "anchored" and "replaces" in e["details"]]


def assert_anchor_checks_out(case: Case, bundle: Path, *,
                             replaced: str | None = None) -> dict[str, Any]:
    """Verified against the node: anchor found and checked, nothing failed. (No witnesses
    confirmed, so the verdict is not-presumed, exit 1, unless the test adds some.)

    ``replaced``: the transaction of an anchoring whose receipt a re-anchoring replaced;
    verification must say so (``receipt-replaced``, info) and report no error for it.
    """
    rc, doc = verify_json(case, bundle)
    assert "anchor-ok" in codes(doc), [f for f in doc["findings"] if f["severity"] != "ok"]
    assert doc["anchor"]["checked_on_chain"] is True
    errors = [f for f in doc["findings"] if f["severity"] in ("error", "unknown")]
    assert errors == [], doc["findings"]
    if replaced is not None:
        assert any(f["code"] == "receipt-replaced" and replaced in f["message"]
                   for f in doc["findings"]), doc["findings"]
    assert doc["verdict"] in ("not-presumed", "presumed-authentic"), doc["findings"]
    assert rc in (0, 1)
    return doc


# -- the node stops in the middle of an anchoring --------------------------------------------


@pytest.mark.parametrize("point", ["before-anchor", "at-send", "after-mined"])
def test_node_stops_mid_anchor_then_rerun_anchors_once(
        proxied: tuple[Case, RpcProxy], point: str) -> None:
    case, proxy = proxied
    bundle = case.bundle("bundle")
    before = tree_digest(bundle)
    stopped = threading.Event()

    def stop_node() -> None:
        if not stopped.is_set():
            stopped.set()
            case.stop()  # SIGTERM: anvil writes its chain to the state file

    def hook(method: str, phase: str, answer: bytes | None) -> None:
        if point == "at-send" and method == "eth_sendRawTransaction" and phase == "before":
            stop_node()  # the transaction never reaches the node
        if (point == "after-mined" and method == "eth_getTransactionReceipt"
                and phase == "after" and answer is not None
                and json.loads(answer).get("result") is not None):
            stop_node()  # mined, and the command knows it; no receipt written yet

    if point == "before-anchor":
        stop_node()
    proxy.hook = hook
    proc = case.cli("anchor", str(bundle))
    assert stopped.is_set(), f"the node was never stopped at {point}: {proxy.methods}"
    assert proc.returncode == 3, (proc.returncode, proc.stdout, proc.stderr)
    message = one_line_error(proc)
    assert "cannot reach" in message or "unreachable" in message, message
    assert tree_digest(bundle) == before, "a failed anchoring changed the bundle"
    offline = case.cli("verify", str(bundle), "--offline", "--json")
    assert not codes(json.loads(offline.stdout), "error"), offline.stdout

    proxy.hook = lambda _m, _p, _a: None
    case.start()
    rerun = case.cli("anchor", str(bundle))
    assert rerun.returncode == 0, rerun.stderr
    [receipt] = receipts_of(bundle)
    assert case.anchors_of(receipt["batch_root"]) == 1
    assert case.all_anchors() == 1
    assert custody_actions(bundle).count("anchored") == 1
    assert_anchor_checks_out(case, bundle)
    # and once more: nothing is sent again
    again = case.cli("anchor", str(bundle))
    assert again.returncode == 0, again.stderr
    assert "already anchored" in again.stdout
    assert case.all_anchors() == 1


# -- a restarted node --------------------------------------------------------------------------


def test_restarted_node_keeps_the_anchor_verifiable(case: Case) -> None:
    bundle = case.bundle("bundle")
    assert case.cli("anchor", str(bundle)).returncode == 0
    first = assert_anchor_checks_out(case, bundle)
    case.stop()
    down_rc, down = verify_json(case, bundle)
    assert down_rc == 3 and down["verdict"] == "inconclusive"
    assert "chain-unreachable" in codes(down, "unknown")
    case.start()
    after = assert_anchor_checks_out(case, bundle)
    assert after["anchor"] == first["anchor"]
    again = case.cli("anchor", str(bundle))
    assert again.returncode == 0 and "already anchored" in again.stdout, again.stderr
    assert case.all_anchors() == 1


# -- the node comes back as another chain -----------------------------------------------------


def test_chain_id_change_is_refused_never_fine(case: Case) -> None:
    bundle, other = case.bundle("bundle"), case.bundle("other")
    assert case.cli("anchor", str(bundle)).returncode == 0
    case.stop()
    case.start("--chain-id", str(OTHER_CHAIN_ID))
    assert int(str(case.node.rpc("eth_chainId")), 16) == OTHER_CHAIN_ID

    rc, doc = verify_json(case, bundle)  # through the workspace
    assert (rc, doc["verdict"]) == (3, "inconclusive"), doc["findings"]
    [unknown] = [f for f in doc["findings"] if f["severity"] == "unknown"]
    assert str(OTHER_CHAIN_ID) in unknown["message"]
    assert str(ANVIL_CHAIN_ID) in unknown["message"]
    assert "chain id mismatch" in unknown["message"]
    assert "anchor-ok" not in codes(doc)

    rc, doc = verify_json(case, bundle, "--chain", case.url)  # straight at the node
    assert (rc, doc["verdict"]) == (3, "inconclusive"), doc["findings"]
    assert "anchor-ok" not in codes(doc)

    before = tree_digest(other)
    proc = case.cli("anchor", str(other))
    assert proc.returncode == 3, (proc.stdout, proc.stderr)
    message = one_line_error(proc)
    assert "chain id mismatch" in message and str(OTHER_CHAIN_ID) in message
    assert tree_digest(other) == before
    assert case.all_anchors() == 1  # the state carried over; nothing new was sent

    case.stop()
    case.start()  # the right chain id again
    # anvil re-created its genesis block (a new timestamp) while it ran under the other
    # chain id and kept it in its state file, so the restored chain's block 1 no longer
    # names block 0 as its parent. A verifier that hashes every header itself says so
    # (inconclusive, naming the node) instead of believing it; nothing is called failed.
    rc, doc = verify_json(case, bundle)
    assert not [f for f in doc["findings"] if f["severity"] == "error"], doc["findings"]
    if doc["verdict"] == "inconclusive":
        assert rc == 3 and "node-proof-invalid" in codes(doc, "unknown")
    else:
        assert_anchor_checks_out(case, bundle)


# -- reorganisations --------------------------------------------------------------------------


def _mine(node: AnvilNode, blocks: int) -> None:
    for _ in range(blocks):
        node.rpc("evm_mine")


def test_reorg_dropping_the_anchor_fails_until_reanchored(case: Case) -> None:
    bundle = case.bundle("bundle")
    snapshot = case.node.rpc("evm_snapshot")
    assert case.cli("anchor", str(bundle)).returncode == 0
    [stale] = receipts_of(bundle)
    assert_anchor_checks_out(case, bundle)
    assert case.node.rpc("evm_revert", snapshot) is True
    _mine(case.node, 3)  # the chain grows past the anchor's height without it
    assert case.anchors_of(stale["batch_root"]) == 0

    rc, doc = verify_json(case, bundle)
    assert (rc, doc["verdict"]) == (1, "failed")
    missing = finding(doc, "anchor-missing")
    assert missing["severity"] == "error"
    assert missing["subject"].startswith("evidence/receipts/anchor-")
    assert doc["anchor"]["checked_on_chain"] is False

    before = tree_digest(bundle)
    plain = case.cli("anchor", str(bundle))  # a plain anchor does not pretend all is well
    assert plain.returncode == 1, (plain.stdout, plain.stderr)
    assert "--reanchor" in one_line_error(plain)
    assert tree_digest(bundle) == before
    assert case.all_anchors() == 0

    redo = case.cli("anchor", "--reanchor", str(bundle))
    assert redo.returncode == 0, redo.stderr
    [fresh] = receipts_of(bundle)  # same batch, same file: the stale receipt is replaced
    assert fresh["batch_root"] == stale["batch_root"]
    assert fresh["block_hash"] != stale["block_hash"]
    assert case.anchors_of(fresh["batch_root"]) == 1
    doc = assert_anchor_checks_out(case, bundle, replaced=stale["transaction"])
    assert doc["anchor"]["block_hash"] == fresh["block_hash"]
    assert custody_actions(bundle).count("anchored") == 2  # history is kept in the log
    assert replaces_of(bundle) == [{"transaction": stale["transaction"],
                                    "block_number": stale["block_number"],
                                    "block_hash": stale["block_hash"]}]


def test_reorg_moving_the_anchor_to_another_block(case: Case) -> None:
    """The anchor transaction is mined again in a later block (as after a real reorg): the
    receipt's block is wrong, verify fails; --reanchor sends nothing and rewrites the
    receipt from the chain."""
    bundle = case.bundle("bundle")
    snapshot = case.node.rpc("evm_snapshot")
    assert case.cli("anchor", str(bundle)).returncode == 0
    [stale] = receipts_of(bundle)
    raw = case.node.rpc("eth_getRawTransactionByHash", stale["transaction"])
    assert case.node.rpc("evm_revert", snapshot) is True
    _mine(case.node, 1)
    assert case.node.rpc("eth_sendRawTransaction", raw) == stale["transaction"]
    _mine(case.node, 1)
    assert case.anchors_of(stale["batch_root"]) == 1

    rc, doc = verify_json(case, bundle)
    assert (rc, doc["verdict"]) == (1, "failed")
    assert {"anchor-differs", "anchor-block-not-canonical"} & set(codes(doc, "error"))

    plain = case.cli("anchor", str(bundle))
    assert plain.returncode == 1 and "--reanchor" in one_line_error(plain)
    redo = case.cli("anchor", "--reanchor", str(bundle))
    assert redo.returncode == 0, redo.stderr
    [fresh] = receipts_of(bundle)
    assert fresh["transaction"] == stale["transaction"]
    assert fresh["block_number"] > stale["block_number"]
    assert case.anchors_of(fresh["batch_root"]) == 1  # nothing was sent again
    assert_anchor_checks_out(case, bundle, replaced=stale["transaction"])
    assert [r["block_number"] for r in replaces_of(bundle)] == [stale["block_number"]]


def _register_witnesses(case: Case, jurisdictions: tuple[str, ...]) -> list[Any]:
    """New witnesses in ``jurisdictions``, funded and registered (before the anchors they
    will confirm: a witness registered after an anchor does not count for it)."""
    from eth_account import Account

    from evidence.chain.accounts import load_account
    from evidence.workspace import open_workspace
    from evidence.workspace_chain import open_workspace_chain, open_workspace_contract

    ws = open_workspace(case.ws)
    registrar = load_account(ws.path(ws.chain.account_keystore), PASSPHRASE)
    witnesses = []
    with open_workspace_chain(ws) as chain:
        contract = open_workspace_contract(ws, chain)
        for n, cc in enumerate(jurisdictions):
            witness = Account.create()
            # anvil_setBalance rewrites the latest block's stored state: mine around it so
            # no block a proof is read at is left inconsistent with its header.
            case.node.rpc("evm_mine")
            case.node.rpc("anvil_setBalance", witness.address, hex(FUNDING_WEI))
            case.node.rpc("evm_mine")
            contract.add_witness(witness.address, cc, f"Operator {n} ({cc})", registrar)
            witnesses.append(witness)
    return witnesses


def _confirm(case: Case, batch_root: bytes, witnesses: list[Any]) -> None:
    from evidence.workspace import open_workspace
    from evidence.workspace_chain import open_workspace_chain, open_workspace_contract

    ws = open_workspace(case.ws)
    with open_workspace_chain(ws) as chain:
        contract = open_workspace_contract(ws, chain)
        for witness in witnesses:
            contract.confirm(batch_root, witness)


def test_stale_receipt_beside_a_valid_one_is_a_warning(case: Case) -> None:
    """Bundle A's anchor is dropped; A is re-anchored in a new batch with B, so A holds a
    stale receipt and a valid one. The verification rests on the valid one whichever comes
    first, reports the stale one as ``receipt-stale`` (warning), and still presumes
    authenticity when witnesses of three Hague states confirmed the valid anchor."""
    from evidence.bundle.receipts import read_receipts
    from evidence.policy.load import load_policy
    from evidence.trust.sources import resolve_trust
    from evidence.verification.chain_checks import ChainSource, check_receipts

    witnesses = _register_witnesses(case, ("DE", "FR", "CN"))
    a, b = case.bundle("a"), case.bundle("b")
    snapshot = case.node.rpc("evm_snapshot")
    assert case.cli("anchor", str(a)).returncode == 0
    [stale] = receipts_of(a)
    assert case.node.rpc("evm_revert", snapshot) is True
    _mine(case.node, 2)
    redo = case.cli("anchor", "--reanchor", str(a), str(b))
    assert redo.returncode == 0, redo.stderr
    receipts = read_receipts(a)
    assert len(receipts) == 2
    [valid] = [r for r in receipts if "0x" + r.batch_root.hex() != stale["batch_root"]]
    stale_file = "evidence/receipts/" + Path(
        next(r.file for r in receipts if r is not valid)).name

    rc, doc = verify_json(case, a)
    assert doc["verdict"] == "not-presumed" and rc == 1  # no witnesses yet, nothing failed
    assert not codes(doc, "error") and not codes(doc, "unknown"), doc["findings"]
    warn = finding(doc, "receipt-stale")
    assert warn["severity"] == "warning" and warn["subject"] == stale_file
    assert "anchor-missing" not in codes(doc)
    assert "not backed by the chain" in warn["message"]
    assert doc["anchor"]["batch_root"] == "0x" + valid.batch_root.hex()
    assert doc["anchor"]["checked_on_chain"] is True

    _confirm(case, valid.batch_root, witnesses)
    rc, doc = verify_json(case, a)
    assert (rc, doc["verdict"]) == (0, "presumed-authentic"), doc["findings"]
    assert doc["demonstration"] is True  # anvil 31337: the workspace's demonstration profile
    assert finding(doc, "receipt-stale")["severity"] == "warning"

    # Order does not matter: the stale receipt first or last gives the same anchor.
    from evidence.bundle.integrity import check_integrity

    signed = check_integrity(a).signed_root
    assert signed is not None
    for order in (receipts, list(reversed(receipts))):
        check = check_receipts(order, bundle_root=signed.root, policy=load_policy("hague-3"),
                               source=ChainSource(workspace=case.ws), offline=False,
                               trust=resolve_trust(None, workspace=case.ws))
        assert check.anchor is not None and check.anchor.checked_on_chain
        assert check.anchor.batch_root == "0x" + valid.batch_root.hex()
        assert check.satisfied
        assert [f.subject for f in check.findings if f.code == "receipt-stale"] == [stale_file]


def test_both_receipts_stale_is_failed(case: Case) -> None:
    """When no receipt checks out, the verdict is failed and every receipt is named."""
    a, b = case.bundle("a"), case.bundle("b")
    snapshot = case.node.rpc("evm_snapshot")
    assert case.cli("anchor", str(a)).returncode == 0
    assert case.node.rpc("evm_revert", snapshot) is True
    _mine(case.node, 1)
    snapshot = case.node.rpc("evm_snapshot")
    assert case.cli("anchor", "--reanchor", str(a), str(b)).returncode == 0
    assert case.node.rpc("evm_revert", snapshot) is True
    _mine(case.node, 4)
    rc, doc = verify_json(case, a)
    assert (rc, doc["verdict"]) == (1, "failed")
    missing = [f for f in doc["findings"] if f["code"] == "anchor-missing"]
    assert len(missing) == 2
    assert len({f["subject"] for f in missing}) == 2
    assert "receipt-stale" not in codes(doc)
