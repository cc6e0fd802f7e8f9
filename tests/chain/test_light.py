"""The light reader of the embedded chain against the web3/py-evm path, and against tampering.

One embedded chain is built per module with the real write path (EmbeddedChain, web3):
a contract, four witnesses (short, 31-byte, 32-byte and non-ASCII operator names), anchors
in several blocks, direct and signed confirmations, a revoked witness. Every value the
light reader returns must equal what ``eth_call``/``eth_getBlock`` return through web3, and
any damage to the store it reads must be a ChainError, never another exception.
"""

from __future__ import annotations

import dataclasses
import os
import random
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import rlp
from eth_account import Account
from eth_account.signers.local import LocalAccount

from evidence.chain import anchorstate, embedded, light
from evidence.chain import contract as contract_module
from evidence.chain.backend import ChainConfig
from evidence.chain.contract import AnchorContract, deploy_anchor_contract
from evidence.chain.eip712 import (
    DOMAIN_NAME,
    DOMAIN_VERSION,
    confirmation_typed_data,
    hash_typed_data,
    sign_confirmation,
)
from evidence.chain.embedded import EmbeddedChain
from evidence.chain.light import LightChain, check_anchor_code
from evidence.errors import ChainError, ContractMismatchError

from .conftest import BOX_BYTECODE

#: Operators of the four witnesses: a short string, the longest short string (31 bytes),
#: the shortest long string (32 bytes, stored out of the slot) and a non-ASCII one.
OPERATORS = ("Notar Berlin", "O" * 31, "L" * 32 + " long operator names run on", "公证处 Shanghai")
JURISDICTIONS = ("DE", "FR", "CN", "US")
FUNDING_WEI = 10**20
#: Seeded corruption rounds per stored row the reader touches.
CORRUPTIONS_PER_ROW = 3


@dataclass(frozen=True)
class Built:
    state_dir: Path
    address: str
    registrar: str
    roots: tuple[bytes, ...]
    unanchored: bytes
    witnesses: tuple[str, ...]
    stranger: str


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    state_dir = tmp_path_factory.mktemp("light") / "chain"
    with EmbeddedChain.open(ChainConfig(kind="embedded", state_dir=state_dir)) as chain:
        registrar: LocalAccount = Account.create()
        chain.fund(registrar.address, FUNDING_WEI)
        address = deploy_anchor_contract(chain, registrar)
        contract = AnchorContract(chain, address)
        accounts: list[LocalAccount] = [Account.create() for _ in JURISDICTIONS]
        for account, code, operator in zip(accounts, JURISDICTIONS, OPERATORS, strict=True):
            chain.fund(account.address, FUNDING_WEI)
            contract.add_witness(account.address, code, operator, registrar)
        roots = tuple(os.urandom(32) for _ in range(5))
        contract.anchor(roots[0], 3, registrar)
        contract.anchor(roots[1], 1, registrar)
        chain.advance_time(10)
        contract.confirm(roots[0], accounts[0])
        contract.confirm(roots[0], accounts[1])
        observed = int(chain.block("latest")["timestamp"])
        signature = sign_confirmation(bytes(accounts[2].key), chain.chain_id, address, roots[0],
                                      accounts[2].address, observed)
        contract.confirm_by_signature(roots[0], accounts[2].address, observed, signature,
                                      registrar)
        contract.confirm(roots[1], accounts[3])
        contract.revoke_witness(accounts[3].address, 0, registrar)
        for root in roots[2:]:
            contract.anchor(root, 2, registrar)
        chain.advance_time(5)
    return Built(state_dir, address, registrar.address, roots, os.urandom(32),
                 tuple(a.address for a in accounts), Account.create().address)


@pytest.fixture(scope="module")
def web3_side(built: Built) -> Iterator[AnchorContract]:
    config = ChainConfig(kind="embedded", state_dir=built.state_dir, create=False)
    with EmbeddedChain.open(config) as chain:
        yield AnchorContract(chain, built.address)


@pytest.fixture
def reader(built: Built) -> Iterator[LightChain]:
    with LightChain.open(built.state_dir) as chain:
        yield chain


def _plain(record: object) -> object:
    return None if record is None else dataclasses.astuple(record)  # type: ignore[call-overload]


# -- the same values as the web3 path ------------------------------------------------------


