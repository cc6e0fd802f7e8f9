#!/usr/bin/env python3
"""Re-check an evidence bundle with nothing but Python's standard library.

    python3 docs/recheck.py BUNDLE [-v]

What it recomputes, and prints as it goes:

1. every file's SHA-256 and SHA-512 against the BagIt manifests (RFC 8493 §2.1.3);
2. every item of ``evidence/items.jsonl``: a file item against its file (size, SHA-256,
   SHA-512), a record item against its line of the records file (the RFC 8785 canonical
   JSON of the record, without the line break);
3. every leaf: leaf hash = SHA-256(0x00 || item line) (RFC 6962 §2.1), and the Merkle root of
   the leaves in file order, split at the largest power of two smaller than n, interior
   node = SHA-256(0x01 || left || right); it must equal the root in ``evidence/root.json``;
4. every anchor receipt in ``evidence/receipts/``: batch leaf = SHA-256(0x00 || the 32 bytes
   of the bundle root), hashed up along the receipt's inclusion path (RFC 9162 §2.1.3.2); it
   must give the receipt's batch root, the value read from the chain with ``anchorOf``.

What it does not do: check the capturer's Ed25519 signature (the standard library has no
Ed25519; ``evidence verify`` does) or ask the chain (use the ``eth_call`` or ``cast call``
lines printed in the report). Exit status 0 when every check holds, 1 otherwise, 2 when
BUNDLE is not a bundle.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

CHUNK = 1 << 20


def file_digests(path: Path) -> tuple[int, str, str]:
    """Size, SHA-256 and SHA-512 of a file, read in chunks."""
    h256, h512, size = hashlib.sha256(), hashlib.sha512(), 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            h256.update(chunk)
            h512.update(chunk)
            size += len(chunk)
    return size, h256.hexdigest(), h512.hexdigest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 Merkle tree hash, built bottom-up (an odd last node is carried up)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    level = leaves
    while len(level) > 1:
        nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def root_from_path(leaf: bytes, index: int, size: int, path: list[bytes]) -> bytes | None:
    """RFC 9162 §2.1.3.2: the root an inclusion path leads to, or None if malformed."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


