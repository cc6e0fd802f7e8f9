"""The verification table of issue 4: each row builds its evidence and says what must come out.

A row's ``build`` gets a :class:`~tests.verification.conftest.Lab` (embedded chain or
anvil) and returns a :class:`Case`: the package to verify, how to verify it, the verdict
and exit code expected from both the library and the command line, the verdict an
``--offline`` verification of the same package must give, and a ``check`` of the row's
own facts (which witness was not counted and why, which item is named as changed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .conftest import (
    Lab,
    Outcome,
    change_record_field,
    closed_port_url,
    copy_alone,
    flip_byte,
    refresh_tag_manifest_entry,
    rewrite_receipt,
    verify_both,
)

PRESUMED = "presumed-authentic"
NOT_PRESUMED = "not-presumed"
FAILED = "failed"
INCONCLUSIVE = "inconclusive"

#: 25 hours: one hour past hague-3's 24 h confirmation window.
PAST_WINDOW_SECONDS = 25 * 3600

#: An offset inside chat-1.png's image data (the file is about 28 kB).
SCREENSHOT_BYTE = 1000

Doc = dict[str, Any]


def _no_check(_doc: Doc) -> None:
    return None


@dataclass(frozen=True)
class Case:
    path: Path
    verdict: str
    exit_code: int
    offline_verdict: str
    use_workspace: bool = True
    policy: str | None = None
    offline: bool = False
    chain_url: str | None = None
    check: Callable[[Doc], None] = field(default=_no_check)


@dataclass(frozen=True)
class Row:
    id: str
    build: Callable[[Lab], Case]
    chain_dependent: bool = True


# -- reading a result ----------------------------------------------------------------------


def findings(doc: Doc, code: str) -> list[Doc]:
    return [f for f in doc["findings"] if f["code"] == code]


def the_finding(doc: Doc, code: str) -> Doc:
    hits = findings(doc, code)
    assert len(hits) == 1, (code, [f["code"] for f in doc["findings"]])
    return hits[0]


def errors(doc: Doc) -> list[Doc]:
    return [f for f in doc["findings"] if f["severity"] == "error"]


def integrity_errors(doc: Doc) -> list[Doc]:
    """Errors about the bytes (BagIt, items, root, signature), not about receipts or chain."""
    prefixes = ("bag-", "item-", "items-", "root-", "signature-", "signer-", "proof-",
                "provenance-", "payload-", "records-")
    return [f for f in errors(doc) if f["code"].startswith(prefixes)]


def witness(doc: Doc, address: str) -> Doc:
    hits: list[Doc] = [w for w in doc["witnesses"] if w["address"].lower() == address.lower()]
    assert len(hits) == 1, (address, doc["witnesses"])
    return hits[0]


def counted(doc: Doc) -> list[str]:
    return sorted(w["jurisdiction"] for w in doc["witnesses"] if w["counted"])


def item(doc: Doc, *, path: str | None = None, item_id: str | None = None) -> Doc:
    hits: list[Doc] = [i for i in doc["items"] if (path is None or i["path"] == path)
                       and (item_id is None or i["id"] == item_id)]
    assert len(hits) == 1, (path, item_id)
    return hits[0]


def assert_policy_held(doc: Doc, jurisdictions: list[str]) -> None:
    assert doc["policy"]["satisfied"] is True
    assert sorted(doc["policy"]["counted_jurisdictions"]) == jurisdictions
    assert counted(doc) == jurisdictions
    assert the_finding(doc, "policy-jurisdictions")["severity"] == "ok"
    assert the_finding(doc, "policy-outcome")["severity"] == "ok"


def assert_policy_not_held(doc: Doc, jurisdictions: list[str]) -> None:
    """Intact, anchored, checked on chain, but too few counted jurisdictions."""
    assert not errors(doc), errors(doc)
    assert doc["anchor"]["checked_on_chain"] is True
    assert doc["policy"]["satisfied"] is False
    assert counted(doc) == jurisdictions
    rule = the_finding(doc, "policy-jurisdictions")
    assert rule["severity"] == "warning"
    assert f"{len(jurisdictions)} of 3 required" in rule["message"]
    assert the_finding(doc, "policy-outcome")["severity"] == "warning"


def assert_not_counted(doc: Doc, address: str, reason_code: str, rule: str) -> None:
    """The witness is listed, not counted, for ``reason_code``; the rule's finding says so."""
    w = witness(doc, address)
    assert w["counted"] is False
    assert w["reason_code"] == reason_code
    assert w["reason"].startswith(f"{reason_code}: ")
    finding = the_finding(doc, rule)
    assert finding["severity"] == "info"
    assert address in finding["message"]


