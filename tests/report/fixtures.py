"""A realistic verification result for report tests: an anchor on a development chain,
4 witnesses (CN, SG, DE counted; JP not counted, not a Hague party), findings, custody."""

from __future__ import annotations

from evidence.findings import Finding, Severity, Verdict
from evidence.result import AnchorInfo, ItemStatus, VerificationResult

ROOT = "5f2c0a4e9d3b7c1a2f6e8d0b4a9c3e7f1b5d9a2c6e0f4b8d2a7c1e5f9b3d7a0c"
BATCH_ROOT = "9a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
TX = "0x7d3f1e9a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c2d4e"
BLOCK_HASH = "0x1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d"
CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
SUBMITTER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
CAPTURER_PK = "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29"
CAPTURER_FP = "sha256:4f1e0c9b8a7d6e5f4a3b2c1d0e9f8a7b"
BLOCK_TIME = 1_764_280_800  # 2025-11-27T22:00:00Z


def _h(n: int, length: int) -> str:
    return (f"{n:02x}" * length)[:length]


ITEMS = (
    ItemStatus("F-1", "file", "chat-1.png", "data/files/screenshots/chat-1.png", 28147,
               _h(0xa1, 64), _h(0xa2, 128), "image/png", "ok",
               fields={"image": {"format": "PNG", "width": 900, "height": 1600},
                       "original_name": "chat-1.png"}),
    ItemStatus("F-2", "file", "transactions.csv", "data/exports/transactions.csv", 2153,
               _h(0xb1, 64), _h(0xb2, 128), "text/csv", "ok"),
    ItemStatus("R-1", "record", "transactions.csv row 2", "data/records/transactions.csv.jsonl",
               245, _h(0xc1, 64), _h(0xc2, 128), "application/json", "ok",
               fields={"line": 1, "source_name": "transactions.csv", "locator": "row 2",
                       "record": {"order_id": "EM-7310452", "seller": "SoundPeak Direct",
                                  "price": "84.00", "currency": "EUR",
                                  "title": "AURORA Pulse X9 \u201c100% Original\u201d"}}),
    ItemStatus("R-2", "record", "transactions.csv row 3", "data/records/transactions.csv.jsonl",
               246, _h(0xd1, 64), _h(0xd2, 128), "application/json", "ok",
               fields={"line": 2, "source_name": "transactions.csv", "locator": "row 3",
                       "record": {"order_id": "EM-7310453", "seller": "SoundPeak Direct",
                                  "price": "84.00", "currency": "EUR", "买家国家": "DE"}}),
)

WITNESSES = (
    {"address": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "operator": "Hangzhou Notary Office",
     "jurisdiction": "CN", "jurisdiction_name": "China", "hague_party": True,
     "in_force_date": "1998-02-06", "party_source": "HCCH status table (pt print view)",
     "confirmed_at": BLOCK_TIME + 60, "observed_at": BLOCK_TIME + 60, "counted": True,
     "reason_code": "counted", "reason": "counted: CN is a Contracting State"},
    {"address": "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
     "operator": "Lion City Arbitration Node",
     "jurisdiction": "SG", "jurisdiction_name": "Singapore", "hague_party": True,
     "in_force_date": None, "party_source": "HCCH acceptance pages",
     "confirmed_at": BLOCK_TIME + 120, "observed_at": BLOCK_TIME + 118, "counted": True,
     "reason_code": "counted", "reason": "counted: SG is a Contracting State (date unverified)"},
    {"address": "0x90F79bf6EB2c4f870365E785982E1f101E93b906", "operator": "Rhein Evidence GmbH",
     "jurisdiction": "DE", "jurisdiction_name": "Germany", "hague_party": True,
     "in_force_date": "1979-06-26", "party_source": "HCCH status table (pt print view)",
     "confirmed_at": BLOCK_TIME + 180, "observed_at": BLOCK_TIME + 180, "counted": True,
     "reason_code": "counted", "reason": "counted: DE is a Contracting State"},
    {"address": "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65", "operator": "Tokyo Timestamp KK",
     "jurisdiction": "JP", "jurisdiction_name": "Japan", "hague_party": False,
     "in_force_date": None, "party_source": "built-in list",
     "confirmed_at": BLOCK_TIME + 240, "observed_at": BLOCK_TIME + 240, "counted": False,
     "reason_code": "not-hague-party",
     "reason": "not-hague-party: JP (Japan) is not listed as a Contracting State"},
)

