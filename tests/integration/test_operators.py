"""Operators on a real anvil node (issue 15, Deliver 7): joining, failed and repeated
``init``, ``anchor --confirmations``, the anchoring journal across a moved bundle, and the
witness daemon's receipt check and lock.

One anvil node and one registrar workspace (which deployed the contract) serve the whole
module; anvil mines a block per transaction and otherwise only when told (``evm_mine``),
so the confirmation tests decide exactly when blocks come.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import secrets
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ..conftest import EXAMPLES, PASSPHRASE, run_cli
from .conftest import AnvilNode, free_port, init_on_anvil, ok

pytestmark = pytest.mark.anvil


@dataclass
class Registry:
    node: AnvilNode
    ws: Path
    contract: str


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    from evidence.workspace import open_workspace

    node = AnvilNode(free_port())
    node.start()
    try:
        ws = tmp_path_factory.mktemp("registrar") / "ws"
        init_on_anvil(node, ws)
        contract = open_workspace(ws).chain.contract
        assert contract is not None
        yield Registry(node, ws, contract)
    finally:
        node.stop()


def block_number(node: AnvilNode) -> int:
    return int(str(node.rpc("eth_blockNumber")), 16)


def new_bundle(tmp_path: Path, name: str, ws: Path) -> Path:
    """A fresh bundle (its own salts, so its own root) signed by ``ws``'s capturer."""
    from evidence.capturing.pipeline import capture
    from evidence.workspace import open_workspace

    out = tmp_path / name
    capture([EXAMPLES / "screenshots"], out=out, case="2026-OPS-1",
            key=open_workspace(ws).signing_key(PASSPHRASE))
    return out


def receipts_of(bundle: Path) -> list[dict[str, Any]]:
    folder = bundle / "evidence" / "receipts"
    if not folder.is_dir():
        return []
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


# -- init ------------------------------------------------------------------------------


def test_joining_a_contract_needs_no_funds_and_sends_no_transaction(
        registry: Registry, tmp_path: Path) -> None:
    from evidence.workspace import open_workspace

    before = block_number(registry.node)
    ws = tmp_path / "joiner"
    proc = ok(run_cli("--progress", "init", str(ws), "--chain", registry.node.url,
                      "--contract", registry.contract))
    assert "nothing was sent" in proc.stderr
    opened = open_workspace(ws)
    assert opened.chain.contract == registry.contract and opened.chain.kind == "rpc"
    account = json.loads((ws / "keys" / "account.json").read_text())["address"]
    assert int(str(registry.node.rpc("eth_getBalance", "0x" + account, "latest")), 16) == 0
    assert int(str(registry.node.rpc("eth_getTransactionCount", "0x" + account,
                                     "latest")), 16) == 0
    assert block_number(registry.node) == before  # no transaction was mined


def test_a_failed_init_leaves_nothing_behind(registry: Registry, tmp_path: Path) -> None:
    # A fresh account has no funds: deploying fails (exit 3) after the key and the
    # configuration were made; none of it may stay.
    fresh = tmp_path / "fresh"
    proc = run_cli("init", str(fresh), "--chain", registry.node.url)
    assert proc.returncode == 3, (proc.stdout, proc.stderr)
    assert "no funds" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not fresh.exists()
    # In a folder that exists, only what init made goes; the user's files stay.
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    proc = run_cli("init", str(mine), "--chain", registry.node.url)
    assert proc.returncode == 3, (proc.stdout, proc.stderr)
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]


def test_init_over_a_workspace_with_other_options_names_the_difference(
        registry: Registry) -> None:
    ws = str(registry.ws)
    config = (registry.ws / "evidence.toml").read_bytes()
    other = run_cli("init", ws, "--chain", "http://127.0.0.1:9")
    assert other.returncode == 2, (other.stdout, other.stderr)
    assert "--chain http://127.0.0.1:9, but it uses " + registry.node.url in other.stderr
    assert len(other.stderr.strip().splitlines()) == 1
    more = run_cli("init", ws, "--confirmations", "7", "--contract", "0x" + "11" * 20)
    assert more.returncode == 2
    assert "--confirmations 7, but it has 0" in more.stderr
    assert f"--contract 0x{'11' * 20}, but it uses {registry.contract}" in more.stderr
    same = ok(run_cli("init", ws, "--chain", registry.node.url, "--contract",
                      registry.contract.lower()))
    assert "already initialised" in same.stdout
    assert (registry.ws / "evidence.toml").read_bytes() == config


