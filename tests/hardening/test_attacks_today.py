"""Red-team attacks on what was added on 2026-12-02 (brief A): RFC 3161 timestamps, the
batcher's receipts, web capture, the court's own report and its page one.

The attacker is the capturing party: it controls the bundle, its workspace, its chain
node(s), its witnesses, its TSA and its batcher. The court controls only its trust profile,
its node URL(s) and the command line. Each test names one attack; an attack that fooled the
verifier was fixed in its own commit, and the test now asserts the refusal precisely.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evidence.timestamps import timestamp_bundle

from ..chain.conftest import AnvilNode
from ..timestamps.conftest import tsa as tsa
from ..timestamps.test_timestamps_chain import (
    anchored_and_confirmed,
    codes,
    colluding_capture,
    court_profile,
    court_verify,
)
from ..timestamps.test_timestamps_chain import lab as lab
from ..timestamps.test_timestamps_chain import past_node as past_node
from ..timestamps.tsa import LocalTsa
from ..verification.conftest import Lab
from ..verification.conftest import anvil_lab as anvil_lab
from ..verification.conftest import anvil_node as anvil_node


def _texts(blocks: Any) -> Iterator[str]:
    """Every text of a list of report blocks (headings, paragraphs, bullets, rows)."""
    for b in blocks:
        for value in vars(b).values():
            if isinstance(value, str):
                yield value
            elif isinstance(value, tuple):
                for v in value:
                    if isinstance(v, str):
                        yield v
                    elif isinstance(v, tuple):
                        yield from (x for x in v if isinstance(x, str))


def _page_one_shows(result: Any, bundle: Path) -> list[str]:
    """The bullets under page one's "What this verification shows" (English report)."""
    from evidence.report.blocks import Bullets, Heading
    from evidence.report.model import build_report
    from evidence.report.pageone import page_one

    blocks = page_one(build_report(result, bundle=bundle, lang="en"))
    at = next(i for i, b in enumerate(blocks)
              if isinstance(b, Heading) and b.anchor == "shows")
    bullets = blocks[at + 1]
    assert isinstance(bullets, Bullets)
    return list(bullets.items)


# -- attack 1: the court's report states the capturer's chain's clock as a fact -------------


@pytest.mark.anvil
def test_page_one_claims_no_time_from_a_chain_the_court_does_not_pin(
        anvil_lab: Lab, anvil_node: AnvilNode) -> None:
    """The capturer anchors on its own node (chain id 7140, which no profile of the court
    pins) and the court runs ``evidence report BUNDLE --chain URL`` without a profile: the
    verdict is not-presumed, but page one must not state, under "What this verification
    shows", that the bytes existed no later than that chain's block time (the capturer's
    own chain sets that clock)."""
    from evidence.verification.verifier import verify

    bundle, _ = anvil_lab.confirmed_bundle("unpinned-clock", "CN", "SG", "DE")
    result = verify(bundle, chain_url=anvil_node.url)
    assert result.verdict == "not-presumed"
    assert result.chain is not None and result.chain["pinned"] is False
    shows = _page_one_shows(result, bundle)
    assert not any("existed no later than" in s for s in shows), shows
    assert any("this block time is not evidence of when the bytes existed" in s
               for s in shows), shows
    # Nor that the capturer's own witnesses, with the jurisdictions it labelled them with,
    # were "counted under policy hague-3": without a profile nothing is counted.
    assert not any("counted under policy" in s for s in shows), shows
    assert any("no trust profile" in s and "not counted" in s for s in shows), shows
    # ... and the "When" rows must not say "3 of 3 counted by the policy" either.
    from evidence.report.blocks import KeyValue
    from evidence.report.model import build_report
    from evidence.report.pageone import page_one

    rows = [row for b in page_one(build_report(result, bundle=bundle, lang="en"))
            if isinstance(b, KeyValue) for row in b.rows if row[0] == "Witness confirmations"]
    assert len(rows) == 1 and "counted by the policy" not in rows[0][1], rows
    assert "none counted: no trust profile" in rows[0][1], rows


