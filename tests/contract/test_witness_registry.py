"""Witness registration and revocation, and the two-step registrar (Ownable2Step)."""

from __future__ import annotations

import pytest

from .conftest import Chain

ZERO = "0x0000000000000000000000000000000000000000"


def test_add_witness_stores_record_and_emits_event(chain: Chain) -> None:
    witness = chain.accounts[5]
    fn = chain.contract.functions.addWitness(witness, b"JP", "Notary Tokyo")
    receipt = chain.transact(fn, chain.registrar)
    registered_at = chain.block_timestamp(receipt)

    assert chain.events(receipt, "WitnessAdded") == [
        {
            "witness": witness,
            "jurisdiction": b"JP",
            "operator": "Notary Tokyo",
            "registeredAt": registered_at,
        }
    ]
    assert len(receipt["logs"]) == 1
    record = (witness, b"JP", "Notary Tokyo", registered_at, 0)
    assert chain.contract.functions.witnessOf(witness).call() == record
    assert chain.contract.functions.witnesses().call() == [record]
    assert chain.contract.functions.witnessCount().call() == 1


def test_witness_list_keeps_insertion_order(chain: Chain, witnesses: list[str]) -> None:
    records = chain.contract.functions.witnesses().call()
    assert [r[0] for r in records] == witnesses
    assert [r[1] for r in records] == [b"DE", b"FR", b"CN", b"US"]
    assert chain.contract.functions.witnessCount().call() == 4


def test_witness_of_unknown_account_is_all_zero(chain: Chain) -> None:
    assert chain.contract.functions.witnessOf(chain.accounts[9]).call() == (ZERO, b"\0\0", "", 0, 0)


def test_add_witness_only_registrar(chain: Chain) -> None:
    outsider = chain.accounts[6]
    fn = chain.contract.functions.addWitness(chain.accounts[5], b"JP", "Notary Tokyo")
    assert chain.revert(fn, outsider) == ("OwnableUnauthorizedAccount", (outsider,))


def test_add_witness_rejects_zero_address(chain: Chain) -> None:
    fn = chain.contract.functions.addWitness(ZERO, b"JP", "Notary Tokyo")
    assert chain.revert(fn, chain.registrar) == ("EvidenceAnchor__ZeroAddress", ())


@pytest.mark.parametrize("code", [b"jp", b"J1", b"@P", b"J[", b"\0\0", b"J\0", b"Jp", b"\xc4P"])
def test_add_witness_rejects_invalid_jurisdiction(chain: Chain, code: bytes) -> None:
    fn = chain.contract.functions.addWitness(chain.accounts[5], code, "Notary")
    assert chain.revert(fn, chain.registrar) == ("EvidenceAnchor__InvalidJurisdiction", (code,))


@pytest.mark.parametrize("code", [b"AA", b"ZZ", b"AZ", b"ZA"])
def test_add_witness_accepts_the_edges_of_a_to_z(chain: Chain, code: bytes) -> None:
    chain.transact(
        chain.contract.functions.addWitness(chain.accounts[5], code, "N"), chain.registrar
    )
    assert chain.contract.functions.witnessOf(chain.accounts[5]).call()[1] == code


def test_add_witness_rejects_empty_operator(chain: Chain) -> None:
    fn = chain.contract.functions.addWitness(chain.accounts[5], b"JP", "")
    assert chain.revert(fn, chain.registrar) == ("EvidenceAnchor__EmptyOperator", ())


def test_add_witness_rejects_existing_even_if_revoked(chain: Chain, witnesses: list[str]) -> None:
    witness = witnesses[0]
    fn = chain.contract.functions.addWitness(witness, b"JP", "Other")
    assert chain.revert(fn, chain.registrar) == ("EvidenceAnchor__WitnessExists", (witness,))
    chain.transact(chain.contract.functions.revokeWitness(witness, 0), chain.registrar)
    assert chain.revert(fn, chain.registrar) == ("EvidenceAnchor__WitnessExists", (witness,))


def test_revoke_now(chain: Chain, witnesses: list[str]) -> None:
    witness = witnesses[1]
    receipt = chain.transact(chain.contract.functions.revokeWitness(witness, 0), chain.registrar)
    now = chain.block_timestamp(receipt)
    assert chain.events(receipt, "WitnessRevoked") == [{"witness": witness, "effectiveAt": now}]
    assert len(receipt["logs"]) == 1
    assert chain.contract.functions.witnessOf(witness).call()[4] == now
    # The record stays in the list, with its revocation time.
    assert chain.contract.functions.witnesses().call()[1][4] == now


