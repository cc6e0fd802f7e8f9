"""Baseline of ``evidence anchor BUNDLE`` with the demo witnesses: the same transactions on
the same kind of chain, with the same libraries, in one plain script.

Does: checks the bundle's payload against its BagIt manifests (SHA-256 and SHA-512 of every
file, as the tool's integrity check); reads its signed root; unlocks the account keystore
(eth-account, scrypt N=2**18), the four witness keystores (N=2**14) and the capturer key
(scrypt N=2**15, AES-256-GCM); opens the chain store ``bare_init.py`` made (bare_chain.py);
sends ``anchor(batchRoot, 1)`` (batch root: the RFC 6962 hash of the one leaf), then each
witness signs and sends its own ``confirm(batchRoot)`` (gas estimated by web3 for each, as
``build_transaction`` does); reads the anchor back; commits once; writes a receipt signed
with the capturer key (Ed25519) into the bundle, flushed to disk.

Omits (the tool does them): the journal written before sending, the locks, a commit per
block (one commit here), the checks that a receipt exists or still holds, the custody log
entry and the BagIt tag manifests rewritten after the receipt, the messages.

Usage: python benchmarks/bare_anchor.py BARE_WS BUNDLE (BARE_WS made by bare_init.py)
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

PASSPHRASE = os.environ.get("EVIDENCE_PASSPHRASE", "bench passphrase")
ARTIFACT = Path(__file__).resolve().parents[1] / "evidence" / "chain" / "EvidenceAnchor.json"
CHUNK = 1 << 20


def check_manifests(bundle: Path) -> None:
    for algorithm in ("sha256", "sha512"):
        for line in (bundle / f"manifest-{algorithm}.txt").read_text().splitlines():
            digest, name = line.split(" ", 1)
            h = hashlib.new(algorithm)
            with (bundle / name.strip()).open("rb") as fh:
                while chunk := fh.read(CHUNK):
                    h.update(chunk)
            if h.hexdigest() != digest:
                raise SystemExit(f"{name}: does not match the manifest")


def capturer_key(path: Path) -> object:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    doc = json.loads(path.read_text())
    key = Scrypt(salt=bytes.fromhex(doc["salt"]), length=32, n=2**15, r=8, p=1).derive(
        PASSPHRASE.encode())
    seed = AESGCM(key).decrypt(bytes.fromhex(doc["nonce"]), bytes.fromhex(doc["ciphertext"]),
                               bytes.fromhex(doc["public_key"]))
    return Ed25519PrivateKey.from_private_bytes(seed)


def main() -> None:
    ws, bundle = Path(sys.argv[1]), Path(sys.argv[2])
    check_manifests(bundle)
    statement = json.loads((bundle / "evidence" / "root.json").read_text())["statement"]
    root = bytes.fromhex(statement["root"])
    batch_root = hashlib.sha256(b"\x00" + root).digest()
    signer = capturer_key(ws / "keys" / "capturer.key")

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bare_chain import connect, send
    from eth_account import Account

    def unlock(path: Path) -> object:
        return Account.from_key(Account.decrypt(json.loads(path.read_text()), PASSPHRASE))

    account = unlock(ws / "keys" / "account.json")
    witnesses = [unlock(p) for p in sorted((ws / "keys" / "witnesses").glob("*.json"))]
    config = json.loads((ws / "config.json").read_text())
    conn, w3 = connect(ws / "chain" / "chain.sqlite3", create=False)
    contract = w3.eth.contract(address=config["contract"],
                               abi=json.loads(ARTIFACT.read_text())["abi"])
    anchored = send(w3, account, contract.functions.anchor(batch_root, 1))
    for witness in witnesses:
        send(w3, witness, contract.functions.confirm(batch_root))
    submitter, timestamp, block_number = contract.functions.anchorOf(batch_root).call()
    block = w3.eth.get_block(block_number)
    conn.execute("COMMIT")
    conn.close()
    receipt = {"chain_id": config["chain_id"], "contract": config["contract"],
               "transaction": "0x" + bytes(anchored["transactionHash"]).hex(),
               "block_number": block_number, "block_hash": "0x" + bytes(block["hash"]).hex(),
               "block_time": timestamp, "batch_root": "0x" + batch_root.hex(), "batch_size": 1,
               "bundle_root": "0x" + root.hex(), "submitter": submitter}
    data = json.dumps(receipt, sort_keys=True, separators=(",", ":")).encode()
    signed = {"receipt": receipt, "signature": signer.sign(data).hex()}  # type: ignore[attr-defined]
    folder = bundle / "evidence" / "receipts"
    folder.mkdir(exist_ok=True)
    with (folder / f"bare-{batch_root.hex()[:16]}.json").open("w") as fh:
        json.dump(signed, fh)
        fh.flush()
        os.fsync(fh.fileno())


if __name__ == "__main__":
    main()