# -- the rows --------------------------------------------------------------------------------


def three_hague_states(lab: Lab) -> Case:
    bundle, _ = lab.confirmed_bundle("hague-3", "CN", "SG", "DE")

    def check(doc: Doc) -> None:
        assert_policy_held(doc, ["CN", "DE", "SG"])
        assert all(w["hague_party"] and w["counted"] for w in doc["witnesses"])
        assert doc["anchor"]["checked_on_chain"] is True
        assert the_finding(doc, "anchor-ok")["severity"] == "ok"
        assert the_finding(doc, "contract-ok")["severity"] == "ok"
        assert all(i["status"] == "ok" for i in doc["items"])
        assert len(doc["items"]) == 15  # 3 files (2 screenshots, the export), 12 records

    return Case(bundle, PRESUMED, 0, NOT_PRESUMED, check=check)


def two_hague_states(lab: Lab) -> Case:
    bundle, _ = lab.confirmed_bundle("two-states", "CN", "SG")

    def check(doc: Doc) -> None:
        assert_policy_not_held(doc, ["CN", "SG"])
        assert all(w["counted"] for w in doc["witnesses"])

    return Case(bundle, NOT_PRESUMED, 1, NOT_PRESUMED, check=check)


def one_non_party(lab: Lab) -> Case:
    cn, sg, jp = lab.witness("CN"), lab.witness("SG"), lab.witness("JP")
    bundle = lab.bundle("with-japan")
    lab.confirm(lab.anchor(bundle), cn, sg, jp)

    def check(doc: Doc) -> None:
        assert_policy_not_held(doc, ["CN", "SG"])
        assert_not_counted(doc, jp.address, "not-hague-party", "policy-hague-party")
        assert witness(doc, jp.address)["hague_party"] is False
        assert witness(doc, jp.address)["in_force_date"] is None

    return Case(bundle, NOT_PRESUMED, 1, NOT_PRESUMED, check=check)


def one_operator_twice(lab: Lab) -> Case:
    operator = "Acme Witness Services Ltd"
    a_cn, a_sg = lab.witness("CN", operator), lab.witness("SG", operator)
    de = lab.witness("DE")
    bundle = lab.bundle("same-operator")
    lab.confirm(lab.anchor(bundle), a_cn, a_sg, de)

    def check(doc: Doc) -> None:
        assert not errors(doc)
        assert doc["policy"]["satisfied"] is False
        acme = [witness(doc, a_cn.address), witness(doc, a_sg.address)]
        assert sorted(w["counted"] for w in acme) == [False, True]  # counted once
        [dropped] = [w for w in acme if not w["counted"]]
        assert dropped["reason_code"] == "same-operator"
        assert witness(doc, de.address)["counted"] is True
        assert len(counted(doc)) == 2 and "DE" in counted(doc)
        assert the_finding(doc, "policy-operators")["severity"] == "info"
        assert "2 of 3 required" in the_finding(doc, "policy-jurisdictions")["message"]

    return Case(bundle, NOT_PRESUMED, 1, NOT_PRESUMED, check=check)


def revoked_before_confirming(lab: Lab) -> Case:
    """Revoked retroactively: the registrar sets the end of activity back to the witness's
    registration (a key compromise found later), after it had confirmed. The contract keeps
    the confirmation; the policy must judge it by the revoked period."""
    cn, sg, fr = lab.witness("CN"), lab.witness("SG"), lab.witness("FR")
    bundle = lab.bundle("revoked")
    lab.confirm(lab.anchor(bundle), cn, sg, fr)
    before = lab.verify(bundle)
    assert before.verdict.value == PRESUMED, "control: the three confirmations count first"
    lab.revoke(fr, effective_at=lab.registered_at(fr))

    def check(doc: Doc) -> None:
        assert_policy_not_held(doc, ["CN", "SG"])
        # Issued after the confirmation (the contract refuses a revoked witness's), dated
        # back: a disputed revocation, shown with both times and named as what withdrew
        # the presumption.
        w = witness(doc, fr.address)
        assert (w["counted"], w["reason_code"]) == (False, "disputed-revocation")
        assert w["revoked_at"] == lab.registered_at(fr)
        assert w["revocation_issued_at"] is not None
        assert w["revocation_issued_at"] >= w["confirmed_at"]
        rule = the_finding(doc, "policy-disputed-revocation")
        assert rule["severity"] == "warning" and fr.address in rule["message"]

    return Case(bundle, NOT_PRESUMED, 1, NOT_PRESUMED, check=check)


