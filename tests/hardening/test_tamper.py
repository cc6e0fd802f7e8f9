"""Tamper campaign: every change to a bundle or disclosure package is caught and named.

Each case copies one intact base bundle (see conftest.py), applies one mutation to one
part, and verifies the copy. A case passes when the verdict is ``failed`` and an ERROR
finding names the changed part (its path or item id in the subject or message, or one of
the finding codes mapped to that part in :data:`PART_CODES`), and nothing but
``NotABundleError`` escapes ``verify`` (a mutation that leaves no bundle at all counts as
rejected: the command line exits 2 for it). Mutations that leave every byte as it was
(swapping two identical lines, say) are skipped and not counted.

Attackers may recompute what anyone can recompute: in *fix-up* mode the payload
manifests, Payload-Oxum and the tag manifests are rewritten after the mutation, so only
the signed item list, the signatures, the custody log and the chain can catch it. In
*capturer* mode (receipts on chain) the attacker even holds the capturer's key and
re-signs the custody log: then the chain alone must catch the edit.

Hypothesis is derandomized (fixed examples in CI); the case counts are asserted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence.bundle.custody import make_entry, read_custody
from evidence.bundle.layout import ITEMS_FILE, iter_items
from evidence.bundle.receipts import receipt_filename
from evidence.errors import NotABundleError
from evidence.findings import Finding, Severity, Verdict
from evidence.keys import SigningKey
from evidence.result import VerificationResult
from evidence.standards.bagit import format_manifest, write_tag_manifests
from evidence.standards.ijson import loads_strict
from evidence.standards.jcs import canonicalize
from evidence.verification.verifier import verify
from tests.conftest import PASSPHRASE

from .conftest import Bases, tree_digest

CUSTODY = "evidence/custody.jsonl"
ROOT = "evidence/root.json"
PROOF = "evidence/proof.json"
RECEIPTS = "evidence/receipts"

#: Finding codes that name a part even when their subject is another file (e.g. a changed
#: salt in items.jsonl surfaces as the root not matching, reported on items.jsonl or, in
#: a disclosure package, on proof.json).
PART_CODES: dict[str, frozenset[str]] = {
    "data": frozenset({"payload-unsigned", "records-extra"}),
    "records": frozenset({"payload-unsigned", "records-extra"}),
    "items": frozenset({"root-mismatch", "items-invalid"}),
    "salts": frozenset({"root-mismatch"}),
    "root": frozenset({"root-invalid", "signature-invalid", "signer-not-capturer",
                       "custody-first-entry"}),
    "signatures": frozenset({"signature-invalid", "custody-signature", "custody-invalid"}),
    "custody": frozenset({"receipt-unrecorded", "receipt-missing"}),
    "receipts": frozenset({"receipt-invalid", "receipt-mismatch", "receipt-path-invalid",
                           "receipt-unrecorded", "receipt-missing", "receipt-differs",
                           "anchor-missing", "anchor-differs", "anchor-block-not-canonical",
                           "contract-missing", "contract-mismatch"}),
    "paths": frozenset({"receipt-path-invalid", "proof-invalid", "root-mismatch",
                        "receipt-invalid", "receipt-unrecorded"}),
    "bag-info": frozenset({"bag-info-changed", "bag-info-invalid", "bag-oxum-mismatch",
                           "bag-bad-bag-info"}),
    "provenance": frozenset({"provenance-changed", "provenance-invalid"}),
    "manifests": frozenset(),
    "proof": frozenset({"proof-invalid", "root-mismatch"}),
    "index": frozenset({"index-mismatch"}),
}

def campaign_settings(examples: int) -> settings:
    """Derandomized (the same cases in every run), no example database, no deadline."""
    return settings(derandomize=True, database=None, deadline=None, print_blob=False,
                    max_examples=examples, suppress_health_check=list(HealthCheck))


# --- parts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One file of a base bundle that a mutation targets, and how findings may name it."""

    kind: str
    rel: str
    names: tuple[str, ...]