# -- anchor --confirmations ------------------------------------------------------------


def test_anchor_times_out_waiting_for_confirmations_then_a_rerun_finishes(
        registry: Registry, tmp_path: Path) -> None:
    bundle = new_bundle(tmp_path, "b", registry.ws)
    proc = run_cli("-w", str(registry.ws), "anchor", str(bundle), "--confirmations", "3",
                   "--timeout", "1")
    assert proc.returncode == 3, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert lines[0].startswith("waiting for confirmations: 0 of 3 blocks on top of block")
    assert "has 0 of 3 confirmations after 1 s; no receipt was written" in lines[-1]
    assert receipts_of(bundle) == []  # nothing half-written
    journal = list((registry.ws / "journal").glob("anchor-*.json"))
    assert len(journal) == 1
    registry.node.rpc("anvil_mine", hex(2))  # two of the three blocks
    nonce = registry.node.rpc("eth_getTransactionCount", _account(registry), "latest")
    proc = run_cli("-w", str(registry.ws), "anchor", str(bundle), "--confirmations", "3",
                   "--timeout", "1")
    assert proc.returncode == 3 and "has 2 of 3 confirmations" in proc.stderr
    registry.node.rpc("anvil_mine", hex(1))
    ok(run_cli("-w", str(registry.ws), "anchor", str(bundle), "--confirmations", "3",
               "--timeout", "5"))
    (receipt,) = receipts_of(bundle)
    assert not list((registry.ws / "journal").glob("anchor-*.json"))
    # The reruns sent nothing: the receipt is the first run's transaction.
    assert registry.node.rpc("eth_getTransactionCount", _account(registry), "latest") == nonce
    assert receipt["block_number"] + 3 <= block_number(registry.node)


def _account(registry: Registry) -> str:
    return "0x" + str(json.loads(
        (registry.ws / "keys" / "account.json").read_text())["address"])


def test_anchor_waits_as_long_as_its_blocks_take(registry: Registry, tmp_path: Path) -> None:
    """Blocks every 0.4 s, four confirmations: longer than the workspace's chain timeout
    (set to 0.5 s here), and the anchor still waits for them all."""
    from evidence.anchoring import anchor_bundles
    from evidence.workspace import open_workspace

    ws = open_workspace(registry.ws)
    ws = ws.with_chain(dataclasses.replace(ws.chain, timeout_seconds=0.5))
    bundle = new_bundle(tmp_path, "slow", registry.ws)
    stop = threading.Event()

    def miner() -> None:
        while not stop.wait(0.4):
            registry.node.rpc("evm_mine")

    thread = threading.Thread(target=miner, daemon=True)
    thread.start()
    lines: list[str] = []
    started = time.monotonic()
    try:
        outcome = anchor_bundles(ws, [bundle], passphrase=PASSPHRASE,
                                 key=ws.signing_key(PASSPHRASE), confirmations=4,
                                 timeout_s=30, progress=lines.append)
    finally:
        stop.set()
        thread.join()
    assert time.monotonic() - started > 1.0
    ((_, receipt),) = outcome.anchored
    assert receipts_of(bundle)[0]["transaction"] == receipt.transaction
    counts = [int(line.split(":")[1].split(" of ")[0]) for line in lines]
    assert counts[0] == 0 and len(counts) >= 2 and counts == sorted(set(counts))
    assert counts[-1] < 4 and all(line.startswith("waiting for confirmations") for line in lines)


# -- the anchoring journal across a moved bundle ---------------------------------------