POLICY = {
    "name": "hague-3",
    "description": ["Policy hague-3 (version 1, built-in hague-3): three Hague States.",
                    "At least 3 distinct jurisdictions must have a counted confirmation."],
    "description_zh": ["策略 hague-3（第 1 版）：三个海牙取证公约缔约国。",
                       "至少须有 3 个不同法域的见证节点确认被计入。"],
    "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "satisfied": True,
    "counted_jurisdictions": ["CN", "DE", "SG"],
}

FINDINGS = (
    Finding("bag-ok", Severity.OK, "BagIt manifests (sha256, sha512) and tag manifests match"),
    Finding("signature-ok", Severity.OK,
            f"capturer signature over the root verifies (key {CAPTURER_FP})", "evidence/root.json"),
    Finding("root-ok", Severity.OK, f"the 4 leaves hash to the signed root {ROOT}",
            "evidence/root.json"),
    Finding("development-chain", Severity.INFO,
            "anchored on a development chain controlled by one party: no evidential value"),
    Finding("policy-party-list", Severity.INFO, "Party list used: built-in list.", "parties_file"),
    Finding("policy-hague-party", Severity.INFO,
            "1 of 4 confirmations not counted: jurisdiction not listed as a Contracting State: "
            "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65 (JP).", "require_hague_party"),
    Finding("policy-jurisdictions", Severity.OK,
            "Held: 3 of 3 required Hague Convention jurisdictions confirmed: CN, DE, SG.",
            "min_jurisdictions"),
    Finding("policy-outcome", Severity.OK,
            "Policy hague-3 is met: with intact evidence this gives a presumption of "
            "authenticity under policy hague-3 (rebuttable).", "hague-3"),
)

CUSTODY = (
    {"version": 1, "seq": 0, "action": "captured", "at": "2025-11-27T21:55:00Z",
     "actor": {"public_key": CAPTURER_PK, "fingerprint": CAPTURER_FP},
     "details": {"root": ROOT, "items": 4, "case": "2026-CN-0042"}, "prev": "0" * 64,
     "signature": "ab" * 64},
    {"version": 1, "seq": 1, "action": "anchored", "at": "2025-11-27T22:00:00Z",
     "actor": {"public_key": CAPTURER_PK, "fingerprint": CAPTURER_FP},
     "details": {"transaction": TX, "chain_id": 1337}, "prev": "cd" * 32,
     "signature": "ef" * 64},
)


def make_result() -> VerificationResult:
    """The fixed result used by the golden test and most format tests."""
    return VerificationResult(
        bundle="/tmp/cases/bundle-2026-CN-0042",
        package="bundle",
        verdict=Verdict.PRESUMED_AUTHENTIC,
        verified_at="2025-11-28T09:00:00Z",
        offline=False,
        root=ROOT,
        leaf_count=4,
        signer=CAPTURER_FP,
        provenance={
            "version": 1, "case": "2026-CN-0042", "captured_at": "2025-11-27T21:55:00Z",
            "clock_source": "local system clock (UTC), not independently attested",
            "tool": {"name": "evidence-anchor", "version": "0.1.0"},
            "capturer": {"algorithm": "ed25519", "public_key": CAPTURER_PK,
                         "fingerprint": CAPTURER_FP},
            "platform": "ExampleMart",
            "source_url": "https://example.invalid/shop/aurora",
            "note": "counterfeit headphones, chat and orders",
        },
        items=ITEMS,
        findings=FINDINGS,
        custody=CUSTODY,
        anchor=AnchorInfo(
            chain_id=1337, contract=CONTRACT, transaction=TX, block_number=7,
            block_hash=BLOCK_HASH, block_time=BLOCK_TIME, batch_root=BATCH_ROOT,
            batch_index=0, batch_size=2, submitter=SUBMITTER, development_chain=True,
            chain_description="embedded development chain (eth-tester, py-evm)",
            checked_on_chain=True),
        policy=POLICY,
        witnesses=WITNESSES,
        development_chain=True,
    )