def test_revoke_backdated_to_registration_and_scheduled(chain: Chain, witnesses: list[str]) -> None:
    registered_at = chain.contract.functions.witnessOf(witnesses[0]).call()[3]
    chain.time_travel(registered_at + 1_000)
    fn = chain.contract.functions.revokeWitness(witnesses[0], registered_at)
    receipt = chain.transact(fn, chain.registrar)
    assert chain.events(receipt, "WitnessRevoked")[0]["effectiveAt"] == registered_at

    future = registered_at + 10**6
    receipt = chain.transact(
        chain.contract.functions.revokeWitness(witnesses[1], future), chain.registrar
    )
    assert chain.contract.functions.witnessOf(witnesses[1]).call()[4] == future


def test_revoke_rejects_time_before_registration(chain: Chain, witnesses: list[str]) -> None:
    registered_at = chain.contract.functions.witnessOf(witnesses[0]).call()[3]
    for effective in (registered_at - 1, 1):
        fn = chain.contract.functions.revokeWitness(witnesses[0], effective)
        assert chain.revert(fn, chain.registrar) == (
            "EvidenceAnchor__InvalidRevocationTime",
            (effective,),
        )


def test_revoke_rejects_time_beyond_uint40(chain: Chain, witnesses: list[str]) -> None:
    effective = 2**40
    fn = chain.contract.functions.revokeWitness(witnesses[0], effective)
    assert chain.revert(fn, chain.registrar) == (
        "EvidenceAnchor__InvalidRevocationTime",
        (effective,),
    )


def test_revoke_rejects_unknown_account(chain: Chain) -> None:
    account = chain.accounts[8]
    fn = chain.contract.functions.revokeWitness(account, 0)
    assert chain.revert(fn, chain.registrar) == ("EvidenceAnchor__NotAWitness", (account,))


def test_revoke_twice(chain: Chain, witnesses: list[str]) -> None:
    future = chain.pending_timestamp() + 5_000
    chain.transact(chain.contract.functions.revokeWitness(witnesses[2], future), chain.registrar)
    fn = chain.contract.functions.revokeWitness(witnesses[2], 0)
    assert chain.revert(fn, chain.registrar) == (
        "EvidenceAnchor__WitnessAlreadyRevoked",
        (witnesses[2], future),
    )


def test_revoke_only_registrar(chain: Chain, witnesses: list[str]) -> None:
    outsider = witnesses[0]  # a witness cannot revoke another, nor itself
    for target in witnesses[:2]:
        fn = chain.contract.functions.revokeWitness(target, 0)
        assert chain.revert(fn, outsider) == ("OwnableUnauthorizedAccount", (outsider,))


def test_registrar_transfer_is_two_step(chain: Chain) -> None:
    old, new, stranger = chain.registrar, chain.accounts[5], chain.accounts[6]
    functions = chain.contract.functions
    assert functions.registrar().call() == old == functions.owner().call()

    receipt = chain.transact(functions.transferOwnership(new), old)
    assert chain.events(receipt, "OwnershipTransferStarted") == [
        {"previousOwner": old, "newOwner": new}
    ]
    # Pending: the old registrar keeps the role until the new one accepts.
    assert functions.pendingOwner().call() == new
    assert functions.registrar().call() == old
    chain.transact(functions.addWitness(chain.accounts[7], b"NL", "Notaris Amsterdam"), old)
    fn = functions.addWitness(chain.accounts[8], b"BE", "Notaire Bruxelles")
    assert chain.revert(fn, new) == ("OwnableUnauthorizedAccount", (new,))
    # Only the pending registrar can accept.
    assert chain.revert(functions.acceptOwnership(), stranger) == (
        "OwnableUnauthorizedAccount",
        (stranger,),
    )

    receipt = chain.transact(functions.acceptOwnership(), new)
    assert chain.events(receipt, "OwnershipTransferred") == [
        {"previousOwner": old, "newOwner": new}
    ]
    assert functions.registrar().call() == new
    assert functions.pendingOwner().call() == ZERO
    chain.transact(fn, new)
    fn = functions.addWitness(chain.accounts[9], b"IT", "Notaio Roma")
    assert chain.revert(fn, old) == ("OwnableUnauthorizedAccount", (old,))


def test_registrar_transfer_can_be_redirected_before_acceptance(chain: Chain) -> None:
    functions = chain.contract.functions
    chain.transact(functions.transferOwnership(chain.accounts[5]), chain.registrar)
    chain.transact(functions.transferOwnership(chain.accounts[6]), chain.registrar)
    assert chain.revert(functions.acceptOwnership(), chain.accounts[5]) == (
        "OwnableUnauthorizedAccount",
        (chain.accounts[5],),
    )
    chain.transact(functions.acceptOwnership(), chain.accounts[6])
    assert functions.registrar().call() == chain.accounts[6]