def test_constants_are_the_embedded_chains_and_eip712s() -> None:
    assert light.EMBEDDED_CHAIN_ID == embedded.EMBEDDED_CHAIN_ID
    assert light.STORE_FORMAT == embedded.STORE_FORMAT
    assert light.DB_FILE_NAME == embedded.DB_FILE_NAME
    assert (light.DOMAIN_NAME, light.DOMAIN_VERSION) == (DOMAIN_NAME, DOMAIN_VERSION)


def test_records_have_contract_modules_fields() -> None:
    for name in ("AnchorRecord", "ConfirmationRecord", "WitnessRecord"):
        ours = [(f.name, str(f.type)) for f in dataclasses.fields(getattr(light, name))]
        theirs = [(f.name, str(f.type)) for f in dataclasses.fields(getattr(contract_module, name))]
        assert ours == theirs, name


def test_head_and_every_block(built: Built, web3_side: AnchorContract,
                              reader: LightChain) -> None:
    chain = web3_side.chain
    assert reader.latest_block_number() == chain.latest_block_number()
    assert reader.chain_id == chain.chain_id
    assert reader.is_development is chain.is_development
    assert reader.description == chain.description
    for number in range(reader.latest_block_number() + 1):
        block = chain.block(number)
        header = reader.header(number)
        assert header.hash == bytes(block["hash"]) == reader.block_hash(number)
        assert (header.number, header.timestamp) == (block["number"], block["timestamp"])
        assert header.parent_hash == bytes(block["parentHash"])
        assert header.state_root == bytes(block["stateRoot"])
        hashes = [bytes(h) for h in block["transactions"]]  # type: ignore[arg-type]
        assert reader.transaction_hashes(number) == hashes
    with pytest.raises(ChainError, match="has no block"):
        reader.header(reader.latest_block_number() + 1)


def test_anchor_records(built: Built, web3_side: AnchorContract, reader: LightChain) -> None:
    view = reader.anchor_view(built.address)
    assert view.address == web3_side.address
    assert view.registrar() == web3_side.registrar() == built.registrar
    for root in (*built.roots, built.unanchored):
        assert _plain(view.anchor_of(root)) == _plain(web3_side.anchor_of(root))
    assert view.anchor_of(built.unanchored) is None


def test_confirmations(built: Built, web3_side: AnchorContract, reader: LightChain) -> None:
    view = reader.anchor_view(built.address)
    for root in (*built.roots, built.unanchored):
        ours = [_plain(c) for c in view.confirmations_of(root)]
        assert ours == [_plain(c) for c in web3_side.confirmations_of(root)]
    signed = view.confirmations_of(built.roots[0])
    assert [c.by_signature for c in signed] == [False, False, True]
    assert len(view.confirmations_of(built.roots[1])) == 1


def test_witness_records_and_revocation(built: Built, web3_side: AnchorContract,
                                       reader: LightChain) -> None:
    view = reader.anchor_view(built.address)
    for account in (*built.witnesses, built.stranger, built.registrar):
        assert _plain(view.witness_of(account)) == _plain(web3_side.witness_of(account))
    assert [_plain(w) for w in view.witnesses()] == [_plain(w) for w in web3_side.witnesses()]
    assert [w.operator for w in view.witnesses()] == list(OPERATORS)
    revoked = view.witness_of(built.witnesses[3])
    assert revoked is not None and revoked.revoked_at is not None
    assert view.witness_of(built.stranger) is None


def test_reader_identity_history_and_revocation_time(built: Built, web3_side: AnchorContract,
                                                    reader: LightChain) -> None:
    """What the ChainReader interface adds: identity, the registrar in an earlier state,
    when a revocation was issued (binary search over states), no events to check."""
    chain = web3_side.chain
    assert reader.is_embedded and reader.client_versions == ("embedded",)
    assert reader.nodes == (str(built.state_dir),)
    assert reader.genesis_hash() == bytes(chain.block(0)["hash"])
    view = reader.anchor_view(built.address)
    deployed = next(n for n in range(reader.latest_block_number() + 1)
                    if reader.account(built.address, block=n) is not None)
    assert view.registrar(block=deployed) == built.registrar
    assert reader.storage_at(built.address, 0, block=deployed - 1) == 0  # not yet deployed
    assert view.confirmation_events(built.roots[0], 0) is None
    revoked = built.witnesses[3]
    issued = view.revocation_issued(revoked, after_time=0)
    assert issued is not None
    before = reader.account(built.address, block=issued.block_number - 1)
    assert before is not None and view.revoked_at(revoked) != 0
    from evidence.chain.anchorstate import AnchorState

    class _At:
        def __init__(self, block: int) -> None:
            self.block = block

        def words(self, slots: list[int]) -> list[int]:
            return [reader.storage_at(built.address, s, block=self.block) for s in slots]

    assert AnchorState(_At(issued.block_number), built.address).revoked_at(revoked) != 0
    assert AnchorState(_At(issued.block_number - 1), built.address).revoked_at(revoked) == 0
    assert issued.block_time == reader.header(issued.block_number).timestamp
    head = reader.header(reader.latest_block_number())
    assert head.timestamp > issued.block_time  # the fixture's last advance_time
    assert view.revocation_issued(revoked, after_time=head.timestamp) is None  # before
    assert view.revocation_issued(revoked, after_time=head.timestamp + 1) is None  # no block
    assert view.revocation_issued(built.witnesses[0], after_time=0) is None  # not revoked


