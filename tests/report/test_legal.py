"""Legal text comes from one sourced table (issue 14, Deliver 2).

A report states no legal proposition that is not a statement of
``evidence/data/legal/statements.toml``: the rendered PDF (pdftotext) and HTML of a
demonstration, a trusted and an untrusted report, in both languages, are searched for the
marks of a legal proposition (article numbers, named instruments, presumption words) once
every table statement is taken out; none may remain. The table itself carries a source and
a verified flag for every statement, and the Chinese never says 推定真实.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from evidence.report import ReportSigner, build_report, write_report
from evidence.report.legal import UNVERIFIED_MARK, VERIFIED, statements

from .fixtures import make_result, make_trusted_result, make_untrusted_result

#: What marks a legal proposition (English and Chinese). Any of these outside a table
#: statement means the report states law the table does not hold.
LEGAL_MARKS = (
    r"\bArt(?:icle|s?\.)\s*\d+", r"第\s*\d+\s*条", r"902\s*\(", r"eIDAS", r"推定真实",
    r"procedural\s*defect", r"程序瑕疵", r"Online\s*Litigation", r"在线诉讼规则",
    r"Provisions\s*on\s*Evidence", r"民事诉讼证据", r"Federal\s*Rules", r"\bFRE\b",
    r"[Pp]resumed\s*authentic", r"[Pp]resumption\s*of\s*authenticity", r"真实性推定",
)


_FOOTER = re.compile(r"^(RPT-\S+ · sha256:[0-9a-f]+|page \d+ of \d+( / 第 \d+ 页，共 \d+ 页)?"
                     r"|第 \d+ 页，共 \d+ 页)$")


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, signer: ReportSigner) -> dict[str, str]:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = tmp_path_factory.mktemp("legal")
    texts = {}
    for name, result in (("demo", make_result()), ("trusted", make_trusted_result()),
                         ("untrusted", make_untrusted_result())):
        report = build_report(result, bundle=out, lang="en+zh", now="2025-11-28T09:05:00Z")
        pdf = write_report(report, out / f"{name}.pdf", signer=signer)
        html = write_report(report, out / f"{name}.html", signer=None)
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        # page footers (report id and digest, page number) interrupt a statement that runs
        # over a page break: take them out, as a reader's eye does
        texts[f"{name}.pdf"] = "\n".join(
            line for line in text.replace("\f", "\n").splitlines()
            if not _FOOTER.match(line.strip()))
        parser = _Text()
        parser.feed(html.read_text(encoding="utf-8"))
        texts[f"{name}.html"] = "".join(parser.parts)
        texts[f"{name}.json"] = report.canonical_bytes().decode("utf-8")
    return texts


def _without_statements(text: str) -> str:
    squashed = _squash(text)
    for st in statements():
        for lang in ("en", "zh"):
            squashed = squashed.replace(_squash(st.text(lang)), "")
    return squashed


def test_the_table_is_sourced_and_flagged() -> None:
    table = statements()
    ids = {st.id for st in table}
    for needed in ("olr-16", "olr-17", "olr-18", "olr-19", "ep-93", "ep-94", "hague-scope",
                   "hague-39", "fre-902", "eidas-41", "paper-rebuttal"):
        assert needed in ids, needed
    for st in table:
        assert st.source and st.verified in VERIFIED and st.en and st.zh, st.id
        assert "推定真实" not in st.zh, st.id
    by_id = {st.id: st for st in table}
    # Art. 16 with its real scope: after going on chain, rebuttable
    assert "上链后未经篡改" in by_id["olr-16"].zh and "相反证据" in by_id["olr-16"].zh
    assert "after it was put on the chain" in by_id["olr-16"].en
    # the rebuttal ground is attributed to the paper, not to a rule
    assert "paper" in by_id["paper-rebuttal"].en and "论文" in by_id["paper-rebuttal"].zh
    # legal-notes.md marks Arts. 18-19 unverified: the report says so
    for sid in ("olr-18", "olr-19"):
        assert by_id[sid].verified == "unverified"
        assert by_id[sid].text("en").endswith(UNVERIFIED_MARK[0])
        assert by_id[sid].text("zh").endswith(UNVERIFIED_MARK[1])


@pytest.mark.parametrize("name", ["demo", "trusted", "untrusted"])
@pytest.mark.parametrize("fmt", ["pdf", "html", "json"])
def test_no_legal_proposition_outside_the_table(rendered: dict[str, str], name: str,
                                                fmt: str) -> None:
    text = rendered[f"{name}.{fmt}"]
    if fmt == "json":  # JSON strings escape quotes; compare the decoded notes instead
        import json

        doc = json.loads(text)
        listed = {st.text(lang) for st in statements() for lang in ("en", "zh")}
        for notes in doc["legal_notes"].values():
            for note in notes:
                assert note in listed, note
        doc.pop("legal_notes")
        text = json.dumps(doc, ensure_ascii=False)
    rest = _without_statements(text)
    for mark in LEGAL_MARKS:
        found = re.search(_squash(mark) if "\\s" not in mark else mark.replace(r"\s*", ""),
                          rest)
        assert found is None, f"{name}.{fmt}: {mark!r} outside the table: " \
            f"...{rest[max(0, found.start() - 80):found.end() + 80]}..."


def test_every_statement_is_printed(rendered: dict[str, str]) -> None:
    squashed = _squash(rendered["trusted.pdf"])
    for st in statements():
        for lang in ("en", "zh"):
            assert _squash(st.text(lang)) in squashed, (st.id, lang)
