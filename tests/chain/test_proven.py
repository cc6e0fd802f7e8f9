"""ProvenChain against a real anvil node: the values eth_call gives, and every lie refused.

One world per module (tests/chain/world.py) on an anvil node with a non-development chain
id, plus one block holding a legacy, an EIP-2930 and an EIP-1559 transaction. The honest
node's answers must give exactly what ``eth_call`` gives through web3; a node behind a small
proxy (tests/chain/rpc_proxy.py) that edits a proof node, a value, an account field, a
header, a log or a receipt must be refused with the error naming it; one that cannot serve
a method must be a NodeCapabilityError; two nodes that differ a NodesDisagreeError naming
the one that lies.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from evidence.chain import header as header_module
from evidence.chain import mpt
from evidence.chain.anchorstate import SLOT_OWNER
from evidence.chain.backend import ChainConfig
from evidence.chain.connect import open_chain
from evidence.chain.contract import AnchorContract
from evidence.chain.primitives import keccak256
from evidence.chain.proven import MAX_HEAD_SPREAD, ProvenChain
from evidence.chain.rpc import RpcChain
from evidence.errors import (
    ChainError,
    ChainUnreachableError,
    NodeCapabilityError,
    NodeProofError,
    NodesDisagreeError,
)

from .conftest import AnvilNode, free_port
from .rpc_proxy import Rewrite, RpcProxy
from .world import REGISTRAR_KEY, ROOTS, STRANGER, UNANCHORED, Played, play

pytestmark = pytest.mark.anvil

CHAIN_ID = 7140
#: A root anchored in the block of several transaction types.
MIXED_ROOT = b"\x99" * 32
#: Most HTTP round trips one node may see for the reads of one verification (connect,
#: code, anchor, block hash, anchor transaction, confirmations, witnesses, events).
MAX_ROUND_TRIPS = 14


@dataclass
class World:
    node: AnvilNode
    played: Played
    web3: AnchorContract
    mixed_block: int
    mixed_tx: str


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    node = AnvilNode(free_port(), "--chain-id", str(CHAIN_ID))
    node.start()
    chain = open_chain(ChainConfig(kind="rpc", url=node.url, expected_chain_id=CHAIN_ID,
                                   create=False))
    try:
        dev = cast(list[str], node.rpc("eth_accounts"))[0]

        def fund(address: str, wei: int) -> None:
            node.rpc("eth_sendTransaction", {"from": dev, "to": address, "value": hex(wei)})

        played = play(chain, fund)
        block, tx = _mixed_block(node, chain, played, dev)
        node.rpc("evm_increaseTime", 100)  # a last block well after every step
        node.rpc("evm_mine")
        yield World(node, played, AnchorContract(chain, played.address), block, tx)
    finally:
        chain.close()
        node.stop()


def _mixed_block(node: AnvilNode, chain: Any, played: Played, dev: str) -> tuple[int, str]:
    """One block with a legacy, an EIP-2930 and an EIP-1559 (anchoring) transaction."""
    registrar = cast(LocalAccount, Account.from_key(REGISTRAR_KEY))
    contract = AnchorContract(chain, played.address)
    base_fee = int(chain.block("latest")["baseFeePerGas"])
    node.rpc("evm_setAutomine", False)
    try:
        gas_price = hex(base_fee * 3 + 10**9)
        node.rpc("eth_sendTransaction", {"from": dev, "to": STRANGER, "value": "0x1",
                                         "gasPrice": gas_price})
        node.rpc("eth_sendTransaction", {"from": dev, "to": STRANGER, "value": "0x2",
                                         "gasPrice": gas_price,
                                         "accessList": [{"address": STRANGER,
                                                         "storageKeys": ["0x" + "00" * 32]}]})
        tx = contract._c.functions.anchor(MIXED_ROOT, 1).build_transaction(cast(Any, {
            "from": registrar.address, "chainId": CHAIN_ID, "gas": 200_000,
            "nonce": chain.w3.eth.get_transaction_count(registrar.address),
            "maxFeePerGas": base_fee * 3 + 10**9, "maxPriorityFeePerGas": 10**9}))
        signed = registrar.sign_transaction(cast(Any, tx))
        tx_hash = str(node.rpc("eth_sendRawTransaction", "0x" + signed.raw_transaction.hex()))
        node.rpc("evm_mine")
    finally:
        node.rpc("evm_setAutomine", True)
    receipt = cast(dict[str, Any], node.rpc("eth_getTransactionReceipt", tx_hash))
    number = int(receipt["blockNumber"], 16)
    block = cast(dict[str, Any], node.rpc("eth_getBlockByNumber", hex(number), True))
    assert sorted(int(t["type"], 16) for t in block["transactions"]) == [0, 1, 2]
    return number, tx_hash


@contextmanager
def proven(*urls: str, **kwargs: Any) -> Iterator[ProvenChain]:
    chain = ProvenChain.connect(list(urls), expected_chain_id=kwargs.pop("chain_id", CHAIN_ID),
                                **{"retries": 0, **kwargs})
    try:
        yield chain
    finally:
        chain.close()


@contextmanager
def lying(world: World, rewrite: Rewrite, **kwargs: Any) -> Iterator[RpcProxy]:
    with RpcProxy(world.node.url, rewrite, **kwargs) as proxy:
        yield proxy


def _plain(value: object) -> object:
    import dataclasses

    if value is None:
        return None
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return dataclasses.astuple(value)  # type: ignore[call-overload]


# -- the honest node: the values eth_call gives ----------------------------------------------


def test_same_records_as_eth_call(world: World) -> None:
    web3 = world.web3
    played = world.played
    with proven(world.node.url) as chain:
        view = chain.anchor_view(played.address.lower())
        assert view.address == played.address
        assert view.registrar() == web3.registrar() == played.registrar
        for root in (*ROOTS, MIXED_ROOT, UNANCHORED):
            assert _plain(view.anchor_of(root)) == _plain(web3.anchor_of(root))
            assert _plain(view.confirmations_of(root)) == _plain(web3.confirmations_of(root))
        for account in (*played.witnesses, played.registrar, STRANGER):
            assert _plain(view.witness_of(account)) == _plain(web3.witness_of(account))
        assert _plain(view.witnesses()) == _plain(web3.witnesses())
        assert [c.by_signature for c in view.confirmations_of(ROOTS[0])] == [False, False, True]
        for root in (*ROOTS, MIXED_ROOT):
            record = view.anchor_of(root)
            assert record is not None
            tx = view.anchor_transaction(root, record.block_number)
            assert tx is not None and tx == web3.anchor_transaction(root, record.block_number)
            assert view.anchor_transaction(root, record.block_number - 1) is None
        mixed = view.anchor_of(MIXED_ROOT)
        assert mixed is not None and mixed.block_number == world.mixed_block
        assert view.anchor_transaction(MIXED_ROOT, world.mixed_block) == world.mixed_tx
        assert view.anchor_transaction(UNANCHORED, world.mixed_block) is None
        for account in (played.address, played.registrar, STRANGER):
            assert chain.get_code(account) == web3.chain.get_code(account)


def test_headers_are_the_nodes_and_fixed_at_the_reference_head(world: World) -> None:
    with proven(world.node.url) as chain:
        head = chain.latest_block_number()
        assert head == int(cast(str, world.node.rpc("eth_blockNumber")), 16)
        for number in range(head + 1):
            block = cast(dict[str, Any], world.node.rpc("eth_getBlockByNumber", hex(number),
                                                         False))
            got = chain.header(number)
            assert "0x" + got.hash.hex() == block["hash"] == "0x" + chain.block_hash(number).hex()
            assert got.timestamp == int(block["timestamp"], 16)
        assert chain.genesis_hash() == chain.header(0).hash
        with pytest.raises(ChainError, match="has no block"):
            chain.header(head + 1)
        assert chain.chain_id == CHAIN_ID and not chain.is_embedded
        assert chain.nodes == (world.node.url,)
        assert chain.client_versions[0].startswith("anvil")
        assert chain.description == f"JSON-RPC {world.node.url} (chain id {CHAIN_ID})"


def test_events_revocation_and_historic_registrar(world: World) -> None:
    played = world.played
    with proven(world.node.url) as chain:
        view = chain.anchor_view(played.address)
        anchor_block = played.steps["anchor-0"][0]
        events = view.confirmation_events(ROOTS[0], anchor_block)
        assert events is not None
        records = view.confirmations_of(ROOTS[0])
        assert [e.witness for e in events] == [c.witness for c in records]
        for event, record, step in zip(events, records, ("confirm-0-DE", "confirm-0-FR",
                                                         "confirm-0-CN"), strict=True):
            assert (event.observed_at, event.by_signature, event.jurisdiction) == (
                record.observed_at, record.by_signature, record.jurisdiction)
            assert (event.block_number, event.block_time) == played.steps[step]
            assert event.block_time == record.confirmed_at
            receipt = cast(dict[str, Any], world.node.rpc("eth_getTransactionReceipt",
                                                           event.transaction))
            assert int(receipt["blockNumber"], 16) == event.block_number
        assert view.confirmation_events(UNANCHORED, 0) == []
        assert view.confirmation_events(ROOTS[0], chain.latest_block_number() + 1) == []
        revoked = played.witnesses[3]
        issued = view.revocation_issued(revoked, after_time=0)
        assert issued is not None
        assert (issued.block_number, issued.block_time) == played.steps["revoke-US"]
        assert view.revocation_issued(played.witnesses[0], after_time=0) is None
        last = chain.header(chain.latest_block_number()).timestamp
        assert last > issued.block_time
        assert view.revocation_issued(revoked, after_time=last) is None  # revoked before
        assert view.revocation_issued(revoked, after_time=last + 1) is None  # no such block
        assert view.registrar(block=played.steps["add-DE"][0]) == played.registrar


def test_proofs_from_anvil_verify_against_the_header(world: World) -> None:
    """The raw EIP-1186 answer, checked by the trie code alone."""
    head = int(cast(str, world.node.rpc("eth_blockNumber")), 16)
    block = cast(dict[str, Any], world.node.rpc("eth_getBlockByNumber", hex(head), False))
    state_root = header_module.parse_block(block).state_root
    proof = cast(dict[str, Any], world.node.rpc(
        "eth_getProof", world.played.address, ["0x" + "00" * 32], hex(head)))
    nodes = [bytes.fromhex(p[2:]) for p in proof["accountProof"]]
    raw = mpt.verify_proof(state_root, keccak256(bytes.fromhex(world.played.address[2:])),
                           nodes)
    assert raw is not None
    account = mpt.decode_account(raw)
    assert "0x" + account.storage_root.hex() == proof["storageHash"]
    entry = proof["storageProof"][0]
    value = mpt.decode_storage_value(mpt.verify_proof(
        account.storage_root, mpt.storage_key(SLOT_OWNER),
        [bytes.fromhex(p[2:]) for p in entry["proof"]]))
    assert value == int(world.played.registrar, 16) == int(entry["value"], 16)


def test_a_handful_of_round_trips_per_node(world: World) -> None:
    played = world.played
    with lying(world, lambda m, p, r: r) as proxy, proven(proxy.url) as chain:
        view = chain.anchor_view(played.address)
        record = view.anchor_of(ROOTS[0])
        assert record is not None
        chain.block_hash(record.block_number)
        view.anchor_transaction(ROOTS[0], record.block_number)
        for c in view.confirmations_of(ROOTS[0]):
            view.witness_of(c.witness)
        view.registrar(block=record.block_number)
        view.confirmation_events(ROOTS[0], record.block_number)
    assert proxy.posts <= MAX_ROUND_TRIPS, proxy.methods


def test_a_node_that_refuses_batches_is_asked_one_by_one(world: World) -> None:
    with lying(world, lambda m, p, r: r, refuse_batches=True) as proxy, \
            proven(proxy.url) as chain:
        view = chain.anchor_view(world.played.address)
        assert view.anchor_of(ROOTS[1]) == world.web3.anchor_of(ROOTS[1])


def test_imports_no_web3() -> None:
    code = ("import sys, evidence.chain.proven, evidence.chain.light; "
            "print(sorted({m.split('.')[0] for m in sys.modules}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    loaded = set(json.loads(out.stdout.replace("'", '"')))
    assert not loaded & {"web3", "eth", "eth_tester", "eth_account", "py_ecc", "requests"}


# -- lies about state --------------------------------------------------------------------------


def _on(method: str, change: Callable[[dict[str, Any], list[Any]], None]) -> Rewrite:
    def rewrite(m: str, params: list[Any], response: dict[str, Any]) -> dict[str, Any]:
        if m == method and isinstance(response.get("result"), dict | list):
            change(response["result"], params)
        return response
    return rewrite


def _flip(text: str, at: int = -1) -> str:
    digits = list(text)
    digits[at] = "0" if digits[at] != "0" else "1"
    return "".join(digits)


def _with_slots(params: list[Any]) -> bool:
    return bool(params[1])


@pytest.mark.parametrize(("name", "change", "message"), [
    ("account proof node", lambda r, p: r["accountProof"].__setitem__(
        -1, _flip(r["accountProof"][-1], 40)), "does not lead|malformed|claims"),
    ("account balance", lambda r, p: r.__setitem__("balance", hex(int(r["balance"], 16) + 1)),
     "claims balance"),
    ("account nonce", lambda r, p: r.__setitem__("nonce", hex(int(r["nonce"], 16) + 1)),
     "claims nonce"),
    ("storageHash", lambda r, p: r.__setitem__("storageHash", _flip(r["storageHash"])),
     "claims storageHash"),
    ("codeHash", lambda r, p: r.__setitem__("codeHash", _flip(r["codeHash"])),
     "claims codeHash"),
    ("storage value", lambda r, p: _with_slots(p) and r["storageProof"][0].__setitem__(
        "value", hex(int(r["storageProof"][0]["value"], 16) ^ 1)), "claims slot"),
    ("storage proof node", lambda r, p: _with_slots(p) and r["storageProof"][0][
        "proof"].__setitem__(-1, _flip(r["storageProof"][0]["proof"][-1], 40)),
     "does not lead|malformed|claims|proof gives"),
    ("storage proof key", lambda r, p: _with_slots(p) and r["storageProof"][0].__setitem__(
        "key", "0x" + "ee" * 32), "another slot"),
])
def test_a_changed_proof_is_refused(world: World, name: str,
                                    change: Callable[[dict[str, Any], list[Any]], None],
                                    message: str) -> None:
    with lying(world, _on("eth_getProof", change)) as proxy, proven(proxy.url) as chain:
        with pytest.raises(NodeProofError, match=message) as caught:
            view = chain.anchor_view(world.played.address)
            view.anchor_of(ROOTS[0])
        assert caught.value.node == proxy.url
        assert proxy.url in str(caught.value)


def test_changed_code_is_refused(world: World) -> None:
    def rewrite(m: str, params: list[Any], response: dict[str, Any]) -> dict[str, Any]:
        if m == "eth_getCode" and response.get("result") not in (None, "0x"):
            response["result"] = _flip(response["result"], 200)
        return response

    with (lying(world, rewrite) as proxy, proven(proxy.url) as chain,
          pytest.raises(NodeProofError, match="does not hash to the account's code hash")):
        chain.anchor_view(world.played.address)


def test_a_node_without_eth_getproof(world: World) -> None:
    with (lying(world, lambda m, p, r: r, refuse={"eth_getProof"}) as proxy,
          proven(proxy.url) as chain,
          pytest.raises(NodeCapabilityError, match="does not offer eth_getProof")):
        chain.anchor_view(world.played.address)


def test_a_node_without_historic_state(world: World) -> None:
    def rewrite(m: str, params: list[Any], response: dict[str, Any]) -> dict[str, Any]:
        if m == "eth_getProof" and int(params[2], 16) < 5:
            return {"jsonrpc": "2.0", "id": response["id"],
                    "error": {"code": -32000, "message": "missing trie node abcd (path )"}}
        return response

    with lying(world, rewrite) as proxy, proven(proxy.url) as chain:
        view = chain.anchor_view(world.played.address)
        assert view.registrar() == world.played.registrar
        with pytest.raises(NodeCapabilityError, match="archive node"):
            view.registrar(block=4)


def test_anvil_cheat_codes_and_state_proofs(anvil_factory: type[AnvilNode]) -> None:
    """anvil serves the state a cheat code changed as the state of the block before it: at
    the head that is an answer that does not check out (NodeProofError); once a block is
    mined after it, that earlier block's state is one the node does not keep as it was
    (NodeCapabilityError, as from a node without historic state)."""
    node = anvil_factory(free_port())
    node.start()
    dev = cast(list[str], node.rpc("eth_accounts"))[0]
    # Automine answers eth_sendTransaction before its block is sealed; a cheat code sent
    # then lands in that block (seen under load in CI). evm_mine returns once it is sealed.
    node.rpc("evm_setAutomine", False)
    for _ in range(2):
        node.rpc("eth_sendTransaction", {"from": dev, "to": STRANGER, "value": "0x1"})
        node.rpc("evm_mine")
    assert node.rpc("eth_blockNumber") == "0x2"
    node.rpc("anvil_setBalance", STRANGER, "0x5")  # after block 2
    with proven(node.url, chain_id=31337) as chain:
        assert chain.latest_block_number() == 2
        with pytest.raises(NodeProofError, match=r"claims balance|does not lead"):
            chain.storage_words(STRANGER, [0])
    node.rpc("evm_mine")  # the cheat now belongs to block 3: the head is consistent again
    with proven(node.url, chain_id=31337) as chain:
        assert chain.storage_words(STRANGER, [0]) == [0]
        assert chain.storage_words(STRANGER, [0], block=1) == [0]
        with pytest.raises(NodeCapabilityError, match="cannot prove the state at block 2"):
            chain.storage_words(STRANGER, [0], block=2)


# -- lies about headers ------------------------------------------------------------------------


def _shift_time(number: int | None, *, rehash: bool) -> Rewrite:
    """Add a minute to block ``number``'s timestamp (every block's when None)."""

    def rewrite(m: str, params: list[Any], response: dict[str, Any]) -> dict[str, Any]:
        block = response.get("result")
        if m != "eth_getBlockByNumber" or not isinstance(block, dict):
            return response
        if number is not None and int(block["number"], 16) != number:
            return response
        block["timestamp"] = hex(int(block["timestamp"], 16) + 60)
        if rehash:
            fields = header_module.header_fields(block)
            block["hash"] = "0x" + header_module.header_hash(fields).hex()
        return response

    return rewrite


def test_a_rewritten_timestamp_with_the_old_hash_is_caught(world: World) -> None:
    anchor_block = world.played.steps["anchor-0"][0]
    with lying(world, _shift_time(anchor_block, rehash=False)) as proxy, \
            proven(proxy.url) as chain:
        with pytest.raises(NodeProofError, match=f"block {anchor_block} .*hashes to") as caught:
            chain.block_hash(anchor_block)
        assert caught.value.node == proxy.url


def test_a_rewritten_timestamp_with_a_new_hash_breaks_the_parent_link(world: World) -> None:
    anchor_block = world.played.steps["anchor-0"][0]
    with (lying(world, _shift_time(anchor_block, rehash=True)) as proxy,
          proven(proxy.url) as chain,
          pytest.raises(NodeProofError, match=f"does not name block {anchor_block}")):
        chain.header(anchor_block)


@pytest.mark.parametrize("liar_first", [False, True])
def test_two_nodes_one_lying_disagree(world: World, liar_first: bool) -> None:
    """Two proxies in front of one anvil: an honest one and one that shifts every block
    time and recomputes every hash (a consistent forgery of every header on its own)."""
    with lying(world, lambda m, p, r: r) as honest, \
            lying(world, _shift_time(None, rehash=True)) as liar:
        urls = [liar.url, honest.url] if liar_first else [honest.url, liar.url]
        with pytest.raises(NodesDisagreeError) as caught, proven(*urls):
            pass
    message = str(caught.value)
    assert liar.url in message and honest.url in message
    assert liar.url in caught.value.nodes
    assert caught.value.block is not None


def test_two_honest_nodes_agree(world: World) -> None:
    with lying(world, lambda m, p, r: r) as one, lying(world, lambda m, p, r: r) as two, \
            proven(one.url, two.url) as chain:
        assert chain.nodes == (one.url, two.url)
        assert chain.description.startswith("JSON-RPC 2 nodes (")
        view = chain.anchor_view(world.played.address)
        assert _plain(view.confirmations_of(ROOTS[0])) == _plain(
            world.web3.confirmations_of(ROOTS[0]))
        record = view.anchor_of(ROOTS[0])
        assert record is not None
        assert view.anchor_transaction(ROOTS[0], record.block_number) is not None
    assert one.posts > 0 and two.posts > 0


def test_a_node_behind_the_highest_head_is_waited_for_then_refused(world: World) -> None:
    """The reference head is the highest any node reports. A node that reports a lower head
    (to hide a recent revocation, say) must reach it, or the nodes disagree, naming it."""
    asked = {"n": 0}

    def catching_up(m: str, params: list[Any], response: dict[str, Any]) -> dict[str, Any]:
        if m == "eth_blockNumber":
            asked["n"] += 1
            if asked["n"] == 1:  # behind at first, synced when asked again
                response["result"] = hex(max(0, int(response["result"], 16) - 1))
        return response

    head = int(cast(str, world.node.rpc("eth_blockNumber")), 16)
    with (lying(world, catching_up) as proxy,
          proven(world.node.url, proxy.url, head_wait_s=5.0) as chain):
        assert chain.latest_block_number() == head
        assert asked["n"] >= 2

    def always_behind(m: str, params: list[Any], response: dict[str, Any]) -> dict[str, Any]:
        if m == "eth_blockNumber":
            response["result"] = hex(max(0, int(response["result"], 16) - 1))
        return response

    with lying(world, always_behind) as proxy:
        with (pytest.raises(NodesDisagreeError, match="do not agree on the head") as caught,
              proven(world.node.url, proxy.url, head_wait_s=0.5)):
            pass
        assert proxy.url.split("//")[1] in str(caught.value)

    def far(m: str, params: list[Any], response: dict[str, Any]) -> dict[str, Any]:
        if m == "eth_blockNumber":
            response["result"] = hex(head + MAX_HEAD_SPREAD + 1)
        return response

    with (lying(world, far) as proxy,
          pytest.raises(NodesDisagreeError, match="do not agree on the head"),
          proven(world.node.url, proxy.url, head_wait_s=5.0)):
        pass


def test_chain_id_is_checked(world: World) -> None:
    with (pytest.raises(ChainError, match=f"reports chain id {CHAIN_ID}, expected 1"),
          proven(world.node.url, chain_id=1)):
        pass
    with proven(world.node.url, chain_id=None) as chain:
        assert chain.chain_id == CHAIN_ID


def test_nodes_of_two_chains_disagree(world: World, anvil: AnvilNode) -> None:
    with (pytest.raises(NodesDisagreeError, match="different chains"),
          proven(world.node.url, anvil.url, chain_id=None)):
        pass


def test_a_silent_node_is_unreachable() -> None:
    url = f"http://user:secret@127.0.0.1:{free_port()}/v3/{'k' * 32}?key=secret"
    with pytest.raises(ChainUnreachableError) as caught, proven(url):
        pass
    assert "secret" not in str(caught.value) and "k" * 32 not in str(caught.value)


# -- lies about events -------------------------------------------------------------------------


def test_no_logs_where_the_state_has_an_anchor(world: World) -> None:
    record = world.web3.anchor_of(ROOTS[0])
    assert record is not None

    def no_logs(m: str, params: list[Any], response: dict[str, Any]) -> dict[str, Any]:
        if m == "eth_getLogs":
            response["result"] = []
        return response

    with lying(world, no_logs) as proxy, proven(proxy.url) as chain:
        view = chain.anchor_view(world.played.address)
        with pytest.raises(NodeCapabilityError, match="may not serve logs") as caught:
            view.anchor_transaction(ROOTS[0], record.block_number)
        assert caught.value.node == proxy.url
        with pytest.raises(NodeCapabilityError, match="may not serve logs"):
            view.confirmation_events(ROOTS[0], record.block_number)
        assert view.anchor_transaction(UNANCHORED, record.block_number) is None


def test_a_hidden_revocation(world: World) -> None:
    def no_logs(m: str, params: list[Any], response: dict[str, Any]) -> dict[str, Any]:
        if m == "eth_getLogs":
            response["result"] = []
        return response

    with lying(world, no_logs) as proxy, proven(proxy.url) as chain:
        view = chain.anchor_view(world.played.address)
        with pytest.raises(NodeCapabilityError, match="served no WitnessRevoked event"):
            view.revocation_issued(world.played.witnesses[3], after_time=0)


def test_logs_that_error(world: World) -> None:
    def error(m: str, params: list[Any], response: dict[str, Any]) -> dict[str, Any]:
        if m == "eth_getLogs":
            return {"jsonrpc": "2.0", "id": response["id"],
                    "error": {"code": -32005, "message": "query returned more than 10000 "
                                                        "results"}}
        return response

    record = world.web3.anchor_of(ROOTS[1])
    assert record is not None
    with lying(world, error) as proxy, proven(proxy.url) as chain:
        view = chain.anchor_view(world.played.address)
        with pytest.raises(NodeCapabilityError, match=r"refused eth_getLogs.*may not serve"):
            view.anchor_transaction(ROOTS[1], record.block_number)


def test_one_confirmation_left_out(world: World) -> None:
    def drop_one(m: str, params: list[Any], response: dict[str, Any]) -> dict[str, Any]:
        if m == "eth_getLogs" and isinstance(response.get("result"), list):
            response["result"] = response["result"][1:]
        return response

    anchor_block = world.played.steps["anchor-0"][0]
    with lying(world, drop_one) as proxy, proven(proxy.url) as chain:
        view = chain.anchor_view(world.played.address)
        with pytest.raises(NodeCapabilityError, match="served no Confirmed event"):
            view.confirmation_events(ROOTS[0], anchor_block)


def test_a_forged_log_is_refused(world: World) -> None:
    def forge(m: str, params: list[Any], response: dict[str, Any]) -> dict[str, Any]:
        if m == "eth_getLogs" and isinstance(response.get("result"), list):
            for log in response["result"]:
                log["data"] = _flip(log["data"], 70)
        return response

    anchor_block = world.played.steps["anchor-0"][0]
    with lying(world, forge) as proxy, proven(proxy.url) as chain:
        view = chain.anchor_view(world.played.address)
        with pytest.raises(NodeProofError, match=r"not in block .* receipts"):
            view.confirmation_events(ROOTS[0], anchor_block)


def _change_a_log(receipts: list[dict[str, Any]]) -> None:
    log = next(r for r in receipts if r["logs"])["logs"][0]
    log["data"] = _flip(log["data"])


@pytest.mark.parametrize(("method", "change", "message"), [
    ("eth_getBlockReceipts", lambda r: _change_a_log(r), "receiptsRoot"),
    ("eth_getBlockReceipts", lambda r: r.append(r[0]), "receiptsRoot"),
    ("eth_getBlockReceipts", lambda r: r[0].__setitem__("status", "0x0"), "receiptsRoot"),
    ("eth_getRawTransactionByBlockNumberAndIndex", None, "transactionsRoot"),
])
def test_changed_receipts_or_transactions_are_refused(
        world: World, method: str, change: Callable[[Any], None] | None, message: str) -> None:
    def rewrite(m: str, params: list[Any], response: dict[str, Any]) -> dict[str, Any]:
        if m == method and response.get("result"):
            if change is None:
                response["result"] = _flip(response["result"], 30)
            else:
                change(response["result"])
        return response

    with lying(world, rewrite) as proxy, proven(proxy.url) as chain:
        view = chain.anchor_view(world.played.address)
        with pytest.raises(NodeProofError, match=message):
            view.anchor_transaction(MIXED_ROOT, world.mixed_block)


def test_fallbacks_for_receipts_and_raw_transactions(world: World) -> None:
    refused = {"eth_getBlockReceipts", "eth_getRawTransactionByBlockNumberAndIndex"}
    with lying(world, lambda m, p, r: r, refuse=set(refused)) as proxy, \
            proven(proxy.url) as chain:
        view = chain.anchor_view(world.played.address)
        assert view.anchor_transaction(MIXED_ROOT, world.mixed_block) == world.mixed_tx
        assert "eth_getTransactionReceipt" in proxy.methods
        assert "debug_getRawTransaction" in proxy.methods
    with lying(world, lambda m, p, r: r,
               refuse={*refused, "debug_getRawTransaction"}) as proxy, \
            proven(proxy.url) as chain:
        view = chain.anchor_view(world.played.address)
        with pytest.raises(NodeCapabilityError, match="does not offer debug_getRawTransaction"):
            view.anchor_transaction(MIXED_ROOT, world.mixed_block)


def test_an_answer_of_the_wrong_shape_is_a_proof_error(world: World) -> None:
    def garbage(m: str, params: list[Any], response: dict[str, Any]) -> dict[str, Any]:
        if m == "eth_getProof":
            response["result"] = {"accountProof": "nope"}
        return response

    with (lying(world, garbage) as proxy, proven(proxy.url) as chain,
          pytest.raises(NodeProofError)):
        chain.anchor_view(world.played.address)


def test_rpc_module_still_exports_redact_url() -> None:
    from evidence.chain import jsonrpc, rpc

    assert rpc.redact_url is jsonrpc.redact_url
    assert isinstance(RpcChain, type)