def test_anchor_transactions(built: Built, web3_side: AnchorContract,
                             reader: LightChain) -> None:
    view = reader.anchor_view(built.address)
    for root in built.roots:
        record = view.anchor_of(root)
        assert record is not None
        tx = view.anchor_transaction(root, record.block_number)
        assert tx is not None
        assert tx == web3_side.anchor_transaction(root, record.block_number)
        receipt = web3_side.chain.w3.eth.get_transaction_receipt(tx)  # type: ignore[arg-type]
        assert receipt["blockNumber"] == record.block_number
        for other in (record.block_number - 1, record.block_number + 1):
            assert view.anchor_transaction(root, other) is None
            assert web3_side.anchor_transaction(root, other) is None
    assert view.anchor_transaction(built.unanchored, 1) is None


def test_code_accounts_and_storage(built: Built, web3_side: AnchorContract,
                                   reader: LightChain) -> None:
    chain = web3_side.chain
    w3 = chain.w3
    for account in (built.address, built.registrar, built.stranger, *built.witnesses):
        assert reader.get_code(account) == chain.get_code(account)
        state = reader.account(account)
        balance = chain.balance(account)
        if state is None:
            assert balance == 0
            continue
        assert state.balance == balance
        assert state.nonce == w3.eth.get_transaction_count(account)  # type: ignore[arg-type]
    for slot in range(12):
        expected = int.from_bytes(bytes(w3.eth.get_storage_at(built.address, slot)), "big")  # type: ignore[arg-type]
        assert reader.storage_at(built.address, slot) == expected
    assert reader.storage_at(built.stranger, 0) == 0


def test_domain_separator_is_eip712s(built: Built) -> None:
    typed = confirmation_typed_data(light.EMBEDDED_CHAIN_ID, built.address, built.roots[0],
                                    built.witnesses[0], 1)
    expected = hash_typed_data(typed).domain_separator
    raw = bytes.fromhex(built.address[2:])
    ours = anchorstate.expected_immutables(light.EMBEDDED_CHAIN_ID, raw)["_cachedDomainSeparator"]
    assert ours == expected


def test_checksum_addresses(built: Built) -> None:
    from eth_utils.address import to_checksum_address

    for address in (built.address, built.registrar, *built.witnesses, "0x" + "0" * 40):
        raw = bytes.fromhex(address[2:])
        assert light.to_checksum_address(raw) == to_checksum_address(address)


# -- the code check ---------------------------------------------------------------------------


def test_code_check(built: Built, reader: LightChain) -> None:
    code = reader.get_code(built.address)
    check_anchor_code(code, address=built.address, chain_id=light.EMBEDDED_CHAIN_ID)
    with pytest.raises(ContractMismatchError, match="another chain or address"):
        check_anchor_code(code, address=built.registrar, chain_id=light.EMBEDDED_CHAIN_ID)
    with pytest.raises(ContractMismatchError, match="another chain or address"):
        check_anchor_code(code, address=built.address, chain_id=1)
    for name, starts in light.IMMUTABLE_OFFSETS.items():
        changed = bytearray(code)
        changed[starts[0] + 31] ^= 1
        with pytest.raises(ContractMismatchError, match=name):
            check_anchor_code(bytes(changed), address=built.address,
                              chain_id=light.EMBEDDED_CHAIN_ID)