@pytest.mark.anvil
def test_court_report_without_a_profile_does_not_claim_one(
        anvil_lab: Lab, anvil_node: AnvilNode) -> None:
    """``evidence report BUNDLE --chain URL`` with no ``--trust``: page one must not say the
    verifying party prepared it "under its own trust profile" (there was none)."""
    from evidence.report.blocks import Para
    from evidence.report.model import build_report
    from evidence.report.pageone import page_one
    from evidence.verification.verifier import verify

    bundle = anvil_lab.bundle("no-profile-report")
    anvil_lab.anchor(bundle)
    result = verify(bundle, chain_url=anvil_node.url)
    blocks = page_one(build_report(result, bundle=bundle, lang="en",
                                   prepared_by="verifying-party"))
    notes = [b.text for b in blocks if isinstance(b, Para) and b.style == "note"]
    assert len(notes) == 1 and "Prepared by the verifying party" in notes[0], notes
    assert "under its own trust profile" not in notes[0]
    assert "without a trust profile" in notes[0]


# -- attack 2: a web capture no browser made, shown as one -----------------------------------

#: What ``capture-web`` writes in provenance.json, forged by hand: no browser ran, no server
#: answered; the capturer signs whatever it writes here.
FORGED_WEB = {"pages": [{
    "page": 1, "url": "https://shop.example.com/item/1", "final_url":
    "https://shop.example.com/item/1", "captured_at": "2026-12-01T10:00:00Z",
    "http_status": 200, "partial": False, "findings": [],
    "certificate": {"subject": "CN=shop.example.com", "issuer": "CN=Example Public CA"},
    "files": {"screenshot_full": "data/files/a.png"}}]}


@pytest.fixture(scope="module")
def forged_web(tmp_path_factory: pytest.TempPathFactory, session_workspace: Path) -> Path:
    from evidence.capturing.pipeline import capture
    from evidence.workspace import open_workspace

    from ..conftest import EXAMPLES, PASSPHRASE

    key = open_workspace(session_workspace).signing_key(PASSPHRASE)
    out = tmp_path_factory.mktemp("forged-web") / "bundle"
    capture([EXAMPLES / "screenshots"], out=out, case="2026-FORGED-WEB", key=key,
            provenance_extra={"web": FORGED_WEB})
    return out


def test_report_labels_web_pages_as_the_capturers_statements(forged_web: Path) -> None:
    """The web section's URL, HTTP status and server certificate come from the capturer's
    signed provenance, which nothing checks against a server: the report must say they are
    the capturer's statements, not that the pages were opened by the tool in Chromium."""
    from evidence.report.blocks import Heading
    from evidence.report.layout import document
    from evidence.report.model import build_report
    from evidence.verification.verifier import verify

    result = verify(forged_web, offline=True)
    assert result.verdict == "not-presumed"
    blocks = document(build_report(result, bundle=forged_web, lang="en"))
    at = next(i for i, b in enumerate(blocks) if isinstance(b, Heading) and b.anchor == "web")
    section = " ".join(_texts(blocks[at:at + 6]))
    assert "CN=Example Public CA" in section  # the forged certificate is shown ...
    assert "Pages opened by the capturing party's tool" not in section
    assert "Statements of the capturer" in section and "not verified" in section, section


# -- attack 3: the second clock defeated by timestamping after the anchoring ----------------


