"""The embedded chain: persisted across processes, crash-safe, locked, consistent."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from evidence.chain.backend import ChainConfig
from evidence.chain.connect import open_chain
from evidence.chain.embedded import (
    DB_FILE_NAME,
    EMBEDDED_CHAIN_ID,
    EmbeddedChain,
)
from evidence.errors import ChainError, ConfigurationError, TransactionError

from .conftest import BoxArtifact

#: Gas for Box.store without estimation (it uses about 45,000): keeps loops fast.
STORE_GAS = 100_000

#: Transactions in the open-time measurement; EVIDENCE_CHAIN_OPEN_TXS=10000 for the full
#: figure (about twenty minutes to build on this 2-core machine).
OPEN_TIME_TXS = int(os.environ.get("EVIDENCE_CHAIN_OPEN_TXS", "100"))

#: Times the crash test kills a writer at a random point (each round reopens and checks).
KILL_ROUNDS = 2

#: Reads the consistency test makes at most before giving up on seeing 8 new heads (the
#: writer adds several blocks per second; this bounds a broken refresh instead of hanging).
READER_ROUNDS = 1_000

#: Prefix every subprocess script runs: open the chain in argv[1], load the Box ABI.
PRELUDE = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from eth_account import Account
    from evidence.chain.backend import ChainConfig
    from evidence.chain.connect import open_chain
    STATE = Path(sys.argv[1])
    BOX = json.loads(Path(sys.argv[2]).read_text())
    class Art:
        abi = BOX["abi"]
        bytecode = bytes.fromhex(BOX["bytecode"])
    def out(*items):
        print(*items, flush=True)
    """
)


def run_script(body: str, state: Path, box_files: Path, *extra: str) -> list[str]:
    """Run PRELUDE + body in a new Python process; return its stdout lines."""
    done = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(body), str(state), str(box_files), *extra],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def start_script(body: str, state: Path, box_files: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(body), str(state), str(box_files), *extra],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def embedded(state: Path | None, **overrides: object) -> EmbeddedChain:
    chain = open_chain(ChainConfig(kind="embedded", state_dir=state, **overrides))  # type: ignore[arg-type]
    assert isinstance(chain, EmbeddedChain)
    return chain


@pytest.fixture
def sender() -> LocalAccount:
    return cast(LocalAccount, Account.create())


@pytest.fixture
def memory_chain() -> Iterator[EmbeddedChain]:
    with embedded(None) as chain:
        yield chain


def deploy_box(chain: EmbeddedChain, account: LocalAccount) -> str:
    chain.fund(account.address, 10**18)
    return chain.deploy(BoxArtifact(), account)


# -- identity -----------------------------------------------------------------------------


def test_embedded_is_a_development_chain_with_eth_testers_chain_id(tmp_path: Path) -> None:
    with embedded(tmp_path / "chain") as chain:
        assert chain.is_development is True
        assert chain.chain_id == EMBEDDED_CHAIN_ID == 131277322940537
        assert chain.w3.eth.chain_id == EMBEDDED_CHAIN_ID
        assert "embedded development chain (eth-tester/py-evm" in chain.description
        assert chain.latest_block_number() == 0


def test_embedded_refuses_a_production_flag_and_a_foreign_chain_id(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="always a development chain"):
        embedded(tmp_path / "a", is_development=False)
    with pytest.raises(ChainError, match=r"131277322940537.*recorded 31337"):
        embedded(tmp_path / "b", expected_chain_id=31337)
    with embedded(tmp_path / "c", expected_chain_id=EMBEDDED_CHAIN_ID) as chain:
        assert chain.chain_id == EMBEDDED_CHAIN_ID


def test_missing_chain_is_not_created_when_create_is_false(tmp_path: Path) -> None:
    with pytest.raises(ChainError, match="no embedded chain"):
        embedded(tmp_path / "absent", create=False)
    assert not (tmp_path / "absent").exists()


def test_damaged_and_foreign_stores_are_refused(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / DB_FILE_NAME).write_bytes(b"this is not a database" * 100)
    with pytest.raises(ChainError, match="damaged"):
        embedded(damaged)

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    with sqlite3.connect(foreign / DB_FILE_NAME) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(ChainError, match="not an embedded chain"):
        embedded(foreign)