def test_foreign_code_message_is_the_artifacts(built: Built) -> None:
    from evidence.chain.artifact import check_runtime_code, load_artifact

    box = BOX_BYTECODE[BOX_BYTECODE.index(bytes.fromhex("6080604052"), 1):]
    with pytest.raises(ContractMismatchError) as theirs:
        check_runtime_code(box, load_artifact())
    with pytest.raises(ContractMismatchError) as ours:
        check_anchor_code(box, address=built.address, chain_id=light.EMBEDDED_CHAIN_ID)
    assert str(ours.value) == str(theirs.value)


def test_no_contract_and_bad_addresses(built: Built, web3_side: AnchorContract,
                                       reader: LightChain) -> None:
    with pytest.raises(ChainError, match="no contract at"):
        reader.anchor_view(built.registrar)
    for bad in ("0x1234", "not an address", built.address.lower()[:-1] + "g"):
        with pytest.raises(ChainError, match="is not an Ethereum address"):
            reader.anchor_view(bad)
        with pytest.raises(ChainError, match="is not an Ethereum address"):
            web3_side.chain.get_code(bad)
    # Any case is accepted, as on the web3 path (eth_utils 5 does not enforce EIP-55).
    for spelling in (built.address.lower(), built.address.upper().replace("0X", "0x"),
                     built.address[:2] + built.address[2:].swapcase()):
        assert reader.anchor_view(spelling).address == built.address
        assert web3_side.chain.get_code(spelling) == reader.get_code(spelling)


# -- opening ----------------------------------------------------------------------------------


def _copy(built: Built, tmp_path: Path) -> Path:
    dst = tmp_path / "chain"
    shutil.copytree(built.state_dir, dst)
    return dst


def _sql(state_dir: Path, statement: str, *args: object) -> None:
    conn = sqlite3.connect(state_dir / light.DB_FILE_NAME)
    with conn:
        conn.execute(statement, args)
    conn.close()


def test_open_refuses_what_is_not_an_embedded_chain(built: Built, tmp_path: Path) -> None:
    with pytest.raises(ChainError, match="is missing"):
        LightChain.open(tmp_path / "nothing")
    with pytest.raises(ChainError, match="chain id mismatch"):
        LightChain.open(built.state_dir, expected_chain_id=1)
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / light.DB_FILE_NAME).write_bytes(b"not a database at all" * 100)
    with pytest.raises(ChainError, match="damaged or foreign"):
        LightChain.open(garbage)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    _sql(foreign, "CREATE TABLE t (x)")
    with pytest.raises(ChainError, match="damaged or foreign"):
        LightChain.open(foreign)


@pytest.mark.parametrize(("key", "value", "message"), [
    ("format", "evidence-embedded-chain/2", "has format"),
    ("chain_id", "1", "records chain id"),
])
def test_open_checks_the_meta_rows(built: Built, tmp_path: Path, key: str, value: str,
                                   message: str) -> None:
    state = _copy(built, tmp_path)
    _sql(state, "UPDATE meta SET value = ? WHERE key = ?", value, key)
    with pytest.raises(ChainError, match=message):
        LightChain.open(state)


def test_open_needs_a_head(built: Built, tmp_path: Path) -> None:
    state = _copy(built, tmp_path)
    _sql(state, "DELETE FROM kv WHERE k = ?", b"v1:canonical_head_hash")
    with pytest.raises(ChainError, match="no head block"):
        LightChain.open(state)


# -- tampering with the store -----------------------------------------------------------------


def _read_all(chain: LightChain, built: Built) -> list[object]:
    """Everything verification reads, as plain values."""
    view = chain.anchor_view(built.address)
    out: list[object] = [chain.latest_block_number()]
    for root in built.roots:
        record = view.anchor_of(root)
        assert record is not None
        out += [_plain(record), chain.block_hash(record.block_number),
                view.anchor_transaction(root, record.block_number),
                [_plain(c) for c in view.confirmations_of(root)]]
    out += [_plain(view.witness_of(w)) for w in built.witnesses]
    return out


def _value(state: Path, key: bytes) -> bytes:
    conn = sqlite3.connect(state / light.DB_FILE_NAME)
    row = conn.execute("SELECT v FROM kv WHERE k = ?", (key,)).fetchone()
    conn.close()
    return bytes(row[0])


def _flip(value: bytes, at: int) -> bytes:
    out = bytearray(value)
    out[at % len(out)] ^= 0x01
    return bytes(out)


