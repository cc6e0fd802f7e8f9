"""Many clients, one anchor (issue 15, Deliver 8), on a real anvil node, through the CLI.

One batcher workspace deploys the contract and runs ``evidence batcher serve``; two client
workspaces join that contract with no funds (they never send a transaction) and anchor
their bundles with ``evidence anchor --batcher URL`` at the same time, from two processes.
100 bundles become a handful of anchor transactions, every bundle gets an ordinary
receipt, and ``evidence verify`` gives a batched bundle the same verdict and findings as
a directly anchored one (presumed authentic, as a demonstration, once three witnesses
confirm the batch). A batcher that lies (a wrong path, a tree it never anchored) is
refused with one line and nothing is written. The batcher restarts with its journal.
"""

from __future__ import annotations

import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from evidence.bundle.receipts import Receipt

from ..conftest import PASSPHRASE, run_cli
from ..inprocess import run_cli_inprocess
from .conftest import AnvilNode, free_port, init_on_anvil, ok

pytestmark = pytest.mark.anvil

#: Bundles per client: 2 clients x 50 = the issue's 100 bundles.
PER_CLIENT = 50
#: Seconds between two batches of the batcher under test.
INTERVAL_S = "2"
#: Upper bound on any wait here (a limit for a loaded CI machine, not a speed assertion).
WAIT_S = 120.0


def _keccak(text: str) -> str:
    from evidence.chain.primitives import keccak256

    return "0x" + keccak256(text.encode()).hex()


def _evidence() -> str:
    return str(Path(sys.executable).with_name("evidence"))


def _env() -> dict[str, str]:
    env = {**os.environ, "EVIDENCE_PASSPHRASE": PASSPHRASE}
    env.pop("EVIDENCE_WORKSPACE", None)
    return env


class Batcher:
    """``evidence batcher serve`` in its own process, stderr to a log file."""

    def __init__(self, ws: Path, port: int, log: Path) -> None:
        self.ws, self.port, self.log = ws, port, log
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        seen = len(self.text())  # a restart appends to the same log: wait for a new line
        with self.log.open("ab") as fh:
            self.process = subprocess.Popen(
                [_evidence(), "-w", str(self.ws), "batcher", "serve", "--port", str(self.port),
                 "--interval", INTERVAL_S], stdout=subprocess.DEVNULL, stderr=fh, env=_env(),
                start_new_session=True)
        deadline = time.monotonic() + WAIT_S
        while "listening on" not in self.text()[seen:]:
            assert self.process.poll() is None, self.text()
            assert time.monotonic() < deadline, self.text()
            time.sleep(0.1)

    def stop(self) -> int:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return 0 if process is None else int(process.returncode)
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=WAIT_S)
            return -9

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class World:
    node: AnvilNode
    batcher_ws: Path
    clients: tuple[Path, Path]
    contract: str
    batcher: Batcher
    tmp: Path


def _join(node: AnvilNode, ws: Path, contract: str) -> None:
    """A client joins the registry (set-up: in-process, tests/inprocess.py)."""
    ok(run_cli_inprocess("init", str(ws), "--no-chain"))
    ok(run_cli_inprocess("witness", "keygen", "--light-kdf", "-o",
                         str(ws / "keys" / "account.json")))
    ok(run_cli_inprocess("init", str(ws), "--chain", node.url, "--contract", contract))


def _capture(ws: Path, out: Path, count: int, tag: str) -> list[Path]:
    """``count`` small bundles signed with the workspace's capturer key (in-process: the
    CLI would take a second each, and capture is not what is tested here)."""
    from evidence.capturing.pipeline import capture
    from evidence.workspace import open_workspace

    key = open_workspace(ws).signing_key(PASSPHRASE)
    out.mkdir(parents=True, exist_ok=True)
    bundles = []
    for i in range(count):
        source = out / f"{tag}-{i}.txt"
        source.write_text(f"chat screenshot stand-in {tag} {i}\n")
        bundle = out / f"{tag}-b{i}"
        capture([source], out=bundle, case=f"BATCH-{tag}-{i}", key=key)
        bundles.append(bundle)
    return bundles


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("batcher")
    node = AnvilNode(free_port())
    node.start()
    batcher: Batcher | None = None
    try:
        batcher_ws = tmp / "batcher-ws"
        init_on_anvil(node, batcher_ws)
        from evidence.workspace import open_workspace

        contract = str(open_workspace(batcher_ws).chain.contract)
        _register_witnesses(node, batcher_ws)
        clients = (tmp / "client-a", tmp / "client-b")
        for ws in clients:
            _join(node, ws, contract)
        batcher = Batcher(batcher_ws, free_port(), tmp / "batcher.log")
        batcher.start()
        yield World(node, batcher_ws, clients, contract, batcher, tmp)
    finally:
        if batcher is not None:
            batcher.stop()
        node.stop()


