"""A ``zh`` report is wholly Chinese (issue 14, Deliver 6).

(a) Every finding code the code base can emit has a Chinese meaning: the codes are gathered
from the source by AST (every string given as the code of a ``Finding``, of an ``add(code,
Severity.X, ...)``, of a ``TokenProblem``, the policy rules' ``_RULE_*`` constants, the BagIt
problem codes and the item status codes), so a new code without a translation fails here;
an expression this gathering cannot resolve fails too, until it is taught where its codes
come from.

(b) The zh PDF (``pdftotext``) and HTML of the demonstration result, the court's result, the
untrusted result and a failed result holding every code contain no run of three English
words outside the values the parties supplied (names, notes, record fields), identifiers,
hashes, URLs and the re-check commands, and never "见英文原文".
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from dataclasses import replace
from html import unescape
from pathlib import Path
from typing import Any

import pytest

import evidence
from evidence.findings import Finding, Severity, Verdict
from evidence.jurisdictions import load_default_parties
from evidence.report import build_report, write_report
from evidence.report.blocks import Code
from evidence.report.findings_zh import FINDINGS_ZH, UNKNOWN_FINDING_ZH, finding_zh
from evidence.report.layout import document
from evidence.report.text import RULES
from evidence.result import VerificationResult

from .fixtures import ITEMS, make_result, make_trusted_result, make_untrusted_result

SOURCE = Path(evidence.__file__).parent
CODE_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)+$")

#: Code expressions that are not literals, and where their codes come from (each checked
#: in _dynamic_codes): a new kind of expression fails the gathering until added here.
DYNAMIC = {
    ("bundle/integrity.py", "f'bag-{p.code}'"): "bagit problem codes",
    # IntegrityReport.add's parameter, and the item status codes it is given
    ("bundle/integrity.py", "code"): "item status codes",
    ("verification/chain_checks.py", "code"): "ChainCheck.add's parameter",
    ("policy/evaluate.py", "rule"): "_RULE_* constants",
    ("standards/bagit.py", "self.code"): "bagit problem codes",
    ("timestamps/check.py", "exc.code"): "TokenProblem codes",
}


def _is_severity(node: ast.AST) -> bool:
    if isinstance(node, ast.IfExp):
        return _is_severity(node.body)
    return (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id == "Severity")


def gather_codes() -> tuple[set[str], set[tuple[str, str]]]:
    """Every literal finding code in evidence/, and the unresolved code expressions."""
    codes: set[str] = set()
    unresolved: set[tuple[str, str]] = set()
    for path in sorted(SOURCE.rglob("*.py")):
        rel = path.relative_to(SOURCE).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        consts = {t.id: n.value.value for n in ast.walk(tree) if isinstance(n, ast.Assign)
                  for t in n.targets if isinstance(t, ast.Name)
                  and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)}
        codes.update(v for k, v in consts.items() if k.startswith("_RULE_"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name not in ("Finding", "TokenProblem") and not any(
                    _is_severity(a) for a in node.args):
                continue
            first = node.args[0] if node.args else next(
                (k.value for k in node.keywords if k.arg == "code"), None)
            if first is None:
                continue
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                codes.add(first.value)
            elif isinstance(first, ast.Name) and first.id in consts:
                codes.add(consts[first.id])
            else:
                unresolved.add((rel, ast.unparse(first)))
    return codes, unresolved


def _dynamic_codes() -> set[str]:
    from evidence.bundle import integrity
    from evidence.standards.bagit import PROBLEM_CODES

    status_codes = set(integrity._STATUS_CODES.values()) | {"item-invalid"}
    source = (SOURCE / "bundle/integrity.py").read_text(encoding="utf-8")
    assert '_STATUS_CODES.get(status, "item-invalid")' in source  # the default gathered here
    return {f"bag-{c}" for c in PROBLEM_CODES} | status_codes


@pytest.fixture(scope="module")
def all_codes() -> set[str]:
    codes, unresolved = gather_codes()
    known = {key for key in DYNAMIC}
    assert unresolved <= known, f"teach this test where these codes come from: {unresolved - known}"
    assert len(codes) > 100  # the gathering works
    return codes | _dynamic_codes()


def test_every_code_has_chinese(all_codes: set[str]) -> None:
    missing = sorted(c for c in all_codes if c not in FINDINGS_ZH
                     and not (c.startswith("policy-") and c in RULES))
    assert not missing, f"finding codes without a Chinese meaning: {missing}"
    for code in all_codes - set(RULES):
        text = finding_zh(code, "some English message")
        assert text != UNKNOWN_FINDING_ZH, code
        assert not re.search(r"[A-Za-z]{3,} [A-Za-z]{3,}", text), code


# ------------------------------------------------------------------ (b) the rendered reports

#: Runs of three or more English words.
ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]+(?:[ ,;:()/]+[A-Za-z][A-Za-z'’-]+){2,}")
#: Identifiers that may stand in a zh report: country codes, URLs, paths, hex, addresses.
NOT_PROSE = re.compile(r"\b[A-Z]{2}\b|https?://\S+|\S*/\S+|0x[0-9a-fA-F]+|[0-9a-f]{16,}|\S+\.\w{2,4}\b")

#: The court's chain as this tool describes it (evidence.chain.proven).
COURT_CHAIN_DESCRIPTION = ("JSON-RPC 2 nodes (https://node-1.example.org:8545, "
                           "https://node-2.example.net:8545) (chain id 7140)")


def _failed_result(codes: set[str]) -> VerificationResult:
    """The demonstration result with a changed and a missing file, a missing witness
    confirmation, and one finding of every code (English messages that must not show)."""
    base = make_result()
    items = (replace(ITEMS[0], status="changed"), replace(ITEMS[1], status="missing"),
             *ITEMS[2:])
    findings = tuple(Finding(c, Severity.ERROR, f"the English message of {c} is never shown",
                             "evidence/root.json") for c in sorted(codes)
                     if not c.startswith("policy-"))
    return replace(base, verdict=Verdict.FAILED, items=items, findings=findings,
                   witnesses=base.witnesses[:2], policy=None)


def _supplied(value: Any) -> list[str]:
    """Every string in ``value`` (what a party supplied: shown as it is)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_supplied(v), *_supplied(k))]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _supplied(v)]
    return []