@pytest.mark.anvil
def test_hague_3_tsa_second_clock_is_not_met_by_a_token_long_after_the_block(
        lab: Lab, past_node: AnvilNode, tsa: LocalTsa, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """hague-3-tsa promises a second, independent clock that must agree with the anchor's
    block time. The chain's validators (a consortium the court pinned) collude with the
    capturer: every block claims to be 400 days old. A token from the court's TSA taken
    before the anchoring exposes it (tests/timestamps); so the capturer takes it *after* the
    anchoring. It then bounds nothing about the block time, and must neither be said to
    "agree within 600 s" with it nor meet the policy's timestamp requirement."""
    bundle = colluding_capture(lab, past_node, "after-the-lie", monkeypatch)
    anchored_and_confirmed(lab, bundle)
    timestamp_bundle(bundle, [tsa.url()], key=lab.key)
    profile = court_profile(lab, tsa, tmp_path)
    result = court_verify(lab, bundle, profile, policy="hague-3-tsa")
    found = codes(result)
    assert "timestamp-ok" in found  # the token itself is genuine and trusted ...
    assert "timestamp-clocks-agree" not in found  # ... but says nothing of the block time
    [after] = [f for f in result.findings if f.code == "timestamp-after-anchor"]
    assert "does not corroborate the block time" in after.message
    assert "timestamp-required" in found
    assert result.verdict.value == "not-presumed", result.findings
    # The rule as the report words it says so (en and zh).
    assert result.policy is not None
    assert any("no later than the anchor's block time plus 600 s" in line
               for line in result.policy["rules"]), result.policy["rules"]
    assert any("不晚于锚定区块时间加 600 秒" in line for line in result.policy["rules_zh"])
    # Under hague-3 (one clock: the pinned chain's) the same evidence is presumed: the
    # court trusted that chain; only the policy that promises a second clock refuses.
    assert court_verify(lab, bundle, profile).verdict.value == "presumed-authentic"


@pytest.mark.anvil
def test_hague_3_tsa_presumes_with_tokens_that_corroborate_an_honest_block_time(
        anvil_lab: Lab, anvil_node: AnvilNode, tsa: LocalTsa, tmp_path: Path) -> None:
    """The control of attack 3: on a chain whose clock is right, a pinned token taken just
    before or just after the anchoring corroborates the block time, and hague-3-tsa
    presumes."""
    from evidence.verification.verifier import verify

    from ..timestamps.tsa import pin_toml

    assert anvil_lab.trust_path is not None
    before = anvil_lab.bundle("tsa-before")
    timestamp_bundle(before, [tsa.url()], key=anvil_lab.key)
    anchored_and_confirmed(anvil_lab, before)
    after = anvil_lab.bundle("tsa-after")
    anchored_and_confirmed(anvil_lab, after)
    timestamp_bundle(after, [tsa.url()], key=anvil_lab.key)
    profile = tmp_path / "court-with-tsa.toml"
    profile.write_text(anvil_lab.trust_path.read_text(encoding="utf-8")
                       + pin_toml("Court TSA", tsa.signers["a"]), encoding="utf-8")
    for bundle in (before, after):
        result = verify(bundle, trust=profile, policy="hague-3-tsa",
                        chain_url=[anvil_node.url])
        assert "timestamp-clocks-agree" in codes(result), result.findings
        assert result.verdict.value == "presumed-authentic", result.findings


# -- attack 5: the capturer's own TSA dressed as the court's ---------------------------------


@pytest.fixture(scope="module")
def lookalike_tsa(tsa: LocalTsa, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The capturer's own TSA (openssl ts -reply), its root and signing certificate copied
    name for name from the court's pinned "Test TSA A" — same subject and issuer names, same
    serial number, same critical timeStamping EKU — under a key the capturer holds. Yields
    its URL."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID

    from ..timestamps.tsa import _signer, make_ca, serve_tsa

    real = tsa.signers["a"].cert
    ca_key, ca = make_ca(tsa.signers["a"].root.subject.get_attributes_for_oid(
        x509.oid.NameOID.COMMON_NAME)[0].value)  # type: ignore[arg-type]
    assert ca.subject == tsa.signers["a"].root.subject
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(real.subject).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(real.serial_number)
            .not_valid_before(real.not_valid_before_utc)
            .not_valid_after(real.not_valid_after_utc)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]),
                           critical=True)
            .sign(ca_key, hashes.SHA256()))
    signer = _signer(tmp_path_factory.mktemp("lookalike") / "tsa", key, cert, ca)
    server = serve_tsa({"lookalike": signer}, {"/tsa": ("lookalike", "ok")})
    try:
        yield server.url()
    finally:
        server.stop()