def _anchored_events(world: World) -> list[dict[str, Any]]:
    logs = world.node.rpc("eth_getLogs", {
        "address": world.contract, "fromBlock": "0x0", "toBlock": "latest",
        "topics": [_keccak("Anchored(bytes32,address,uint32,uint64)")]})
    assert isinstance(logs, list)
    return logs


def _verify(ws: Path, bundle: Path, trust: Path) -> dict[str, Any]:
    proc = run_cli("verify", str(bundle), "--json", "--trust", str(trust), "-w", str(ws),
                   cwd=ws)
    assert proc.returncode in (0, 1), (proc.stdout[-2000:], proc.stderr)
    doc = json.loads(proc.stdout)
    assert isinstance(doc, dict)
    return doc


def _codes(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((f["code"], f["severity"]) for f in doc["findings"])


def test_two_clients_100_bundles_few_anchors_every_bundle_verifies(world: World) -> None:
    from evidence.bundle.receipts import read_receipts

    before = len(_anchored_events(world))
    bundles = [_capture(ws, world.tmp / f"bundles-{ws.name}", PER_CLIENT, ws.name)
               for ws in world.clients]
    procs = [subprocess.Popen(
        [_evidence(), "-w", str(ws), "anchor", "--batcher", world.batcher.url, "--timeout",
         str(int(WAIT_S)), *map(str, mine)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=_env()) for ws, mine in zip(world.clients, bundles, strict=True)]
    outputs = [p.communicate(timeout=WAIT_S + 60) for p in procs]
    for p, (out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, (out, err, world.batcher.text())
        assert "waiting for the batcher" in err  # progress on stderr
        assert out.count("receipt written") == PER_CLIENT
    transactions = len(_anchored_events(world)) - before
    assert 1 <= transactions <= 4, world.batcher.text()  # far fewer than 100
    batch_roots = set()
    for mine in bundles:
        for bundle in mine:
            (receipt,) = read_receipts(bundle)
            assert receipt.path_leads_to_batch_root()
            batch_roots.add(receipt.batch_root)
    assert len(batch_roots) == transactions
    # Every bundle verifies: intact, anchored, receipt agrees with the chain (no witnesses
    # confirmed these batches, so "not presumed" is the strongest verdict they can have).
    from evidence.verification.verifier import verify

    for ws, mine in zip(world.clients, bundles, strict=True):
        for bundle in mine:
            result = verify(bundle, workspace=ws)
            codes = {f.code for f in result.findings}
            assert "anchor-ok" in codes, (bundle, result.findings)
            assert not [f for f in result.findings if f.severity.value == "error"], bundle
            assert result.verdict.value == "not-presumed"


WITNESSES = ("CN", "SG", "DE")


def _register_witnesses(node: AnvilNode, batcher_ws: Path) -> None:
    """Three witnesses, registered by the registrar before anything is anchored (a witness
    counts only for anchors made while it is active). In-process: faster than the CLI."""
    from evidence.anchoring import open_workspace_chain, open_workspace_contract, workspace_account
    from evidence.chain.accounts import create_keystore
    from evidence.workspace import open_workspace

    ws = open_workspace(batcher_ws)
    registrar = workspace_account(ws, PASSPHRASE)
    with open_workspace_chain(ws) as chain:
        contract = open_workspace_contract(ws, chain)
        for cc in WITNESSES:
            address = create_keystore(batcher_ws / f"witness-{cc}.json", PASSPHRASE,
                                      scrypt_n=2**4)
            node.rpc("anvil_setBalance", address, hex(10**18))
            contract.add_witness(address, cc, f"Witness node {cc}", registrar)


def _witnesses_confirm(world: World, root: bytes) -> None:
    from evidence.anchoring import open_workspace_chain, open_workspace_contract
    from evidence.chain.accounts import load_account
    from evidence.workspace import open_workspace

    ws = open_workspace(world.batcher_ws)
    with open_workspace_chain(ws) as chain:
        contract = open_workspace_contract(ws, chain)
        for cc in WITNESSES:
            contract.confirm(root, load_account(world.batcher_ws / f"witness-{cc}.json",
                                                PASSPHRASE))


def _serious(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return [c for c in _codes(doc) if c[1] in ("warning", "error")]


def test_batched_receipt_verifies_as_strongly_as_a_direct_one(world: World) -> None:
    from evidence.bundle.receipts import read_receipts

    client = world.clients[0]
    (batched,) = _capture(client, world.tmp / "strong", 1, "batched")
    ok(run_cli("-w", str(client), "anchor", "--batcher", world.batcher.url, str(batched)))
    from evidence.bundle.custody import read_custody

    entry = read_custody(batched / "evidence" / "custody.jsonl")[-1]
    assert entry.action == "anchored" and entry.details["batcher"] == world.batcher.url
    (direct,) = _capture(world.batcher_ws, world.tmp / "strong", 1, "direct")
    ok(run_cli("-w", str(world.batcher_ws), "anchor", str(direct)))
    for bundle in (batched, direct):
        (receipt,) = read_receipts(bundle)
        _witnesses_confirm(world, receipt.batch_root)
    # One verifier, one trust profile (the registrar's demonstration profile, which names
    # the witnesses it registered), for both bundles.
    trust = world.tmp / "trust-demo.toml"  # the registrar's profile, with the witnesses
    trust.write_bytes((world.batcher_ws / "trust-demo.toml").read_bytes())
    via_batcher = _verify(client, batched, trust)
    own = _verify(world.batcher_ws, direct, trust)
    assert via_batcher["verdict"] == own["verdict"] == "presumed-authentic"
    assert via_batcher["demonstration"] and own["demonstration"]
    assert _serious(via_batcher) == _serious(own) == []
    # A batched receipt whose path is changed fails verification (the extra level counts).
    (path,) = (batched / "evidence" / "receipts").iterdir()
    doc = json.loads(path.read_text())
    doc["index"] = doc["index"] ^ 1 if doc["batch_size"] > 1 else doc["index"]
    doc["path"] = ["0x" + "00" * 32, *doc["path"][1:]] if doc["path"] else ["0x" + "00" * 32]
    from evidence.standards.jcs import canonicalize

    path.write_bytes(canonicalize(doc) + b"\n")
    assert _verify(client, batched, trust)["verdict"] == "failed"


# ------------------------------------------------------------------ a batcher that lies


class _LyingHandler(http.server.BaseHTTPRequestHandler):
    """Answers every proof request with ``server.lie(root)``; accepts every submission."""

    server: Any

    def log_message(self, format: str, *args: Any) -> None:  # http.server's signature
        pass

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self._send(202, {"status": "accepted"})

    def do_GET(self) -> None:
        root = bytes.fromhex(self.path.rsplit("/", 1)[-1])
        self._send(200, self.server.lie(root))


@pytest.fixture
def liar() -> Iterator[http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _LyingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _proof(root: bytes, batch_root: bytes, size: int, index: int, path: list[bytes],
           contract: str) -> dict[str, Any]:
    return {"type": "evidence-batcher-proof", "version": 1, "bundle_root": "0x" + root.hex(),
            "status": "anchored", "batch_root": "0x" + batch_root.hex(), "batch_size": size,
            "index": index, "path": ["0x" + h.hex() for h in path], "chain_id": 31337,
            "contract": contract, "transaction": "0x" + "11" * 32, "block_number": 1}


def _snapshot(bundle: Path) -> dict[str, bytes]:
    return {str(p.relative_to(bundle)): p.read_bytes()
            for p in sorted(bundle.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def real(world: World) -> Receipt:
    """A real batch anchored through the honest batcher, for the liar to lie about."""
    from evidence.bundle.receipts import read_receipts

    (honest,) = _capture(world.clients[1], world.tmp / "honest", 1, "honest")
    ok(run_cli("-w", str(world.clients[1]), "anchor", "--batcher", world.batcher.url,
               str(honest)))
    (receipt,) = read_receipts(honest)
    return receipt


@pytest.mark.parametrize("lie", ["wrong-path", "never-anchored", "wrong-size"])
def test_a_lying_batcher_is_refused_and_nothing_is_written(
        world: World, liar: http.server.ThreadingHTTPServer, real: Receipt, lie: str) -> None:
    from evidence.bundle.receipts import batch_leaf
    from evidence.standards.merkle import MerkleTree

    client = world.clients[1]
    (bundle,) = _capture(client, world.tmp / f"lie-{lie}", 1, lie)

    def lie_for(root: bytes) -> dict[str, Any]:
        if lie == "wrong-path":  # claims the real batch, with a path that leads elsewhere
            return _proof(root, real.batch_root, real.batch_size, real.index, list(real.path),
                          world.contract)
        if lie == "wrong-size":  # the real batch's path, under another batch size
            return _proof(real.bundle_root, real.batch_root, real.batch_size + 1, real.index,
                          list(real.path), world.contract) | {"bundle_root": "0x" + root.hex()}
        tree = MerkleTree([batch_leaf(root), batch_leaf(b"\x07" * 32)])  # a batch never sent
        return _proof(root, tree.root, 2, 0, tree.inclusion_proof(0), world.contract)

    liar.lie = lie_for  # type: ignore[attr-defined]
    before = _snapshot(bundle)
    url = f"http://127.0.0.1:{liar.server_address[1]}"
    proc = run_cli("-w", str(client), "anchor", "--batcher", url, "--timeout", "3",
                   str(bundle))
    assert proc.returncode == 3, (proc.stdout, proc.stderr)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    expected = {"wrong-path": "inclusion path", "wrong-size": "inclusion path",
                "never-anchored": "has no anchor of"}[lie]
    assert expected in errors[0], errors[0]
    assert _snapshot(bundle) == before  # no receipt, no custody entry, nothing


def test_batcher_journal_survives_a_restart(world: World) -> None:
    """Roots accepted just before a kill are anchored by the restarted batcher."""
    from evidence.batcher.protocol import sign_submission
    from evidence.bundle.custody import utc_now
    from evidence.bundle.layout import read_signed_root
    from evidence.workspace import open_workspace

    client = world.clients[0]
    bundles = _capture(client, world.tmp / "restart", 3, "restart")
    key = open_workspace(client).signing_key(PASSPHRASE)
    roots = [read_signed_root(b).root for b in bundles]
    import urllib.request

    world.batcher.stop()
    long_batcher = Batcher(world.batcher_ws, world.batcher.port, world.tmp / "restart.log")
    # A batcher with a long interval accepts the roots, then is killed before its batch.
    with long_batcher.log.open("ab") as fh:
        long_batcher.process = subprocess.Popen(
            [_evidence(), "-w", str(world.batcher_ws), "batcher", "serve", "--port",
             str(world.batcher.port), "--interval", "3600"], stdout=subprocess.DEVNULL,
            stderr=fh, env=_env(), start_new_session=True)
    deadline = time.monotonic() + WAIT_S
    while "listening on" not in long_batcher.text():
        assert time.monotonic() < deadline, long_batcher.text()
        time.sleep(0.1)
    body = sign_submission(roots, key, utc_now()).to_bytes()
    request = urllib.request.Request(f"{world.batcher.url}/v1/submit", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202
    assert long_batcher.process is not None
    long_batcher.process.kill()
    long_batcher.process.wait(timeout=WAIT_S)
    world.batcher.start()  # the journal holds the roots: the next batch anchors them
    ok(run_cli("-w", str(client), "anchor", "--batcher", world.batcher.url, "--timeout",
               str(int(WAIT_S)), *map(str, bundles)))
    assert "3 root(s) pending from the journal" in world.batcher.text()


def test_concurrent_anchor_runs_in_one_workspace_are_serialised(world: World) -> None:
    """Issue 15, Deliver 7: a second `evidence anchor` in the same workspace waits for the
    first (saying so on stderr), then anchors: no nonce clash, both receipts written."""
    from evidence.anchorlock import anchor_lock
    from evidence.bundle.receipts import read_receipts

    first, second = _capture(world.batcher_ws, world.tmp / "lock", 2, "lock")
    with anchor_lock(world.batcher_ws):  # a run that holds the lock (this test)
        waiting = subprocess.Popen([_evidence(), "-w", str(world.batcher_ws), "anchor",
                                    str(first)], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, env=_env())
        assert waiting.stderr is not None
        line = waiting.stderr.readline()
        assert "another `evidence anchor` is running in" in line and "waiting" in line, line
        time.sleep(0.5)
        assert waiting.poll() is None and read_receipts(first) == []
    out, err = waiting.communicate(timeout=WAIT_S)
    assert waiting.returncode == 0, (out, err)
    # Two real runs at once: both succeed, whichever waits.
    runs = [subprocess.Popen([_evidence(), "-w", str(world.batcher_ws), "anchor", str(b)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=_env()) for b in (first, second)]
    for run in runs:
        out, err = run.communicate(timeout=WAIT_S)
        assert run.returncode == 0, (out, err)
    assert len(read_receipts(first)) == len(read_receipts(second)) == 1
