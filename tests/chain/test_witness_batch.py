"""``witness serve`` confirms in batches on a real anvil node (library, in-process).

Each test gets a fresh anvil node and a workspace with one funded witness; anchors are
sent from the workspace account. The batch size is made small so that a handful of
anchors spans several batches in one block range. Checked on chain every time: each root
confirmed by the witness exactly once (``Confirmed`` events), never more.
"""

from __future__ import annotations

import logging
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from evidence.chain.backend import ChainClient
from evidence.errors import ChainError

from ..conftest import PASSPHRASE
from .conftest import AnvilNode, free_port

pytestmark = pytest.mark.anvil

#: Batch size used by these tests: small, so that a few anchors make several batches.
SMALL_BATCH = 3
FUNDING_WEI = 10**21


@dataclass
class Env:
    node: AnvilNode
    ws: Any
    key: Path
    witness: str


@pytest.fixture
def env(tmp_path: Path, session_workspace: Path,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    from evidence.anchoring import setup_chain
    from evidence.witness import daemon as witness
    from evidence.witness.registry import add_witness, generate_witness_key
    from evidence.workspace import open_workspace

    monkeypatch.setattr(witness, "CONFIRM_BATCH", SMALL_BATCH)
    node = AnvilNode(free_port())
    node.start()
    try:
        shutil.copytree(session_workspace, tmp_path / "ws")
        ws = open_workspace(tmp_path / "ws")
        account = generate_witness_key(ws.path(ws.chain.account_keystore), PASSPHRASE,
                                       light_kdf=True)
        node.rpc("anvil_setBalance", account, hex(FUNDING_WEI))
        ws = setup_chain(ws, PASSPHRASE, url=node.url)
        key = tmp_path / "witness.json"
        address = generate_witness_key(key, PASSPHRASE, light_kdf=True)
        add_witness(ws, PASSPHRASE, address, jurisdiction="DE", operator="test", fund=True)
        yield Env(node, ws, key, address)
    finally:
        node.stop()


def anchor(env: Env, count: int) -> list[bytes]:
    """Anchor ``count`` fresh roots from the workspace account."""
    from evidence.chain.accounts import load_account
    from evidence.workspace_chain import open_workspace_chain, open_workspace_contract

    roots = [secrets.token_bytes(32) for _ in range(count)]
    account = load_account(env.ws.path(env.ws.chain.account_keystore), PASSPHRASE)
    with open_workspace_chain(env.ws) as chain:
        contract = open_workspace_contract(env.ws, chain)
        for root in roots:
            contract.anchor(root, 1, account)
    return roots


def confirmed_roots(env: Env) -> list[bytes]:
    """Every root of a ``Confirmed`` event by the witness, repeats included."""
    from evidence.workspace_chain import open_workspace_chain, open_workspace_contract

    with open_workspace_chain(env.ws) as chain:
        contract = open_workspace_contract(env.ws, chain)
        logs = contract._c.events.Confirmed().get_logs(
            from_block=0, to_block="latest", argument_filters={"witness": env.witness})
        return [bytes(log["args"]["root"]) for log in logs]


class _Lines(logging.Handler):
    """The messages of the records it is given, in order."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def serve_once(env: Env, **kwargs: Any) -> Any:
    """One ``serve(once=True)`` run, with the lines the daemon logged during it."""
    from evidence.witness.daemon import serve

    logger = logging.getLogger("evidence.witness.daemon")
    caught, level = _Lines(), logger.level
    logger.addHandler(caught)
    logger.setLevel(logging.INFO)
    try:
        summary = serve(env.ws, env.key, PASSPHRASE, once=True, **kwargs)
    finally:
        logger.removeHandler(caught)
        logger.setLevel(level)
    return summary, caught.lines


def test_a_range_of_several_batches_is_confirmed_exactly_once(env: Env) -> None:
    roots = anchor(env, 2 * SMALL_BATCH + 1)
    summary, lines = serve_once(env)
    assert summary.confirmed == len(roots) and summary.already == 0 and summary.refused == 0
    assert sorted(confirmed_roots(env)) == sorted(roots)
    assert sum(line.startswith("confirmed 0x") for line in lines) == len(roots)
    again, lines = serve_once(env)  # resumes after the range: nothing to send
    assert again.confirmed == len(roots) and again.already == 0
    assert not any(line.startswith("confirmed") for line in lines)
    assert sorted(confirmed_roots(env)) == sorted(roots)


def test_a_failure_in_the_middle_of_a_batch_then_restart_confirms_the_rest_once(
        env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    from evidence.witness.daemon import default_state_path, load_state

    roots = anchor(env, 2 * SMALL_BATCH)
    original = ChainClient.send_many
    calls = {"n": 0}

    def failing(self: ChainClient, to: str, payloads: Any, account: Any, *, gas: int) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:  # the second batch: two sent, then the node goes away
            original(self, to, payloads[:2], account, gas=gas)
            raise ChainError("node went away (test)")
        return original(self, to, payloads, account, gas=gas)

    monkeypatch.setattr(ChainClient, "send_many", failing)
    with pytest.raises(ChainError, match="went away"):
        serve_once(env)
    state = load_state(default_state_path(env.ws, env.witness))
    assert state is not None and state.confirmed == SMALL_BATCH
    assert len(confirmed_roots(env)) == SMALL_BATCH + 2  # the two sent were mined
    monkeypatch.setattr(ChainClient, "send_many", original)

    summary, _ = serve_once(env)
    # The two mined before the failure are found confirmed and skipped; the state's count
    # is of confirmations known mined when it was saved.
    assert summary.already == 2 and summary.confirmed == len(roots) - 2
    assert sorted(confirmed_roots(env)) == sorted(roots)  # each root exactly once


def test_a_skewed_anchor_is_refused_and_the_good_ones_confirmed(env: Env) -> None:
    good = anchor(env, SMALL_BATCH + 1)
    head = env.node.rpc("eth_getBlockByNumber", "latest", False)
    assert isinstance(head, dict)
    env.node.rpc("evm_setNextBlockTimestamp", int(head["timestamp"], 16) + 7200)
    (skewed,) = anchor(env, 1)
    summary, lines = serve_once(env, max_skew_s=60)
    assert summary.refused == 1 and summary.confirmed == len(good)
    assert any(line.startswith("refused") and skewed.hex() in line for line in lines)
    assert sorted(confirmed_roots(env)) == sorted(good)


def test_a_root_confirmed_meanwhile_is_not_confirmed_twice(
        env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another run confirms two roots between the check and the send: the first is seen
    by the gas estimate, the second reverts on chain (AlreadyConfirmed); neither counts."""
    from evidence.chain.accounts import load_account
    from evidence.chain.contract import AnchorContract
    from evidence.workspace_chain import open_workspace_chain, open_workspace_contract

    roots = anchor(env, SMALL_BATCH)
    witness = load_account(env.key, PASSPHRASE)
    with open_workspace_chain(env.ws) as chain:
        contract = open_workspace_contract(env.ws, chain)
        contract.confirm(roots[0], witness)
        contract.confirm(roots[1], witness)
    monkeypatch.setattr(AnchorContract, "are_confirmed_by",
                        lambda self, rs, w: [False] * len(rs))
    summary, _ = serve_once(env)
    assert summary.confirmed == 1 and summary.already == 2
    assert sorted(confirmed_roots(env)) == sorted(roots)


def test_lean_reads_agree_with_the_abi_path(env: Env) -> None:
    from evidence.chain.accounts import load_account
    from evidence.workspace_chain import open_workspace_chain, open_workspace_contract

    roots = anchor(env, 2)
    witness = load_account(env.key, PASSPHRASE)
    with open_workspace_chain(env.ws) as chain:
        contract = open_workspace_contract(env.ws, chain)
        contract.confirm(roots[1], witness)
        head = chain.latest_block_number()
        lean = contract.anchors_in(0, head)
        assert [(e.root, e.block_number) for e in lean] == contract.anchored_events(0, head)
        for event in lean:
            record = contract.anchor_of(event.root)
            assert record is not None and record.timestamp == event.timestamp
        assert contract.are_confirmed_by(roots, env.witness) == [
            contract.confirmation_of(r, env.witness) is not None for r in roots]
        assert contract.roots_confirmed_by(env.witness, 0, head) == {roots[1]}
