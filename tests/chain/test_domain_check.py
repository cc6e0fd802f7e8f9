"""The genuine runtime code with another deployment's EIP-712 domain separator is refused
by both readers and by AnchorContract, on anvil and on the embedded chain.

The contract is deployed from a small constructor that returns a prepared runtime: the
artifact's code with every immutable written as the EIP712 constructor writes it for this
chain and address, except ``_cachedDomainSeparator``, taken from another chain id. Such a
contract answers ``eip712Domain()`` with this chain and address (it reports
``block.chainid`` and ``address(this)``), yet checks signatures against the other domain:
witness signatures made for another deployment would count here. A control deployment with
the right separator passes every check, so the crafting itself is sound.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from evidence.chain import anchorstate, rlp
from evidence.chain.backend import ChainClient, ChainConfig
from evidence.chain.connect import open_chain
from evidence.chain.contract import AnchorContract
from evidence.chain.embedded import EmbeddedChain
from evidence.chain.light import LightChain
from evidence.chain.primitives import keccak256, to_checksum_address
from evidence.chain.proven import ProvenChain
from evidence.errors import ContractMismatchError

from .conftest import AnvilNode, free_port

CHAIN_ID = 7140
FUNDING_WEI = 10**19


@dataclass(frozen=True)
class RawArtifact:
    """Creation code in the shape ``ChainClient.deploy`` takes."""

    bytecode: bytes
    abi: list[dict[str, object]] = field(default_factory=list)


def _create_address(sender: str, nonce: int) -> str:
    """CREATE's address: keccak(rlp([sender, nonce]))[12:] (Yellow Paper §7)."""
    raw = rlp.encode([bytes.fromhex(sender[2:]), rlp.uint_bytes(nonce)])
    return to_checksum_address(keccak256(raw)[12:])


def _runtime(address: str, chain_id: int, *, separator_chain_id: int) -> bytes:
    code, _ = anchorstate._artifact()
    out = bytearray(code)
    raw = bytes.fromhex(address[2:])
    immutables = anchorstate.expected_immutables(chain_id, raw)
    immutables["_cachedDomainSeparator"] = anchorstate.expected_immutables(
        separator_chain_id, raw)["_cachedDomainSeparator"]
    for name, value in immutables.items():
        for start in anchorstate.IMMUTABLE_OFFSETS[name]:
            out[start : start + 32] = value
    return bytes(out)


def _constructor(runtime: bytes) -> bytes:
    """PUSH2 len, DUP1, PUSH2 13, PUSH1 0, CODECOPY, PUSH1 0, RETURN, then the runtime."""
    prefix = (b"\x61" + len(runtime).to_bytes(2, "big") + b"\x80\x61\x00\x0d\x60\x00\x39"
              b"\x60\x00\xf3")
    assert len(prefix) == 13
    return prefix + runtime


def _deploy_pair(chain: ClientAndFund) -> tuple[str, str]:
    """(forged, control) contract addresses on ``chain``."""
    deployer = cast(LocalAccount, Account.create())
    chain.fund(deployer.address, FUNDING_WEI)
    out = []
    for nonce, separator in ((0, chain.client.chain_id + 1), (1, chain.client.chain_id)):
        address = _create_address(deployer.address, nonce)
        runtime = _runtime(address, chain.client.chain_id, separator_chain_id=separator)
        deployed = chain.client.deploy(RawArtifact(_constructor(runtime)), deployer)
        assert deployed == address
        out.append(address)
    return out[0], out[1]


@dataclass
class ClientAndFund:
    client: ChainClient
    fund: Callable[[str, int], None]


@pytest.fixture
def on_anvil() -> Iterator[tuple[AnvilNode, ClientAndFund]]:
    node = AnvilNode(free_port(), "--chain-id", str(CHAIN_ID))
    node.start()
    client = open_chain(ChainConfig(kind="rpc", url=node.url, expected_chain_id=CHAIN_ID,
                                    create=False))
    dev = cast(list[str], node.rpc("eth_accounts"))[0]

    def fund(address: str, wei: int) -> None:
        node.rpc("eth_sendTransaction", {"from": dev, "to": address, "value": hex(wei)})

    try:
        yield node, ClientAndFund(client, fund)
    finally:
        client.close()
        node.stop()


@pytest.mark.anvil
def test_refused_on_anvil(on_anvil: tuple[AnvilNode, ClientAndFund]) -> None:
    node, chain = on_anvil
    forged, control = _deploy_pair(chain)
    with ProvenChain.connect([node.url], expected_chain_id=CHAIN_ID) as proven:
        with pytest.raises(ContractMismatchError, match="_cachedDomainSeparator"):
            proven.anchor_view(forged)
        assert proven.anchor_view(control).address == control
    with pytest.raises(ContractMismatchError, match="_cachedDomainSeparator"):
        AnchorContract(chain.client, forged)
    AnchorContract(chain.client, control)
    # What the old check asked: the forged contract reports this chain and address.
    domain = chain.client.call(AnchorContract(chain.client, forged, check_code=False)
                               ._c.functions.eip712Domain())
    assert (int(domain[3]), str(domain[4])) == (CHAIN_ID, forged)  # type: ignore[index]


def test_refused_on_the_embedded_chain(tmp_path: Path) -> None:
    state_dir = tmp_path / "chain"
    with EmbeddedChain.open(ChainConfig(kind="embedded", state_dir=state_dir)) as client:
        forged, control = _deploy_pair(ClientAndFund(client, client.fund))
        with pytest.raises(ContractMismatchError, match="_cachedDomainSeparator"):
            AnchorContract(client, forged)
        AnchorContract(client, control)
    with LightChain.open(state_dir) as light:
        with pytest.raises(ContractMismatchError, match="_cachedDomainSeparator"):
            light.anchor_view(forged)
        assert light.anchor_view(control).address == control
