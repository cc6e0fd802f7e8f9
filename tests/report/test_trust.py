"""Reports name the trust used (issue 19): the verifier's profile or that none was given, the
chain as read, the registrar and each witness's identity; a demonstration is said once, in
the verdict itself, never as a red box beside a green verdict."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from evidence.findings import Verdict
from evidence.policy import evaluate as policy_module
from evidence.report import Report, ReportSigner, build_report, write_report
from evidence.report import model as report_model
from evidence.report.text import REASONS, RULES
from evidence.result import VerificationResult

from .fixtures import (
    COURT_CHAIN,
    COURT_TRUST,
    DEMO_TRUST,
    GENESIS,
    REGISTRAR,
    REVOKED_WITNESS,
    STRAY_WITNESS,
    SUBMITTER,
    make_result,
    make_trusted_result,
    make_untrusted_result,
)

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO / "evidence" / "schemas" / "report.schema.json"
RESULT_SCHEMA = REPO / "evidence" / "schemas" / "verification-result.schema.json"
NOW = "2025-11-28T09:05:00Z"

DEMO_EN = ("DEMONSTRATION ONLY — no evidential value: the checks pass under policy hague-3 and "
           "demonstration profile workspace-demonstration")
DEMO_ZH = "仅为演示，无证据价值：在策略 hague-3 及演示配置 workspace-demonstration 下各项核验均通过"
NO_TRUST_EN = "No trust profile was given, so no presumption was possible."
NO_TRUST_ZH = "未提供信任配置，因此无法作出任何推定。"
DEV_BOX_EN = "DEVELOPMENT CHAIN: this anchor is on a development chain"
DEV_BOX_ZH = "开发链警告"

KINDS = {"demo": make_result, "trusted": make_trusted_result, "untrusted": make_untrusted_result}


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _report(result: VerificationResult, tmp: Path, lang: str = "en+zh") -> Report:
    return build_report(result, bundle=tmp, lang=lang, report_id="RPT-20251128-TRUST001",
                        now=NOW)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory,
            signer: ReportSigner) -> dict[str, dict[str, Path]]:
    """Each kind of result as JSON, HTML and PDF."""
    out: dict[str, dict[str, Path]] = {}
    for kind, make in KINDS.items():
        folder = tmp_path_factory.mktemp(f"trust-{kind}")
        report = _report(make(), folder)
        out[kind] = {fmt: write_report(report, folder / f"report.{fmt}", signer=signer)
                     for fmt in ("json", "html", "pdf")}
    return out


class _Paragraphs(HTMLParser):
    """Every <p> with its class, and all text."""

    def __init__(self) -> None:
        super().__init__()
        self.paragraphs: list[tuple[str, str]] = []
        self.text: list[str] = []
        self._open: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "p":
            self._open = (dict(attrs).get("class") or "", [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "p" and self._open is not None:
            self.paragraphs.append((self._open[0], "".join(self._open[1])))
            self._open = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._open is not None:
            self._open[1].append(data)


def _html(path: Path) -> _Paragraphs:
    parser = _Paragraphs()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _pdf_pages(path: Path) -> list[str]:
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("SKIPPED: pdftotext missing (apt-get install poppler-utils)")
    text = subprocess.run([tool, str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return text.split("\f")


# --------------------------------------------------------------------------- words for codes


def test_reason_rule_mirrors_policy() -> None:
    """The model's mirror is evidence.policy.evaluate's table (the source of truth), entry for
    entry."""
    assert report_model._REASON_RULE == policy_module._REASON_RULE


def test_every_reason_code_and_rule_has_words() -> None:
    schema = json.loads(RESULT_SCHEMA.read_text(encoding="utf-8"))
    emitted = set(schema["$defs"]["witness"]["properties"]["reason_code"]["enum"])
    codes = emitted | set(policy_module._REASON_RULE)
    rules = {v for k, v in vars(policy_module).items()
             if k.startswith("_RULE_") and isinstance(v, str)}
    assert {"policy-witness-identity", "policy-capture-time",
            "policy-disputed-revocation"} <= rules
    for code in codes:
        en, zh = REASONS[code]
        assert en and re.search(r"[\u4e00-\u9fff]", zh), code
    for rule in rules:
        en, zh = RULES[rule]
        assert en and re.search(r"[\u4e00-\u9fff]", zh), rule


# --------------------------------------------------------------------------- JSON


def test_json_names_trust_chain_and_registrar(outputs: dict[str, dict[str, Path]]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    docs = {k: json.loads(v["json"].read_bytes()) for k, v in outputs.items()}
    for doc in docs.values():
        jsonschema.Draft202012Validator(schema).validate(doc)
        assert doc["schema_version"] == "1.2"
    demo, trusted, untrusted = docs["demo"], docs["trusted"], docs["untrusted"]
    assert demo["verification"]["demonstration"] is True
    assert demo["trust"] == DEMO_TRUST and demo["chain"]["genesis_hash"] == GENESIS
    assert demo["anchor"]["registrar"] == SUBMITTER
    assert trusted["verification"]["demonstration"] is False
    assert trusted["trust"] == COURT_TRUST and trusted["chain"] == COURT_CHAIN
    assert trusted["anchor"]["registrar"] == REGISTRAR
    assert untrusted["trust"] is None and untrusted["chain"]["pinned"] is False
    cn = trusted["witnesses"][0]
    assert (cn["operator_id"], cn["operator_source"], cn["registry_operator"]) == (
        "91330100MA27XKQ93P", "profile", "Hangzhou Notary")
    revoked = next(w for w in trusted["witnesses"] if w["address"] == REVOKED_WITNESS)
    assert revoked["revoked_at_utc"] == "2025-11-27T22:03:20Z"
    assert revoked["revocation_issued_at_utc"] == "2025-11-28T00:00:00Z"


def test_schema_is_closed_on_the_new_objects(outputs: dict[str, dict[str, Path]]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    doc = json.loads(outputs["trusted"]["json"].read_bytes())
    for where in ("trust", "chain", "anchor", "verification"):
        broken = json.loads(json.dumps(doc))
        broken[where]["extra"] = True
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.Draft202012Validator(schema).validate(broken)


# --------------------------------------------------------------------------- demonstration


def test_demonstration_wording_claims_no_more_in_chinese(tmp_path: Path) -> None:
    doc = _report(make_result(), tmp_path).to_json()
    title, explanation = doc["verdict"]["title"], doc["verdict"]["explanation"]
    assert title == {"en": DEMO_EN, "zh": DEMO_ZH}
    outcome = next(r for r in doc["policy"]["rules"] if r["code"] == "policy-outcome")
    for text in (title["zh"], explanation["zh"], outcome["explanation"]["zh"]):
        assert "推定真实" not in text and "可反驳" not in text
    assert "无证据价值" in title["zh"] and "不具有证据价值" in outcome["explanation"]["zh"]
    assert "no evidential value" in title["en"]
    assert "no presumption" in explanation["en"]


def test_demonstration_html_says_it_in_the_verdict_only(
        outputs: dict[str, dict[str, Path]]) -> None:
    page = _html(outputs["demo"]["html"])
    verdicts = [(cls, text) for cls, text in page.paragraphs if cls.startswith("verdict")]
    assert len(verdicts) == 1
    cls, text = verdicts[0]
    assert cls == "verdict caution"  # never green
    assert DEMO_EN in text and DEMO_ZH in text
    assert not [t for c, t in page.paragraphs if c == "warning"]
    everything = "".join(page.text)
    assert DEV_BOX_EN not in everything and DEV_BOX_ZH not in everything


def test_demonstration_pdf_says_it_in_the_verdict_only(
        outputs: dict[str, dict[str, Path]]) -> None:
    pages = _pdf_pages(outputs["demo"]["pdf"])
    first = _squash(pages[0])
    assert _squash(DEMO_EN) in first and _squash(DEMO_ZH) in first
    whole = _squash("".join(pages))
    assert _squash(DEV_BOX_EN) not in whole and _squash(DEV_BOX_ZH) not in whole
    # the trust section names the demonstration profile
    assert _squash("Demonstration profile / 演示配置 yes / 是") in whole
    assert str(DEMO_TRUST["sha256"]) in whole


def test_other_verdicts_under_a_demonstration_profile_say_so(tmp_path: Path) -> None:
    doc = _report(replace(make_result(), verdict=Verdict.NOT_PRESUMED), tmp_path).to_json()
    assert doc["verdict"]["title"]["en"] == (
        "No presumption under policy hague-3 and trust profile workspace-demonstration")
    assert doc["verdict"]["explanation"]["en"].endswith(
        "The verification ran under the demonstration trust profile workspace-demonstration: "
        "whatever it finds, it has no evidential value.")
    assert "均不具有证据价值" in doc["verdict"]["explanation"]["zh"]


# --------------------------------------------------------------------------- a court's profile


def _trusted_tokens() -> list[str]:
    return [str(COURT_TRUST["name"]), str(COURT_TRUST["sha256"]), str(COURT_TRUST["publisher"]),
            str(COURT_TRUST["signed_by"]), REGISTRAR, str(COURT_CHAIN["genesis_hash"]),
            "besu/v24.9.1/linux-x86_64/openjdk-java-21", "91330100MA27XKQ93P",
            "Hangzhou Notary", "MY",
            "Presumed not altered since anchoring (rebuttable) under policy hague-3 and trust "
            "profile example-consortium"]


def test_trusted_html_names_the_profile_and_registrar(
        outputs: dict[str, dict[str, Path]]) -> None:
    page = _html(outputs["trusted"]["html"])
    everything = _squash("".join(page.text))
    for token in _trusted_tokens():
        assert _squash(token) in everything, token
    assert [c for c, _ in page.paragraphs if c.startswith("verdict")] == ["verdict good"]
    assert not [t for c, t in page.paragraphs if c == "warning"]
    assert NO_TRUST_EN not in "".join(page.text)


def test_trusted_pdf_names_the_profile_and_registrar(
        outputs: dict[str, dict[str, Path]]) -> None:
    whole = _squash("".join(_pdf_pages(outputs["trusted"]["pdf"])))
    for token in _trusted_tokens():
        assert _squash(token) in whole, token


def test_new_rules_in_chinese_from_the_same_facts(tmp_path: Path) -> None:
    doc = _report(make_trusted_result(), tmp_path).to_json()
    zh = {r["code"]: r["explanation"]["zh"] for r in doc["policy"]["rules"]}
    assert STRAY_WITNESS in zh["policy-witness-identity"]
    assert "信任配置所列的运营者均未运营该见证节点" in zh["policy-witness-identity"]
    disputed = zh["policy-disputed-revocation"]
    assert REVOKED_WITNESS in disputed
    for when in ("2025-11-27T22:05:00Z", "2025-11-28T00:00:00Z", "2025-11-27T22:03:20Z"):
        assert when in disputed
    assert "2025-11-27T21:55:00Z" in zh["policy-capture-time"]
    assert "2025-11-27T22:00:00Z" in zh["policy-capture-time"]
    for code in ("policy-witness-identity", "policy-disputed-revocation",
                 "policy-capture-time"):
        assert "英文原文" not in zh[code], code
    assert doc["policy"]["rules"][-1]["explanation"]["zh"].startswith("满足策略 hague-3")


# --------------------------------------------------------------------------- no profile


def test_untrusted_html_says_none_was_given(outputs: dict[str, dict[str, Path]]) -> None:
    page = _html(outputs["untrusted"]["html"])
    everything = "".join(page.text)
    assert NO_TRUST_EN in everything and NO_TRUST_ZH in everything
    verdict = [t for c, t in page.paragraphs if c.startswith("verdict")]
    # page one: one statement, which names the development chain itself
    assert verdict == [
        "No presumption under policy hague-3: no trust profile was given (not a "
        "demonstration). The anchor is on a development chain one party controls: no "
        "evidential value.依据策略 hague-3：不作推定（未提供信任配置）（非演示）。锚定位于由单一方"
        "控制的开发链上：不具有证据价值。"]
    # a development chain verified without a demonstration profile keeps its red box
    warnings = [t for c, t in page.paragraphs if c == "warning"]
    assert warnings and DEV_BOX_EN in warnings[0]


def test_untrusted_pdf_says_none_was_given(outputs: dict[str, dict[str, Path]]) -> None:
    whole = _squash("".join(_pdf_pages(outputs["untrusted"]["pdf"])))
    assert _squash(NO_TRUST_EN) in whole and _squash(NO_TRUST_ZH) in whole
    assert _squash(DEV_BOX_EN) in whole


def test_untrusted_outcome_in_chinese(tmp_path: Path) -> None:
    doc = _report(make_untrusted_result(), tmp_path).to_json()
    outcome = doc["policy"]["rules"][-1]
    assert outcome["code"] == "policy-outcome" and not outcome["held"]
    assert outcome["explanation"]["zh"].startswith(
        "在核验方所选的信任下不满足策略 hague-3：未提供信任配置。")
    assert "可满足该策略" in outcome["explanation"]["zh"]