def _item_ids_by_path(bundle: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in iter_items(bundle):
        out.setdefault(item.path, []).append(item.id)
    return out


def parts_of(bundle: Path, kinds: set[str]) -> list[Part]:
    """The mutable parts of ``bundle`` of the given kinds."""
    ids = _item_ids_by_path(bundle)
    out: list[Part] = []
    for p in sorted(bundle.rglob("*")):
        if not p.is_file():
            continue
        rel = p.relative_to(bundle).as_posix()
        if rel.startswith("data/records/"):
            kind = "records"
        elif rel.startswith("data/"):
            kind = "data"
        elif rel == ITEMS_FILE:
            kind = "items"
        elif rel == ROOT:
            kind = "root"
        elif rel == CUSTODY:
            kind = "custody"
        elif rel.startswith(RECEIPTS + "/"):
            kind = "receipts"
        elif rel == "bag-info.txt":
            kind = "bag-info"
        elif rel == "evidence/provenance.json":
            kind = "provenance"
        elif rel == PROOF:
            kind = "proof"
        elif "manifest-" in rel:
            kind = "manifests"
        elif rel == "evidence/index.bin":
            kind = "index"
        else:
            continue
        if kind in kinds:
            out.append(Part(kind, rel, (rel, *ids.get(rel, []))))
    return out


# --- byte and line mutations ------------------------------------------------------------------


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def mutate_bytes(data: bytes, draw: Callable[[Any], Any]) -> tuple[str, bytes]:
    """One random byte- or line-level mutation of ``data``: (name, new bytes)."""
    lines = _lines(data)
    ops = ["flip", "truncate", "append"]
    if len(lines) >= 2:
        ops += ["swap-lines", "reorder-lines", "delete-line", "duplicate-line"]
    op = draw(st.sampled_from(ops))
    if op == "flip" and data:
        i = draw(st.integers(0, len(data) - 1))
        bit = draw(st.integers(0, 7))
        return op, data[:i] + bytes([data[i] ^ (1 << bit)]) + data[i + 1:]
    if op == "truncate" and data:
        return op, data[:draw(st.integers(0, len(data) - 1))]
    if op in ("flip", "truncate", "append"):
        extra = draw(st.sampled_from([b"\n", b" ", b"x", b"{}\n", b"\x00", b"\xff"]))
        if lines and draw(st.booleans()):
            extra = lines[draw(st.integers(0, len(lines) - 1))]
        return "append", data + extra
    n = len(lines)
    i = draw(st.integers(0, n - 1))
    j = draw(st.integers(0, n - 1))
    if op == "swap-lines":
        lines[i], lines[j] = lines[j], lines[i]
    elif op == "reorder-lines":
        lines = [lines[k] for k in draw(st.permutations(range(n)))]
    elif op == "delete-line":
        del lines[i]
    else:
        lines.insert(j, lines[i])
    return op, b"".join(lines)


def _flip_hex(text: str, draw: Callable[[Any], Any]) -> str:
    """``text`` (hex, maybe 0x-prefixed) with one hex digit changed."""
    start = 2 if text.startswith("0x") else 0
    k = draw(st.integers(start, len(text) - 1))
    new: str = draw(st.sampled_from([c for c in "0123456789abcdef" if c != text[k].lower()]))
    return text[:k] + new + text[k + 1:]


def _jline(value: Any) -> bytes:
    return canonicalize(value) + b"\n"


# --- fix-up: what anyone can recompute --------------------------------------------------------


def fix_up(bundle: Path) -> None:
    """Recompute payload manifests, Payload-Oxum and tag manifests (an attacker's cover)."""
    payload = sorted(p for p in (bundle / "data").rglob("*") if p.is_file()
                     and not p.is_symlink()) if (bundle / "data").is_dir() else []
    for alg in ("sha256", "sha512"):
        rows = [(p.relative_to(bundle).as_posix(), hashlib.new(alg, p.read_bytes()).hexdigest())
                for p in payload]
        (bundle / f"manifest-{alg}.txt").write_bytes(format_manifest(rows))
    info = bundle / "bag-info.txt"
    if info.is_file():
        oxum = f"{sum(p.stat().st_size for p in payload)}.{len(payload)}"
        text = info.read_bytes()
        info.write_bytes(re.sub(rb"Payload-Oxum: [^\n]*", f"Payload-Oxum: {oxum}".encode(),
                                text, count=1))
    for p in bundle.glob("tagmanifest-*.txt"):
        p.unlink()
    write_tag_manifests(bundle)


def resign_custody(bundle: Path, key: SigningKey,
                   edit: Callable[[int, str, dict[str, Any]], dict[str, Any]] | None = None
                   ) -> None:
    """Rewrite the custody log signed by ``key``, keeping times (the key holder's cover)."""
    path = bundle / CUSTODY
    entries = read_custody(path)
    prev = "0" * 64
    out = b""
    for i, e in enumerate(entries):
        details = dict(e.details) if edit is None else edit(i, e.action, dict(e.details))
        new = make_entry(seq=i, action=e.action, details=details, prev=prev, key=key, at=e.at)
        out += new.line + b"\n"
        prev = new.hash
    path.write_bytes(out)


def attacker_key() -> SigningKey:
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return SigningKey(public, private)


# --- running one case -------------------------------------------------------------------------


@dataclass
class Campaign:
    """Counts and checks the cases of one test."""

    bases: Bases
    counts: Counter[str]

    def run(self, base: str, part: Part, mutate: Callable[[Path], str], *, fixup: bool,
            chain: bool = False, codes: frozenset[str] | None = None,
            check: Callable[[VerificationResult], None] | None = None,
            route: Callable[[Path, Path], str] | None = None) -> None:
        """One case. ``route(original, mutated)`` may say ``"chain"`` (verify on chain) or
        ``"skip:REASON"`` (not counted) after the mutation."""
        src = self.bases[base]
        with tempfile.TemporaryDirectory() as tmp:
            bundle = Path(tmp) / src.name
            shutil.copytree(src, bundle, symlinks=True)
            label = mutate(bundle)
            if fixup:
                fix_up(bundle)
            if tree_digest(bundle) == tree_digest(src):
                self.counts["skipped (no change)"] += 1
                return
            decision = route(src, bundle) if route is not None else ""
            if decision.startswith("skip:"):
                self.counts[decision] += 1
                return
            chain = chain or decision == "chain"
            self.counts[f"{part.kind}{' (on chain)' if chain else ''}"] += 1
            self.counts["cases"] += 1
            try:
                result = verify(bundle, offline=not chain,
                                workspace=self.bases.workspace if chain else None)
            except NotABundleError:
                self.counts["not a bundle (exit 2)"] += 1
                return
            why = f"{base}:{part.rel}:{label}:{'fix-up' if fixup else 'plain'}"
            errors = [f for f in result.findings if f.severity is Severity.ERROR]
            assert result.verdict is Verdict.FAILED, (why, result.verdict, result.findings)
            accepted = codes if codes is not None else PART_CODES[part.kind]
            assert any(_names(f, part, accepted) for f in errors), (why, errors)
            if check is not None:
                check(result)


def _names(f: Finding, part: Part, codes: frozenset[str]) -> bool:
    text = f"{f.subject or ''} {f.message}"
    return f.code in codes or any(name in text for name in part.names)


@pytest.fixture(scope="module")
def campaign_log() -> Any:
    totals: Counter[str] = Counter()
    yield totals
    print(f"\ntamper campaign totals: {dict(sorted(totals.items()))}")


def _campaign(bases: Bases) -> Campaign:
    return Campaign(bases, Counter())


#: Scales every campaign's example count (1.0 in CI; lower it locally for a quick run).
SCALE = float(os.environ.get("EVIDENCE_TAMPER_SCALE", "1"))


def _n(count: int) -> int:
    return max(1, int(count * SCALE))


def _finish(c: Campaign, log: Counter[str], minimum: int) -> None:
    log.update(c.counts)
    print(dict(sorted(c.counts.items())))
    assert c.counts["cases"] >= minimum * 0.85, c.counts


ALL_BASES = ("example", "mixed", "plain", "disclosed-record", "disclosed-file")


# --- 1. payload: data files and records -------------------------------------------------------


def test_tamper_payload(bases: Bases, campaign_log: Counter[str]) -> None:
    """Byte flips, truncations, appends, line swaps and file swaps in data files and
    records, with and without recomputed manifests; also unsigned files slipped in."""
    c = _campaign(bases)
    table = {b: parts_of(bases[b], {"data", "records"}) for b in ALL_BASES}

    @campaign_settings(_n(500))
    @given(st.data())
    def case(data: st.DataObject) -> None:
        base = data.draw(st.sampled_from(ALL_BASES))
        part = data.draw(st.sampled_from(table[base]))
        fixup = data.draw(st.booleans())
        op = data.draw(st.sampled_from(["bytes", "bytes", "bytes", "swap-file", "add-file"]))

        def mutate(bundle: Path) -> str:
            target = bundle / part.rel
            if op == "swap-file":
                others = [p for p in table[base] if p.rel != part.rel]
                if not others:
                    return "swap-file (none)"
                other = bundle / data.draw(st.sampled_from(others)).rel
                a, b = target.read_bytes(), other.read_bytes()
                target.write_bytes(b)
                other.write_bytes(a)
                return f"swap-file with {other.name}"
            if op == "add-file":
                extra = target.parent / data.draw(st.sampled_from(
                    ["new.png", "Ünï new.txt", ".hidden", "x y.jsonl"]))
                if extra.exists():
                    return "add-file (exists)"
                extra.write_bytes(target.read_bytes()[:64] + b"forged")
                return f"add-file {extra.name}"
            name, new = mutate_bytes(target.read_bytes(), data.draw)
            target.write_bytes(new)
            return name

        part_for_add = part
        if op == "add-file":
            part_for_add = Part(part.kind, part.rel, (str(Path(part.rel).parent),))
        c.run(base, part_for_add, mutate, fixup=fixup)

    case()
    _finish(c, campaign_log, _n(400))


# --- 2. item list and salts -------------------------------------------------------------------


def test_tamper_items_and_salts(bases: Bases, campaign_log: Counter[str]) -> None:
    """The signed item list: byte and line changes, and salts changed in canonical form
    (the line stays valid JSON; only the leaf, hence the root, differs)."""
    c = _campaign(bases)

    @campaign_settings(_n(350))
    @given(st.data())
    def case(data: st.DataObject) -> None:
        base = data.draw(st.sampled_from(ALL_BASES))
        fixup = data.draw(st.booleans())
        salt = data.draw(st.booleans())
        part = Part("salts" if salt else "items", ITEMS_FILE, (ITEMS_FILE,))

        def mutate(bundle: Path) -> str:
            path = bundle / ITEMS_FILE
            if not salt:
                name, new = mutate_bytes(path.read_bytes(), data.draw)
                path.write_bytes(new)
                return name
            lines = _lines(path.read_bytes())
            i = data.draw(st.integers(0, len(lines) - 1))
            item = loads_strict(lines[i][:-1])
            assert isinstance(item, dict)
            if data.draw(st.booleans()):
                item["salt"] = _flip_hex(str(item["salt"]), data.draw)
                what = "salt digit"
            else:
                j = data.draw(st.integers(0, len(lines) - 1))
                other = loads_strict(lines[j][:-1])
                assert isinstance(other, dict)
                item["salt"], what = other["salt"], f"salt of line {j + 1}"
            lines[i] = _jline(item)
            path.write_bytes(b"".join(lines))
            return f"{what} on line {i + 1}"

        c.run(base, part, mutate, fixup=fixup)

    case()
    _finish(c, campaign_log, _n(300))


# --- 3. root statement and signatures ---------------------------------------------------------


def test_tamper_root_and_signatures(bases: Bases, campaign_log: Counter[str]) -> None:
    """root.json bytes, the root signature, custody signatures, and re-signing by another
    key (alone, or with the whole custody log re-signed by that key too)."""
    c = _campaign(bases)

    @campaign_settings(_n(260))
    @given(st.data())
    def case(data: st.DataObject) -> None:
        base = data.draw(st.sampled_from(ALL_BASES))
        fixup = data.draw(st.booleans())
        op = data.draw(st.sampled_from(["bytes", "root-signature", "custody-signature",
                                        "statement-field", "resign", "resign-all"]))
        kind = "signatures" if op.endswith("signature") else "root"
        rel = CUSTODY if op == "custody-signature" else ROOT
        part = Part(kind, rel, (rel,))

        def mutate(bundle: Path) -> str:
            root_path = bundle / ROOT
            doc = json.loads(root_path.read_bytes())
            if op == "bytes":
                name, new = mutate_bytes(root_path.read_bytes(), data.draw)
                root_path.write_bytes(new)
                return name
            if op == "root-signature":
                doc["signature"] = _flip_hex(doc["signature"], data.draw)
                root_path.write_bytes(_jline(doc))
                return "signature digit"
            if op == "custody-signature":
                path = bundle / CUSTODY
                lines = _lines(path.read_bytes())
                i = data.draw(st.integers(0, len(lines) - 1))
                entry = json.loads(lines[i])
                entry["signature"] = _flip_hex(entry["signature"], data.draw)
                lines[i] = _jline(entry)
                path.write_bytes(b"".join(lines))
                return f"custody signature {i + 1}"
            if op == "statement-field":
                field = data.draw(st.sampled_from(["case", "captured_at", "leaf_count", "root"]))
                value = doc["statement"][field]
                if field == "leaf_count":
                    doc["statement"][field] = value + data.draw(st.sampled_from([-1, 1, 1000]))
                elif field == "root":
                    doc["statement"][field] = _flip_hex(value, data.draw)
                else:
                    doc["statement"][field] = value + data.draw(st.sampled_from(["x", " ", "0"]))
                root_path.write_bytes(_jline(doc))
                return f"statement {field}"
            key = attacker_key()
            doc["signer"] = {"algorithm": "ed25519", "public_key": key.public_key.hex(),
                             "fingerprint": key.fingerprint}
            doc["signature"] = key.sign(canonicalize(doc["statement"])).hex()
            root_path.write_bytes(_jline(doc))
            if op == "resign-all":
                resign_custody(bundle, key)
            return op

        c.run(base, part, mutate, fixup=fixup)

    case()
    _finish(c, campaign_log, _n(230))


# --- 4. custody log ---------------------------------------------------------------------------


def test_tamper_custody(bases: Bases, campaign_log: Counter[str]) -> None:
    """Custody entries: bytes, lines (reorder, drop, duplicate), edited fields."""
    c = _campaign(bases)

    @campaign_settings(_n(260))
    @given(st.data())
    def case(data: st.DataObject) -> None:
        base = data.draw(st.sampled_from(ALL_BASES))
        fixup = data.draw(st.booleans())
        part = Part("custody", CUSTODY, (CUSTODY,))
        structured = data.draw(st.booleans())

        def mutate(bundle: Path) -> str:
            path = bundle / CUSTODY
            if not structured:
                name, new = mutate_bytes(path.read_bytes(), data.draw)
                path.write_bytes(new)
                return name
            lines = _lines(path.read_bytes())
            i = data.draw(st.integers(0, len(lines) - 1))
            entry = json.loads(lines[i])
            field = data.draw(st.sampled_from(["at", "action", "details", "seq", "extra"]))
            if field == "at":
                entry["at"] = entry["at"].replace("20", "19", 1)
            elif field == "action":
                entry["action"] = data.draw(st.sampled_from(["captured", "anchored",
                                                             "disclosed", "verified"]))
            elif field == "details":
                entry["details"]["note"] = "inserted"
            elif field == "seq":
                entry["seq"] += data.draw(st.sampled_from([-1, 1, 7]))
            else:
                entry["comment"] = "unsigned extra field"
            lines[i] = _jline(entry)
            path.write_bytes(b"".join(lines))
            return f"entry {i + 1} {field}"

        c.run(base, part, mutate, fixup=fixup)

    case()
    _finish(c, campaign_log, _n(230))


# --- 5. bag-info.txt, provenance and manifests ------------------------------------------------


BAG_INFO_EDITS = {
    "Evidence-Platform": "OtherMart", "Evidence-Source-URL": "https://evil.invalid/",
    "External-Description": "a different note", "Bagging-Date": "1999-01-01",
    "Evidence-Case": "OTHER-CASE", "External-Identifier": "OTHER-CASE",
    "Evidence-Root": "00" * 32, "Evidence-Signer": "sha256:" + "0" * 32,
    "Evidence-Captured-At": "1999-01-01T00:00:00Z", "Bag-Software-Agent": "other-tool 9.9",
    "Evidence-Disclosed-Item": "R-99", "Payload-Oxum": "1.1",
}


def test_tamper_bag_info_provenance_manifests(bases: Bases, campaign_log: Counter[str]) -> None:
    """bag-info.txt (bytes, lines, element values, added and dropped elements),
    provenance.json and the manifests."""
    c = _campaign(bases)
    table = {b: parts_of(bases[b], {"bag-info", "provenance", "manifests"}) for b in ALL_BASES}

    @campaign_settings(_n(330))
    @given(st.data())
    def case(data: st.DataObject) -> None:
        base = data.draw(st.sampled_from(ALL_BASES))
        kind = data.draw(st.sampled_from(["bag-info", "bag-info", "provenance", "manifests"]))
        part = data.draw(st.sampled_from([p for p in table[base] if p.kind == kind]))
        fixup = data.draw(st.booleans()) and part.kind != "manifests"
        op = data.draw(st.sampled_from(["bytes", "edit", "add", "drop"]))

        def mutate(bundle: Path) -> str:
            path = bundle / part.rel
            raw = path.read_bytes()
            if part.kind != "bag-info" or op == "bytes":
                name, new = mutate_bytes(raw, data.draw)
                path.write_bytes(new)
                return name
            lines = raw.decode().splitlines(keepends=True)
            if op == "add":
                lines.insert(data.draw(st.integers(0, len(lines))),
                             data.draw(st.sampled_from(["Contact-Name: Mallory\n",
                                                        "Evidence-Platform: OtherMart\n",
                                                        "Bag-Count: 1 of 2\n"])))
                path.write_text("".join(lines))
                return "add element"
            i = data.draw(st.integers(0, len(lines) - 1))
            label = lines[i].split(":", 1)[0]
            if op == "drop":
                del lines[i]
                path.write_text("".join(lines))
                return f"drop {label}"
            lines[i] = f"{label}: {BAG_INFO_EDITS.get(label, 'changed')}\n"
            path.write_text("".join(lines))
            return f"edit {label}"

        c.run(base, part, mutate, fixup=fixup)

    case()
    _finish(c, campaign_log, _n(280))


def test_tamper_index(bases: Bases, campaign_log: Counter[str]) -> None:
    """evidence/index.bin (derived, unsigned): any byte change, with or without the tag
    manifests recomputed, is an index-mismatch; never a wrong proof, never a crash."""
    c = _campaign(bases)
    captured = [b for b in ALL_BASES if not b.startswith("disclosed")]
    table = {b: parts_of(bases[b], {"index"}) for b in captured}
    assert all(len(parts) == 1 for parts in table.values()), table

    @campaign_settings(_n(60))
    @given(st.data())
    def case(data: st.DataObject) -> None:
        base = data.draw(st.sampled_from(captured))
        part = table[base][0]

        def mutate(bundle: Path) -> str:
            path = bundle / part.rel
            name, new = mutate_bytes(path.read_bytes(), data.draw)
            path.write_bytes(new)
            return name

        c.run(base, part, mutate, fixup=data.draw(st.booleans()))

    case()
    _finish(c, campaign_log, _n(50))


# --- 6. disclosure packages: proof and inclusion paths ----------------------------------------


def test_tamper_disclosure_proofs(bases: Bases, campaign_log: Counter[str]) -> None:
    """proof.json of disclosure packages: bytes, and its fields edited in canonical form
    (item, index, leaf count, root, one inclusion path hash, a hash dropped or added)."""
    c = _campaign(bases)

    @campaign_settings(_n(200))
    @given(st.data())
    def case(data: st.DataObject) -> None:
        base = data.draw(st.sampled_from(["disclosed-record", "disclosed-file"]))
        fixup = data.draw(st.booleans())
        field = data.draw(st.sampled_from(["bytes", "item", "index", "leaf_count", "root",
                                           "path", "path", "path-drop", "path-add"]))
        part = Part("paths" if field.startswith("path") else "proof", PROOF, (PROOF,))

        def mutate(bundle: Path) -> str:
            path = bundle / PROOF
            if field == "bytes":
                name, new = mutate_bytes(path.read_bytes(), data.draw)
                path.write_bytes(new)
                return name
            doc = json.loads(path.read_bytes())
            if field == "item":
                doc["item"] = data.draw(st.sampled_from(["R-1", "F-1", "R-3", "F-3"]))
            elif field in ("index", "leaf_count"):
                doc[field] = max(0, doc[field] + data.draw(st.sampled_from([-1, 1, 2, 64])))
            elif field == "root":
                doc["root"] = _flip_hex(doc["root"], data.draw)
            elif field == "path":
                k = data.draw(st.integers(0, len(doc["path"]) - 1))
                doc["path"][k] = _flip_hex(doc["path"][k], data.draw)
            elif field == "path-drop":
                doc["path"].pop(data.draw(st.integers(0, len(doc["path"]) - 1)))
            else:
                doc["path"].insert(data.draw(st.integers(0, len(doc["path"]))), "ab" * 32)
            path.write_bytes(_jline(doc))
            return f"proof {field}"

        c.run(base, part, mutate, fixup=fixup)

    case()
    _finish(c, campaign_log, _n(170))


# --- 7. receipts, offline (an attacker without the capturer's key) ----------------------------


#: Receipt fields whose edit the signed custody log (bundles: the ``anchored`` entry's
#: facts; packages: the ``disclosed`` entry's receipt digests) or the inclusion path catch
#: offline. The block hash, block time and submitter are the chain's to check (test 8).
RECEIPT_FIELDS = ("chain_id", "contract", "transaction", "block_number", "batch_root",
                  "batch_size", "index", "path", "bundle_root", "development_chain")


def _edit_receipt_field(doc: dict[str, Any], field: str, draw: Callable[[Any], Any]) -> None:
    value = doc[field]
    if field == "path":
        if value and draw(st.booleans()):
            k = draw(st.integers(0, len(value) - 1))
            value[k] = _flip_hex(value[k], draw)
        else:
            value.append("0x" + "cd" * 32)
    elif isinstance(value, bool):
        doc[field] = not value
    elif isinstance(value, int):
        doc[field] = max(0, value + draw(st.sampled_from([-1, 1, 2, 1000])))
        if field in ("chain_id", "batch_size") and doc[field] == 0:
            doc[field] = 7
    else:
        doc[field] = _flip_hex(value, draw)


def _rename_receipt(path: Path, doc: dict[str, Any]) -> Path:
    """Keep the file name consistent with the edited receipt, as a careful forger would."""
    new = path.with_name(receipt_filename(int(doc["chain_id"]),
                                          bytes.fromhex(str(doc["batch_root"])[2:])))
    path.unlink()
    return new


#: Receipt fields only the chain can confirm, and annotations nothing can (reported gap).
CHAIN_ONLY_FIELDS = frozenset({"block_hash", "block_time", "submitter"})
ANNOTATION_FIELDS = frozenset({"chain", "anchored_at"})


def _route_receipt_edit(original: Path, mutated: Path) -> str:
    """Byte mutations of a receipt in a *bundle* (fix-up mode) can land in a value only the
    chain can check (then the case is verified on chain) or in an annotation (skipped as
    the reported gap, see test_receipt_annotations_edited_without_key)."""
    if (mutated / PROOF).exists():
        return ""  # packages record every receipt's digest in their signed custody entry
    try:
        (before,) = [json.loads(p.read_bytes()) for p in (original / RECEIPTS).iterdir()]
        (after,) = [json.loads(p.read_bytes()) for p in (mutated / RECEIPTS).iterdir()]
        if (_jline(after) != next((mutated / RECEIPTS).iterdir()).read_bytes()
                or set(before) != set(after)):
            return ""
    except (ValueError, OSError):
        return ""
    changed = {k for k in before if before[k] != after[k]}
    if changed and changed <= ANNOTATION_FIELDS:
        return "skip:receipt annotation only (reported gap)"
    if changed and changed <= CHAIN_ONLY_FIELDS | ANNOTATION_FIELDS:
        return "chain"
    return ""


def test_tamper_receipts_offline(bases: Bases, campaign_log: Counter[str]) -> None:
    """Receipts in bundles and disclosure packages: bytes, and single fields edited in
    canonical form (file renamed to match), against an attacker without the capturer's
    key: the inclusion path, the receipt's signed custody record or the tag manifests
    catch it."""
    c = _campaign(bases)
    anchored = ("example", "mixed", "disclosed-record", "disclosed-file")
    table = {b: parts_of(bases[b], {"receipts"}) for b in anchored}

    @campaign_settings(_n(300))
    @given(st.data())
    def case(data: st.DataObject) -> None:
        base = data.draw(st.sampled_from(anchored))
        part = data.draw(st.sampled_from(table[base]))
        fixup = data.draw(st.booleans())
        chain_only = ("block_hash", "block_time", "submitter") if base.startswith("disc") else ()
        field = data.draw(st.sampled_from(("bytes", "bytes", *RECEIPT_FIELDS, *chain_only)))
        kind = "paths" if field in ("path", "index", "batch_size") else "receipts"
        target = Part(kind, part.rel, (RECEIPTS,))

        def mutate(bundle: Path) -> str:
            path = bundle / part.rel
            if field == "bytes":
                name, new = mutate_bytes(path.read_bytes(), data.draw)
                path.write_bytes(new)
                return name
            doc = json.loads(path.read_bytes())
            _edit_receipt_field(doc, field, data.draw)
            if data.draw(st.booleans()):
                path = _rename_receipt(path, doc)
            path.write_bytes(_jline(doc))
            return f"field {field}"

        c.run(base, target, mutate, fixup=fixup, route=_route_receipt_edit)

    case()
    _finish(c, campaign_log, _n(260))


# --- 8. receipts on chain (an attacker holding the capturer's key) ----------------------------


#: Receipt facts the chain comparison must catch even when the custody log is re-signed
#: (the development flag is shown, not relied on: see the test).
CHAIN_FIELDS = ("block_number", "block_hash", "block_time", "contract", "submitter",
                "development_chain", "batch_root", "chain_id")
CHAIN_CODES = frozenset({"anchor-missing", "anchor-differs", "anchor-block-not-canonical",
                         "contract-missing", "contract-mismatch", "receipt-differs",
                         "receipt-path-invalid", "chain-error", "chain-id-mismatch"})


def _capturer_edit(bundle: Path, workspace: Path, edit_doc: Callable[[dict[str, Any]], None]
                   ) -> None:
    """Edit the first receipt consistently: file name, and its custody record re-signed
    with the capturer's own key, so that only the chain can tell."""
    from evidence.workspace import open_workspace

    path = sorted((bundle / RECEIPTS).glob("*.json"))[0]
    doc = json.loads(path.read_bytes())
    old = dict(doc)
    edit_doc(doc)
    path = _rename_receipt(path, doc)
    path.write_bytes(_jline(doc))

    def edit(_i: int, action: str, details: dict[str, Any]) -> dict[str, Any]:
        if action == "anchored" and details.get("transaction") == old["transaction"]:
            for k in ("chain_id", "contract", "transaction", "block_number", "batch_root",
                      "development_chain"):
                details[k] = doc[k]
            if "receipt_sha256" in details:
                details["receipt_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
        if action == "disclosed" and isinstance(details.get("receipts"), dict):
            details["receipts"] = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                                   for p in sorted((bundle / RECEIPTS).iterdir())}
        return details

    resign_custody(bundle, open_workspace(workspace).signing_key(PASSPHRASE), edit)


def test_tamper_receipts_on_chain(bases: Bases, campaign_log: Counter[str]) -> None:
    """Receipt facts edited by the capturer (custody log re-signed, manifests fixed): the
    chain is asked and its comparison catches the edit. A receipt moved to another chain
    id cannot be checked on the workspace's chain: that is ``inconclusive`` (never
    presumed), not ``failed``; every other edit fails."""
    c = _campaign(bases)
    anchored = ("example", "mixed", "disclosed-record", "disclosed-file")

    @campaign_settings(_n(110))
    @given(st.data())
    def case(data: st.DataObject) -> None:
        base = data.draw(st.sampled_from(anchored))
        field = data.draw(st.sampled_from(CHAIN_FIELDS))
        part = Part("receipts", RECEIPTS, (RECEIPTS,))
        src = bases[base]
        with tempfile.TemporaryDirectory() as tmp:
            bundle = Path(tmp) / src.name
            shutil.copytree(src, bundle)
            _capturer_edit(bundle, bases.workspace,
                           lambda doc: _edit_receipt_field(doc, field, data.draw))
            fix_up(bundle)
            label = f"{field} edited, custody re-signed"
            c.counts["cases"] += 1
            c.counts[f"chain:{field}"] += 1
            result = verify(bundle, workspace=bases.workspace)
            errors = [f for f in result.findings if f.severity is Severity.ERROR]
            why = (base, label, result.verdict, result.findings)
            if field == "chain_id":
                assert result.verdict is Verdict.INCONCLUSIVE, why
                assert any(f.code == "chain-error" for f in result.findings), why
                return
            if field == "development_chain":
                # The receipt's flag is the anchoring tool's judgement; the verifier judges
                # the chain itself and never uses the flag, so the edit changes no fact the
                # verdict rests on: it is shown, and the chain stays a development chain.
                assert any(f.code == "receipt-development-flag" for f in result.findings), why
                assert result.development_chain is True, why
                assert not errors, why
                return
            assert result.verdict is Verdict.FAILED, why
            assert any(f.code in CHAIN_CODES for f in errors), why
            assert any(_names(f, part, CHAIN_CODES) for f in errors), why

    case()
    _finish(c, campaign_log, _n(100))


def test_receipt_transaction_edited_by_capturer_fails_on_chain(bases: Bases) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        bundle = Path(tmp) / "b"
        shutil.copytree(bases["example"], bundle)
        _capturer_edit(bundle, bases.workspace,
                       lambda doc: doc.update(transaction="0x" + "ab" * 32))
        fix_up(bundle)
        assert verify(bundle, workspace=bases.workspace).verdict is Verdict.FAILED


@pytest.mark.parametrize("field", ["chain", "anchored_at"])
def test_receipt_annotations_edited_without_key(bases: Bases, field: str) -> None:
    """``chain`` (a description) and ``anchored_at`` (the anchoring host's clock) are
    annotations no chain can confirm. Edited by someone without the key, they are caught
    because the signed custody entry records the receipt's digest (``receipt_sha256``)."""
    with tempfile.TemporaryDirectory() as tmp:
        bundle = Path(tmp) / "b"
        shutil.copytree(bases["example"], bundle)
        path = next((bundle / RECEIPTS).glob("*.json"))
        doc = json.loads(path.read_bytes())
        doc[field] = "Ethereum mainnet" if field == "chain" else "1999-01-01T00:00:00Z"
        path.write_bytes(_jline(doc))
        fix_up(bundle)
        recorded = any("receipt_sha256" in e.details for e in read_custody(bundle / CUSTODY))
        verdict = verify(bundle, offline=True).verdict
        assert recorded, "anchoring must record receipt_sha256 in the custody entry"
        assert verdict is Verdict.FAILED


# --- 9. no false alarms -----------------------------------------------------------------------


_NAME = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"],
                              exclude_characters="/\x00"), min_size=1, max_size=12).filter(
    lambda s: s.strip() == s and s not in (".", "..") and len(s.encode()) < 60)