def confirmed_after_window(lab: Lab) -> Case:
    cn, sg, de = lab.witness("CN"), lab.witness("SG"), lab.witness("DE")
    bundle = lab.bundle("late")
    receipt = lab.anchor(bundle)
    lab.confirm(receipt, cn, sg)
    lab.advance_time(PAST_WINDOW_SECONDS)
    lab.confirm(receipt, de)

    def check(doc: Doc) -> None:
        assert_policy_not_held(doc, ["CN", "SG"])
        assert_not_counted(doc, de.address, "outside-window", "policy-window")
        late = witness(doc, de.address)
        assert late["confirmed_at"] - doc["anchor"]["block_time"] >= PAST_WINDOW_SECONDS

    return Case(bundle, NOT_PRESUMED, 1, NOT_PRESUMED, check=check)


def submitter_as_witness(lab: Lab) -> Case:
    cn, sg = lab.witness("CN"), lab.witness("SG")
    own = lab.register_submitter("DE")
    bundle = lab.bundle("submitter")
    lab.confirm(lab.anchor(bundle), cn, sg, own)

    def check(doc: Doc) -> None:
        assert doc["anchor"]["submitter"].lower() == own.address.lower()
        assert_policy_not_held(doc, ["CN", "SG"])
        assert_not_counted(doc, own.address, "submitter", "policy-submitter")

    return Case(bundle, NOT_PRESUMED, 1, NOT_PRESUMED, check=check)


def changed_screenshot_byte(lab: Lab) -> Case:
    bundle, _ = lab.confirmed_bundle("screenshot-byte", "CN", "SG", "DE")
    shot = "data/files/screenshots/chat-1.png"
    flip_byte(bundle / shot, SCREENSHOT_BYTE)

    def check(doc: Doc) -> None:
        changed = item(doc, path=shot)
        assert changed["status"] == "changed"
        assert all(i["status"] == "ok" for i in doc["items"] if i is not changed)
        [named] = [f for f in errors(doc) if f["code"] == "item-changed"]
        assert named["subject"] == changed["id"]
        assert "chat-1.png" in named["message"]
        assert any(f["subject"] == shot for f in errors(doc) if f["code"].startswith("bag-"))

    return Case(bundle, FAILED, 1, FAILED, check=check)


def changed_record_field(lab: Lab) -> Case:
    bundle, _ = lab.confirmed_bundle("record-field", "CN", "SG", "DE")
    change_record_field(bundle, 3, "price", "8.40")  # CSV row 4 (row 1 is the header)

    def check(doc: Doc) -> None:
        changed = item(doc, item_id="R-3")
        assert changed["status"] == "changed"
        assert "row 4" in changed["message"]
        assert [i["id"] for i in doc["items"] if i["status"] != "ok"] == ["R-3"]
        [named] = [f for f in errors(doc) if f["code"] == "item-changed"]
        assert named["subject"] == "R-3"
        assert "R-3" in named["message"] and "row 4" in named["message"]

    return Case(bundle, FAILED, 1, FAILED, check=check)


def _receipt_elsewhere(lab: Lab, name: str, contract: str, *, fix_tags: bool) -> tuple[Path, str]:
    bundle, _ = lab.confirmed_bundle(name, "CN", "SG", "DE")
    path = rewrite_receipt(bundle, contract=contract)
    if fix_tags:
        refresh_tag_manifest_entry(bundle, path)
    return bundle, path.relative_to(bundle).as_posix()


def receipt_other_contract_tags_broken(lab: Lab) -> Case:
    """The receipt edited to name a second EvidenceAnchor; the tag manifests give it away."""
    other = lab.deploy_second_contract()
    bundle, receipt = _receipt_elsewhere(lab, "other-contract", other, fix_tags=False)

    def check(doc: Doc) -> None:
        bag = [f for f in errors(doc) if f["code"].startswith("bag-")]
        assert {f["subject"] for f in bag} == {receipt}, bag
        assert {f["code"] for f in bag} == {"bag-digest-mismatch"}
        assert all(f["message"].count(receipt) == 1 for f in bag)  # named once, plainly
        assert all(i["status"] == "ok" for i in doc["items"])

    return Case(bundle, FAILED, 1, FAILED, check=check)


