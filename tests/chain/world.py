"""One EvidenceAnchor world played on any chain, for the readers' tests.

:func:`play` deploys the contract from a fixed registrar key, registers four witnesses
(operators: a short string, the longest short string, a long string, a non-ASCII one),
anchors roots in several blocks, confirms directly and by signature, and revokes a witness.
It records the block and time of every step, so that the records two readers give on two
different chains can be compared step for step (tests/chain/test_readers_agree.py).

Funding goes through transactions, never through a node's cheat codes: anvil serves wrong
historic proofs for blocks mined before an ``anvil_setBalance`` (its historic state then
includes the later change, the block's state root does not).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from eth_account import Account
from eth_account.signers.local import LocalAccount

from evidence.chain.backend import ChainClient
from evidence.chain.contract import AnchorContract, deploy_anchor_contract
from evidence.chain.eip712 import sign_confirmation

#: Fixed keys: the same addresses (and the same contract address) on every chain.
REGISTRAR_KEY = "0x" + "a1" * 32
WITNESS_KEYS = tuple("0x" + f"{i:02x}" * 32 for i in (0xb1, 0xb2, 0xb3, 0xb4))
STRANGER = "0x" + "5a" * 20
OPERATORS = ("Notar Berlin", "O" * 31, "L" * 32 + " long operator names run on",
             "公证处 Shanghai")
JURISDICTIONS = ("DE", "FR", "CN", "US")
ROOTS = tuple(bytes([i]) * 32 for i in (1, 2, 3, 4))
UNANCHORED = b"\x77" * 32
FUNDING_WEI = 10**19

#: Gives ``wei`` to an address through a transaction of the chain's funded account.
Fund = Callable[[str, int], None]


@dataclass
class Played:
    """What :func:`play` did: the contract and, per step, (block number, block time) and the
    0x-hex hash of its transaction."""

    address: str
    registrar: str
    witnesses: tuple[str, ...]
    steps: dict[str, tuple[int, int]] = field(default_factory=dict)
    transactions: dict[str, str] = field(default_factory=dict)
    #: The observation time of the confirmation by signature.
    observed: int = 0


def _step(played: Played, name: str, chain: ChainClient, receipt: Any) -> None:
    number = int(receipt["blockNumber"])
    played.steps[name] = (number, int(chain.block(number)["timestamp"]))
    played.transactions[name] = "0x" + bytes(receipt["transactionHash"]).hex()


def play(chain: ChainClient, fund: Fund) -> Played:
    registrar = cast(LocalAccount, Account.from_key(REGISTRAR_KEY))
    witnesses = [cast(LocalAccount, Account.from_key(k)) for k in WITNESS_KEYS]
    fund(registrar.address, FUNDING_WEI)
    for w in witnesses:
        fund(w.address, FUNDING_WEI)
    address = deploy_anchor_contract(chain, registrar)
    contract = AnchorContract(chain, address)
    played = Played(address, registrar.address, tuple(w.address for w in witnesses))
    for w, code, operator in zip(witnesses, JURISDICTIONS, OPERATORS, strict=True):
        _step(played, f"add-{code}", chain, contract.add_witness(w.address, code, operator,
                                                                  registrar))
    _step(played, "anchor-0", chain, contract.anchor(ROOTS[0], 3, registrar))
    _step(played, "anchor-1", chain, contract.anchor(ROOTS[1], 1, registrar))
    _step(played, "confirm-0-DE", chain, contract.confirm(ROOTS[0], witnesses[0]))
    _step(played, "confirm-0-FR", chain, contract.confirm(ROOTS[0], witnesses[1]))
    observed = int(chain.block("latest")["timestamp"])
    played.observed = observed
    signature = sign_confirmation(bytes(witnesses[2].key), chain.chain_id, address, ROOTS[0],
                                  witnesses[2].address, observed)
    _step(played, "confirm-0-CN", chain, contract.confirm_by_signature(
        ROOTS[0], witnesses[2].address, observed, signature, registrar))
    _step(played, "confirm-1-US", chain, contract.confirm(ROOTS[1], witnesses[3]))
    _step(played, "revoke-US", chain, contract.revoke_witness(witnesses[3].address, 0,
                                                              registrar))
    _step(played, "anchor-2", chain, contract.anchor(ROOTS[2], 2, registrar))
    _step(played, "anchor-3", chain, contract.anchor(ROOTS[3], 2, registrar))
    return played
