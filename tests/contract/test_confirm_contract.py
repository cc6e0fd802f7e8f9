"""Confirmations: a witness's own transaction and relayed EIP-712 signatures."""

from __future__ import annotations

import pytest
from eth_keys.datatypes import Signature

from evidence.chain.eip712 import confirmation_digest, sign_confirmation

from .conftest import Chain

ROOT = bytes.fromhex("c0" * 32)
UNKNOWN_ROOT = bytes.fromhex("0d" * 32)
ZERO = "0x0000000000000000000000000000000000000000"

#: Gas targets from the contract's design (one storage slot per confirmation).
CONFIRM_GAS_LIMIT = 60_000
CONFIRM_BY_SIGNATURE_GAS_LIMIT = 70_000
#: The contract accepts observation times up to this far after the block time.
MAX_CLOCK_SKEW = 15 * 60
#: secp256k1 group order, to build the malleable twin (n - s) of a signature.
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


@pytest.fixture
def anchored(chain: Chain, witnesses: list[str]) -> bytes:
    chain.transact(chain.contract.functions.anchor(ROOT, 4), chain.accounts[9])
    return ROOT


def _sign(chain: Chain, witness: str, observed_at: int, *, root: bytes = ROOT) -> bytes:
    return sign_confirmation(
        chain.keys[witness],
        chain.w3.eth.chain_id,
        chain.contract.address,
        root,
        witness,
        observed_at,
    )


def test_confirm_records_and_emits(chain: Chain, anchored: bytes, witnesses: list[str]) -> None:
    witness = witnesses[2]
    receipt = chain.transact(chain.contract.functions.confirm(anchored), witness)
    now = chain.block_timestamp(receipt)

    assert chain.events(receipt, "Confirmed") == [
        {
            "root": anchored,
            "witness": witness,
            "jurisdiction": b"CN",
            "observedAt": now,
            "bySignature": False,
        }
    ]
    assert len(receipt["logs"]) == 1
    record = (witness, b"CN", now, now, False)
    assert chain.contract.functions.confirmationOf(anchored, witness).call() == record
    assert chain.contract.functions.confirmationsOf(anchored).call() == [record]


def test_confirmations_come_in_witness_list_order(
    chain: Chain, anchored: bytes, witnesses: list[str]
) -> None:
    for witness in (witnesses[3], witnesses[0], witnesses[2]):
        chain.transact(chain.contract.functions.confirm(anchored), witness)
    records = chain.contract.functions.confirmationsOf(anchored).call()
    assert [r[0] for r in records] == [witnesses[0], witnesses[2], witnesses[3]]
    assert [r[1] for r in records] == [b"DE", b"CN", b"US"]


def test_no_confirmations(chain: Chain, anchored: bytes, witnesses: list[str]) -> None:
    assert chain.contract.functions.confirmationsOf(anchored).call() == []
    assert chain.contract.functions.confirmationsOf(UNKNOWN_ROOT).call() == []
    empty = (ZERO, b"\0\0", 0, 0, False)
    assert chain.contract.functions.confirmationOf(anchored, witnesses[0]).call() == empty


def test_confirm_unknown_root(chain: Chain, witnesses: list[str]) -> None:
    fn = chain.contract.functions.confirm(UNKNOWN_ROOT)
    assert chain.revert(fn, witnesses[0]) == ("EvidenceAnchor__UnknownRoot", (UNKNOWN_ROOT,))


def test_confirm_by_non_witness(chain: Chain, anchored: bytes) -> None:
    for account in (chain.accounts[9], chain.registrar):  # the registrar is no witness either
        fn = chain.contract.functions.confirm(anchored)
        assert chain.revert(fn, account) == ("EvidenceAnchor__NotAWitness", (account,))


def test_confirm_twice(chain: Chain, anchored: bytes, witnesses: list[str]) -> None:
    chain.transact(chain.contract.functions.confirm(anchored), witnesses[0])
    fn = chain.contract.functions.confirm(anchored)
    assert chain.revert(fn, witnesses[0]) == (
        "EvidenceAnchor__AlreadyConfirmed",
        (anchored, witnesses[0]),
    )


def test_confirm_by_revoked_witness(chain: Chain, anchored: bytes, witnesses: list[str]) -> None:
    receipt = chain.transact(
        chain.contract.functions.revokeWitness(witnesses[1], 0), chain.registrar
    )
    revoked_at = chain.block_timestamp(receipt)
    fn = chain.contract.functions.confirm(anchored)
    assert chain.revert(fn, witnesses[1]) == (
        "EvidenceAnchor__WitnessRevoked",
        (witnesses[1], revoked_at),
    )