def receipt_other_contract_tags_fixed(lab: Lab) -> Case:
    """The same edit with the tag manifests recomputed: only the chain can tell."""
    other = lab.deploy_second_contract()
    bundle, _ = _receipt_elsewhere(lab, "other-contract-fixed", other, fix_tags=True)

    def check(doc: Doc) -> None:
        assert the_finding(doc, "bag-ok")["severity"] == "ok"
        assert not integrity_errors(doc)
        error = the_finding(doc, "anchor-missing")
        assert error["severity"] == "error"
        assert other in error["message"]
        assert doc["anchor"]["contract"] == other
        assert doc["anchor"]["checked_on_chain"] is False
        assert doc["witnesses"] == []

    return Case(bundle, FAILED, 1, FAILED, check=check)


def receipt_contract_without_code(lab: Lab) -> Case:
    """The receipt names an account with no code (here the workspace account)."""
    account = str(lab.registrar.address)
    bundle, _ = _receipt_elsewhere(lab, "no-code", account, fix_tags=True)

    def check(doc: Doc) -> None:
        assert not integrity_errors(doc)
        error = the_finding(doc, "contract-missing")
        assert error["severity"] == "error"
        assert error["subject"] == account
        assert account in error["message"]

    return Case(bundle, FAILED, 1, FAILED, check=check)


def receipt_contract_foreign_code(lab: Lab) -> Case:
    """The receipt names a contract whose code is not EvidenceAnchor's."""
    from ..chain.conftest import BoxArtifact

    with lab.chain() as chain:
        box = str(chain.deploy(BoxArtifact(), lab.registrar))
    bundle, _ = _receipt_elsewhere(lab, "foreign-code", box, fix_tags=True)

    def check(doc: Doc) -> None:
        assert not integrity_errors(doc)
        error = the_finding(doc, "contract-mismatch")
        assert error["severity"] == "error"
        assert error["subject"] == box

    return Case(bundle, FAILED, 1, FAILED, check=check)


def node_unreachable(lab: Lab) -> Case:
    bundle, _ = lab.confirmed_bundle("unreachable", "CN", "SG", "DE")

    def check(doc: Doc) -> None:
        unknown = [f for f in doc["findings"] if f["severity"] == "unknown"]
        assert [f["code"] for f in unknown] == ["chain-unreachable"]
        assert "127.0.0.1" in unknown[0]["message"]
        assert not errors(doc)
        assert doc["anchor"]["checked_on_chain"] is False

    return Case(bundle, INCONCLUSIVE, 3, NOT_PRESUMED, use_workspace=False,
                chain_url=closed_port_url(), check=check)


def disclosure_of_one_record(lab: Lab) -> Case:
    bundle, _ = lab.confirmed_bundle("to-disclose", "CN", "SG", "DE")
    package = copy_alone(lab.disclose(bundle, "R-1"), lab.fresh("elsewhere"))

    def check(doc: Doc) -> None:
        assert doc["package"] == "disclosure"
        assert [i["id"] for i in doc["items"]] == ["R-1"]
        assert doc["leaf_count"] == 15
        assert the_finding(doc, "proof-ok")["severity"] == "ok"
        assert_policy_held(doc, ["CN", "DE", "SG"])

    # On a JSON-RPC chain the package needs nothing but the node's URL.
    alone = lab.kind == "rpc"
    return Case(package, PRESUMED, 0, NOT_PRESUMED, use_workspace=not alone,
                chain_url=lab.url if alone else None, check=check)


def offline_never_presumed(lab: Lab) -> Case:
    bundle, _ = lab.confirmed_bundle("offline", "CN", "SG", "DE")

    def check(doc: Doc) -> None:
        assert doc["offline"] is True
        assert the_finding(doc, "offline")["severity"] == "warning"
        assert doc["anchor"]["checked_on_chain"] is False
        assert doc["witnesses"] == []
        assert "satisfied" not in doc["policy"]
        assert not errors(doc)

    return Case(bundle, NOT_PRESUMED, 1, NOT_PRESUMED, offline=True, check=check)