def test_the_journal_finds_a_moved_bundle_by_its_root(registry: Registry, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    from evidence import anchoring
    from evidence.anchoring import anchor_bundles
    from evidence.workspace import open_workspace

    ws = open_workspace(registry.ws)
    key = ws.signing_key(PASSPHRASE)
    first, second = (new_bundle(tmp_path, n, registry.ws) for n in ("one", "two"))

    def crash(*_args: Any, **_kwargs: Any) -> Any:
        raise KeyboardInterrupt  # killed after the anchor was mined, before any receipt

    with monkeypatch.context() as patch:
        patch.setattr(anchoring, "_write_receipts", crash)
        with pytest.raises(KeyboardInterrupt):
            anchor_bundles(ws, [first, second], passphrase=PASSPHRASE, key=key)
    nonce = registry.node.rpc("eth_getTransactionCount", _account(registry), "latest")
    moved = tmp_path / "elsewhere" / "two-renamed"
    moved.parent.mkdir()
    shutil.move(str(second), str(moved))
    caplog.set_level(logging.INFO, logger="evidence")
    done = anchor_bundles(ws, [first], passphrase=PASSPHRASE, key=key)
    lines = [r.getMessage() for r in caplog.records if r.name == "evidence.anchoring"]
    assert any("no longer where they were" in line for line in lines)
    (kept,) = (registry.ws / "journal").glob("anchor-*.json")  # the moved one is still owed
    again = anchor_bundles(ws, [moved], passphrase=PASSPHRASE, key=key)
    lines = [r.getMessage() for r in caplog.records if r.name == "evidence.anchoring"]
    assert any("found by its root" in line for line in lines)
    ((_, receipt),) = again.anchored
    assert [b for b, _ in done.already] == [first]  # finished from the journal
    (first_receipt,) = receipts_of(first)
    assert receipts_of(moved)[0]["transaction"] == first_receipt["transaction"]
    assert receipt.batch_size == 2
    assert registry.node.rpc("eth_getTransactionCount", _account(registry), "latest") == nonce
    assert not kept.exists()


# -- the witness daemon ----------------------------------------------------------------


@pytest.fixture(scope="module")
def witness(registry: Registry, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from evidence.witness.registry import add_witness, generate_witness_key
    from evidence.workspace import open_workspace

    key = tmp_path_factory.mktemp("witness") / "witness.json"
    address = generate_witness_key(key, PASSPHRASE, light_kdf=True)
    add_witness(open_workspace(registry.ws), PASSPHRASE, address, jurisdiction="DE",
                operator="test", fund=True)
    return key


def test_the_daemon_never_counts_a_reverted_transaction(
        registry: Registry, witness: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """The same key in another process confirms the root first (in the same block range);
    this daemon's own transaction reverts. It must say "already confirmed", not
    "confirmed"."""
    from evidence.chain.accounts import load_account
    from evidence.chain.contract import AnchorContract
    from evidence.witness.daemon import serve
    from evidence.workspace import open_workspace
    from evidence.workspace_chain import open_workspace_chain, open_workspace_contract

    ws = open_workspace(registry.ws)
    root = secrets.token_bytes(32)
    with open_workspace_chain(ws) as chain:
        contract = open_workspace_contract(ws, chain)
        contract.anchor(root, 1, load_account(ws.path(ws.chain.account_keystore), PASSPHRASE))
    original = AnchorContract.send_confirms

    def other_daemon_first(self: AnchorContract, roots: list[bytes], account: Any,
                           **kwargs: Any) -> list[bytes]:
        self.confirm(roots[0], account)  # the other process, same key, wins the race
        return original(self, roots, account, **kwargs)

    monkeypatch.setattr(AnchorContract, "send_confirms", other_daemon_first)
    caplog.set_level(logging.INFO, logger="evidence")
    summary = serve(ws, witness, PASSPHRASE, once=True, from_block=block_number(registry.node))
    lines = [r.getMessage() for r in caplog.records if r.name == "evidence.witness.daemon"]
    assert summary.confirmed == 0 and summary.already == 1, lines
    assert not any(line.startswith("confirmed") for line in lines), lines
    assert any(line.startswith("already confirmed 0x" + root.hex()) for line in lines)


def test_a_second_daemon_with_the_same_key_is_refused(registry: Registry,
                                                      witness: Path) -> None:
    from evidence.chain.accounts import keystore_address
    from evidence.witness.servelock import serve_lock

    with serve_lock(registry.ws, keystore_address(witness), witness):
        proc = run_cli("-w", str(registry.ws), "witness", "serve", "--key", str(witness),
                       "--once")
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    (line,) = proc.stderr.strip().splitlines()
    assert "another `evidence witness serve` is running with this witness key" in line
    # Once the first is gone, a daemon runs.
    ok(run_cli("-w", str(registry.ws), "witness", "serve", "--key", str(witness), "--once",
               "--from-block", str(block_number(registry.node))))
