"""Realistic verification results for report tests.

:func:`make_result` (the golden report): what ``evidence demo`` verifies, an anchor on the
embedded development chain under the workspace's demonstration trust profile, 4 witnesses
(CN, SG, DE counted; JP not counted, not a Hague party), findings, custody.
:func:`make_trusted_result`: a court's signed profile pinning a consortium chain read through
two nodes, a registry label that differs from the profile, a back-dated revocation and a
witness no pinned operator runs. :func:`make_untrusted_result`: the development chain
verified without any trust profile (not presumed).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

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
GENESIS = "0x29910715cd1cc3fef40a5af9473a385d5c7daac83bcc09af06c830d1f63e7d36"

#: The workspace's demonstration trust profile, as TrustProfile.summary() gives it.
DEMO_TRUST: dict[str, Any] = {
    "name": "workspace-demonstration", "version": 1,
    "source": "/tmp/cases/ws/trust-demo.toml",
    "sha256": "dc3c4e10d44cd77363172c5d282364f08e7e59cb4bb9848b463086e6548cfbe3",
    "publisher": None, "signed_by": None, "publisher_key_pinned": False,
    "expires": "2035-11-27T21:50:00Z", "demonstration": True,
}

#: The embedded development chain as read, pinned by the demonstration profile.
DEMO_CHAIN: dict[str, Any] = {
    "chain_id": 1337, "description": "embedded development chain (eth-tester, py-evm)",
    "genesis_hash": GENESIS, "nodes": ["/tmp/cases/ws/chain"], "client_versions": ["embedded"],
    "pinned": True, "pinned_name": "Embedded development chain",
    "development_signs": ["the embedded chain of a workspace",
                          "chain id 1337 is a development chain id"],
}


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

_REGISTRY_DEFAULTS: dict[str, Any] = {"revoked_at": None, "revocation_issued_at": None,
                                      "notes": []}

WITNESSES: tuple[dict[str, Any], ...] = (
    {"address": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "operator": "Hangzhou Notary Office",
     "jurisdiction": "CN", "jurisdiction_name": "China", "hague_party": True,
     "in_force_date": "1998-02-06", "in_force_date_status": "verified",
     "party_source": "HCCH status table (pt print view)",
     "confirmed_at": BLOCK_TIME + 60, "observed_at": BLOCK_TIME + 60, "counted": True,
     "reason_code": "counted", "reason": "counted: CN is a Contracting State"},
    {"address": "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
     "operator": "Lion City Arbitration Node",
     "jurisdiction": "SG", "jurisdiction_name": "Singapore", "hague_party": True,
     "in_force_date": "1978-12-26", "in_force_date_status": "computed",
     "party_source": "BGBl. 1981 II 962; pildb A* 27-X-1978 (+60 d)",
     "confirmed_at": BLOCK_TIME + 120, "observed_at": BLOCK_TIME + 118, "counted": True,
     "reason_code": "counted",
     "reason": "counted: SG (Singapore) is a Contracting State, in force since 1978-12-26 "
               "(date computed from a secondary source)"},
    {"address": "0x90F79bf6EB2c4f870365E785982E1f101E93b906", "operator": "Rhein Evidence GmbH",
     "jurisdiction": "DE", "jurisdiction_name": "Germany", "hague_party": True,
     "in_force_date": "1979-06-26", "in_force_date_status": "verified",
     "party_source": "HCCH status table (pt print view)",
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

#: The demonstration profile names each witness's operator (ids from the profile).
WITNESSES = tuple(
    {**w, **_REGISTRY_DEFAULTS, "operator_id": f"DEMO-{w['jurisdiction']}",
     "operator_source": "profile", "registry_operator": w["operator"],
     "registry_jurisdiction": w["jurisdiction"]}
    for w in WITNESSES)

FINDINGS = (
    Finding("bag-ok", Severity.OK, "BagIt manifests (sha256, sha512) and tag manifests match"),
    Finding("signature-ok", Severity.OK,
            f"capturer signature over the root verifies (key {CAPTURER_FP})", "evidence/root.json"),
    Finding("root-ok", Severity.OK, f"the 4 leaves hash to the signed root {ROOT}",
            "evidence/root.json"),
    Finding("trust-chain-ok", Severity.OK,
            "chain 1337 (Embedded development chain) is pinned by trust profile "
            f"workspace-demonstration: genesis hash {GENESIS} matches; read through 1 node(s) "
            "that agree (/tmp/cases/ws/chain)"),
    Finding("development-chain", Severity.INFO,
            "embedded development chain (eth-tester, py-evm) is a development chain (the "
            "embedded chain of a workspace; chain id 1337 is a development chain id): one party "
            "controls it; pinned by a demonstration profile, so every verdict here is a "
            "demonstration without evidential value"),
    Finding("trust-registry-ok", Severity.OK,
            f"the contract {CONTRACT} is a registry trust profile workspace-demonstration pins; "
            f"its registrar at the anchor's block 7 is the pinned {SUBMITTER}", CONTRACT),
    Finding("policy-party-list", Severity.INFO, "Party list used: built-in list.", "parties_file"),
    Finding("policy-capture-time", Severity.OK,
            "Held: the signed capture time 2025-11-27T21:55:00Z is not later than the anchor's "
            "block time 2025-11-27T22:00:00Z (plus 300 s of clock skew).",
            "max_clock_skew_seconds"),
    Finding("policy-witness-identity", Severity.OK,
            "Every confirming witness is identified (by the trust profile) and backed by the "
            "chain.", "witness identity"),
    Finding("policy-hague-party", Severity.INFO,
            "1 of 4 confirmations not counted: jurisdiction not listed as a Contracting State: "
            "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65 (JP).", "require_hague_party"),
    Finding("policy-jurisdictions", Severity.OK,
            "Held: 3 of 3 required Hague Convention jurisdictions confirmed: CN, DE, SG.",
            "min_jurisdictions"),
    Finding("policy-outcome", Severity.OK,
            "Policy hague-3 is met under the demonstration profile workspace-demonstration: a "
            "DEMONSTRATION on a development chain, without evidential value; nothing here "
            "supports a presumption before a court.", "hague-3"),
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
    """The fixed result used by the golden test and most format tests: a demonstration."""
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
            checked_on_chain=True, registrar=SUBMITTER),
        policy=POLICY,
        witnesses=WITNESSES,
        development_chain=True,
        trust=DEMO_TRUST,
        demonstration=True,
        chain=DEMO_CHAIN,
        timestamps=TIMESTAMPS,
    )


#: One pinned, qualified RFC 3161 token and one from a TSA the profile does not pin.
TIMESTAMPS = (
    {"file": "evidence/timestamps/1-tsa.example.org.tsr", "status": "trusted",
     "tsa": "Example Qualified TSA", "qualified": True, "problem": None,
     "taken_before_anchor": True, "recheck": "openssl ts -verify ...",
     "gen_time": "2025-11-27T21:55:03Z", "serial": "1a2b", "policy": "1.3.6.1.4.1.99999.1",
     "hash_algorithm": "sha256", "imprint": "ab" * 32, "nonce": "5eed",
     "tsa_name": "CN=Example TSA", "signer_subject": "CN=Example TSA",
     "signer_issuer": "CN=Example TSA Root", "signer_serial": "77", "token_sha256": "cd" * 32},
    {"file": "evidence/timestamps/2-tsa.capturer.invalid.tsr", "status": "not-pinned",
     "tsa": None, "qualified": False, "problem": None, "taken_before_anchor": True,
     "recheck": "openssl ts -verify ...", "gen_time": "2025-11-27T21:55:04Z", "serial": "9",
     "policy": "1.2.3.4", "hash_algorithm": "sha256", "imprint": "ab" * 32, "nonce": "1",
     "tsa_name": "CN=Capturer's own TSA", "signer_subject": "CN=Capturer's own TSA",
     "signer_issuer": "CN=Capturer's own TSA", "signer_serial": "1",
     "token_sha256": "ef" * 32},
)


# --------------------------------------------------------------------------- a court's profile

REGISTRAR = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"
COURT_TRUST: dict[str, Any] = {
    "name": "example-consortium", "version": 1,
    "source": "/etc/evidence/example-consortium.toml",
    "sha256": "7f3a9c1e5b2d8f4a6c0e9b7d5f3a1c8e2b6d4f0a9c7e5b3d1f8a6c4e2b0d9f7a",
    "publisher": "Example Court Technology Office",
    "signed_by": "sha256:c0ffee00c0ffee00c0ffee00c0ffee00", "publisher_key_pinned": True,
    "expires": "2027-12-31T00:00:00Z", "demonstration": False,
}
COURT_GENESIS = "0x" + "5e" * 32
COURT_CHAIN: dict[str, Any] = {
    "chain_id": 7140, "description": "Example consortium chain (2 nodes)",
    "genesis_hash": COURT_GENESIS,
    "nodes": ["https://node-1.example.org:8545", "https://node-2.example.net:8545"],
    "client_versions": ["Geth/v1.14.11-stable/linux-amd64/go1.22.8",
                        "besu/v24.9.1/linux-x86_64/openjdk-java-21"],
    "pinned": True, "pinned_name": "Example consortium chain", "development_signs": [],
}
REVOKED_WITNESS = "0x976EA74026E726554dB657fA54763abd0C3a0aa9"
STRAY_WITNESS = "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955"
REVOKED_AT = BLOCK_TIME + 200
REVOKE_ISSUED = BLOCK_TIME + 7200


def _court_witnesses() -> tuple[dict[str, Any], ...]:
    ids = {"CN": "91330100MA27XKQ93P", "SG": "UEN-201912345K", "DE": "HRB-123456",
           "JP": "JCN-0100-01-123456"}
    out = [{**w, "operator_id": ids[str(w["jurisdiction"])]} for w in WITNESSES]
    out[0]["registry_operator"] = "Hangzhou Notary"  # the registrar typed another name
    out[1]["registry_jurisdiction"] = "MY"  # and another jurisdiction
    out[1]["notes"] = ["the registry labels this witness MY; the trust profile's publisher "
                       "checked SG, which is used"]
    out.append({
        "address": REVOKED_WITNESS, "operator": "Paris Constat SAS",
        "operator_id": "SIREN-123456789",
        "operator_source": "profile", "registry_operator": "Paris Constat SAS",
        "jurisdiction": "FR", "registry_jurisdiction": "FR", "jurisdiction_name": "France",
        "hague_party": True, "in_force_date": "1974-10-06", "party_source": "built-in list",
        "confirmed_at": BLOCK_TIME + 300, "observed_at": BLOCK_TIME + 300,
        "revoked_at": REVOKED_AT, "revocation_issued_at": REVOKE_ISSUED, "counted": False,
        "reason_code": "disputed-revocation",
        "reason": "disputed-revocation: confirmed at 2025-11-27T22:05:00Z; the registrar's "
                  "revocation, issued at 2025-11-28T00:00:00Z, was dated back to take effect "
                  "from 2025-11-27T22:03:20Z: a disputed revocation", "notes": []})
    out.append({
        "address": STRAY_WITNESS, "operator": "Notary Office", "operator_id": None,
        "operator_source": "registry", "registry_operator": "Notary Office",
        "jurisdiction": "US", "registry_jurisdiction": "US",
        "jurisdiction_name": "United States of America", "hague_party": True,
        "in_force_date": "1972-10-07", "party_source": "built-in list",
        "confirmed_at": BLOCK_TIME + 360, "observed_at": BLOCK_TIME + 360,
        "revoked_at": None, "revocation_issued_at": None, "counted": False,
        "reason_code": "not-in-profile",
        "reason": f"not-in-profile: {STRAY_WITNESS} is not a witness of any operator the trust "
                  "profile example-consortium names", "notes": []})
    return tuple(out)


def _court_findings() -> tuple[Finding, ...]:
    keep = [f for f in FINDINGS if f.code in ("bag-ok", "signature-ok", "root-ok",
                                                  "policy-party-list", "policy-capture-time",
                                                  "policy-hague-party", "policy-jurisdictions")]
    by_code = {f.code: f for f in keep}
    return (
        by_code["bag-ok"], by_code["signature-ok"], by_code["root-ok"],
        Finding("trust-chain-ok", Severity.OK,
                "chain 7140 (Example consortium chain) is pinned by trust profile "
                f"example-consortium: genesis hash {COURT_GENESIS} matches; read through 2 "
                "node(s) that agree"),
        Finding("trust-registry-ok", Severity.OK,
                f"the contract {CONTRACT} is a registry trust profile example-consortium pins; "
                f"its registrar at the anchor's block 7 is the pinned {REGISTRAR}", CONTRACT),
        Finding("trust-label-differs", Severity.INFO,
                "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC: the registry labels this witness "
                "MY; the trust profile's publisher checked SG, which is used"),
        by_code["policy-party-list"], by_code["policy-capture-time"],
        Finding("policy-witness-identity", Severity.INFO,
                "1 of 6 confirmations not counted: witness not run by an operator the trust "
                "profile names, its name unusable, or its confirmation not backed by the chain: "
                f"{STRAY_WITNESS} (US).", "witness identity"),
        Finding("policy-disputed-revocation", Severity.INFO,
                f"1 confirmation(s) withdrawn by a revocation dated back before them: "
                f"{REVOKED_WITNESS} (FR): confirmed at 2025-11-27T22:05:00Z; the registrar's "
                "revocation, issued at 2025-11-28T00:00:00Z, was dated back to take effect from "
                "2025-11-27T22:03:20Z. A presumption that rested on them no longer holds; the "
                "registrar's reasons are outside the chain.", "witness active period"),
        by_code["policy-hague-party"], by_code["policy-jurisdictions"],
        Finding("policy-outcome", Severity.OK,
                "Policy hague-3 is met: with intact evidence this gives a rebuttable "
                "presumption under policy hague-3 that the data was not altered after "
                "anchoring, a standard proposed by the paper this project comes from, not a "
                "rule of the Hague Evidence Convention; admissibility and weight are for the "
                "law of the court hearing the case.", "hague-3"),
    )


def make_trusted_result() -> VerificationResult:
    """Presumed authentic under a court's signed trust profile, on a pinned consortium chain."""
    base = make_result()
    assert base.anchor is not None
    return replace(
        base,
        anchor=replace(base.anchor, chain_id=7140, development_chain=False,
                       chain_description="Example consortium chain (2 nodes)",
                       registrar=REGISTRAR),
        findings=_court_findings(),
        witnesses=_court_witnesses(),
        development_chain=False,
        trust=COURT_TRUST,
        demonstration=False,
        chain=COURT_CHAIN,
    )