class Checker:
    def __init__(self, bundle: Path, verbose: bool):
        self.bundle = bundle
        self.verbose = verbose
        self.failures = 0

    def ok(self, text: str) -> None:
        print(f"ok    {text}")

    def detail(self, text: str) -> None:
        if self.verbose:
            print(f"      {text}")

    def fail(self, text: str) -> None:
        self.failures += 1
        print(f"FAIL  {text}")

    def manifests(self) -> None:
        for alg in ("sha256", "sha512"):
            manifest = self.bundle / f"manifest-{alg}.txt"
            if not manifest.is_file():
                self.fail(f"{manifest.name} is missing")
                continue
            count = bad = 0
            for line in manifest.read_text(encoding="utf-8").splitlines():
                if not line.strip():
                    continue
                digest, _, rel = line.partition(" ")
                rel = rel.strip().replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")
                target = self.bundle / rel
                count += 1
                if not target.is_file():
                    bad += 1
                    self.fail(f"{rel}: listed in {manifest.name} but missing")
                    continue
                got = file_digests(target)[1 if alg == "sha256" else 2]
                if got != digest.lower():
                    bad += 1
                    self.fail(f"{rel}: {alg} is {got}, {manifest.name} says {digest}")
                else:
                    self.detail(f"{alg} {got}  {rel}")
            if not bad:
                self.ok(f"{count} files match {manifest.name}")

    def items(self) -> list[bytes]:
        items_file = self.bundle / "evidence" / "items.jsonl"
        leaves: list[bytes] = []
        records: dict[str, list[tuple[int, str, str]]] = {}
        bad = 0
        with items_file.open("rb") as fh:
            for n, raw in enumerate(fh, start=1):
                line = raw[:-1] if raw.endswith(b"\n") else raw
                leaves.append(leaf_hash(line))
                item = json.loads(line)
                want = (item["size"], item["sha256"], item["sha512"])
                if item["kind"] == "file":
                    target = self.bundle / item["path"]
                    got = file_digests(target) if target.is_file() else None
                else:
                    if item["path"] not in records:
                        records[item["path"]] = _record_digests(self.bundle / item["path"])
                    lines = records[item["path"]]
                    index = int(item["line"]) - 1
                    got = lines[index] if 0 <= index < len(lines) else None
                if got != want:
                    bad += 1
                    self.fail(f"item {item['id']} ({item['path']}): size or digest differs "
                              f"(line {n} of evidence/items.jsonl)")
                else:
                    self.detail(f"{item['id']} leaf {leaves[-1].hex()}  sha256 {want[1]}")
        if not bad:
            self.ok(f"{len(leaves)} items match their files and records (SHA-256, SHA-512, "
                    "size)")
        return leaves

    def root(self, leaves: list[bytes]) -> bytes | None:
        doc = json.loads((self.bundle / "evidence" / "root.json").read_bytes())
        statement = doc["statement"]
        signed = bytes.fromhex(statement["root"])
        computed = merkle_root(leaves)
        if len(leaves) != statement["leaf_count"]:
            self.fail(f"{len(leaves)} leaves, root.json says {statement['leaf_count']}")
        elif computed != signed:
            self.fail(f"the leaves hash to {computed.hex()}, root.json says {signed.hex()}")
        else:
            self.ok(f"the {len(leaves)} leaves hash to the root {signed.hex()} "
                    "(RFC 6962, SHA-256)")
        print("      not checked here: the capturer's Ed25519 signature in evidence/root.json "
              f"(key {doc.get('signer', {}).get('fingerprint', '?')}); use `evidence verify`")
        return signed

    def receipts(self, bundle_root: bytes | None) -> None:
        folder = self.bundle / "evidence" / "receipts"
        files = sorted(folder.glob("*.json")) if folder.is_dir() else []
        if not files:
            print("      no anchor receipt in evidence/receipts/ (bundle not anchored)")
            return
        for path in files:
            doc = json.loads(path.read_bytes())
            root = bytes.fromhex(doc["bundle_root"].removeprefix("0x"))
            batch_root = bytes.fromhex(doc["batch_root"].removeprefix("0x"))
            steps = [bytes.fromhex(h.removeprefix("0x")) for h in doc["path"]]
            if bundle_root is not None and root != bundle_root:
                self.fail(f"{path.name}: receipt is for root {root.hex()}, not this bundle's")
                continue
            got = root_from_path(leaf_hash(root), int(doc["index"]), int(doc["batch_size"]),
                                 steps)
            if got != batch_root:
                self.fail(f"{path.name}: the inclusion path does not lead to the batch root")
                continue
            self.ok(f"{path.name}: bundle root is leaf {doc['index']} of {doc['batch_size']} "
                    f"in batch root 0x{batch_root.hex()} ({len(steps)} path steps)")
            print(f"      on chain {doc['chain_id']}: contract {doc['contract']}, transaction "
                  f"{doc['transaction']}, block {doc['block_number']}; read it with "
                  f"anchorOf(0x{batch_root.hex()})")


def _record_digests(path: Path) -> list[tuple[int, str, str]]:
    """(size, SHA-256, SHA-512) of every line of a records file, without line breaks."""
    out: list[tuple[int, str, str]] = []
    if not path.is_file():
        return out
    with path.open("rb") as fh:
        for raw in fh:
            line = raw[:-1] if raw.endswith(b"\n") else raw
            out.append((len(line), hashlib.sha256(line).hexdigest(),
                        hashlib.sha512(line).hexdigest()))
    return out


def main(argv: list[str]) -> int:
    args = [a for a in argv if a not in ("-v", "--verbose")]
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print(__doc__)
        return 2
    bundle = Path(args[0])
    if not (bundle / "bagit.txt").is_file() or not (bundle / "evidence" / "root.json").is_file():
        print(f"{bundle}: not an evidence bundle (needs bagit.txt and evidence/root.json)")
        return 2
    checker = Checker(bundle, verbose=len(args) != len(argv))
    print(f"re-checking {bundle}")
    checker.manifests()
    try:
        leaves = checker.items()
        root = checker.root(leaves)
        checker.receipts(root)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        checker.fail(f"cannot read the bundle's evidence files: {type(exc).__name__}: {exc}")
    print("all checks hold" if not checker.failures else f"{checker.failures} checks FAILED")
    return 0 if not checker.failures else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