def test_scheduled_revocation_takes_effect_at_its_time(
    chain: Chain, anchored: bytes, witnesses: list[str]
) -> None:
    effective = chain.pending_timestamp() + 1_000
    chain.transact(chain.contract.functions.revokeWitness(witnesses[0], effective), chain.registrar)
    other = bytes.fromhex("c1" * 32)
    chain.transact(chain.contract.functions.anchor(other, 1), chain.accounts[9])

    chain.time_travel(effective - 1)  # last second of activity
    chain.transact(chain.contract.functions.confirm(anchored), witnesses[0])
    assert chain.pending_timestamp() == effective  # first second of revocation
    fn = chain.contract.functions.confirm(other)
    assert chain.revert(fn, witnesses[0]) == (
        "EvidenceAnchor__WitnessRevoked",
        (witnesses[0], effective),
    )
    # The earlier confirmation stays on record.
    assert chain.contract.functions.confirmationOf(anchored, witnesses[0]).call()[0] == witnesses[0]


def test_confirm_by_signature_relayed_by_anyone(
    chain: Chain, anchored: bytes, witnesses: list[str]
) -> None:
    witness, relayer = witnesses[3], chain.accounts[8]
    observed_at = chain.pending_timestamp() - 120
    signature = _sign(chain, witness, observed_at)
    fn = chain.contract.functions.confirmBySignature(anchored, witness, observed_at, signature)
    receipt = chain.transact(fn, relayer)
    now = chain.block_timestamp(receipt)

    assert chain.events(receipt, "Confirmed") == [
        {
            "root": anchored,
            "witness": witness,
            "jurisdiction": b"US",
            "observedAt": observed_at,
            "bySignature": True,
        }
    ]
    assert len(receipt["logs"]) == 1
    record = (witness, b"US", now, observed_at, True)
    assert chain.contract.functions.confirmationOf(anchored, witness).call() == record
    assert chain.contract.functions.confirmationOf(anchored, relayer).call()[0] == ZERO


def test_signature_replay_and_mixed_kinds(
    chain: Chain, anchored: bytes, witnesses: list[str]
) -> None:
    observed_at = chain.pending_timestamp()
    signature = _sign(chain, witnesses[0], observed_at)
    fn = chain.contract.functions.confirmBySignature(anchored, witnesses[0], observed_at, signature)
    chain.transact(fn, chain.accounts[8])
    expected = ("EvidenceAnchor__AlreadyConfirmed", (anchored, witnesses[0]))
    assert chain.revert(fn, chain.accounts[7]) == expected
    assert chain.revert(chain.contract.functions.confirm(anchored), witnesses[0]) == expected

    chain.transact(chain.contract.functions.confirm(anchored), witnesses[1])
    signature = _sign(chain, witnesses[1], observed_at)
    fn = chain.contract.functions.confirmBySignature(anchored, witnesses[1], observed_at, signature)
    assert chain.revert(fn, chain.accounts[8]) == (
        "EvidenceAnchor__AlreadyConfirmed",
        (anchored, witnesses[1]),
    )


def test_python_digest_equals_contract_digest(chain: Chain, witnesses: list[str]) -> None:
    chain_id = chain.w3.eth.chain_id
    second = chain.deploy()
    for contract in (chain.contract, second):
        for root, witness, observed_at in (
            (ROOT, witnesses[0], 0),
            (UNKNOWN_ROOT, witnesses[3], 1_700_000_000),
            (bytes(range(32)), chain.accounts[9], 2**64 - 1),
        ):
            on_chain = contract.functions.confirmationDigest(root, witness, observed_at).call()
            assert on_chain == confirmation_digest(
                chain_id, contract.address, root, witness, observed_at
            )


def test_signature_for_another_chain_or_contract_fails(
    chain: Chain, anchored: bytes, witnesses: list[str]
) -> None:
    witness = witnesses[0]
    key = chain.keys[witness]
    observed_at = chain.pending_timestamp()
    chain_id = chain.w3.eth.chain_id
    other_contract = chain.deploy().address
    for signing_chain, signing_contract in (
        (chain_id + 1, chain.contract.address),
        (1, chain.contract.address),
        (chain_id, other_contract),
    ):
        signature = sign_confirmation(
            key, signing_chain, signing_contract, ROOT, witness, observed_at
        )
        fn = chain.contract.functions.confirmBySignature(anchored, witness, observed_at, signature)
        assert chain.revert(fn, chain.accounts[8]) == (
            "EvidenceAnchor__InvalidSignature",
            (witness,),
        )
    # The same signer, with this chain and contract, is accepted.
    signature = sign_confirmation(key, chain_id, chain.contract.address, ROOT, witness, observed_at)
    chain.transact(
        chain.contract.functions.confirmBySignature(anchored, witness, observed_at, signature),
        chain.accounts[8],
    )


def test_signature_over_other_fields_or_by_other_key_fails(
    chain: Chain, anchored: bytes, witnesses: list[str]
) -> None:
    witness = witnesses[0]
    observed_at = chain.pending_timestamp()
    good = _sign(chain, witness, observed_at)
    cases = [
        (observed_at - 1, good),  # signed another time
        (observed_at, _sign(chain, witness, observed_at, root=UNKNOWN_ROOT)),  # another root
        (observed_at, _sign(chain, witnesses[1], observed_at)),  # another witness's key
        (observed_at, good[:64]),  # truncated
        (observed_at, b""),
        (observed_at, good[:64] + bytes([good[64] ^ 1])),  # flipped v: another signer
    ]
    for when, signature in cases:
        fn = chain.contract.functions.confirmBySignature(anchored, witness, when, signature)
        assert chain.revert(fn, chain.accounts[8]) == (
            "EvidenceAnchor__InvalidSignature",
            (witness,),
        )