@st.composite
def _csv(draw: Any) -> bytes:
    cols = draw(st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True), min_size=1,
                         max_size=5, unique=True))
    rows = draw(st.lists(st.lists(st.text(st.characters(codec="utf-8",
                                                        exclude_categories=["Cs"]),
                                          max_size=8),
                                  min_size=len(cols), max_size=len(cols)),
                         min_size=1, max_size=20))
    import csv
    import io

    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(cols)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


_JSON_LEAF = st.one_of(st.none(), st.booleans(), st.integers(-(2**53), 2**53),
                       st.text(max_size=10))
_JSON = st.recursive(_JSON_LEAF, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=8)


@pytest.mark.slow
def test_untouched_random_bundles_verify(tmp_path: Path, signing_key: SigningKey) -> None:
    """1,000 bundles of random shapes (file counts, sizes, unicode and spaced names, CSV,
    JSON and JSON Lines records) all verify intact: no false alarm."""
    from evidence.capturing.pipeline import capture

    counts: Counter[str] = Counter()

    @campaign_settings(_n(1020))
    @given(files=st.dictionaries(st.lists(_NAME, min_size=1, max_size=3).map(tuple),
                                 st.binary(max_size=3000), max_size=6),
           csv_data=st.none() | _csv(),
           json_rows=st.none() | st.lists(st.dictionaries(st.text(max_size=6), _JSON,
                                                          max_size=4), min_size=1, max_size=6),
           jsonl=st.booleans())
    def case(files: dict[tuple[str, ...], bytes], csv_data: bytes | None,
             json_rows: list[dict[str, Any]] | None, jsonl: bool) -> None:
        with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:
            root = Path(tmp)
            src = root / "in put"
            src.mkdir()
            written = 0
            for parts, content in files.items():
                target = src.joinpath(*parts)
                with contextlib.suppress(OSError):  # a name that is a prefix folder of another
                    target.parent.mkdir(parents=True, exist_ok=True)
                    if not target.exists():
                        target.write_bytes(content)
                        written += 1
            records = []
            if csv_data is not None:
                (root / "orders export.csv").write_bytes(csv_data)
                records.append(root / "orders export.csv")
            if json_rows is not None:
                name = "rows.jsonl" if jsonl else "rows ünï.json"
                text = ("".join(json.dumps(r) + "\n" for r in json_rows) if jsonl
                        else json.dumps(json_rows))
                (root / name).write_text(text, encoding="utf-8")
                records.append(root / name)
            if not written and not records:
                counts["empty input (skipped)"] += 1
                return
            out = root / "bundle"
            capture([src] if written else [], records=records, out=out, case="RANDOM-1",
                    key=signing_key)
            result = verify(out, offline=True)
            errors = [f for f in result.findings if f.severity is Severity.ERROR]
            assert not errors, errors
            assert result.verdict is Verdict.NOT_PRESUMED
            counts["bundles"] += 1

    case()
    print(dict(counts))
    assert counts["bundles"] >= _n(1000), counts
