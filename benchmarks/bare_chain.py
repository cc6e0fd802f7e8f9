"""What the bare baselines (bare_init.py, bare_anchor.py) share: an eth-tester + py-evm chain
kept in one sqlite table, and web3 over it, written the way a script would write it.

A chain store is a sqlite file with one table ``kv(k, v)`` holding py-evm's key-value store,
the layout the tool's embedded chain uses, so that ``bare_anchor.py`` can also run on a
store ``evidence init`` made. Commits: one sqlite transaction per script, with
``synchronous=FULL`` (the tool commits each block; a bare script commits once at the end,
which is less work). Nothing here is imported by the tool.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from eth.chains.base import MiningChain
from eth.db.atomic import AtomicDB
from eth.db.backends.base import BaseDB
from eth.vm.forks.prague import PragueVM
from eth_tester import EthereumTester
from eth_tester.backends.pyevm.main import (
    PyEVMBackend,
    generate_genesis_state_for_keys,
    get_default_account_keys,
    get_default_genesis_params,
)
from web3 import Web3
from web3.providers.eth_tester import EthereumTesterProvider

#: eth-tester's chain id, and its ten prefunded development accounts.
CHAIN_ID = 131277322940537
TESTER_ACCOUNTS = 10


class Kv(BaseDB):
    """py-evm's key-value store as a sqlite table."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __getitem__(self, key: bytes) -> bytes:
        row = self.conn.execute("SELECT v FROM kv WHERE k = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return bytes(row[0])

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self.conn.execute("INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)", (key, value))

    def __delitem__(self, key: bytes) -> None:
        self.conn.execute("DELETE FROM kv WHERE k = ?", (key,))

    def _exists(self, key: bytes) -> bool:
        return self.conn.execute("SELECT 1 FROM kv WHERE k = ?", (key,)).fetchone() is not None


class Chain(MiningChain):
    chain_id = CHAIN_ID
    vm_configuration = ((0, PragueVM),)

    def create_header_from_parent(self, parent_header: Any, **params: Any) -> Any:
        return super().create_header_from_parent(
            parent_header, **{**params, "gas_limit": parent_header.gas_limit})

    def get_transaction_builder(self) -> Any:
        return super().get_vm().get_transaction_builder()


class Backend(PyEVMBackend):  # type: ignore[misc]
    def __init__(self, chain: Chain) -> None:
        self.account_keys = get_default_account_keys(quantity=TESTER_ACCOUNTS)
        self.chain = chain


def connect(db: Path, *, create: bool) -> tuple[sqlite3.Connection, Web3]:
    """Open (or create, with eth-tester's genesis) the store ``db`` and a web3 over it,
    inside one open sqlite transaction (commit it with ``conn.execute("COMMIT")``)."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN IMMEDIATE")
    if create:
        conn.execute("CREATE TABLE kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID")
        keys = get_default_account_keys(quantity=TESTER_ACCOUNTS)
        chain = Chain.from_genesis(AtomicDB(Kv(conn)), get_default_genesis_params(),
                                   generate_genesis_state_for_keys(keys))
    else:
        chain = Chain(AtomicDB(Kv(conn)))
    w3 = Web3(EthereumTesterProvider(EthereumTester(Backend(chain))))
    return conn, w3


def send(w3: Web3, account: Any, fn: Any) -> Any:
    """Sign and send a contract call (or constructor) from ``account``, as web3 shows it:
    ``build_transaction`` fills gas (an estimate), fees and nonce; wait for the receipt."""
    tx = fn.build_transaction({"from": account.address,
                               "nonce": w3.eth.get_transaction_count(account.address)})
    signed = account.sign_transaction(tx)
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(
        signed.raw_transaction))
    if receipt["status"] != 1:
        raise SystemExit(f"transaction reverted: {fn}")
    return receipt