@pytest.mark.parametrize("pin_certificate", [False, True])
def test_a_lookalike_tsa_is_not_the_pinned_one(
        forged_web: Path, lookalike_tsa: str, tsa: LocalTsa, tmp_path: Path,
        session_workspace: Path, pin_certificate: bool) -> None:
    """A token from the capturer's TSA whose root and signing certificate carry the pinned
    TSA's names and serial number: intact (the capturer signed it properly), but never
    trusted, whether the court pins the TSA's root only or its certificate too."""
    import shutil

    from evidence.verification.verifier import verify
    from evidence.workspace import open_workspace

    from ..conftest import PASSPHRASE
    from ..timestamps.test_timestamps import profile
    from ..timestamps.tsa import pin_toml

    bundle = tmp_path / "bundle"
    shutil.copytree(forged_web, bundle)
    key = open_workspace(session_workspace).signing_key(PASSPHRASE)
    timestamp_bundle(bundle, [lookalike_tsa], key=key)
    court = profile(tmp_path, pin_toml("Court TSA", tsa.signers["a"], qualified=True,
                                       certificate=pin_certificate))
    result = verify(bundle, trust=court, offline=True, policy="hague-3-tsa")
    [shown] = result.timestamps
    assert shown["status"] == "not-pinned" and shown["qualified"] is False
    assert shown["signer_subject"] == tsa.signers["a"].cert.subject.rfc4514_string()
    found = codes(result)
    assert "timestamp-ok" not in found
    assert {"timestamp-tsa-not-pinned", "timestamp-required"} <= found
    assert not any(f.severity.value == "error" for f in result.findings), result.findings


# -- attack 6 (issue 19, again): the bundle shipped inside the capturer's workspace ----------


def test_court_report_inside_the_capturers_workspace_uses_nothing_of_it(
        bases: Any, tmp_path: Path) -> None:
    """The capturer ships its whole workspace (embedded chain, demonstration profile, demo
    witnesses in CN, SG, DE, JP; its ``evidence.toml``) with the anchored bundle inside it;
    the court types ``evidence report BUNDLE -o OUT`` (and
    ``evidence verify``) in that folder. Neither may read the workspace's chain or profile:
    no presumption and no demonstration, and the report is the verifying party's."""
    import json
    import shutil

    from ..conftest import run_cli

    shipped = tmp_path / "shipped"
    shutil.copytree(bases.workspace, shipped / "ws")
    bundle = shipped / "ws" / "bundle"
    shutil.copytree(bases["example"], bundle)
    no_secrets = {"EVIDENCE_PASSPHRASE": "", "EVIDENCE_WORKSPACE": "",
                  "XDG_CONFIG_HOME": str(tmp_path / "court-config"), "EVIDENCE_TRUST": ""}
    out = shipped / "ws" / "court.json"
    proc = run_cli("report", "bundle", "-o", str(out), cwd=shipped / "ws", env=no_secrets)
    assert proc.returncode == 0, proc.stderr
    assert "unsigned: prepared by the verifying party" in proc.stdout
    doc = json.loads(out.read_bytes())
    assert doc["prepared_by"] == {"party": "verifying-party", "key": None}
    assert doc["verdict"]["code"] == "inconclusive", doc["verdict"]
    assert doc["trust"] is None and doc["verification"]["demonstration"] is False
    verified = run_cli("verify", "bundle", "--json", cwd=shipped / "ws", env=no_secrets)
    result = json.loads(verified.stdout)
    assert verified.returncode != 0 and result["verdict"] == "inconclusive"
    assert result["trust"] is None and result["demonstration"] is False