# -- transactions and reverts ---------------------------------------------------------------


def test_deploy_transact_call_and_fund(memory_chain: EmbeddedChain, sender: LocalAccount) -> None:
    address = deploy_box(memory_chain, sender)
    assert memory_chain.get_code(address)
    box = memory_chain.w3.eth.contract(address=address, abi=BoxArtifact().abi)  # type: ignore[call-overload]
    receipt = memory_chain.transact(box.functions.store(42), sender)
    assert receipt["status"] == 1
    assert receipt["blockNumber"] == memory_chain.latest_block_number()
    assert memory_chain.call(box.functions.value()) == 42
    block = memory_chain.block(receipt["blockNumber"])
    assert memory_chain.block(bytes(block["hash"]))["number"] == receipt["blockNumber"]
    assert 0 < memory_chain.balance(sender.address) < 10**18


def test_fund_sends_a_plain_transfer_with_its_fixed_gas(
    memory_chain: EmbeddedChain, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evidence.chain import embedded

    seen: list[str] = []
    real = embedded._EmbeddedProvider._dispatch

    def counting(self: object, method: str, params: object) -> object:
        seen.append(method)
        return real(self, method, params)  # type: ignore[arg-type]

    monkeypatch.setattr(embedded._EmbeddedProvider, "_dispatch", counting)
    target = Account.create().address
    memory_chain.fund(target, 10**18)
    assert memory_chain.balance(target) == 10**18
    assert "eth_sendTransaction" in seen and "eth_estimateGas" not in seen


def test_revert_at_estimation_names_the_custom_error(
    memory_chain: EmbeddedChain, sender: LocalAccount
) -> None:
    address = deploy_box(memory_chain, sender)
    box = memory_chain.w3.eth.contract(address=address, abi=BoxArtifact().abi)  # type: ignore[call-overload]
    before = memory_chain.latest_block_number()
    with pytest.raises(TransactionError) as info:
        memory_chain.transact(box.functions.store(0), sender)
    assert info.value.error_name == "Box__Zero"
    assert f"Box__Zero(0, {sender.address})" in str(info.value)
    assert memory_chain.latest_block_number() == before  # nothing was sent


def test_mined_revert_is_decoded_by_replay(
    memory_chain: EmbeddedChain, sender: LocalAccount
) -> None:
    address = deploy_box(memory_chain, sender)
    box = memory_chain.w3.eth.contract(address=address, abi=BoxArtifact().abi)  # type: ignore[call-overload]
    with pytest.raises(TransactionError, match=r"reverted: Box__Zero\(0, ") as info:
        memory_chain.transact(box.functions.store(0), sender, gas=STORE_GAS)
    assert info.value.error_name == "Box__Zero"
    assert "block" in str(info.value)


def test_string_revert_in_a_call(memory_chain: EmbeddedChain, sender: LocalAccount) -> None:
    address = deploy_box(memory_chain, sender)
    box = memory_chain.w3.eth.contract(address=address, abi=BoxArtifact().abi)  # type: ignore[call-overload]
    with pytest.raises(TransactionError, match=r"Error\('not today'\)") as info:
        memory_chain.call(box.functions.fail("not today"))
    assert info.value.error_name == "Error"


def test_advance_time_moves_block_time_and_survives_reopen(
    tmp_path: Path, sender: LocalAccount
) -> None:
    state = tmp_path / "chain"
    with embedded(state) as chain:
        before = int(chain.block("latest")["timestamp"])
        stamped = chain.advance_time(86_400)
        assert stamped >= before + 86_400
        assert chain.block("latest")["timestamp"] == stamped
        with pytest.raises(ChainError, match="forward"):
            chain.advance_time(-1)
    with embedded(state) as chain:
        chain.fund(sender.address, 1)
        assert chain.block("latest")["timestamp"] > stamped  # time never runs backwards


# -- persistence, crashes, locks --------------------------------------------------------------


def test_state_persists_across_processes(tmp_path: Path, box_files: Path) -> None:
    state = tmp_path / "chain"
    written = run_script(
        """
        acct = Account.create()
        with open_chain(ChainConfig(kind="embedded", state_dir=STATE)) as chain:
            chain.fund(acct.address, 10**18)
            address = chain.deploy(Art(), acct)
            box = chain.w3.eth.contract(address=address, abi=Art.abi)
            receipt = chain.transact(box.functions.store(7), acct)
            out(address, receipt["blockNumber"], "0x" + bytes(receipt["blockHash"]).hex())
        """,
        state,
        box_files,
    )
    address, number, block_hash = written[0], int(written[1]), written[2]
    read = run_script(
        """
        address = sys.argv[3]
        with open_chain(ChainConfig(kind="embedded", state_dir=STATE, create=False)) as chain:
            box = chain.w3.eth.contract(address=address, abi=Art.abi)
            latest = chain.block("latest")
            out(chain.call(box.functions.value()), latest["number"], "0x" + latest["hash"].hex())
            out(len(chain.get_code(address)))
        """,
        state,
        box_files,
        address,
    )
    assert read[:3] == ["7", str(number), block_hash]
    assert int(read[3]) > 0
    # and this (third) process sees the same chain
    with embedded(state, create=False) as chain:
        box = chain.w3.eth.contract(address=address, abi=BoxArtifact().abi)  # type: ignore[call-overload]
        assert chain.call(box.functions.value()) == 7


WRITER_LOOP = """
start = int(sys.argv[3])
acct = Account.from_key(bytes.fromhex(sys.argv[4]))
address = sys.argv[5]
with open_chain(ChainConfig(kind="embedded", state_dir=STATE)) as chain:
    box = chain.w3.eth.contract(address=address, abi=Art.abi)
    i = start
    while True:
        chain.transact(box.functions.store(i), acct, gas=100_000)
        out(i)
        i += 1
"""


def _kill_writer_midway(state: Path, box_files: Path, start: int, key: bytes, address: str) -> int:
    """Start the writer loop, SIGKILL it at a random moment; return the last value it printed."""
    writer = start_script(WRITER_LOOP, state, box_files, str(start), key.hex(), address)
    assert writer.stdout is not None
    wanted = random.randint(5, 15)
    last = start - 1
    try:
        for _ in range(wanted):
            line = writer.stdout.readline()
            assert line, writer.stderr.read() if writer.stderr else "writer died"
            last = int(line)
        time.sleep(random.uniform(0, 0.08))  # land anywhere inside the next transaction
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    # The writer may have printed (committed) more while we slept: read what is left in the
    # pipe, so `last` is the last value it actually printed.
    for line in writer.stdout.read().splitlines():
        if line.strip():
            last = int(line)
    return last


def test_kill_9_mid_write_leaves_the_last_completed_block(
    tmp_path: Path, box_files: Path, sender: LocalAccount
) -> None:
    state = tmp_path / "chain"
    with embedded(state) as chain:
        address = deploy_box(chain, sender)
        base = chain.latest_block_number()  # block k > base holds store(k - base)
    expected_next = 1
    for _round in range(KILL_ROUNDS):
        printed = _kill_writer_midway(state, box_files, expected_next, sender.key, address)
        with sqlite3.connect(state / DB_FILE_NAME) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        with embedded(state, create=False) as chain:
            box = chain.w3.eth.contract(address=address, abi=BoxArtifact().abi)  # type: ignore[call-overload]
            head = chain.latest_block_number()
            value = chain.call(box.functions.value())
            # the head is a completed block: its value is the one its transaction stored
            assert value == head - base
            # every value printed was committed; at most one more was committed unprinted
            assert printed <= value <= printed + 1
            for number in range(base + 1, head + 1):
                assert chain.call(box.functions.value(), block_identifier=number) == number - base
                assert len(chain.block(number)["transactions"]) == 1
            # and the chain takes new writes after the crash (nonce and state agree)
            receipt = chain.transact(box.functions.store(value + 1), sender, gas=STORE_GAS)
            assert receipt["blockNumber"] == head + 1
            expected_next = value + 2


def test_readers_see_consistent_state_while_another_process_writes(
    tmp_path: Path, box_files: Path, sender: LocalAccount
) -> None:
    state = tmp_path / "chain"
    with embedded(state) as chain:
        address = deploy_box(chain, sender)
        base = chain.latest_block_number()
    writer = start_script(WRITER_LOOP, state, box_files, "1", sender.key.hex(), address)
    assert writer.stdout is not None
    try:
        assert writer.stdout.readline().strip() == "1"  # the writer is under way
        seen: set[int] = set()
        with embedded(state, create=False) as reader:
            box = reader.w3.eth.contract(address=address, abi=BoxArtifact().abi)  # type: ignore[call-overload]
            for _ in range(READER_ROUNDS):
                if len(seen) >= 8:
                    break
                head = reader.latest_block_number()
                assert reader.call(box.functions.value(), block_identifier=head) == head - base
                latest_value = reader.call(box.functions.value())
                assert isinstance(latest_value, int) and latest_value >= head - base
                seen.add(head)
                if writer.poll() is not None:
                    pytest.fail(writer.stderr.read() if writer.stderr else "writer died")
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    assert len(seen) >= 8  # the reader followed the writer's new blocks


HOLD_LOCK = """
with open_chain(ChainConfig(kind="embedded", state_dir=STATE)) as chain:
    with chain.exclusive():
        out("locked")
        sys.stdin.readline()
"""


def test_lock_keeps_a_second_writer_out(
    tmp_path: Path, box_files: Path, sender: LocalAccount
) -> None:
    state = tmp_path / "chain"
    embedded(state).close()
    holder = start_script(HOLD_LOCK, state, box_files)
    assert holder.stdout is not None and holder.stdin is not None
    try:
        assert holder.stdout.readline().strip() == "locked"
        with embedded(state, timeout_s=0.3) as impatient:
            with pytest.raises(ChainError, match="busy: another process"):
                impatient.fund(sender.address, 1)
            assert impatient.latest_block_number() == 0  # reading needs no lock
        holder.stdin.write("release\n")
        holder.stdin.flush()
        with embedded(state) as patient:  # waits for the holder to let go
            patient.fund(sender.address, 1)
            assert patient.balance(sender.address) == 1
    finally:
        holder.kill()
        holder.wait(timeout=30)


def test_a_killed_lock_holder_does_not_block_forever(
    tmp_path: Path, box_files: Path, sender: LocalAccount
) -> None:
    state = tmp_path / "chain"
    embedded(state).close()
    holder = start_script(HOLD_LOCK, state, box_files)
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    with embedded(state, timeout_s=5) as chain:
        chain.fund(sender.address, 1)
        assert chain.balance(sender.address) == 1


def test_open_time_of_a_chain_with_many_transactions(
    tmp_path: Path, box_files: Path, sender: LocalAccount, capsys: pytest.CaptureFixture[str]
) -> None:
    """Measure (not assert) how long opening takes; the store is not read up front."""
    state = tmp_path / "chain"
    with embedded(state) as chain:
        address = deploy_box(chain, sender)
        box = chain.w3.eth.contract(address=address, abi=BoxArtifact().abi)  # type: ignore[call-overload]
        for i in range(1, OPEN_TIME_TXS + 1):
            chain.transact(box.functions.store(i), sender, gas=STORE_GAS)
        head = chain.latest_block_number()
    measured = run_script(
        """
        import evidence.chain.embedded  # imports are not part of opening
        address = sys.argv[3]
        t0 = time.perf_counter()
        chain = open_chain(ChainConfig(kind="embedded", state_dir=STATE, create=False))
        box = chain.w3.eth.contract(address=address, abi=Art.abi)
        value = chain.call(box.functions.value())
        number = chain.latest_block_number()
        t1 = time.perf_counter()
        chain.close()
        out(number, value, f"{t1 - t0:.3f}")
        """,
        state,
        box_files,
        address,
    )
    assert int(measured[0]) == head
    assert int(measured[1]) == OPEN_TIME_TXS
    size = (state / DB_FILE_NAME).stat().st_size
    with capsys.disabled():
        print(
            f"\nembedded chain with {OPEN_TIME_TXS} transactions ({head} blocks, "
            f"{size / 1e6:.1f} MB): open + first call took {measured[2]} s"
        )