def test_changed_state_trie_node_is_a_chain_error(built: Built, tmp_path: Path) -> None:
    state = _copy(built, tmp_path)
    with LightChain.open(state) as chain:
        root = chain.head().state_root
    _sql(state, "UPDATE kv SET v = ? WHERE k = ?", _flip(_value(state, root), 40), root)
    with LightChain.open(state) as chain, pytest.raises(ChainError, match="does not hash"):
        chain.anchor_view(built.address)


def test_missing_storage_node_is_a_chain_error(built: Built, tmp_path: Path) -> None:
    state = _copy(built, tmp_path)
    with LightChain.open(state) as chain:
        account = chain.account(built.address)
        assert account is not None
    _sql(state, "DELETE FROM kv WHERE k = ?", account.storage_root)
    with LightChain.open(state) as chain, pytest.raises(ChainError, match="is missing"):
        chain.anchor_view(built.address).anchor_of(built.roots[0])


def test_changed_header_is_a_chain_error(built: Built, tmp_path: Path) -> None:
    state = _copy(built, tmp_path)
    with LightChain.open(state) as chain:
        block = chain.header(3).hash
    _sql(state, "UPDATE kv SET v = ? WHERE k = ?", _flip(_value(state, block), 100), block)
    with LightChain.open(state) as chain, pytest.raises(ChainError, match="does not hash"):
        chain.block_hash(3)


def test_rewritten_header_breaks_the_parent_link(built: Built, tmp_path: Path) -> None:
    """A header replaced by a consistent forgery (stored under its own hash, the number
    index moved to it) no longer is the parent of the next canonical block."""
    state = _copy(built, tmp_path)
    with LightChain.open(state) as chain:
        original = chain.header(3).hash
    fields = rlp.decode(_value(state, original))
    fields[light._H_TIMESTAMP] = (int.from_bytes(fields[light._H_TIMESTAMP], "big") + 1
                                  ).to_bytes(4, "big")
    forged = rlp.encode(fields)
    forged_hash = light.keccak256(forged)
    _sql(state, "INSERT INTO kv (k, v) VALUES (?, ?)", forged_hash, forged)
    _sql(state, "UPDATE kv SET v = ? WHERE k = ?", rlp.encode(forged_hash),
         b"block-number-to-hash:3")
    with LightChain.open(state) as chain, pytest.raises(ChainError, match="does not follow"):
        chain.block_hash(3)


def test_index_naming_another_block_is_a_chain_error(built: Built, tmp_path: Path) -> None:
    state = _copy(built, tmp_path)
    _sql(state, "UPDATE kv SET v = (SELECT v FROM kv WHERE k = ?) WHERE k = ?",
         b"block-number-to-hash:2", b"block-number-to-hash:3")
    with LightChain.open(state) as chain, pytest.raises(ChainError, match="names block 2"):
        chain.block_hash(3)


def _touched_keys(built: Built) -> list[bytes]:
    """The store rows a full read touches."""
    seen: list[bytes] = []
    with LightChain.open(built.state_dir) as chain:
        original: Callable[[bytes], bytes | None] = chain._get

        def spy(key: bytes) -> bytes | None:
            seen.append(key)
            return original(key)

        chain._get = spy  # type: ignore[method-assign]
        _read_all(chain, built)
    return sorted(set(seen))


def test_any_damage_to_a_row_read_is_a_chain_error_or_nothing(built: Built,
                                                             tmp_path: Path) -> None:
    """Each row the reader touches, flipped, truncated, emptied or deleted: the reads give
    the same values (the row did not matter) or raise ChainError, never anything else."""
    with LightChain.open(built.state_dir) as chain:
        expected = _read_all(chain, built)
    state = _copy(built, tmp_path)
    rng = random.Random(7)
    damaged = 0
    for key in _touched_keys(built):
        value = _value(state, key)
        variants: list[bytes | None] = [None, b"", value[: len(value) // 2]]
        variants += [_flip(value, rng.randrange(len(value))) for _ in range(CORRUPTIONS_PER_ROW)]
        for variant in variants:
            if variant is None:
                _sql(state, "DELETE FROM kv WHERE k = ?", key)
            else:
                _sql(state, "UPDATE kv SET v = ? WHERE k = ?", variant, key)
            try:
                with LightChain.open(state) as chain:
                    got: Any = _read_all(chain, built)
            except ChainError:
                damaged += 1
            else:
                assert got == expected, (key, variant)
            _sql(state, "INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)", key, value)
    assert damaged > 0