# -- attack 7: the capturer's own TSA, "qualified", pinned by a demonstration profile --------


def test_a_demonstration_profile_never_makes_a_tsa_qualified_or_trusted_in_earnest(
        forged_web: Path, tsa: LocalTsa, tmp_path: Path, session_workspace: Path) -> None:
    """A demonstration profile (like the workspace's own, which a capturer writes and uses
    for the report it prepares itself with ``-w``) may pin any TSA, the capturer's own
    included, and call it qualified. The token must then be shown as a demonstration: never
    "qualified" (eIDAS Art. 41(2) presumes the accuracy of qualified time stamps only), and
    the report's timestamp row must name the demonstration, not "trusted"."""
    import shutil

    from evidence.report.model import build_report
    from evidence.verification.verifier import verify
    from evidence.workspace import open_workspace

    from ..conftest import PASSPHRASE
    from ..timestamps.test_timestamps import MINIMAL_PROFILE
    from ..timestamps.tsa import pin_toml

    bundle = tmp_path / "bundle"
    shutil.copytree(forged_web, bundle)
    timestamp_bundle(bundle, [tsa.url("/rogue")],
                     key=open_workspace(session_workspace).signing_key(PASSPHRASE))
    demo = tmp_path / "demo.toml"
    demo.write_text(MINIMAL_PROFILE.read_text(encoding="utf-8").replace(
        "expires = 2099-12-31T00:00:00Z\n",
        "expires = 2099-12-31T00:00:00Z\ndemonstration = true\n")
        + pin_toml("Capturer's Qualified TSA", tsa.signers["rogue"], qualified=True),
        encoding="utf-8")
    result = verify(bundle, trust=demo, offline=True)
    assert result.demonstration is True
    [shown] = result.timestamps
    assert shown["qualified"] is False, shown
    [ok] = [f for f in result.findings if f.code == "timestamp-ok"]
    assert "qualified" not in ok.message and "demonstration" in ok.message, ok.message
    [row] = build_report(result, bundle=bundle, lang="en").timestamps
    assert row.qualified is False
    assert "demonstration" in row.status_text["en"] and "trusted" not in row.status_text["en"]
    from ..conftest import run_cli

    shown_cli = run_cli("verify", str(bundle), "--offline", "--trust", str(demo))
    line = next(x for x in shown_cli.stdout.splitlines() if "Capturer's Qualified TSA" in x)
    assert "(qualified)" not in line and "demonstration (no evidential value)" in line, line


# -- attack 8 (issue 19, again): a policy file that passes for hague-3-tsa --------------------


def test_a_policy_file_cannot_pass_for_hague_3_tsa(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The capturer leaves ``hague-3-tsa.toml`` and ``hague-3-tsa`` (no timestamp required)
    in the folder where the court types ``--policy hague-3-tsa``: the built-in policy is
    used; given by path, a file that takes the built-in name is refused naming file and key."""
    from importlib import resources

    from evidence.errors import FormatError
    from evidence.policy.load import load_policy

    shipped = resources.files("evidence").joinpath("data", "policies", "hague-3-tsa.toml")
    lax = shipped.read_text(encoding="utf-8").replace("require_timestamp = true",
                                                      "require_timestamp = false")
    assert lax != shipped.read_text(encoding="utf-8")
    for name in ("hague-3-tsa.toml", "hague-3-tsa", "HAGUE-3-TSA"):
        (tmp_path / name).write_text(lax, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for typed in ("hague-3-tsa", "HAGUE-3-TSA"):
        policy = load_policy(typed)
        assert policy.require_timestamp is True and policy.source.startswith("built-in")
    with pytest.raises(FormatError, match="reserved for the built-in policy") as refused:
        load_policy("./hague-3-tsa.toml")
    assert "hague-3-tsa.toml" in str(refused.value)
