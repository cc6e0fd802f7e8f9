"""The differential test: LightChain (the embedded store) and ProvenChain (anvil) give the
same records for the same operations, wherever both apply.

The same world (tests/chain/world.py: fixed keys, so the same contract and witness
addresses) is played on an embedded chain and on an anvil node. Block numbers and times
differ between two chains, so each reader's answer is compared with its own chain's record
of the step that made it (the block and time of that step's transaction), and what is left
(addresses, jurisdictions, operators, kinds, orders, transaction hashes matched to steps)
must be equal between the two readers. ``confirmation_events`` is the one read only the
JSON-RPC reader does (the embedded store is a local file): there it must back every
confirmation of the state.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest

from evidence.chain.backend import ChainConfig
from evidence.chain.connect import open_chain
from evidence.chain.embedded import EmbeddedChain
from evidence.chain.light import LightChain
from evidence.chain.proven import ProvenChain
from evidence.chain.types import AnchorReader, ChainReader, RevocationIssued

from .conftest import AnvilNode, free_port
from .world import JURISDICTIONS, OPERATORS, ROOTS, STRANGER, UNANCHORED, Played, play

CHAIN_ID = 7140


@dataclass
class Both:
    light_dir: Path
    light_played: Played
    node: AnvilNode
    proven_played: Played


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Both]:
    state_dir = tmp_path_factory.mktemp("agree") / "chain"
    with EmbeddedChain.open(ChainConfig(kind="embedded", state_dir=state_dir)) as embedded:
        light_played = play(embedded, embedded.fund)
    node = AnvilNode(free_port(), "--chain-id", str(CHAIN_ID))
    node.start()
    client = open_chain(ChainConfig(kind="rpc", url=node.url, expected_chain_id=CHAIN_ID,
                                    create=False))
    try:
        dev = cast(list[str], node.rpc("eth_accounts"))[0]

        def fund(address: str, wei: int) -> None:
            node.rpc("eth_sendTransaction", {"from": dev, "to": address, "value": hex(wei)})

        proven_played = play(client, fund)
        client.close()
        yield Both(state_dir, light_played, node, proven_played)
    finally:
        client.close()
        node.stop()


def _summary(chain: ChainReader, played: Played) -> dict[str, Any]:
    """Every record verification reads, with each block and time replaced by whether it is
    the one of the step that made it."""
    view: AnchorReader = chain.anchor_view(played.address)
    steps = played.steps

    def at(step: str) -> tuple[int, int]:
        return steps[step]

    out: dict[str, Any] = {"address": view.address, "registrar": view.registrar()}
    out["registrar-at-start"] = view.registrar(block=at("add-DE")[0])
    for i, root in enumerate(ROOTS):
        record = view.anchor_of(root)
        assert record is not None
        out[f"anchor-{i}"] = (record.submitter,
                              (record.block_number, record.timestamp) == at(f"anchor-{i}"))
        out[f"anchor-{i}-tx"] = (view.anchor_transaction(root, record.block_number)
                                 == played.transactions[f"anchor-{i}"])
        out[f"anchor-{i}-elsewhere"] = view.anchor_transaction(root, record.block_number - 1)
        out[f"block-{i}"] = chain.block_hash(record.block_number) == chain.header(
            record.block_number).hash
    out["unanchored"] = view.anchor_of(UNANCHORED)
    confirmed = {"DE": "confirm-0-DE", "FR": "confirm-0-FR", "CN": "confirm-0-CN"}
    out["confirmations-0"] = [
        (c.witness, c.jurisdiction, c.by_signature,
         c.confirmed_at == at(confirmed[c.jurisdiction])[1],
         c.observed_at == (played.observed if c.by_signature else c.confirmed_at))
        for c in view.confirmations_of(ROOTS[0])]
    out["confirmations-1"] = [(c.witness, c.jurisdiction, c.confirmed_at == at("confirm-1-US")[1])
                              for c in view.confirmations_of(ROOTS[1])]
    out["confirmations-none"] = view.confirmations_of(UNANCHORED)
    revoked_at = at("revoke-US")[1]
    out["witnesses"] = [
        (w.account, w.jurisdiction, w.operator, w.registered_at == at(f"add-{w.jurisdiction}")[1],
         w.revoked_at == (revoked_at if w.jurisdiction == "US" else None))
        for w in view.witnesses()]
    out["witness-of"] = [view.witness_of(a) == w
                         for a, w in zip(played.witnesses, view.witnesses(), strict=True)]
    out["stranger"] = view.witness_of(STRANGER)
    us = played.witnesses[3]
    out["revocation"] = view.revocation_issued(us, after_time=0) == RevocationIssued(
        *at("revoke-US"))
    out["revocation-later"] = view.revocation_issued(us, after_time=revoked_at + 10**6)
    out["not-revoked"] = view.revocation_issued(played.witnesses[0], after_time=0)
    out["genesis"] = chain.genesis_hash() == chain.header(0).hash
    out["head"] = chain.latest_block_number() >= at("anchor-3")[0]
    return out


def test_the_readers_give_the_same_records(both: Both) -> None:
    assert both.light_played.address == both.proven_played.address  # fixed keys
    with LightChain.open(both.light_dir) as light:
        from_light = _summary(light, both.light_played)
    with ProvenChain.connect([both.node.url], expected_chain_id=CHAIN_ID) as proven:
        from_proven = _summary(proven, both.proven_played)
    assert from_light == from_proven
    # And the summaries say what the world did (not merely the same wrong thing twice).
    checks = {k: v for k, v in from_light.items()
              if k.startswith(("anchor-", "block-", "revocation", "genesis", "head"))
              and not k.endswith(("elsewhere", "later"))}
    assert all(v is True or (isinstance(v, tuple) and v[1] is True) for v in checks.values()), (
        checks)
    assert [w[2] for w in from_light["witnesses"]] == list(OPERATORS)
    assert [w[1] for w in from_light["witnesses"]] == list(JURISDICTIONS)
    assert [c[2] for c in from_light["confirmations-0"]] == [False, False, True]
    assert all(all(c[3:]) for c in from_light["confirmations-0"])
    assert from_light["revocation-later"] is None and from_light["not-revoked"] is None
    assert from_light["stranger"] is None and from_light["unanchored"] is None


def test_events_where_only_the_rpc_reader_checks_them(both: Both) -> None:
    played = both.proven_played
    anchor_block = played.steps["anchor-0"][0]
    with LightChain.open(both.light_dir) as light:
        view = light.anchor_view(both.light_played.address)
        assert view.confirmation_events(ROOTS[0], anchor_block) is None
        assert light.is_embedded and light.client_versions == ("embedded",)
        assert light.nodes == (str(both.light_dir),)
    with ProvenChain.connect([both.node.url], expected_chain_id=CHAIN_ID) as proven:
        proven_view = proven.anchor_view(played.address)
        events = proven_view.confirmation_events(ROOTS[0], anchor_block)
        assert events is not None
        assert [(e.witness, e.observed_at, e.by_signature, e.block_time)
                for e in events] == [(c.witness, c.observed_at, c.by_signature, c.confirmed_at)
                                     for c in proven_view.confirmations_of(ROOTS[0])]
        assert [e.transaction for e in events] == [
            played.transactions[s] for s in ("confirm-0-DE", "confirm-0-FR", "confirm-0-CN")]
        assert not proven.is_embedded