def custom_policy_two(lab: Lab) -> Case:
    bundle, _ = lab.confirmed_bundle("custom-policy", "CN", "SG")
    assert lab.verify(bundle).verdict.value == NOT_PRESUMED  # control
    folder = lab.fresh("policy")
    folder.mkdir()
    policy = folder / "two-states.toml"
    policy.write_text(CUSTOM_POLICY, encoding="utf-8")

    def check(doc: Doc) -> None:
        assert doc["policy"]["name"] == "two-states"
        assert doc["policy"]["min_jurisdictions"] == 2
        assert doc["policy"]["source"] == str(policy)
        assert_policy_held(doc, ["CN", "SG"])

    return Case(bundle, PRESUMED, 0, NOT_PRESUMED, policy=str(policy), check=check)


CUSTOM_POLICY = """\
version = 1
name = "two-states"
description = "Two Hague Evidence Convention states suffice (a test policy)."
min_jurisdictions = 2
require_hague_party = true
require_in_force_at_confirmation = true
count_distinct_operators = true
exclude_submitter = true
confirmation_window_seconds = 86400
max_clock_skew_seconds = 300
min_blocks_on_top = 0
"""

ROWS: tuple[Row, ...] = (
    Row("3-hague-states", three_hague_states),
    Row("2-hague-states", two_hague_states),
    Row("one-non-party-JP", one_non_party),
    Row("one-operator-twice", one_operator_twice),
    Row("revoked-before-confirming", revoked_before_confirming),
    Row("confirmed-after-window", confirmed_after_window),
    Row("submitter-as-witness", submitter_as_witness),
    Row("changed-screenshot-byte", changed_screenshot_byte, chain_dependent=False),
    Row("changed-record-field", changed_record_field, chain_dependent=False),
    Row("receipt-other-contract-tags-broken", receipt_other_contract_tags_broken),
    Row("receipt-other-contract-tags-fixed", receipt_other_contract_tags_fixed),
    Row("receipt-contract-without-code", receipt_contract_without_code),
    Row("receipt-contract-foreign-code", receipt_contract_foreign_code),
    Row("node-unreachable", node_unreachable),
    Row("disclosure-of-one-record", disclosure_of_one_record),
    Row("offline-never-presumed", offline_never_presumed),
    Row("custom-policy-min-2", custom_policy_two),
)

CHAIN_ROWS = tuple(r for r in ROWS if r.chain_dependent)


# -- running a row ---------------------------------------------------------------------------


def run_row(row: Row, lab: Lab, validator: Any, cwd: Path) -> Outcome:
    """Build the row, verify it through the library and the CLI, and check everything."""
    from evidence.verification.verifier import verify

    case = row.build(lab)
    out = verify_both(case.path, workspace=lab.ws_path if case.use_workspace else None,
                      cwd=cwd, policy=case.policy, offline=case.offline,
                      chain_url=case.chain_url, trust=lab.trust_path)
    assert "Traceback" not in out.cli_stderr and "internal error" not in out.cli_stderr
    for door, doc, code in (("library", out.library, out.library_exit),
                            ("cli", out.cli, out.cli_exit)):
        problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                    for e in validator.iter_errors(doc)]
        assert not problems, f"{door} JSON does not match the schema: {problems}"
        assert (doc["verdict"], code) == (case.verdict, case.exit_code), (
            door, [(f["code"], f["message"]) for f in doc["findings"] if f["severity"] != "ok"])
        # The embedded chain is a development chain: a presumption there is a demonstration.
        # The anvil node is pinned by the lab's court profile as a production chain.
        embedded = lab.kind == "embedded"
        assert doc["development_chain"] is embedded
        # The trust: the court's profile (anvil) or the demonstration profile of the
        # workspace the verifier named (embedded); a verifier naming neither has none.
        demo = embedded and case.use_workspace
        assert doc["demonstration"] is demo
        if lab.trust_path is None and not case.use_workspace:
            assert doc["trust"] is None
        else:
            assert doc["trust"] is not None and doc["trust"]["demonstration"] is demo
        case.check(doc)
    # The CLI renders the very object the library returns (only the clock differs).
    assert _without_clock(out.cli) == _without_clock(out.library)
    if not case.offline:
        alone = verify(case.path, offline=True,
                       workspace=lab.ws_path if case.use_workspace else None,
                       trust=lab.trust_path)
        assert not list(validator.iter_errors(alone.to_json()))
        assert alone.verdict.value == case.offline_verdict != PRESUMED
    return out


def _without_clock(doc: Doc) -> Doc:
    return {k: v for k, v in doc.items() if k != "verified_at"}