def _allowed(result: VerificationResult) -> list[str]:
    """Values the parties supplied, longest first (a report shows them as they are)."""
    values = _supplied(result.provenance)
    for item in result.items:
        values += [item.name, *_supplied(item.fields or {})]
    for w in result.witnesses:
        values += [str(w.get(k, "")) for k in ("operator", "registry_operator")]
        if not str(w.get("party_source", "")).startswith("built-in list"):
            values.append(str(w.get("party_source", "")))  # a party list's own source note
    trust = result.trust or {}
    values += [str(trust.get("publisher") or ""), str(trust.get("name") or "")]
    values.append(str((result.chain or {}).get("pinned_name") or ""))
    for t in result.timestamps or ():
        values += [str(t.get(k) or "") for k in ("tsa", "tsa_name", "signer_subject",
                                                  "signer_issuer")]
    return sorted({v for v in values if v}, key=len, reverse=True)


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text)


WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+")


def _english_runs(text: str, allowed: list[str]) -> list[str]:
    """Runs of English words left once the allowed values are taken out; a run made only
    of words of the allowed values (a command the PDF wrapped) is not prose."""
    vocabulary = {w for value in allowed for w in WORD.findall(value)}
    text = _squeeze(text)
    for value in allowed:
        value = _squeeze(value).strip()
        if len(value) >= 3:  # as a whole, never inside a word
            text = re.sub(rf"(?<![A-Za-z]){re.escape(value)}(?![A-Za-z])", " ", text)
    text = NOT_PROSE.sub(" ", text)
    return [m.group(0) for m in ENGLISH_RUN.finditer(text)
            if not set(WORD.findall(m.group(0))) <= vocabulary]


def _html_text(html: str) -> str:
    html = re.sub(r"<(script|style|pre|code)\b.*?</\1>", " ", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", html))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory,
             all_codes: set[str]) -> list[tuple[str, str, str, list[str]]]:
    """(name, PDF text, HTML text, allowed values) of each zh report."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = tmp_path_factory.mktemp("zh")
    court = make_trusted_result()
    # the party-list finding as the policy evaluation words it for the built-in list
    parties = load_default_parties()
    said = f"Party list used: {parties.source}. {parties.caveats[0]}"
    court = replace(court, chain={**(court.chain or {}), "description": COURT_CHAIN_DESCRIPTION},
                    anchor=replace(court.anchor, chain_description=COURT_CHAIN_DESCRIPTION)
                    if court.anchor else None,
                    findings=tuple(replace(f, message=said) if f.code == "policy-party-list"
                                   else f for f in court.findings))
    results = {"demo": make_result(), "court": court, "untrusted": make_untrusted_result(),
               "failed": _failed_result(all_codes)}
    shown = []
    for name, result in results.items():
        report = build_report(result, bundle=out, lang="zh", now="2025-11-28T09:05:00Z",
                              timezone="Asia/Shanghai", prepared_by="verifying-party")
        pdf = write_report(report, out / f"{name}.pdf", signer=None)
        html = write_report(report, out / f"{name}.html", signer=None)
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        commands = [line for b in document(report) if isinstance(b, Code)
                    for line in b.text.splitlines()]
        allowed = _allowed(result) + sorted(commands, key=len, reverse=True)
        shown.append((name, text, _html_text(html.read_text(encoding="utf-8")), allowed))
    return shown


def test_zh_reports_hold_no_english_prose(
        rendered: list[tuple[str, str, str, list[str]]]) -> None:
    for name, pdf_text, html_text, allowed in rendered:
        for kind, text in (("pdf", pdf_text), ("html", html_text)):
            assert "见英文原文" not in text and "仅有英文" not in text, (name, kind)
            runs = _english_runs(text, allowed)
            assert not runs, (name, kind, runs[:10])


def test_failed_report_states_every_finding_in_chinese(
        rendered: list[tuple[str, str, str, list[str]]], all_codes: set[str]) -> None:
    html = next(h for name, _, h, _ in rendered if name == "failed")
    squeezed = _squeeze(html)
    for code in all_codes:
        if not code.startswith("policy-"):
            assert _squeeze(FINDINGS_ZH[code]) in squeezed, code
    assert "the English message of" not in html


def test_variant_markers_are_in_the_messages() -> None:
    """A code whose English message has variants (FINDING_VARIANTS_ZH) is told apart by
    words of that message: they must still be in the source that writes it."""
    from evidence.report.findings_zh import FINDING_VARIANTS_ZH

    sources = "".join(p.read_text(encoding="utf-8") for p in SOURCE.rglob("*.py")
                      if p.name != "findings_zh.py")
    for code, words in FINDING_VARIANTS_ZH:
        assert f'"{code}"' in sources and words in sources, (code, words)