def make_untrusted_result() -> VerificationResult:
    """The development chain verified without any trust profile: not presumed, and the red
    development-chain box stays."""
    base = make_result()
    registry = tuple({**w, "operator_id": None, "operator_source": "registry"}
                     for w in WITNESSES)
    findings = tuple(f for f in FINDINGS if not f.code.startswith(("trust-", "development-",
                                                                   "policy-outcome",
                                                                   "policy-witness")))
    return replace(
        base,
        verdict=Verdict.NOT_PRESUMED,
        witnesses=registry,
        trust=None,
        demonstration=False,
        chain={**DEMO_CHAIN, "pinned": False, "pinned_name": None},
        policy={**POLICY, "satisfied": False},
        findings=(
            *findings,
            Finding("development-chain", Severity.WARNING,
                    "embedded development chain (eth-tester, py-evm) is a development chain: "
                    "one party controls it, so the anchor has no evidential value and the "
                    "anchor supports no presumption"),
            Finding("trust-none", Severity.WARNING,
                    "No trust profile: the verifier named no chains, registries or witness "
                    "operators it trusts, so no presumption is possible."),
            Finding("policy-witness-identity", Severity.OK,
                    "Every confirming witness is identified (by the registry's own labels) and "
                    "backed by the chain.", "witness identity"),
            Finding("policy-outcome", Severity.WARNING,
                    "Policy hague-3 is not met under a trust the verifier chose: no trust "
                    "profile was given. (Counted by the registry's own labels, the "
                    "confirmations would meet it; labels the capturer's side can write are not "
                    "evidence.)", "hague-3"),
        ),
    )
