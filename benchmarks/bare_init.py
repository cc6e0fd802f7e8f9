"""Baseline of ``evidence init --demo-witnesses``: the same keys and the same transactions on
the same kind of chain, with the same libraries, in one plain script.

Does: the capturer's Ed25519 key sealed with AES-256-GCM under scrypt (N=2**15, as the
tool), written 0600; the account keystore (eth-account, scrypt N=2**18) and four witness
keystores (N=2**14, as the tool's demo witnesses); a new eth-tester/py-evm chain in a sqlite
table (bare_chain.py) with eth-tester's genesis; the transactions the tool sends: fund the
account, deploy EvidenceAnchor (the tool's compiled artifact), then for each of the four
witnesses fund it and ``addWitness`` (gas estimated by web3, as ``build_transaction`` does);
one durable commit; a small config file.

Omits (the tool does them; each is small): the checks of an existing workspace, the locks,
a commit per block (one commit here), reading the registrar and genesis back for the
demonstration trust profile (here a few lines are written from what is known), the
messages.

Usage: python benchmarks/bare_init.py OUT_DIR (must not exist)
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

WITNESSES = (("CN", "Simulated witness node, China (demo)"),
             ("SG", "Simulated witness node, Singapore (demo)"),
             ("DE", "Simulated witness node, Germany (demo)"),
             ("JP", "Simulated witness node, Japan (demo)"))
PASSPHRASE = os.environ.get("EVIDENCE_PASSPHRASE", "bench passphrase")
ARTIFACT = Path(__file__).resolve().parents[1] / "evidence" / "chain" / "EvidenceAnchor.json"


def write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def capturer_key(path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
        PublicFormat,
    )

    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = AESGCM(Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(
        PASSPHRASE.encode())).encrypt(nonce, seed, public)
    write_private(path, json.dumps({"public_key": public.hex(), "salt": salt.hex(),
                                    "nonce": nonce.hex(), "ciphertext": sealed.hex()}).encode())


def keystore(path: Path, n: int) -> object:
    from eth_account import Account

    account = Account.create()
    write_private(path, json.dumps(Account.encrypt(account.key, PASSPHRASE, kdf="scrypt",
                                                   iterations=n)).encode())
    return account


def main() -> None:
    out = Path(sys.argv[1])
    (out / "keys" / "witnesses").mkdir(parents=True)
    (out / "chain").mkdir()
    capturer_key(out / "keys" / "capturer.key")
    account = keystore(out / "keys" / "account.json", 2**18)

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bare_chain import connect, send

    conn, w3 = connect(out / "chain" / "chain.sqlite3", create=True)
    funder = w3.eth.accounts[0]
    w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction(
        {"from": funder, "to": account.address, "value": 10**20}))  # type: ignore[attr-defined]
    artifact = json.loads(ARTIFACT.read_text())
    receipt = send(w3, account, w3.eth.contract(abi=artifact["abi"],
                                                bytecode=artifact["bytecode"]).constructor())
    contract = w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])
    witnesses = []
    for cc, operator in WITNESSES:
        witness = keystore(out / "keys" / "witnesses" / f"demo-{cc.lower()}.json", 2**14)
        w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction(
            {"from": funder, "to": witness.address, "value": 10**20}))  # type: ignore[attr-defined]
        send(w3, account, contract.functions.addWitness(
            witness.address, cc.encode(), operator))  # type: ignore[attr-defined]
        witnesses.append({"jurisdiction": cc, "address": witness.address})  # type: ignore[attr-defined]
    config = {"chain_id": w3.eth.chain_id, "contract": contract.address,
              "genesis": "0x" + bytes(w3.eth.get_block(0)["hash"]).hex(),
              "witnesses": witnesses}
    conn.execute("COMMIT")
    conn.close()
    (out / "config.json").write_text(json.dumps(config))


if __name__ == "__main__":
    main()