def test_malleable_high_s_signature_is_rejected(
    chain: Chain, anchored: bytes, witnesses: list[str]
) -> None:
    witness = witnesses[0]
    observed_at = chain.pending_timestamp()
    good = _sign(chain, witness, observed_at)
    r, s, v = good[:32], int.from_bytes(good[32:64], "big"), good[64]
    twin = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])  # 27 <-> 28
    # The twin is a valid secp256k1 signature by the same key...
    digest = confirmation_digest(
        chain.w3.eth.chain_id, chain.contract.address, ROOT, witness, observed_at
    )
    twin_sig = Signature(vrs=(twin[64] - 27, int.from_bytes(r, "big"), SECP256K1_N - s))
    assert twin_sig.recover_public_key_from_msg_hash(digest).to_checksum_address() == witness
    # ...but EIP-2 style low-s is required (OpenZeppelin ECDSA), so replaying it fails.
    fn = chain.contract.functions.confirmBySignature(anchored, witness, observed_at, twin)
    assert chain.revert(fn, chain.accounts[8]) == ("EvidenceAnchor__InvalidSignature", (witness,))


def test_observed_at_may_lead_block_time_by_fifteen_minutes(
    chain: Chain, anchored: bytes, witnesses: list[str]
) -> None:
    now = chain.pending_timestamp()
    too_late = now + MAX_CLOCK_SKEW + 1
    fn = chain.contract.functions.confirmBySignature(
        anchored, witnesses[0], too_late, _sign(chain, witnesses[0], too_late)
    )
    assert chain.revert(fn, chain.accounts[8]) == ("EvidenceAnchor__ObservedInFuture", (too_late,))

    edge = now + MAX_CLOCK_SKEW
    fn = chain.contract.functions.confirmBySignature(
        anchored, witnesses[0], edge, _sign(chain, witnesses[0], edge)
    )
    receipt = chain.transact(fn, chain.accounts[8])
    assert chain.events(receipt, "Confirmed")[0]["observedAt"] == edge


def test_signature_checks_run_in_documented_order(
    chain: Chain, anchored: bytes, witnesses: list[str]
) -> None:
    outsider = chain.accounts[9]
    key_of = chain.keys
    now = chain.pending_timestamp()
    functions = chain.contract.functions
    # Unknown root first, even with a bad signature and a future time.
    fn = functions.confirmBySignature(UNKNOWN_ROOT, outsider, now + 10**6, b"")
    assert chain.revert(fn, outsider) == ("EvidenceAnchor__UnknownRoot", (UNKNOWN_ROOT,))
    # Then the time, then the signature.
    fn = functions.confirmBySignature(anchored, outsider, now + 10**6, b"")
    assert chain.revert(fn, outsider) == ("EvidenceAnchor__ObservedInFuture", (now + 10**6,))
    fn = functions.confirmBySignature(anchored, outsider, now, b"")
    assert chain.revert(fn, outsider) == ("EvidenceAnchor__InvalidSignature", (outsider,))
    # A valid signature by an account that is no witness.
    signature = sign_confirmation(
        key_of[outsider], chain.w3.eth.chain_id, chain.contract.address, ROOT, outsider, now
    )
    fn = functions.confirmBySignature(anchored, outsider, now, signature)
    assert chain.revert(fn, chain.accounts[8]) == ("EvidenceAnchor__NotAWitness", (outsider,))
    # A valid signature by a revoked witness: activity is judged at the block time.
    receipt = chain.transact(functions.revokeWitness(witnesses[2], 0), chain.registrar)
    revoked_at = chain.block_timestamp(receipt)
    observed_before = revoked_at - 10
    fn = functions.confirmBySignature(
        anchored, witnesses[2], observed_before, _sign(chain, witnesses[2], observed_before)
    )
    assert chain.revert(fn, chain.accounts[8]) == (
        "EvidenceAnchor__WitnessRevoked",
        (witnesses[2], revoked_at),
    )


def test_confirm_gas(chain: Chain, anchored: bytes, witnesses: list[str]) -> None:
    used = [
        chain.transact(chain.contract.functions.confirm(anchored), w)["gasUsed"] for w in witnesses
    ]
    assert max(used) <= CONFIRM_GAS_LIMIT


def test_confirm_by_signature_gas(chain: Chain, anchored: bytes, witnesses: list[str]) -> None:
    observed_at = chain.pending_timestamp()
    used = []
    for witness in witnesses:
        signature = _sign(chain, witness, observed_at)
        fn = chain.contract.functions.confirmBySignature(anchored, witness, observed_at, signature)
        used.append(chain.transact(fn, chain.accounts[8])["gasUsed"])
    assert max(used) <= CONFIRM_BY_SIGNATURE_GAS_LIMIT
