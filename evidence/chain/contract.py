"""A typed wrapper around the deployed EvidenceAnchor contract.

Before anything is read from or sent to an address, the runtime code there is checked by
:func:`~evidence.chain.anchorstate.check_anchor_code`, the check every reader uses: the
shipped artifact's code with the immutables masked, and each EIP-712 immutable (the cached
domain separator included) the one the constructor writes for this chain and this address.
Any other code is refused with :class:`~evidence.errors.ContractMismatchError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from evidence.errors import ChainError

from .anchorstate import check_anchor_code
from .artifact import load_artifact
from .backend import ChainClient
from .types import AnchorRecord, ConfirmationRecord, WitnessRecord

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from web3.types import TxReceipt

__all__ = ["AnchorContract", "AnchorRecord", "AnchoredEvent", "ConfirmationRecord",
           "WitnessRecord", "deploy_anchor_contract"]


@dataclass(frozen=True)
class AnchoredEvent:
    """One ``Anchored(root, submitter, leafCount, timestamp)`` event: the root, the block it
    is in, and the block time the contract recorded (``anchorOf(root).timestamp``)."""

    root: bytes
    block_number: int
    timestamp: int


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
            # The one code check of every path: the artifact's code with every EIP-712
            # immutable (the cached domain separator included) this chain's and address's.
            check_anchor_code(code, address=self.address, chain_id=chain.chain_id)
        self._c = chain.w3.eth.contract(address=self.address, abi=cast(Any, artifact.abi))
        self._lean = _LeanAbi(artifact.abi)

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

    def confirm(self, root: bytes, account: LocalAccount, *, gas: int | None = None
                ) -> TxReceipt:
        """Send ``confirm(root)`` from ``account``; ``gas`` skips the estimate (see
        :meth:`ChainClient.transact`)."""
        return self.chain.transact(self._c.functions.confirm(root), account, gas=gas)

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

    # -- the lean path (hot loops: witness serve) -------------------------------------

    def anchors_in(self, from_block: int, to_block: int) -> list[AnchoredEvent]:
        """Every ``Anchored`` event in the block range, in chain order (one log query)."""
        from eth_abi.abi import decode as abi_decode

        out: list[AnchoredEvent] = []
        for log in self.chain.logs(self.address, [self._lean.anchored], from_block, to_block):
            if len(log.topics) < 2 or log.topics[0] != self._lean.anchored:
                continue
            _leaf_count, timestamp = abi_decode(["uint32", "uint64"], log.data)
            out.append(AnchoredEvent(log.topics[1], log.block_number, int(timestamp)))
        return out

    def are_confirmed_by(self, roots: list[bytes], witness: str) -> list[bool]:
        """For each root, whether ``witness`` has confirmed it (``confirmationOf``; one
        batch request on a JSON-RPC node)."""
        from eth_abi.abi import decode as abi_decode

        word = _word(witness)
        payloads = [self._lean.confirmation_of + self.confirm_calldata(root)[4:] + word
                    for root in roots]
        out: list[bool] = []
        for raw in self.chain.call_many(self.address, payloads):
            (record,) = abi_decode(self._lean.confirmation_types, raw)
            out.append(int(record[2]) != 0)
        return out

    def roots_confirmed_by(self, witness: str, from_block: int, to_block: int) -> set[bytes]:
        """Roots of the ``Confirmed`` events by ``witness`` in the block range (one query)."""
        logs = self.chain.logs(self.address, [self._lean.confirmed, None, _word(witness)],
                               from_block, to_block)
        return {log.topics[1] for log in logs
                if len(log.topics) >= 3 and log.topics[0] == self._lean.confirmed}

    def confirm_calldata(self, root: bytes) -> bytes:
        """The calldata of ``confirm(root)``."""
        if len(root) != 32:
            raise ChainError(f"a root is 32 bytes, not {len(root)}")
        return self._lean.confirm + root

    def estimate_confirm(self, root: bytes, witness: str) -> int:
        """Gas for ``confirm(root)`` sent by ``witness`` (with margin); a revert raises
        :class:`~evidence.errors.TransactionError` naming the contract's error."""
        return self.chain.estimate_call_gas(witness, self.address, self.confirm_calldata(root))

    def send_confirms(self, roots: list[bytes], account: LocalAccount, *,
                      gas: int) -> list[bytes]:
        """Send ``confirm(root)`` for each root with consecutive nonces, without waiting;
        the transaction hashes in order (see :meth:`ChainClient.send_many`)."""
        payloads = [self.confirm_calldata(root) for root in roots]
        return self.chain.send_many(self.address, payloads, account, gas=gas)


class _LeanAbi:
    """Selectors, topics and types taken from the artifact's ABI, for the lean read and
    send path of :class:`AnchorContract` (Solidity ABI specification: a function selector
    is the first 4 bytes of keccak256 of its signature, an event's topic 0 all 32)."""

    def __init__(self, abi: Any) -> None:
        from eth_utils.abi import (
            event_abi_to_log_topic,
            function_abi_to_4byte_selector,
            get_abi_output_types,
        )

        entries = {(e.get("type"), e.get("name")): e for e in abi}
        confirmation_of = entries[("function", "confirmationOf")]
        self.confirm = bytes(function_abi_to_4byte_selector(entries[("function", "confirm")]))
        self.confirmation_of = bytes(function_abi_to_4byte_selector(confirmation_of))
        self.confirmation_types = list(get_abi_output_types(confirmation_of))
        self.anchored = bytes(event_abi_to_log_topic(entries[("event", "Anchored")]))
        self.confirmed = bytes(event_abi_to_log_topic(entries[("event", "Confirmed")]))


def _word(address: str) -> bytes:
    """An address as an ABI word (left-padded to 32 bytes), as in calldata and topics."""
    from eth_utils.address import is_address

    if not is_address(address):
        raise ChainError(f"{address!r} is not an Ethereum address")
    return bytes(12) + bytes.fromhex(address[2:])
