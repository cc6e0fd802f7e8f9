"""A typed wrapper around the deployed EvidenceAnchor contract.

Before anything is read from or sent to an address, the runtime code there is compared
with the shipped artifact (immutables masked, see :mod:`evidence.chain.artifact`); any
other code is refused with :class:`~evidence.errors.ContractMismatchError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from evidence.errors import ChainError, ContractMismatchError

from .artifact import check_runtime_code, load_artifact
from .backend import ChainClient

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from web3.types import TxReceipt

__all__ = ["AnchorContract", "AnchorRecord", "ConfirmationRecord", "WitnessRecord",
           "deploy_anchor_contract"]


@dataclass(frozen=True)
class AnchorRecord:
    """``anchorOf(root)``: who anchored it, block time and block number."""

    submitter: str
    timestamp: int
    block_number: int


@dataclass(frozen=True)
class ConfirmationRecord:
    witness: str
    jurisdiction: str
    confirmed_at: int
    observed_at: int
    by_signature: bool


@dataclass(frozen=True)
class WitnessRecord:
    account: str
    jurisdiction: str
    operator: str
    registered_at: int
    revoked_at: int | None


def _cc(value: bytes) -> str:
    return bytes(value).decode("ascii", errors="replace")


def deploy_anchor_contract(chain: ChainClient, account: LocalAccount) -> str:
    """Deploy EvidenceAnchor from ``account`` (which becomes the registrar)."""
    return str(chain.deploy(load_artifact(), account))


class AnchorContract:
    """EvidenceAnchor at ``address`` on ``chain``; the code is checked on construction."""

    def __init__(self, chain: ChainClient, address: str, *, check_code: bool = True):
        from eth_utils.address import to_checksum_address

        self.chain = chain
        try:
            self.address = to_checksum_address(address)
        except ValueError as exc:
            raise ChainError(f"{address!r} is not a contract address") from exc
        artifact = load_artifact()
        if check_code:
            code = chain.get_code(self.address)
            if not code:
                raise ChainError(f"no contract at {self.address} on {chain.description}")
            check_runtime_code(code, artifact)
        self._c = chain.w3.eth.contract(address=self.address, abi=cast(Any, artifact.abi))
        if check_code:
            self._check_domain()

    def _check_domain(self) -> None:
        """The immutables masked in the code check must hold this chain and this address
        (ERC-5267 ``eip712Domain()``), or signatures would be bound to another deployment."""
        domain = cast(Any, self.chain.call(self._c.functions.eip712Domain()))
        chain_id, verifying = int(domain[3]), str(domain[4])
        if chain_id != self.chain.chain_id or verifying != self.address:
            raise ContractMismatchError(
                f"contract at {self.address} reports EIP-712 domain chain id {chain_id} and "
                f"address {verifying}: not a genuine deployment on this chain")

    # -- reads --------------------------------------------------------------------------

    def anchor_of(self, root: bytes) -> AnchorRecord | None:
        raw = cast(Any, self.chain.call(self._c.functions.anchorOf(root)))
        submitter, timestamp, block_number = raw
        if int(timestamp) == 0:
            return None
        return AnchorRecord(str(submitter), int(timestamp), int(block_number))

    def confirmations_of(self, root: bytes) -> list[ConfirmationRecord]:
        rows = cast(Any, self.chain.call(self._c.functions.confirmationsOf(root)))
        return [ConfirmationRecord(str(w), _cc(j), int(c), int(o), bool(s))
                for w, j, c, o, s in rows]

    def witness_of(self, address: str) -> WitnessRecord | None:
        from eth_utils.address import to_checksum_address

        acc, j, op, reg, rev = cast(Any, self.chain.call(
            self._c.functions.witnessOf(to_checksum_address(address))))
        if int(reg) == 0:
            return None
        return WitnessRecord(str(acc), _cc(j), str(op), int(reg), int(rev) or None)

    def witnesses(self) -> list[WitnessRecord]:
        rows = cast(Any, self.chain.call(self._c.functions.witnesses()))
        return [WitnessRecord(str(a), _cc(j), str(o), int(r), int(v) or None)
                for a, j, o, r, v in rows]

    def confirmation_of(self, root: bytes, witness: str) -> ConfirmationRecord | None:
        """``confirmationOf(root, witness)``: the witness's confirmation, or None if none."""
        from eth_utils.address import to_checksum_address

        w, j, c, o, s = cast(Any, self.chain.call(
            self._c.functions.confirmationOf(root, to_checksum_address(witness))))
        if int(c) == 0:
            return None
        return ConfirmationRecord(str(w), _cc(j), int(c), int(o), bool(s))

    def registrar(self) -> str:
        return str(self.chain.call(self._c.functions.registrar()))

    def anchor_transaction(self, root: bytes, block_number: int) -> str | None:
        """The hash of the transaction that anchored ``root`` (from the Anchored event)."""
        logs = self._c.events.Anchored().get_logs(
            from_block=block_number, to_block=block_number,
            argument_filters={"root": root})
        return None if not logs else "0x" + bytes(logs[0]["transactionHash"]).hex()

    # -- writes -------------------------------------------------------------------------

    def anchor(self, root: bytes, leaf_count: int, account: LocalAccount) -> TxReceipt:
        return self.chain.transact(self._c.functions.anchor(root, leaf_count), account)

    def confirm(self, root: bytes, account: LocalAccount) -> TxReceipt:
        return self.chain.transact(self._c.functions.confirm(root), account)

    def confirm_by_signature(self, root: bytes, witness: str, observed_at: int,
                             signature: bytes, account: LocalAccount) -> TxReceipt:
        from eth_utils.address import to_checksum_address

        fn = self._c.functions.confirmBySignature(root, to_checksum_address(witness),
                                                  observed_at, signature)
        return self.chain.transact(fn, account)

    def add_witness(self, address: str, jurisdiction: str, operator: str,
                    account: LocalAccount) -> TxReceipt:
        from eth_utils.address import to_checksum_address

        fn = self._c.functions.addWitness(to_checksum_address(address),
                                          jurisdiction.encode("ascii"), operator)
        return self.chain.transact(fn, account)

    def revoke_witness(self, address: str, effective_at: int, account: LocalAccount) -> TxReceipt:
        from eth_utils.address import to_checksum_address

        fn = self._c.functions.revokeWitness(to_checksum_address(address), effective_at)
        return self.chain.transact(fn, account)

    def anchored_events(self, from_block: int, to_block: int) -> list[tuple[bytes, int]]:
        """(root, block number) of every Anchored event in the block range."""
        logs = self._c.events.Anchored().get_logs(from_block=from_block, to_block=to_block)
        return [(bytes(log["args"]["root"]), int(log["blockNumber"])) for log in logs]
